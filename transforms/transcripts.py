"""Transcript speaker turns: one raw transcript's text and layout in, one row per turn (speaker, role, section) out."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

COLUMNS: list[str] = ["turn", "speaker", "role", "section", "text", "no_speakers"]
SECTION_COLUMNS: list[str] = ["section", "role", "text", "turns"]
ROLES: tuple[str, ...] = ("operator", "executive", "analyst")
SECTIONS: tuple[str, ...] = ("prepared", "qa", "whole")

_EXECUTIVE_HEADINGS = {
    "executives",
    "corporate participants",
    "company participants",
    "company representatives",
    "corporate speakers",
}
_ANALYST_HEADINGS = {"analysts", "conference call participants", "other participants", "analyst"}
_UNIDENTIFIED = {
    "unidentified analyst": "analyst",
    "unidentified participant": None,
    "unidentified company representative": "executive",
    "unidentified speaker": None,
}
_QA_HEADING = re.compile(r"^(question[- ]and[- ]answer session|questions? and answers?|q\s*&\s*a( session)?):?$", re.I)
# An operator's line that hands over to questions; its first mention (the welcome's "there will be a
# question-and-answer session") is ruled out by requiring someone else to have spoken first.
_QA_CUE = re.compile(r"question[- ]and[- ]answer|first question|\bq\s*&\s*a\b", re.I)
_PARTICIPANT = re.compile(r"^(?P<name>\S.{0,60}?)\s+(?:–|—|--?)\s+(?P<title>\S.*)$")
_BLOCK_HEADER = re.compile(r"^(?P<name>[^\s,;:?!][^,;:?!]{0,60}?) -- (?P<title>.{1,160})$")
_COLON_LINE = re.compile(r"^(?P<name>[A-Z][A-Za-z.'’\-]*(?: [A-Za-z.'’\-]+){0,5}): (?P<text>\S.*)$")
_NAME_LINE = re.compile(r"^[A-Z][A-Za-z.'’\-]*(?: [A-Z][A-Za-z.'’\-]*){1,4}$")
_ANALYST_WORDS = re.compile(r"\banalyst\b", re.I)
_EXECUTIVE_WORDS = re.compile(
    r"\b(chief|ceo|cfo|coo|cto|president|officer|chairman|chairwoman|chair|founder|treasurer|controller|director|"
    r"executive|investor relations|head of|general counsel|secretary|vice president|vp|evp|svp|manager|partner)\b",
    re.I,
)
# A title naming only a firm is an analyst's (sell side lists the bank, the company lists the job).
_FIRM_WORDS = re.compile(
    r"\b(securities|capital|markets|llc|inc|ltd|bank|research|advisors|group|associates|partners|co|company|"
    r"morningstar|barclays|citi|jefferies|wedbush|baird|bernstein|stanley|sachs|fargo|james)\b",
    re.I,
)


@dataclass
class _Turn:
    speaker: str | None
    role: str | None
    lines: list[str] = field(default_factory=list)


def _norm(name: str) -> str:
    return " ".join(name.split()).lower()


def role_from_title(title: str) -> str | None:
    """'analyst' or 'executive' for a participant's title or firm ('Analyst, X Securities', 'Chief Financial Officer'), else None."""
    if title.strip().lower() == "operator":
        return "operator"
    if _ANALYST_WORDS.search(title):
        return "analyst"
    if _EXECUTIVE_WORDS.search(title):
        return "executive"
    if _FIRM_WORDS.search(title):
        return "analyst"
    return None


def _role(speaker: str | None, known: dict[str, str | None]) -> str | None:
    if speaker is None:
        return None
    key = _norm(speaker)
    if key == "operator":
        return "operator"
    return known.get(key, _UNIDENTIFIED.get(key))


def _participants(lines: list[str]) -> dict[str, str | None]:
    # 'Executives' / 'Analysts' headings, each followed by 'Name – Title' lines until a line that is not one.
    known: dict[str, str | None] = {}
    heading: str | None = None
    for line in lines:
        key = _norm(line).rstrip(":")
        if key in _EXECUTIVE_HEADINGS:
            heading = "executive"
        elif key in _ANALYST_HEADINGS:
            heading = "analyst"
        elif heading and (m := _PARTICIPANT.match(line.strip())):
            known[_norm(m.group("name"))] = heading
        else:
            heading = None
    return known


