"""load_lexicon on small hand-written master dictionaries in both layouts, the shipped default, and the real LM file."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from sources.lexicon import CATEGORIES, Lexicon, default_lexicon, load_lexicon

FIXTURES = Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures"
LM_CSV = FIXTURES / "lexicon" / "LM.csv"

# Current layout: Strong_Modal and Weak_Modal columns, flags are years. Extra columns are ignored.
CURRENT = """Word,Seq_num,Word Count,Negative,Positive,Uncertainty,Litigious,Strong_Modal,Weak_Modal,Constraining,Source
GAIN,1,10,0,2009,0,0,0,0,0,12of12inf
LOSS,2,10,2009,0,0,0,0,0,0,12of12inf
DROPPED,3,10,-2020,0,0,0,0,0,0,12of12inf
MAYBE,4,10,0,0,2011,0,0,2011,0,12of12inf
MUST,5,10,0,0,0,0,2009,0,2014,12of12inf
SUED,6,10,2009,0,0,2012,0,0,0,12of12inf
TABLE,7,10,0,0,0,0,0,0,0,12of12inf
"""

# Older layout: one Modal column, 1 strong, 2 moderate (neither), 3 weak; flags are years.
OLDER = """Word,Sequence Number,Word Count,Negative,Positive,Uncertainty,Litigious,Constraining,Superfluous,Modal,Source
ALWAYS,1,5,0,0,0,0,0,0,1,12of12inf
SHOULD,2,5,0,0,0,0,0,0,2,12of12inf
MIGHT,3,5,0,0,2009,0,0,0,3,12of12inf
GOOD,4,5,0,2009,0,0,0,0,0,12of12inf
BAD,5,5,2009,0,0,0,0,0,0,12of12inf
RETIRED,6,5,0,-2012,0,0,0,0,0,12of12inf
PLAIN,7,5,0,0,0,0,0,0,0,12of12inf
"""


def write(tmp_path: Path, text: str, name: str = "dictionary.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_current_layout_reads_year_flags_and_both_modal_columns(tmp_path: Path) -> None:
    lexicon = load_lexicon(write(tmp_path, CURRENT))
    assert lexicon.words == {"GAIN", "LOSS", "DROPPED", "MAYBE", "MUST", "SUED", "TABLE"}
    assert lexicon.positive == {"GAIN"}
    # DROPPED carries -2020 (removed in 2020): still a master word, not a negative one.
    assert lexicon.negative == {"LOSS", "SUED"}
    assert lexicon.uncertainty == {"MAYBE"}
    assert lexicon.litigious == {"SUED"}
    assert lexicon.strong_modal == {"MUST"}
    assert lexicon.weak_modal == {"MAYBE"}
    assert lexicon.constraining == {"MUST"}
    assert "DROPPED" in lexicon.words


def test_older_layout_modal_1_strong_2_neither_3_weak(tmp_path: Path) -> None:
    lexicon = load_lexicon(write(tmp_path, OLDER))
    assert lexicon.strong_modal == {"ALWAYS"}
    assert lexicon.weak_modal == {"MIGHT"}
    assert "SHOULD" in lexicon.words
    assert "SHOULD" not in lexicon.strong_modal | lexicon.weak_modal
    assert lexicon.positive == {"GOOD"}  # RETIRED has -2012: removed, does not count
    assert lexicon.negative == {"BAD"}
    assert lexicon.uncertainty == {"MIGHT"}
    assert "RETIRED" in lexicon.words and "PLAIN" in lexicon.words


def test_headers_case_insensitive_bom_crlf_lower_case_words(tmp_path: Path) -> None:
    text = OLDER.replace("Word,", "WORD,").replace("Positive", "positive").replace("Modal", "MODAL")
    text = text.replace("GOOD", "good").replace("\n", "\r\n")
    lexicon = load_lexicon(write(tmp_path, text, encoding="utf-8-sig"))
    assert lexicon.positive == {"GOOD"}
    assert lexicon.strong_modal == {"ALWAYS"}
    # Spaces for underscores in the current layout's modal headers are matched too.
    spaced = CURRENT.replace("Strong_Modal", "strong modal").replace("Weak_Modal", "WEAK_MODAL")
    assert load_lexicon(write(tmp_path, spaced, "spaced.csv")).strong_modal == {"MUST"}


def test_defaults_name_and_version_from_latest_year_and_sha256(tmp_path: Path) -> None:
    path = write(tmp_path, CURRENT)
    lexicon = load_lexicon(path)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    assert lexicon.name == "loughran_mcdonald"
    assert lexicon.version == f"2014-{sha[:12]}"  # 2014 is the latest positive year flagged (MUST, constraining)
    named = load_lexicon(path, name="lm_test", version="v7")
    assert (named.name, named.version) == ("lm_test", "v7")
    # Same content, same version: scores stored under it stay comparable.
    assert load_lexicon(write(tmp_path, CURRENT, "copy.csv")).version == lexicon.version


def test_not_a_master_dictionary_names_file_and_missing_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "Ticker,Name,Weight\nAAA,Alpha,0.5\n", "holdings.csv")
    with pytest.raises(ValueError, match=r"holdings\.csv") as caught:
        load_lexicon(path)
    message = str(caught.value)
    for column in ("word", "negative", "positive", "uncertainty", "litigious", "constraining", "modal"):
        assert column in message
    no_modal = "Word,Negative,Positive,Uncertainty,Litigious,Constraining\nGOOD,0,2009,0,0,0\n"
    with pytest.raises(ValueError, match=r"missing column\(s\) modal \(older layout\) or strong_modal and weak_modal"):
        load_lexicon(write(tmp_path, no_modal, "no_modal.csv"))
    with pytest.raises(ValueError, match="no header row"):
        load_lexicon(write(tmp_path, "", "empty.csv"))


def test_bad_flag_names_line_and_column(tmp_path: Path) -> None:
    text = CURRENT.replace("GAIN,1,10,0,2009", "GAIN,1,10,0,yes")
    with pytest.raises(ValueError, match=r"line 2, column 'Positive'"):
        load_lexicon(write(tmp_path, text))


def test_hand_built_lexicon_is_upper_cased_frozen_and_short_to_print() -> None:
    # Any collection of str is accepted (and frozen); the annotations say frozenset, hence the ignore.
    lexicon = Lexicon(name="tiny", version="1", words={"good", "Bad"}, positive=["good"], negative=("bad",))  # type: ignore[arg-type]
    assert lexicon.words == frozenset({"GOOD", "BAD"})
    assert isinstance(lexicon.positive, frozenset) and lexicon.positive == {"GOOD"}
    assert lexicon.uncertainty == frozenset()
    assert repr(lexicon) == (
        "Lexicon(name='tiny', version='1', words=2, positive=1, negative=1, uncertainty=0, litigious=0, "
        "constraining=0, strong_modal=0, weak_modal=0)"
    )
    with pytest.raises(AttributeError):
        lexicon.name = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        Lexicon(name="x", version="1", words="GOOD")  # type: ignore[arg-type]


def test_default_lexicon_ships_covers_the_demo_vocabulary() -> None:
    lexicon = default_lexicon()
    assert lexicon.name == "eea_default"
    assert lexicon.version.startswith("2026-") and len(lexicon.version) == len("2026-") + 12
    assert default_lexicon() is lexicon  # loaded once
    positive = "STRONG STRONGER STRONGEST IMPROVED GAINS ACHIEVED SUCCESS PROGRESS OPPORTUNITIES EXCELLENT BENEFIT"
    negative = "DECLINE DECLINED WEAK WEAKNESS LOSS LOSSES CHALLENGING DIFFICULT ADVERSE DISRUPTION DELAYED"
    uncertainty = "UNCERTAIN UNCERTAINTY MAY RISK APPROXIMATELY VOLATILITY"
    assert set(positive.split()) <= lexicon.positive
    assert set(negative.split()) <= lexicon.negative
    assert set(uncertainty.split()) <= lexicon.uncertainty
    assert not lexicon.positive & lexicon.negative
    for category in CATEGORIES:
        assert getattr(lexicon, category) <= lexicon.words, category
        assert getattr(lexicon, category), category
    assert all(w.isascii() and w.isalpha() and w.isupper() and len(w) >= 2 for w in lexicon.words)
    # A few hundred tone words, plus the everyday words that make up the rest of a call.
    tone = set().union(*(getattr(lexicon, c) for c in CATEGORIES))
    assert 300 <= len(tone) <= 1000
    assert len(lexicon.words) > len(tone)


def test_default_lexicon_file_states_its_licence_and_current_layout() -> None:
    from sources.lexicon import DEFAULT_CSV

    head = DEFAULT_CSV.read_text(encoding="utf-8").splitlines()[:6]
    comments = " ".join(line for line in head if line.startswith("#"))
    assert "written for this project" in comments
    assert "same licence as this project" in comments
    header = next(line for line in head if not line.startswith("#"))
    assert "Strong_Modal" in header.split(",") and "Weak_Modal" in header.split(",")


@pytest.mark.fixtures
def test_real_loughran_mcdonald_master_dictionary() -> None:
    if not LM_CSV.is_file():
        pytest.skip(f"LM master dictionary not found at {LM_CSV} (../shared/fixtures is absent on this machine)")
    lexicon = load_lexicon(LM_CSV)
    # Counts per the fixtures README; modal counts are the file's Modal column (19 ones, 27 threes).
    assert len(lexicon.words) == 86486
    assert (len(lexicon.positive), len(lexicon.negative), len(lexicon.uncertainty)) == (354, 2355, 297)
    assert (len(lexicon.strong_modal), len(lexicon.weak_modal)) == (19, 27)
    assert {"SHOULD", "WOULD", "CAN"} <= lexicon.words
    assert not {"SHOULD", "WOULD", "CAN"} & (lexicon.strong_modal | lexicon.weak_modal)  # moderate: neither
    assert {"WILL", "MUST", "NEVER"} <= lexicon.strong_modal and {
        "MAY",
        "COULD",
        "MIGHT",
    } <= lexicon.weak_modal
    sha = hashlib.sha256(LM_CSV.read_bytes()).hexdigest()
    assert sha.startswith("8fc9dbfc2e66e0c1")  # the README's hash: the file we think it is
    assert lexicon.version == f"2018-{sha[:12]}"  # one litigious word is flagged 2018, the latest year in the file
    assert lexicon.name == "loughran_mcdonald"
