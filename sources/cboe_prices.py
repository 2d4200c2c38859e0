"""Cboe delayed-quotes daily history (charts/historical/<SYMBOL>.json) -> raw `prices`, one row per trading day."""

from __future__ import annotations

import json
import math
from datetime import date

import pyarrow as pa

from sources.base import SourceError
from sources.payload import contract, decode_text

PROVIDER = "cboe"
# Cboe's history is split-adjusted but not dividend-adjusted. Evidence in the recorded AAPL.json: the close on
# 2020-08-28 (last day before the 4:1 split) is 124.81 = 499.23 / 4, the as-traded close divided by 4 to the
# cent, with volume 187,629,916 (4x the as-traded count); 2014-06-06 (before the 7:1 split, so /28 in all) is
# 23.06 = 645.57 / 28. A dividend-adjusted series would sit a few percent lower on both dates. The adjustment
# runs through the day the history was fetched (its `timestamp` holds a time of day only, no date), so that
# day is basis_date and the caller must give it; the payload holds no split events to undo it with.
ADJUSTED = "split"
_FIELDS = ("open", "high", "low", "close", "volume")
_SHOWN = 5


def _schema() -> pa.Schema:
    return contract("prices")


def _decode(payload: bytes, origin: str) -> str:
    return decode_text(payload, provider=PROVIDER, origin=origin, expected="JSON (access denied or unknown symbol?)")


def _number(value: object, field: str) -> float | None:
    if value is None:
        return None
    # bool is an int to Python but never a price; strings are refused rather than guessed at.
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{field} {value!r:.40}")
    return float(value)


def _day(value: object) -> date:
    # fromisoformat also takes '20240105' and week dates; Cboe always sends YYYY-MM-DD.
    try:
        if isinstance(value, str) and len(value) == 10:
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise ValueError(f"date {value!r:.40}")


def parse_cboe_history(payload: bytes, *, origin: str, downloaded: date, ticker: str | None = None) -> pa.Table:
    """Cboe {timestamp, data: [{date, volume, open, high, low, close}], symbol} -> raw `prices` rows, adjusted='split'.

    The ticker is the caller's when given (it wins over the payload's symbol), else the payload's symbol; an
    empty data list gives an empty table. Records with an unparseable date or number, or no close, raise
    SourceError naming their 1-based positions in `data`; so do duplicated dates. basis_date is `downloaded`.
    """
    text = _decode(payload, origin)
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(f"{PROVIDER}: {origin}: payload is not JSON ({exc}): {text.strip()[:80]!r}") from exc
    records = body.get("data") if isinstance(body, dict) else None
    if not isinstance(records, list):
        keys = ", ".join(sorted(map(str, body)))[:80] if isinstance(body, dict) else type(body).__name__
        raise SourceError(f"{PROVIDER}: {origin}: not a Cboe history: no 'data' list (got {keys})")
    symbol = (ticker if ticker is not None else body.get("symbol")) or ""
    symbol = symbol.strip().upper() if isinstance(symbol, str) else ""
    if not symbol:
        raise SourceError(f"{PROVIDER}: {origin}: no ticker: the payload has no 'symbol' and none was given")
    dates: list[date] = []
    values: dict[str, list[float | None]] = {name: [] for name in _FIELDS}
    bad: list[str] = []
    first: dict[date, int] = {}
    duplicated: list[str] = []
    for number, record in enumerate(records, start=1):
        try:
            if not isinstance(record, dict):
                raise ValueError(f"not an object: {record!r:.40}")
            day = _day(record.get("date"))
            parsed = {name: _number(record.get(name), name) for name in _FIELDS}
            if parsed["close"] is None:
                raise ValueError("no close")
        except ValueError as exc:
            bad.append(f"record {number} ({exc})")
            continue
        if day in first:
            duplicated.append(f"{day} (records {first[day]} and {number})")
            continue
        first[day] = number
        dates.append(day)
        for name in _FIELDS:
            values[name].append(parsed[name])
    if bad:
        raise SourceError(
            f"{PROVIDER}: {origin}: {len(bad)} malformed record(s) in data, first: {'; '.join(bad[:_SHOWN])}"
        )
    if duplicated:
        raise SourceError(f"{PROVIDER}: {origin}: duplicated date(s) {', '.join(duplicated[:_SHOWN])}")
    n = len(dates)
    return pa.table(
        {
            "ticker": [symbol] * n,
            "date": dates,
            **values,
            "dividend": [0.0] * n,
            "split_ratio": [1.0] * n,
            "adjusted": [ADJUSTED] * n,
            "basis_date": [downloaded] * n,
        },
        schema=_schema(),
    )