def _named_lines(text: str) -> tuple[list[_Turn], int | None]:
    # Seeking Alpha: a speaker's name alone on a line, then paragraphs; names from the participant lists, or
    # name-like lines when there are no lists.
    lines = text.split("\n")
    known = _participants(lines)
    names = set(known) | {"operator"} | set(_UNIDENTIFIED)
    turns: list[_Turn] = []
    qa_marker = None
    for k, raw in enumerate(lines):
        line = raw.strip()
        if not line:
            continue
        if _QA_HEADING.match(line):
            qa_marker = len(turns) if qa_marker is None else qa_marker
            continue
        follows = k + 1 < len(lines) and bool(lines[k + 1].strip())
        is_name = _norm(line) in names or (not known and follows and bool(_NAME_LINE.match(line)))
        if is_name:
            turns.append(_Turn(line, _role(line, known)))
        elif turns:
            turns[-1].lines.append(line)
    return turns, qa_marker


def _blocks(text: str) -> tuple[list[_Turn], int | None]:
    # The demo: blank-line separated blocks, each turn opened by a 'Name -- Role' header line.
    turns: list[_Turn] = []
    qa_marker = None
    for block in re.split(r"\n\s*\n", text):
        lines = [line.strip() for line in block.strip().split("\n") if line.strip()]
        if not lines:
            continue
        if _QA_HEADING.match(lines[0]):
            qa_marker = len(turns) if qa_marker is None else qa_marker
            lines = lines[1:]
            if not lines:
                continue
        m = _BLOCK_HEADER.match(lines[0])
        if m:
            name = m.group("name").strip()
            role = "operator" if _norm(name) == "operator" else role_from_title(m.group("title"))
            turns.append(_Turn(name, role, lines[1:]))
        elif turns:
            turns[-1].lines.extend(lines)
    return turns, qa_marker


def _colon_lines(text: str) -> tuple[list[_Turn], int | None]:
    # Financial Modeling Prep: 'Speaker: text' starts a turn; other lines continue it.
    turns: list[_Turn] = []
    qa_marker = None
    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            continue
        if _QA_HEADING.match(line):
            qa_marker = len(turns) if qa_marker is None else qa_marker
            continue
        if m := _COLON_LINE.match(line):
            turns.append(_Turn(m.group("name"), _role(m.group("name"), {}), [m.group("text")]))
        elif turns:
            turns[-1].lines.append(line)
    return turns, qa_marker


def _speaker_blocks(text: str) -> tuple[list[_Turn], int | None]:
    lines = text.split("\n")
    if _participants(lines):
        return _named_lines(text)
    headers = sum(
        1 for k, line in enumerate(lines) if (k == 0 or not lines[k - 1].strip()) and _BLOCK_HEADER.match(line.strip())
    )
    if headers >= 2:
        return _blocks(text)
    if any(line.strip() == "Operator" for line in lines):
        return _named_lines(text)
    turns, qa_marker = _colon_lines(text)
    # One 'Word: text' line in a blob is a heading or a label, not a speaker structure.
    return (turns, qa_marker) if len({t.speaker for t in turns}) >= 2 else ([], None)


def _speech(entry: Any) -> tuple[str | None, str]:
    if not isinstance(entry, dict):
        return None, str(entry)
    text = next((entry[k] for k in ("speech", "text", "content") if isinstance(entry.get(k), str)), "")
    speaker = entry.get("speaker")
    return (str(speaker) if speaker is not None else None), text


def _json_sections(text: str) -> tuple[list[_Turn], int | None]:
    # Motley Fool: participants 'Name--Title' (analysts' titles end '-- Analyst'); prepared_remarks then q_and_a.
    obj = json.loads(text)
    known: dict[str, str | None] = {}
    for entry in obj.get("participants", []):
        name, _, title = str(entry).partition("--")
        known[_norm(name)] = role_from_title(title)
    turns: list[_Turn] = []
    qa_marker = None
    for key in ("prepared_remarks", "q_and_a"):
        if key == "q_and_a":
            qa_marker = len(turns)
        for entry in obj.get(key) or []:
            speaker, speech = _speech(entry)
            # Entries with no speech are page furniture ('Duration: 55 minutes'), not turns.
            if speech.strip():
                turns.append(_Turn(speaker, _role(speaker, known), [speech.strip()]))
    return turns, qa_marker


