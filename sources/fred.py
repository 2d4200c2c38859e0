"""FRED daily series (DGS10): a fredgraph CSV download or an API observations JSON -> raw `rates`, one row per date."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pyarrow as pa

from sources.base import SourceError
from sources.payload import contract, decode_text, finite_number, iso_day

PROVIDER = "fred"
# fredgraph.csv named the date column DATE until about 2024 and observation_date since.
_DATE_COLUMNS = ("observation_date", "date")
# FRED marks a day without a value (a holiday with no auction) with '.' (API, old CSV) or an empty field (new CSV).
_MISSING = ("", ".")
_SHOWN = 5


def _schema() -> pa.Schema:
    return contract("rates")


def _decode(payload: bytes, origin: str, kind: str) -> str:
    return decode_text(payload, provider=PROVIDER, origin=origin, expected=f"{kind} (error page or moved?)")


def _series_id(series: str) -> str:
    clean = series.strip().upper()
    if not clean:
        raise ValueError(f"series must be a FRED series id such as 'DGS10', got {series!r}")
    return clean


def _day(text: str) -> date:
    return iso_day(text)


def _value(text: str) -> float | None:
    # FRED writes a missing day as '.' (the API) or an empty field (the CSV): null, never zero.
    return None if text.strip() in _MISSING else finite_number(text, "value")


def _table(series: str, rows: list[tuple[date, float | None, str]], origin: str) -> pa.Table:
    # rows: (date, value, where) in payload order; `where` names the line or record for error messages.
    first: dict[date, str] = {}
    duplicated = []
    for day, _, where in rows:
        if day in first:
            duplicated.append(f"{day} ({first[day]} and {where})")
        first.setdefault(day, where)
    if duplicated:
        raise SourceError(f"{PROVIDER}: {origin}: duplicated date(s) {', '.join(duplicated[:_SHOWN])}")
    return pa.table(
        {"series": [series] * len(rows), "date": [r[0] for r in rows], "value": [r[1] for r in rows]},
        schema=_schema(),
    )


def _raise_bad(origin: str, bad: list[str]) -> None:
    if bad:
        raise SourceError(f"{PROVIDER}: {origin}: {len(bad)} malformed row(s), first: {'; '.join(bad[:_SHOWN])}")


def parse_fred_csv(payload: bytes, *, origin: str, series: str = "DGS10") -> pa.Table:
    """A fredgraph CSV (header observation_date or DATE, then the series id) -> raw `rates` rows for `series`.

    Empty and '.' values become null, never zero. Other columns (a multi-series download) are ignored; a file
    without a column named `series` raises SourceError, as do unparseable dates or values (by 1-based line).
    """
    series = _series_id(series)
    text = _decode(payload, origin, "a CSV")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [name.strip() for name in next(reader, [])]
    names = [name.lower() for name in header]
    if not names or names[0] not in _DATE_COLUMNS or series.lower() not in names:
        raise SourceError(
            f"{PROVIDER}: {origin}: not a fredgraph CSV for {series}: header {','.join(header)[:80]!r}, "
            f"expected {_DATE_COLUMNS[0]} or {_DATE_COLUMNS[1].upper()} then {series}"
        )
    at = names.index(series.lower())
    rows: list[tuple[date, float | None, str]] = []
    bad: list[str] = []
    for row in reader:
        if not any(field.strip() for field in row):
            continue
        where = f"line {reader.line_num}"
        try:
            if len(row) != len(header):
                raise ValueError(f"{len(row)} fields, header has {len(header)}")
            rows.append((_day(row[0]), _value(row[at]), where))
        except ValueError as exc:
            bad.append(f"{where} ({exc})")
    _raise_bad(origin, bad)
    return _table(series, rows, origin)


def parse_fred_json(payload: bytes, *, origin: str, series: str = "DGS10") -> pa.Table:
    """A FRED API series/observations JSON ({observations: [{date, value}]}) -> raw `rates` rows for `series`.

    Values are strings; '.' (and empty) become null. The payload does not name its series, so `series` is
    trusted. An API error body ({error_code, error_message}) or a malformed observation raises SourceError;
    a JSON document has no useful line numbers, so bad rows are named by their 1-based observation number.
    """
    series = _series_id(series)
    text = _decode(payload, origin, "JSON")
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(f"{PROVIDER}: {origin}: payload is not JSON ({exc}): {text.strip()[:80]!r}") from exc
    if isinstance(body, dict) and "error_message" in body:
        raise SourceError(
            f"{PROVIDER}: {origin}: API error {body.get('error_code', '?')}: {str(body['error_message'])[:200]}"
        )
    observations = body.get("observations") if isinstance(body, dict) else None
    if not isinstance(observations, list):
        raise SourceError(f"{PROVIDER}: {origin}: JSON has no 'observations' list (keys: {_keys(body)})")
    rows: list[tuple[date, float | None, str]] = []
    bad: list[str] = []
    for number, item in enumerate(observations, start=1):
        where = f"observation {number}"
        try:
            if not isinstance(item, dict):
                raise ValueError(f"not an object: {item!r:.40}")
            day, value = item.get("date"), item.get("value")
            if not isinstance(day, str):
                raise ValueError(f"date {day!r}")
            if isinstance(value, bool) or not isinstance(value, (str, int, float, type(None))):
                raise ValueError(f"value {value!r}")
            rows.append((_day(day), None if value is None else _value(str(value)), where))
        except ValueError as exc:
            bad.append(f"{where} ({exc})")
    _raise_bad(origin, bad)
    return _table(series, rows, origin)


def _keys(body: object) -> str:
    return ", ".join(sorted(map(str, body)))[:80] if isinstance(body, dict) else type(body).__name__
