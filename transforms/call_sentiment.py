"""call_sentiment: transcripts (one row per call) to tone counts per call and section, scored with one lexicon."""

from __future__ import annotations

import pandas as pd

from sources.lexicon import Lexicon
from transforms.sentiment import COUNT_COLUMNS, score
from transforms.transcripts import section_rows, turn_rows

COLUMNS = [
    "ticker", "call_date", "section", *COUNT_COLUMNS, "net_tone", "tone_per_word", "turns", "no_speakers",
    "lexicon", "lexicon_version", "batch_id",
]  # fmt: skip


def sections_of(text: str, layout: str) -> list[tuple[str, str, int, bool]]:
    """(section label, text, turns, no_speakers) to score for one call: the whole call without the operator, then its parts."""
    rows = turn_rows(text, layout)
    no_speakers = any(r[5] for r in rows) if rows else True
    speaking = [r for r in rows if r[2] != "operator"]
    out = [("call", "\n".join(r[4] for r in speaking), len(speaking), no_speakers)]
    for section, role, section_text, n in section_rows(rows):
        label = f"{section}_{role}" if role else section
        if label != "call":
            out.append((label, section_text, n, no_speakers))
    return out


def call_sentiment(transcripts: pd.DataFrame, lexicon: Lexicon) -> pd.DataFrame:
    """Transcripts (ticker, call_date, layout, text, batch_id) to one row per call and section, in the mart's columns."""
    records = []
    columns = [transcripts[c].tolist() for c in ("ticker", "call_date", "layout", "text", "batch_id")]
    for ticker, call_date, layout, text, batch_id in zip(*columns, strict=True):
        for label, section_text, n_turns, no_speakers in sections_of(str(text), str(layout)):
            records.append((ticker, call_date, label, section_text, n_turns, no_speakers, batch_id))
    if not records:
        return pd.DataFrame(columns=COLUMNS)
    frame = pd.DataFrame(
        records, columns=["ticker", "call_date", "section", "text", "turns", "no_speakers", "batch_id"]
    )
    counts = score(frame["text"].tolist(), lexicon).reset_index(drop=True)
    out = pd.concat([frame.drop(columns="text"), counts], axis=1)
    out["lexicon"] = lexicon.name
    out["lexicon_version"] = lexicon.version
    return out[COLUMNS]
