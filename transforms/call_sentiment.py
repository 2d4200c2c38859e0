"""call_sentiment: transcripts (one row per call) to tone counts per call and section, scored with one lexicon."""

from __future__ import annotations

import pandas as pd

from sources.lexicon import Lexicon
from transforms.sentiment import COUNT_COLUMNS, score
from transforms.transcripts import scored_sections, turns

COLUMNS = [
    "ticker", "call_date", "section", *COUNT_COLUMNS, "net_tone", "tone_per_word", "turns", "no_speakers",
    "lexicon", "lexicon_version", "batch_id",
]  # fmt: skip


def sections_of(text: str, layout: str) -> list[tuple[str, str, int, bool]]:
    """(section label, text, turns, no_speakers) to score for one call: the whole call without the operator, then its parts."""
    parsed = turns(text, layout)
    no_speakers = bool(parsed["no_speakers"].any()) if len(parsed) else True
    parts = scored_sections(parsed)
    out = []
    speaking = parsed[parsed["role"].fillna("") != "operator"]
    out.append(("call", "\n".join(speaking["text"].astype(str)), len(speaking), no_speakers))
    for section, role, text_, n in zip(
        parts["section"].tolist(), parts["role"].tolist(), parts["text"].tolist(), parts["turns"].tolist(), strict=True
    ):
        label = f"{section}_{role}" if isinstance(role, str) and role else str(section)
        if label != "call":
            out.append((label, str(text_), int(n), no_speakers))
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