def _json_turns(text: str) -> tuple[list[_Turn], int | None]:
    # A speaker map {"0": {"name", "title"}} (or a list) and turns [{"speaker": 0, "text": ...}].
    obj = json.loads(text)
    speakers = obj.get("speakers") or {}
    if isinstance(speakers, list):
        speakers = dict(enumerate(speakers))
    by_id = {str(k): v if isinstance(v, dict) else {"name": str(v)} for k, v in speakers.items()}
    listed: list[Any] = next(
        (obj[k] for k in ("turns", "transcript", "segments", "paragraphs") if isinstance(obj.get(k), list)), []
    )
    turns: list[_Turn] = []
    for entry in listed:
        _, speech = _speech(entry)
        if not speech.strip():
            continue
        info = by_id.get(str(entry.get("speaker")), {})
        name = info.get("name") or None
        title = str(info.get("title") or info.get("role") or "")
        role = "operator" if name and _norm(name) == "operator" else role_from_title(title) if title else None
        turns.append(_Turn(name, role, [speech.strip()]))
    return turns, None


Row = tuple[int, str | None, str | None, str, str, bool]


def _whole(text: str) -> list[Row]:
    return [(0, None, None, "whole", text.strip(), True)]


def turn_rows(text: str, layout: str) -> list[Row]:
    """`turns` as plain tuples (turn, speaker, role, section, text, no_speakers), for scoring thousands of calls fast."""
    if layout == "blob":
        stripped = text.strip()
        if stripped.startswith("{"):
            try:
                obj = json.loads(stripped)
            except json.JSONDecodeError:
                obj = None
            if isinstance(obj, dict) and isinstance(obj.get("text"), str):
                stripped = obj["text"]
        return _whole(stripped)
    parsers = {"speaker_blocks": _speaker_blocks, "json_sections": _json_sections, "json_turns": _json_turns}
    if layout not in parsers:
        raise ValueError(f"unknown transcript layout {layout!r}; layouts are {', '.join([*parsers, 'blob'])}")
    found, qa_marker = parsers[layout](text)
    found = [t for t in found if t.lines]
    if not found:
        return _whole(text)
    starts = [] if qa_marker is None or qa_marker >= len(found) else [qa_marker]
    starts += [k for k, t in enumerate(found) if t.role == "analyst"][:1]
    starts += [
        k
        for k, t in enumerate(found)
        if t.role == "operator" and any(u.role != "operator" for u in found[:k]) and _QA_CUE.search(" ".join(t.lines))
    ][:1]
    qa_start = min(starts) if starts else len(found)
    return [
        (k, t.speaker, t.role, "qa" if k >= qa_start else "prepared", "\n".join(t.lines), False)
        for k, t in enumerate(found)
    ]


def turns(text: str, layout: str) -> pd.DataFrame:
    """A raw transcript (text, layout) to one row per speaker turn: turn, speaker, role, section, text, no_speakers."""
    frame = pd.DataFrame(turn_rows(text, layout), columns=COLUMNS)
    return frame.astype({"turn": "int64", "no_speakers": "bool"})


def section_rows(rows: list[Row]) -> list[tuple[str, str | None, str, int]]:
    """`scored_sections` on `turn_rows` output: (section, role, text, turns), operator dropped."""
    spoken = [r for r in rows if r[2] != "operator"]
    out: list[tuple[str, str | None, str, int]] = []
    for section in SECTIONS:
        part = [r for r in spoken if r[3] == section]
        if not part:
            continue
        out.append((section, None, "\n\n".join(r[4] for r in part), len(part)))
        if section != "qa":
            continue
        for role in ("executive", "analyst"):
            by_role = [r for r in part if r[2] == role]
            if by_role:
                out.append((section, role, "\n\n".join(r[4] for r in by_role), len(by_role)))
    return out


def first_question(turns_df: pd.DataFrame) -> int | None:
    """The turn number of a transcript's first analyst turn (its first question), None when no analyst is known."""
    analysts = turns_df.loc[turns_df["role"] == "analyst", "turn"]
    return int(analysts.iloc[0]) if len(analysts) else None


def scored_sections(turns_df: pd.DataFrame) -> pd.DataFrame:
    """Turns to the texts scored per section (role null) and per known role within Q&A, operator dropped: section, role, text, turns."""
    rows = [
        (int(t), sp, r if isinstance(r, str) else None, str(sec), str(txt), bool(ns))
        for t, sp, r, sec, txt, ns in zip(*(turns_df[c].tolist() for c in COLUMNS), strict=True)
    ]
    frame = pd.DataFrame(section_rows(rows), columns=SECTION_COLUMNS).astype({"turns": "int64"})
    # Records turn None into NaN; null roles stay None like the turns frame's.
    frame["role"] = frame["role"].astype(object).where(frame["role"].notna(), None)
    return frame
