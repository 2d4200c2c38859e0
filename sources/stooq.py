"""Stooq daily bars: a per-ticker CSV (Date,Open,High,Low,Close,Volume) -> raw `prices`, one row per trading day."""

from __future__ import annotations

import csv
import io
from datetime import date

import pyarrow as pa

from sources.base import SourceError
from sources.payload import contract, decode_text, finite_number, iso_day

PROVIDER = "stooq"
# Stooq back-adjusts OHLC (and scales volume, hence fractional volumes) for splits and dividends and sends no
# event columns, so the bars already include both and carry no dividend or split of their own. The adjustment
# runs through the download day (basis_date), and the events behind it are unknowable from the file: only a
# bar on the download day's own session is as traded, which daily_prices uses to decide what it can prove.
ADJUSTED = "split_dividend"
# Volume is optional: Stooq drops the column for instruments that have none (indices, FX).
_REQUIRED = ("date", "open", "high", "low", "close")
_SHOWN = 5


def _schema() -> pa.Schema:
    return contract("prices")


def _decode(payload: bytes, origin: str) -> str:
    return decode_text(payload, provider=PROVIDER, origin=origin, expected="a CSV (blocked, rate-limited or moved?)")


def _number(text: str, column: str) -> float | None:
    return finite_number(text, column)


def _day(text: str) -> date:
    return iso_day(text)


def _stooq_ticker(ticker: str) -> str:
    # Callers may pass Stooq's own symbol ('iwm.us'); the warehouse key is the bare US ticker.
    clean = ticker.strip().upper()
    clean = clean.removesuffix(".US")
    if not clean:
        raise ValueError(f"ticker must be a non-empty symbol, got {ticker!r}")
    return clean


def parse_stooq_csv(payload: bytes, *, origin: str, ticker: str, downloaded: date) -> pa.Table:
    """One Stooq daily CSV for `ticker` -> raw `prices` rows (one per date, file order, adjusted='split_dividend').

    A body of 'No data' (Stooq's answer for an unknown symbol or an empty window), an empty body, or a header
    with no rows gives an empty table. Rows with an unparseable date or number, or no close, raise SourceError
    naming their 1-based line numbers; so do duplicated dates and any other non-CSV body. basis_date is
    `downloaded`, the day the file was fetched.
    """
    symbol = _stooq_ticker(ticker)
    schema = _schema()
    text = _decode(payload, origin)
    if not text.strip() or text.strip().lower() == "no data":
        return schema.empty_table()
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [name.strip().lower() for name in next(reader)]
    missing = [name for name in _REQUIRED if name not in header]
    if missing:
        first = text.strip().splitlines()[0][:80]
        raise SourceError(
            f"{PROVIDER}: {origin}: not a Stooq daily CSV: first line {first!r} lacks column(s) {', '.join(missing)}"
        )
    at = {name: header.index(name) for name in (*_REQUIRED, "volume") if name in header}
    dates: list[date] = []
    values: dict[str, list[float | None]] = {name: [] for name in ("open", "high", "low", "close", "volume")}
    bad: list[str] = []
    line_of: dict[date, int] = {}
    duplicated: list[str] = []
    for row in reader:
        if not any(field.strip() for field in row):
            continue
        line = reader.line_num
        try:
            if len(row) != len(header):
                raise ValueError(f"{len(row)} fields, header has {len(header)}")
            day = _day(row[at["date"]])
            parsed = {name: _number(row[i], name) for name, i in at.items() if name != "date"}
            if parsed["close"] is None:
                raise ValueError("no close")
        except ValueError as exc:
            bad.append(f"line {line} ({exc})")
            continue
        if day in line_of:
            duplicated.append(f"{day} (lines {line_of[day]} and {line})")
            continue
        line_of[day] = line
        dates.append(day)
        for name in values:
            values[name].append(parsed.get(name))
    if bad:
        raise SourceError(f"{PROVIDER}: {origin}: {len(bad)} malformed row(s), first: {'; '.join(bad[:_SHOWN])}")
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
        schema=schema,
    )
