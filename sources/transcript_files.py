"""Earnings-call transcript files to raw.transcripts rows: one payload in, one raw-contract row (layout detected) out."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from pathlib import PurePath
from typing import Any

import pyarrow as pa

from sources.base import SourceError

FMP = "Financial Modeling Prep"
# Keys a speaker map and its turn list go by in the JSON providers we have seen or expect.
_TURN_KEYS = ("turns", "transcript", "segments", "paragraphs")
_BLOB_KEYS = ("text", "transcript", "content")
_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        )
    )
    for m in names
}
_WORD_DATE = re.compile(r"\b([A-Za-z]{3,9})\.? (\d{1,2}), (\d{4})\b")
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_TITLE_TICKER = re.compile(r"\((?:[A-Z]+:)?([A-Z][A-Z.\-]{0,6})\)")
_TITLE_PERIOD = re.compile(r"\bQ([1-4])\s+(?:FY\s*)?((?:19|20)\d{2})\b")
_NAME_TICKER = re.compile(r"^[A-Z][A-Z.\-]{0,6}$")
_NAME_YEAR = re.compile(r"^((?:19|20)\d{2})$")
_NAME_QUARTER = re.compile(r"^[qQ]([1-4])$")
# Signs of speaker structure in plain text, matching what transforms.transcripts can split into turns.
_LONE_OPERATOR = re.compile(r"^Operator\s*$", re.MULTILINE)
_COLON_OPERATOR = re.compile(r"^Operator: \S", re.MULTILINE)
_PARTICIPANT_HEADING = re.compile(
    r"^(Executives|Analysts|Corporate Participants|Company Participants|Conference Call Participants)\s*$",
    re.MULTILINE | re.IGNORECASE,
)
_BLOCK_HEADER = re.compile(r"(?:\A|\n\n)[^\s,;:?!][^\n,;:?!]{0,60}? -- [^\n]{1,160}\n\S")


def decode(payload: bytes) -> str:
    """Transcript bytes to text: UTF-8 (BOM or not), else cp1252 (Seeking Alpha's), with line ends normalised to \\n."""
    try:
        text = payload.decode("utf-8-sig")
    except UnicodeDecodeError:
        # cp1252 leaves five bytes undefined; replacing them beats failing a whole call over one stray byte.
        text = payload.decode("cp1252", errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _has_speakers(text: str) -> bool:
    return bool(
        _LONE_OPERATOR.search(text)
        or _COLON_OPERATOR.search(text)
        or _PARTICIPANT_HEADING.search(text)
        or len(_BLOCK_HEADER.findall(text)) >= 2
    )


def _is_turns(obj: dict[str, Any]) -> bool:
    speakers = obj.get("speakers")
    turns = next((obj[k] for k in _TURN_KEYS if isinstance(obj.get(k), list)), None)
    return (
        isinstance(speakers, dict | list)
        and turns is not None
        and all(isinstance(t, dict) and "speaker" in t for t in turns)
    )


def _date_in(text: str) -> date | None:
    for m in _WORD_DATE.finditer(text):
        month = _MONTHS.get(m.group(1).lower())
        if month:
            try:
                return date(int(m.group(3)), month, int(m.group(2)))
            except ValueError:
                continue
    for m in _ISO_DATE.finditer(text):
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            continue
    return None


def _from_name(origin: str) -> tuple[str | None, int | None, int | None]:
    # Names like CT_HOG_2018_q2.txt or AAN_q4_2020.txt: the ticker is the last ticker-like part before the period.
    parts = PurePath(origin).name.split(".")[0].split("_")
    ticker = year = quarter = None
    for part in parts:
        if (y := _NAME_YEAR.match(part)) and year is None:
            year = int(y.group(1))
        elif (q := _NAME_QUARTER.match(part)) and quarter is None:
            quarter = int(q.group(1))
        elif _NAME_TICKER.match(part) and year is None and quarter is None:
            ticker = part
    return ticker, year, quarter


def _layout(text: str, origin: str) -> tuple[str, str, str | None, str]:
    """(layout, canonical text, title, header text searched for a date) of a decoded payload."""
    stripped = text.strip()
    if stripped[:1] in ("{", "["):
        try:
            obj = json.loads(stripped)
        except json.JSONDecodeError:
            obj = None
        if isinstance(obj, list):
            raise SourceError(f"transcript {origin}: a JSON list of calls; read it with parse_fmp_transcripts")
        if isinstance(obj, dict):
            title = obj.get("title") if isinstance(obj.get("title"), str) else None
            if isinstance(obj.get("prepared_remarks"), list) or isinstance(obj.get("q_and_a"), list):
                headers = [h for h in obj.get("header_texts", []) if isinstance(h, str)]
                if title is None:
                    title = next((h for h in headers if re.search(r"earnings", h, re.I)), None)
                first = obj.get("prepared_remarks") or [{}]
                lead = "\n".join(
                    [*headers, str(first[0].get("speech", ""))[:500] if isinstance(first[0], dict) else ""]
                )
                return "json_sections", json.dumps(obj, ensure_ascii=False), title, lead
            if _is_turns(obj):
                lead = "\n".join(str(obj.get(k, "")) for k in ("title", "date", "event_date"))
                return "json_turns", json.dumps(obj, ensure_ascii=False), title, lead
            blob = next((obj[k] for k in _BLOB_KEYS if isinstance(obj.get(k), str)), None)
            if blob is not None:
                # A bare string field is a blob whatever its wrapper; keeping the string alone is the canonical text.
                lead = "\n".join([str(obj.get("date", "")), blob[:500]])
                return "blob", blob.strip(), title, lead
            raise SourceError(
                f"transcript {origin}: JSON with none of the transcript shapes known (keys {sorted(obj)})"
            )
    lines = [line for line in stripped.split("\n")[:15] if line.strip()]
    title = lines[0].strip() if lines and len(lines[0]) <= 200 else None
    layout = "speaker_blocks" if _has_speakers(stripped) else "blob"
    return layout, stripped, title, "\n".join(lines)


def read_transcript(
    payload: bytes, *, origin: str, ticker: str | None = None, call_date: date | None = None
) -> dict[str, Any]:
    """One transcript file to one raw.transcripts row; ticker, date and fiscal period from the caller, else the payload."""
    layout, text, title, lead = _layout(decode(payload), origin)
    if not text:
        raise SourceError(f"transcript {origin}: empty payload")
    name_ticker, fiscal_year, fiscal_quarter = _from_name(origin)
    title_ticker = _TITLE_TICKER.search(title or "")
    if period := _TITLE_PERIOD.search(title or ""):
        fiscal_quarter, fiscal_year = int(period.group(1)), int(period.group(2))
    ticker = ticker or (title_ticker.group(1) if title_ticker else None) or name_ticker
    call_date = call_date or _date_in(lead)
    if ticker is None:
        raise SourceError(f"transcript {origin}: no ticker given and none in the file name or title")
    if call_date is None:
        raise SourceError(f"transcript {origin}: no call date given and none in the first lines or headers")
    return {
        "ticker": ticker.upper(),
        "call_date": call_date,
        "fiscal_year": fiscal_year,
        "fiscal_quarter": fiscal_quarter,
        "title": title,
        "layout": layout,
        "text": text,
    }


def read_transcript_table(rows: list[dict[str, Any]]) -> pa.Table:
    """raw.transcripts rows (from read_transcript or parse_fmp_transcripts) to the raw contract table, unstamped."""
    from warehouse.ddl import raw_dataset

    seen: set[tuple[str, date]] = set()
    for row in rows:
        key = (row["ticker"], row["call_date"])
        if key in seen:
            # (ticker, call_date) is the raw table's key: two files for one call must be resolved before landing.
            raise SourceError(f"transcripts: two rows for {key[0]} on {key[1]}")
        seen.add(key)
    return pa.Table.from_pylist(rows, schema=raw_dataset("transcripts").arrow_schema(without_stamps=True))


def parse_fmp_transcripts(payload: bytes, *, origin: str) -> list[dict[str, Any]]:
    """Financial Modeling Prep earning_call_transcript JSON (a list of calls) to raw.transcripts rows, 'speaker_blocks'."""
    try:
        obj = json.loads(decode(payload))
    except json.JSONDecodeError as exc:
        raise SourceError(f"{FMP} {origin}: not JSON ({exc})") from exc
    if isinstance(obj, dict) and "Error Message" in obj:
        raise SourceError(f"{FMP} {origin}: {obj['Error Message']}")
    if isinstance(obj, dict):
        obj = [obj]
    if not isinstance(obj, list):
        raise SourceError(f"{FMP} {origin}: expected a list of calls, got {type(obj).__name__}")
    rows = []
    for k, item in enumerate(obj):
        try:
            symbol, content = str(item["symbol"]), str(item["content"])
            quarter, year = int(item["quarter"]), int(item["year"])
            when = datetime.fromisoformat(str(item["date"]).strip()).date()
        except (KeyError, TypeError, ValueError) as exc:
            raise SourceError(f"{FMP} {origin}: call {k} lacks or garbles {exc}") from exc
        # FMP writes one 'Speaker: text' line per turn; transforms.transcripts splits those as speaker_blocks, so
        # the raw contract's four layouts need no fifth.
        rows.append(
            {
                "ticker": symbol.upper(),
                "call_date": when,
                "fiscal_year": year,
                "fiscal_quarter": quarter,
                "title": f"{symbol.upper()} Q{quarter} {year} Earnings Call",
                "layout": "speaker_blocks",
                "text": content.replace("\r\n", "\n").replace("\r", "\n").strip(),
            }
        )
    return rows
