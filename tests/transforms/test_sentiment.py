"""score on hand-counted sentences, against a plain reference implementation, and on the real transcripts with LM."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import transforms.sentiment as sentiment
from sources.lexicon import CATEGORIES, Lexicon, default_lexicon, load_lexicon
from transforms.sentiment import COLUMNS, COUNT_COLUMNS, NEGATORS, score

FIXTURES = Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures"

TINY_WORDS = (
    "THE COMPANY DID NOT ACHIEVE STRONG GROWTH GOOD BAD RESULTS REALLY AT ALL WELL BEING DON A I NO WAS IT"
    " INTERNATIONAL INTERNATIONALISATIONS SUED MAY MUST"
)
TINY = Lexicon(
    name="tiny",
    version="1",
    words=frozenset(TINY_WORDS.split()),
    positive=frozenset({"ACHIEVE", "STRONG", "GOOD", "WELL", "A", "INTERNATIONALISATIONS"}),
    negative=frozenset({"BAD", "INTERNATIONAL", "SUED"}),
    uncertainty=frozenset({"MAY"}),
    litigious=frozenset({"SUED"}),
    strong_modal=frozenset({"MUST"}),
    weak_modal=frozenset({"MAY"}),
)


def row_counts(out: pd.DataFrame, i: int) -> dict[str, int]:
    return dict(zip(COUNT_COLUMNS, out[COUNT_COLUMNS].iloc[i].tolist(), strict=True))


def counts(text: str | None, lexicon: Lexicon = TINY) -> dict[str, int]:
    return row_counts(score([text], lexicon), 0)


def plain(text: str | None, lexicon: Lexicon) -> dict[str, int]:
    """The rules of SIGNALS.md as a simple loop, no tricks: the reference `score` must agree with."""
    row = dict.fromkeys(COUNT_COLUMNS, 0)
    if text is None:
        return row
    tokens = [t.upper() for t in re.findall(r"[A-Za-z]+", text)]
    for i, token in enumerate(tokens):
        if len(token) < 2 or token not in lexicon.words:
            continue
        row["words"] += 1
        for category in CATEGORIES:
            if token in getattr(lexicon, category):
                if category == "positive" and any(t in NEGATORS for t in tokens[max(0, i - 3) : i]):
                    continue
                row[category] += 1
    return row


def frame_of(rows: list[dict[str, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=COUNT_COLUMNS).astype("int64")


def test_negation_hand_counted() -> None:
    # THE COMPANY DID NOT ACHIEVE STRONG GROWTH: all 7 tokens are words.
    # ACHIEVE: the 3 tokens before are COMPANY DID NOT -> negated. STRONG: DID NOT ACHIEVE -> negated.
    assert counts("The company did not achieve strong growth") == {**dict.fromkeys(COUNT_COLUMNS, 0), "words": 7}
    # Without NOT: 6 words, ACHIEVE + STRONG = 2 positive.
    assert counts("The company did achieve strong growth")["positive"] == 2


def test_negation_window_is_exactly_three_tokens() -> None:
    # NOT REALLY A GOOD: before GOOD are A(1) REALLY(2) NOT(3) -> negated (a window of 2 would count it).
    assert counts("not really a good")["positive"] == 0
    # NOT AT ALL A GOOD: A(1) ALL(2) AT(3) NOT(4) -> counted (a window of 4 would negate it).
    assert counts("not at all a good")["positive"] == 1
    # NOT GOOD GOOD GOOD GOOD: the first three are within 3 tokens of NOT, the fourth is not.
    assert counts("not good good good good")["positive"] == 1


def test_negators_count_as_tokens_whatever_they_are() -> None:
    # One-letter tokens and words outside the lexicon fill the window too: X and Y are not words.
    assert counts("not x y good")["positive"] == 0
    assert counts("not x y z good")["positive"] == 1
    # Every negator; and punctuation, digits and sentence ends do not break the window.
    for negator in NEGATORS:
        assert counts(f"{negator.lower()}. 123 -- good")["positive"] == 0, negator
    # Only the positive count changes: the negated word is still a word. NO, NOT count as words when listed.
    assert counts("no good") == {**dict.fromkeys(COUNT_COLUMNS, 0), "words": 2}
    # Negative words are never negated.
    assert counts("not bad")["negative"] == 1


def test_apostrophes_hyphens_digits_and_one_letter_tokens() -> None:
    # DON'T -> DON, T; WELL-BEING -> WELL, BEING; IT'S -> IT, S. T and S have one letter: never words.
    # Words: DON WELL BEING IT = 4; positive: WELL = 1.
    assert counts("don't well-being it's") == {**dict.fromkeys(COUNT_COLUMNS, 0), "words": 4, "positive": 1}
    # A and I are in TINY (A even flagged positive) but have one letter: never counted.
    assert counts("a I a i") == dict.fromkeys(COUNT_COLUMNS, 0)
    # Digits split: GOOD2BAD -> GOOD, BAD.
    assert counts("good2bad") == {**dict.fromkeys(COUNT_COLUMNS, 0), "words": 2, "positive": 1, "negative": 1}
    # Case does not matter.
    assert counts("Good GOOD good gOoD")["positive"] == 4


def test_non_ascii_letters_split_tokens() -> None:
    # The rule is [A-Za-z]+: 'ß', 'é', 'ı' are not letters. GOODß -> GOOD; 'GOOD' with a Turkish dotless i is no word.
    assert counts("goodß")["positive"] == 1
    assert counts("stronğ good")["positive"] == 1  # STRON, GOOD
    assert counts("gıood")["words"] == 0
    # str.upper() would turn 'ß' into 'SS' and the dotless 'ı' into 'I'; the count must not see those.
    assert counts("claßified dıd")["words"] == 0


def test_long_words_match_letter_for_letter() -> None:
    # INTERNATIONAL (13 letters) is negative; INTERNATIONALLY and INTERNATIONA are not words at all.
    assert counts("international internationally internationa")["negative"] == 1
    assert counts("international internationally internationa")["words"] == 1
    # A 21-letter word, and tokens sharing its first 17 or all 21 letters (one longer than any word).
    assert counts("internationalisations")["positive"] == 1
    assert counts("internationalisationsx internationalisat internationalisationsinternational")["words"] == 0


def test_tokens_longer_than_every_word_never_match() -> None:
    # The longest word fills its 8-letter lanes exactly (16 letters); a longer token with the same first 16 letters
    # has the same lanes, so only its length tells it apart.
    lexicon = Lexicon(name="lanes", version="1", words=frozenset({"ABCDEFGHIJKLMNOP", "ABCDEFGH"}))
    assert counts("abcdefghijklmnop abcdefghijklmnopq abcdefgh abcdefghi", lexicon)["words"] == 2


def test_a_long_word_key_collision_is_checked_letter_for_letter(monkeypatch: pytest.MonkeyPatch) -> None:
    # Force collisions: with a zero mixing constant a long token's key is its last lane only, so XXXXXXXXIONAL
    # (13 letters) gets the key of INTERNATIONAL. The letter-for-letter check must still reject it.
    monkeypatch.setattr(sentiment, "_MIX", np.uint64(0))
    sentiment._index.cache_clear()
    try:
        lexicon = Lexicon(
            name="collide", version="1", words=frozenset({"INTERNATIONAL"}), negative=frozenset({"INTERNATIONAL"})
        )
        out = counts("international xxxxxxxxional", lexicon)
    finally:
        sentiment._index.cache_clear()  # nothing compiled with the patched constant may outlive this test
    assert (out["words"], out["negative"]) == (1, 1)


def test_categories_modals_and_tone_arithmetic() -> None:
    out = score(["The company was sued. It may grow; it must.", "good good bad"], TINY)
    # Text 0 words: THE COMPANY WAS SUED IT MAY IT MUST = 8 (GROW is not in TINY).
    assert out[COUNT_COLUMNS].iloc[0].tolist() == [8, 0, 1, 1, 1, 0, 1, 1]
    assert out.loc[0, "net_tone"] == -1.0  # (0 - 1) / (0 + 1)
    assert out.loc[0, "tone_per_word"] == pytest.approx(-1 / 8)
    # Text 1: (2 - 1) / (2 + 1) and (2 - 1) / 3 words.
    assert out.loc[1, "net_tone"] == pytest.approx(1 / 3)
    assert out.loc[1, "tone_per_word"] == pytest.approx(1 / 3)


def test_nulls_empty_and_untoned_texts() -> None:
    out = score([None, "", "the company", float("nan"), pd.NA, "!!! 42"], TINY)  # type: ignore[list-item]
    assert out[COUNT_COLUMNS].to_numpy().tolist() == [[0] * 8, [0] * 8, [2] + [0] * 7, [0] * 8, [0] * 8, [0] * 8]
    assert out["net_tone"].isna().all()  # no positive or negative word anywhere
    assert out["tone_per_word"].isna().tolist() == [True, True, False, True, True, True]
    assert out.loc[2, "tone_per_word"] == 0.0


def test_contract_columns_dtypes_order_and_index() -> None:
    out = score(["good", "bad", "good good"], TINY)
    assert list(out.columns) == COLUMNS
    assert all(out[c].dtype == np.int64 for c in COUNT_COLUMNS)
    assert out["net_tone"].dtype == np.float64 and out["tone_per_word"].dtype == np.float64
    assert out["positive"].tolist() == [1, 0, 2]
    assert out.index.equals(pd.RangeIndex(3))
    series = pd.Series(["bad", None, "good"], index=["c1", "c2", "c3"], dtype="str")
    by_series = score(series, TINY)
    assert by_series.index.tolist() == ["c1", "c2", "c3"]
    assert by_series["positive"].tolist() == [0, 0, 1] and by_series["negative"].tolist() == [1, 0, 0]
    empty = score([], TINY)
    assert list(empty.columns) == COLUMNS and len(empty) == 0
    assert all(empty[c].dtype == np.int64 for c in COUNT_COLUMNS)
    assert out.attrs["lexicon"] == {"name": "tiny", "version": "1"}


def test_rejects_a_bare_string_and_non_text() -> None:
    with pytest.raises(TypeError, match="single str"):
        score("good", TINY)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"texts\[1\] is int"):
        score(["good", 3], TINY)  # type: ignore[list-item]


def test_texts_do_not_negate_each_other_and_batches_do_not_matter(monkeypatch: pytest.MonkeyPatch) -> None:
    # NOT ends text 0; GOOD starts text 1: different texts, so GOOD counts.
    assert score(["it was not", "good"], TINY)["positive"].tolist() == [0, 1]
    texts = ["not", "good", "did not achieve", "strong", None, "", "no good at all a good"] * 50
    whole = score(texts, TINY)
    monkeypatch.setattr(sentiment, "_BATCH_BYTES", 16)  # a batch every text or two
    assert score(texts, TINY).equals(whole)
    assert whole[COUNT_COLUMNS].equals(frame_of([plain(t, TINY) for t in texts]))
    # Deterministic: same text, same numbers, alone or among others.
    assert score(["no good at all a good"], TINY).iloc[0].equals(whole.iloc[6])


def test_lexicon_of_no_words_scores_zero() -> None:
    out = score(["good text"], Lexicon(name="empty", version="0", words=frozenset()))
    assert out[COUNT_COLUMNS].to_numpy().tolist() == [[0] * 8]


def test_year_flags_and_moderate_modal_through_a_loaded_csv(tmp_path: Path) -> None:
    path = tmp_path / "older.csv"
    path.write_text(
        "Word,Negative,Positive,Uncertainty,Litigious,Constraining,Modal\n"
        "SHOULD,0,0,0,0,0,2\nMUST,0,0,0,0,0,1\nMIGHT,0,0,2009,0,0,3\n"
        "GAIN,0,2009,0,0,0,0\nFELL,-2011,0,0,0,0,0\nDROP,0,0,0,0,0,0\n"
    )
    lexicon = load_lexicon(path)
    # SHOULD MUST MIGHT GAIN FELL DROP: 6 words; moderate SHOULD in neither modal; FELL's -2011 is not negative.
    assert counts("should must might gain fell drop", lexicon) == {
        "words": 6, "positive": 1, "negative": 0, "uncertainty": 1, "litigious": 0, "constraining": 0,
        "strong_modal": 1, "weak_modal": 1,
    }  # fmt: skip


def test_default_lexicon_scores_a_demo_sentence() -> None:
    # Positive: STRONG, IMPROVED, GAINS; negative: DECLINE; uncertainty: UNCERTAINTY, MAY; weak modal: MAY.
    text = "Strong quarter: margins improved and gains offset the decline in volumes; uncertainty may remain."
    row = counts(text, default_lexicon())
    assert (row["positive"], row["negative"], row["uncertainty"], row["weak_modal"]) == (3, 1, 2, 1)
    # Negated: NOT(1 before) STRONG -> 0 positive.
    assert counts("The quarter was not strong.", default_lexicon())["positive"] == 0


WORDS = ["good", "GOOD", "bad", "strong", "achieve", "not", "No", "never", "none", "nobody", "neither", "a", "i",
         "x", "well", "internationalisations", "international", "internationally", "may", "must", "sued", "the"]  # fmt: skip
SEPARATORS = [" ", "  ", "-", "'", ". ", ", ", "\n", "1", " 42% ", "é", "ß", "ı", "\t", "—", "_"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(SEPARATORS)), max_size=25), max_size=6))
def test_agrees_with_the_plain_implementation(docs: list[list[tuple[str, str]]]) -> None:
    texts = ["".join(w + s for w, s in doc) for doc in docs]
    assert score(texts, TINY)[COUNT_COLUMNS].equals(frame_of([plain(t, TINY) for t in texts]))


@given(st.lists(st.one_of(st.none(), st.text(max_size=60)), max_size=5))
@settings(max_examples=100, deadline=None)
def test_agrees_with_the_plain_implementation_on_any_unicode(texts: list[str | None]) -> None:
    assert score(texts, TINY)[COUNT_COLUMNS].equals(frame_of([plain(t, TINY) for t in texts]))


# --- real payloads: the LM master dictionary and three real transcripts ---------------------------------------------


@pytest.fixture(scope="module")
def lm() -> Lexicon:
    path = FIXTURES / "lexicon" / "LM.csv"
    if not path.is_file():
        pytest.skip(f"LM master dictionary not found at {path} (../shared/fixtures is absent on this machine)")
    return load_lexicon(path)


@pytest.fixture(scope="module")
def transcripts() -> dict[str, list[str]]:
    """Each real transcript as a list of texts: paragraphs (Seeking Alpha), speeches (Motley Fool), one blob (ASR)."""
    folder = FIXTURES / "transcripts"
    if not folder.is_dir():
        pytest.skip(f"real transcripts not found at {folder} (../shared/fixtures is absent on this machine)")
    seeking_alpha = (folder / "seekingalpha_txt" / "CT_HOG_2018_q2.txt").read_bytes().decode("cp1252")
    fool = json.loads((folder / "motleyfool_json" / "AAN_q4_2020.txt").read_text(encoding="utf-8"))
    asr = json.loads((folder / "earningscall_api" / "msft-transcript-response.json").read_text(encoding="utf-8"))
    return {
        "seekingalpha": seeking_alpha.splitlines(),
        "motleyfool": [turn["speech"] for part in ("prepared_remarks", "q_and_a") for turn in fool[part]],
        "asr": [asr["text"]],
    }


@pytest.mark.fixtures
@pytest.mark.parametrize("name", ["seekingalpha", "motleyfool", "asr"])
def test_real_transcripts_match_the_plain_implementation(
    name: str, lm: Lexicon, transcripts: dict[str, list[str]]
) -> None:
    texts = transcripts[name]
    got = score(texts, lm)
    expected = frame_of([plain(t, lm) for t in texts])
    assert got[COUNT_COLUMNS].equals(expected)
    # The whole call as one text gives the totals of its parts, except for negations across part boundaries.
    whole = score(["\n".join(texts)], lm).iloc[0]
    assert whole["words"] == expected["words"].sum() > 5000
    assert whole["negative"] == expected["negative"].sum() > 50
    assert whole["positive"] == plain("\n".join(texts), lm)["positive"]


@pytest.mark.fixtures
def test_real_sentences_counted_by_hand(lm: Lexicon, transcripts: dict[str, list[str]]) -> None:
    harley = (
        "Matter of fact, our sales in Europe were not as strong as they were in the first quarter, "
        "when there was no talk of the tariffs."
    )
    aarons = (
        "We're also continuing to invest in technology, which not only improves the customer experience, "
        "but it's also improving our efficiencies."
    )
    github = "And GitHub's developer-first ethos has never been stronger."
    assert any(harley in t for t in transcripts["seekingalpha"])
    assert any(aarons in t for t in transcripts["motleyfool"])
    assert github in transcripts["asr"][0]
    out = score([harley, aarons, github], lm)
    zero = dict.fromkeys(COUNT_COLUMNS, 0)
    # 26 tokens, all LM words but EUROPE -> 25. STRONG is positive, but NOT is 2 tokens before it (AS, NOT) -> 0.
    # NO comes before TALK OF THE TARIFFS: none of those is positive.
    assert row_counts(out, 0) == {**zero, "words": 25}
    # WE RE ALSO CONTINUING TO INVEST IN TECHNOLOGY WHICH NOT ONLY IMPROVES THE CUSTOMER EXPERIENCE BUT IT S ALSO
    # IMPROVING OUR EFFICIENCIES: 22 tokens, S has one letter -> 21 words. Positive: IMPROVES (ONLY, NOT within
    # 2 -> negated, the convention's known 'not only' case), IMPROVING (ALSO IT S: no negator), EFFICIENCIES -> 2.
    assert row_counts(out, 1) == {**zero, "words": 21, "positive": 2}
    assert out.loc[1, "net_tone"] == 1.0 and out.loc[1, "tone_per_word"] == pytest.approx(2 / 21)
    # AND GITHUB S DEVELOPER FIRST ETHOS HAS NEVER BEEN STRONGER: GITHUB is not an LM word, S is one letter -> 8.
    # NEVER is a strong modal; STRONGER is positive but NEVER is 2 tokens before it -> 0 positive.
    assert row_counts(out, 2) == {**zero, "words": 8, "strong_modal": 1}
    assert math.isnan(out["net_tone"].iloc[2]) and out["tone_per_word"].iloc[2] == 0.0
