"""Transcript files to raw rows and raw rows to speaker turns: small hand-written payloads, the demo, the real fixtures."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest

from sources.base import Request, SourceError
from sources.transcript_files import decode, parse_fmp_transcripts, read_transcript, read_transcript_table
from transforms.transcripts import COLUMNS, SECTION_COLUMNS, first_question, role_from_title, scored_sections, turns

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "transcripts"
SEEKING_ALPHA = FIXTURES / "seekingalpha_txt" / "CT_HOG_2018_q2.txt"
MOTLEY_FOOL = FIXTURES / "motleyfool_json" / "AAN_q4_2020.txt"
EARNINGSCALL = FIXTURES / "earningscall_api" / "msft-transcript-response.json"

SA_TEXT = "\r\n".join(
    [
        "Acme Corp. (NASDAQ:ACME) Q3 2019 Earnings Conference Call October 29, 2019 8:30 AM ET",
        "Executives",
        "Jane Roe \u2013 Chief Executive Officer",
        "Analysts",
        "Bob Stone \u2013 Big Bank Securities",
        "Operator",
        "Welcome. After the remarks there will be a question-and-answer session.",
        "Jane Roe",
        "We had a \u201cgood\u201d quarter.",
        "",
        "Margins rose.",
        "Question-and-Answer Session",
        "Operator",
        "Your first question comes from Bob Stone.",
        "Bob Stone",
        "How were margins?",
        "Jane Roe",
        "Good \u2013 thanks.",
    ]
)
MF_OBJ = {
    "header_texts": ["Contents:", "Prepared Remarks:", "Questions and Answers:", "Call participants:"],
    "prepared_remarks": [
        {"speaker": "Operator", "speech": "Welcome; there will be a question-and-answer session."},
        {"speaker": "Ann Lee", "speech": "Sales grew."},
    ],
    "q_and_a": [
        {"speaker": "Operator", "speech": "Your first question."},
        {"speaker": "Tom Fox", "speech": "Why?"},
        {"speaker": "Ann Lee", "speech": "Because."},
        {"speaker": "Duration: 30 minutes", "speech": ""},
    ],
    "participants": ["Ann Lee--Chief Executive Officer", "Tom Fox--Some Bank LLC -- Analyst"],
}
TURNS_OBJ = {
    "speakers": {
        "0": {"name": "Operator", "title": ""},
        "1": {"name": "Ann Lee", "title": "CFO"},
        "2": {"name": "Tom Fox", "title": "Analyst"},
    },
    "turns": [
        {"speaker": 0, "text": "Welcome."},
        {"speaker": 1, "text": "Results were fine."},
        {"speaker": 2, "text": "A question on margins?"},
        {"speaker": 1, "text": "Stable."},
    ],
}
FMP_PAYLOAD = json.dumps(
    [
        {
            "symbol": "ACME",
            "quarter": 2,
            "year": 2020,
            "date": "2020-07-30 17:00:00",
            "content": "Operator: Good day.\nJane Roe: Revenue rose.\nIt was a record.\nOperator: We will now begin "
            "the question-and-answer session. First question, Bob Stone.\nBob Stone: How about costs?\n"
            "Jane Roe: Lower.",
        }
    ]
).encode()


# decoding


def test_decode_utf8_with_and_without_bom_and_crlf() -> None:
    text = "caf\u00e9 \u2013 \u201cok\u201d\r\nnext\rlast"
    assert decode(text.encode("utf-8")) == "caf\u00e9 \u2013 \u201cok\u201d\nnext\nlast"
    assert decode(b"\xef\xbb\xbf" + text.encode("utf-8")) == "caf\u00e9 \u2013 \u201cok\u201d\nnext\nlast"


def test_decode_falls_back_to_cp1252() -> None:
    assert decode(b"\x93Hi\x94 \x96 caf\xe9 it\x92s\r\n") == "\u201cHi\u201d \u2013 caf\u00e9 it\u2019s\n"


# layout detection and the raw row


def test_layouts_detected_and_json_kept_recoverable() -> None:
    sections = read_transcript(json.dumps(MF_OBJ).encode(), origin="x/ACME_q4_2020.txt", call_date=date(2021, 2, 1))
    assert sections["layout"] == "json_sections"
    assert json.loads(sections["text"]) == MF_OBJ
    assert (sections["ticker"], sections["fiscal_year"], sections["fiscal_quarter"]) == ("ACME", 2020, 4)
    turn_row = read_transcript(
        json.dumps(TURNS_OBJ, indent=2).encode(), origin="t.json", ticker="acme", call_date=date(2021, 2, 1)
    )
    assert turn_row["layout"] == "json_turns" and turn_row["ticker"] == "ACME"
    assert json.loads(turn_row["text"]) == TURNS_OBJ and "\n" not in turn_row["text"]
    blob = read_transcript(
        b'{"text": "Hello all. Revenue rose."}', origin="b.json", ticker="ACME", call_date=date(2021, 2, 1)
    )
    assert (blob["layout"], blob["text"]) == ("blob", "Hello all. Revenue rose.")
    plain = read_transcript(b"Hello all. Revenue rose on March 3, 2021.", origin="ACME_2021_q1.txt")
    assert (plain["layout"], plain["call_date"], plain["fiscal_quarter"]) == ("blob", date(2021, 3, 3), 1)
    text = read_transcript(SA_TEXT.encode("cp1252"), origin="CT_XYZ_2019_q3.txt")
    assert text["layout"] == "speaker_blocks"
    # The title's (NASDAQ:ACME) beats the file name; the date comes from the title line.
    assert (text["ticker"], text["call_date"], text["fiscal_year"], text["fiscal_quarter"]) == (
        "ACME",
        date(2019, 10, 29),
        2019,
        3,
    )
    assert "\r" not in text["text"] and "\u201cgood\u201d" in text["text"]


def test_missing_ticker_or_date_names_the_origin() -> None:
    with pytest.raises(SourceError, match=r"nodate\.txt"):
        read_transcript(b"Operator\nHello.", origin="ACME_nodate.txt")
    with pytest.raises(SourceError, match=r"call\.txt.*ticker"):
        read_transcript(b"Operator\nHello.", origin="call.txt", call_date=date(2020, 1, 1))
    with pytest.raises(SourceError, match=r"weird\.json"):
        read_transcript(b'{"foo": 1}', origin="weird.json", ticker="A", call_date=date(2020, 1, 1))


def test_read_transcript_table_is_the_raw_contract() -> None:
    rows = [
        read_transcript(SA_TEXT.encode("cp1252"), origin="CT_XYZ_2019_q3.txt"),
        read_transcript(b'{"text": "x"}', origin="b.json", ticker="B", call_date=date(2021, 2, 1)),
    ]
    table = read_transcript_table(rows)
    assert table.column_names == ["ticker", "call_date", "fiscal_year", "fiscal_quarter", "title", "layout", "text"]
    assert table.schema.field("call_date").type == pa.date32()
    assert table.column("fiscal_quarter").to_pylist() == [3, None]
    with pytest.raises(SourceError, match="two rows"):
        read_transcript_table(rows + rows[:1])


def test_fmp_rows_and_colon_turns() -> None:
    [row] = parse_fmp_transcripts(FMP_PAYLOAD, origin="fmp/ACME.json")
    assert (row["ticker"], row["call_date"], row["fiscal_year"], row["fiscal_quarter"]) == (
        "ACME",
        date(2020, 7, 30),
        2020,
        2,
    )
    assert row["layout"] == "speaker_blocks"
    df = turns(row["text"], row["layout"])
    assert df["speaker"].tolist() == ["Operator", "Jane Roe", "Operator", "Bob Stone", "Jane Roe"]
    assert df["text"][1] == "Revenue rose.\nIt was a record."
    # No participant list: only the operator's role is known, and its hand-over opens Q&A.
    assert df["section"].tolist() == ["prepared", "prepared", "qa", "qa", "qa"]
    assert df["role"].fillna("-").tolist() == ["operator", "-", "operator", "-", "-"]
    with pytest.raises(SourceError, match=r"Financial Modeling Prep fmp/x\.json: Invalid API KEY"):
        parse_fmp_transcripts(b'{"Error Message": "Invalid API KEY"}', origin="fmp/x.json")
    with pytest.raises(SourceError, match=r"fmp/y\.json"):
        parse_fmp_transcripts(b'[{"symbol": "A"}]', origin="fmp/y.json")


# turns per layout


def test_seeking_alpha_style_turns() -> None:
    df = turns(decode(SA_TEXT.encode("cp1252")), "speaker_blocks")
    assert df.columns.tolist() == COLUMNS
    assert df["speaker"].tolist() == ["Operator", "Jane Roe", "Operator", "Bob Stone", "Jane Roe"]
    assert df["role"].tolist() == ["operator", "executive", "operator", "analyst", "executive"]
    assert df["section"].tolist() == ["prepared", "prepared", "qa", "qa", "qa"]
    assert df["text"][1] == "We had a \u201cgood\u201d quarter.\nMargins rose."
    assert not df["no_speakers"].any()
    assert first_question(df) == 3


def test_json_sections_turns_and_scored_sections() -> None:
    df = turns(json.dumps(MF_OBJ), "json_sections")
    # The empty 'Duration' entry is not a turn.
    assert df["speaker"].tolist() == ["Operator", "Ann Lee", "Operator", "Tom Fox", "Ann Lee"]
    assert df["role"].tolist() == ["operator", "executive", "operator", "analyst", "executive"]
    assert df["section"].tolist() == ["prepared", "prepared", "qa", "qa", "qa"]
    scored = scored_sections(df)
    assert scored.columns.tolist() == SECTION_COLUMNS
    assert scored[["section", "role", "text", "turns"]].values.tolist() == [
        ["prepared", None, "Sales grew.", 1],
        ["qa", None, "Why?\n\nBecause.", 2],
        ["qa", "executive", "Because.", 1],
        ["qa", "analyst", "Why?", 1],
    ]


def test_json_turns_roles_and_first_analyst_opens_qa() -> None:
    df = turns(json.dumps(TURNS_OBJ), "json_turns")
    assert df["role"].tolist() == ["operator", "executive", "analyst", "executive"]
    assert df["section"].tolist() == ["prepared", "prepared", "qa", "qa"]
    assert first_question(df) == 2


def test_blob_is_whole_and_flagged() -> None:
    for text, layout in (
        ("Hello. Revenue rose.", "blob"),
        ('{"text": "Hello. Revenue rose."}', "blob"),
        ("Hello. Revenue rose.", "speaker_blocks"),
    ):
        df = turns(text, layout)
        assert df.columns.tolist() == COLUMNS
        assert len(df) == 1 and df["no_speakers"].tolist() == [True]
        assert (df["section"][0], df["text"][0]) == ("whole", "Hello. Revenue rose.")
        assert df["role"].isna().all() and df["speaker"].isna().all()
        assert first_question(df) is None
        assert scored_sections(df)[["section", "turns"]].values.tolist() == [["whole", 1]]
    with pytest.raises(ValueError, match="unknown transcript layout"):
        turns("x", "html")


def test_role_from_title() -> None:
    assert role_from_title("Loop Capital Markets LLC -- Analyst") == "analyst"
    assert role_from_title("Analyst, Keel Securities") == "analyst"
    assert role_from_title("Vice President, Investor Relations") == "executive"
    assert role_from_title("Chief Financial Officer") == "executive"
    assert role_from_title("Wedbush Securities") == "analyst"
    assert role_from_title("Operator") == "operator"
    assert role_from_title("Consultant") is None


def test_demo_speaker_blocks() -> None:
    from sources.demo import DemoSource

    table = DemoSource(seed=7, n_small=20, n_large=5).fetch(Request("transcripts", date(2024, 1, 1), date(2024, 6, 30)))
    assert table.num_rows > 0
    for row in table.slice(0, 5).to_pylist():
        assert row["layout"] == "speaker_blocks"
        df = turns(row["text"], row["layout"])
        assert df["speaker"][0] == "Operator" and df["role"][0] == "operator"
        assert not df["no_speakers"].any() and df["role"].notna().all()
        q = first_question(df)
        assert q is not None and df["section"][q] == "qa"
        # The operator's hand-over to questions is the first Q&A turn, just before the first analyst.
        assert df.loc[df["section"] == "qa", "turn"].min() == q - 1 and df["role"][q - 1] == "operator"
        assert set(df["role"]) == {"operator", "executive", "analyst"}
        scored = scored_sections(df)
        assert {tuple(r) for r in scored[["section", "role"]].fillna("-").values} == {
            ("prepared", "-"),
            ("qa", "-"),
            ("qa", "executive"),
            ("qa", "analyst"),
        }
        assert "Operator" not in " ".join(scored["text"]).split("\n")[0]


# the real files (read in place from /work/shared; never copied into the repo)


def _need(path: Path) -> bytes:
    if not path.exists():
        pytest.skip(f"real transcript fixture absent: {path}")
    return path.read_bytes()


def test_seeking_alpha_real_file() -> None:
    payload = _need(SEEKING_ALPHA)
    with pytest.raises(UnicodeDecodeError):
        payload.decode("utf-8")
    row = read_transcript(payload, origin=str(SEEKING_ALPHA))
    assert (row["ticker"], row["call_date"], row["fiscal_year"], row["fiscal_quarter"]) == (
        "HOG",
        date(2018, 7, 24),
        2018,
        2,
    )
    assert row["layout"] == "speaker_blocks"
    text = row["text"]
    assert "\ufffd" not in text and "Amy Giuffre \u2013 Director of Investor Relations" in text and "\u2019" in text

    # Counted plainly: participant names are the 'Name – Title' lines before the first 'Operator' line.
    lines = [line.strip() for line in text.split("\n")]
    head = lines[: lines.index("Operator")]
    executives = {line.split(" \u2013 ")[0] for line in head[head.index("Executives") + 1 : head.index("Analysts")]}
    analysts = {line.split(" \u2013 ")[0] for line in head[head.index("Analysts") + 1 :]}
    n_speaker_lines = sum(1 for line in lines if line in executives | analysts | {"Operator"})

    df = turns(text, row["layout"])
    assert len(df) == n_speaker_lines
    assert (df["role"] == "operator").sum() == lines.count("Operator") > 0
    assert set(df.loc[df["role"] == "analyst", "speaker"]) == analysts
    assert set(df.loc[df["role"] == "executive", "speaker"]) == executives
    q = first_question(df)
    assert q is not None and df["speaker"][q] in analysts and df["section"][q] == "qa"
    assert df["speaker"][q] == "Felicia Hendrix"
    assert (df.loc[: q - 1, "role"] != "analyst").all()
    scored = scored_sections(df)
    assert scored["turns"][scored["role"].isna()].sum() == (df["role"] != "operator").sum()
    assert "I will be your conference operator" not in " ".join(scored["text"])


def test_motley_fool_real_file() -> None:
    payload = _need(MOTLEY_FOOL)
    with pytest.raises(SourceError, match=r"AAN_q4_2020\.txt"):
        read_transcript(payload, origin=str(MOTLEY_FOOL))
    row = read_transcript(payload, origin=str(MOTLEY_FOOL), call_date=date(2021, 2, 24))
    assert (row["ticker"], row["fiscal_year"], row["fiscal_quarter"], row["layout"]) == (
        "AAN",
        2020,
        4,
        "json_sections",
    )
    obj = json.loads(payload)
    assert json.loads(row["text"]) == obj

    entries = obj["prepared_remarks"] + obj["q_and_a"]
    df = turns(row["text"], row["layout"])
    assert len(df) == sum(1 for e in entries if e["speech"].strip())
    n_operator = sum(1 for e in entries if e["speaker"] == "Operator")
    assert (df["role"] == "operator").sum() == n_operator > 0
    analysts = {p.split("--")[0] for p in obj["participants"] if p.endswith("Analyst")}
    assert set(df.loc[df["role"] == "analyst", "speaker"]) == analysts
    assert (df["section"] == "prepared").sum() == len(obj["prepared_remarks"])
    q = first_question(df)
    assert q is not None and df["speaker"][q] in analysts and df["section"][q] == "qa"
    assert df["speaker"][q] == next(e["speaker"] for e in obj["q_and_a"] if e["speaker"] in analysts)
    scored = scored_sections(df)
    assert scored["turns"][scored["role"].isna()].sum() == len(df) - n_operator
    assert "I will be your conference coordinator" not in " ".join(scored["text"])


def test_earningscall_blob_real_file() -> None:
    payload = _need(EARNINGSCALL)
    row = read_transcript(payload, origin=str(EARNINGSCALL), ticker="MSFT", call_date=date(2022, 10, 25))
    assert row["layout"] == "blob" and row["text"] == json.loads(payload)["text"].strip()
    df = turns(row["text"], row["layout"])
    assert df["no_speakers"].tolist() == [True] and df["section"].tolist() == ["whole"]
    scored = scored_sections(df)
    assert scored[["section", "turns"]].values.tolist() == [["whole", 1]] and scored["role"].isna().all()
    assert len(scored["text"][0]) == len(row["text"])
