"""Yahoo Finance chart API (v8): one JSON payload per ticker in, its daily bars in the raw `prices` contract out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, TypeGuard
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sources.base import SourceError
from sources.payload import decode_json_object
from transforms.calendar import last_trading_day, trading_days
from warehouse.ddl import raw_dataset

PROVIDER = "yahoo"
QUOTE_FIELDS = ("open", "high", "low", "close", "volume")
# Yahoo's close is split-adjusted as of the download and carries no dividends; its adjclose is not used
# for the raw bars because it also folds in dividends paid after the payload's last day.
ADJUSTED = "split"
# The download day is the exchange date of meta.regularMarketTime (the last trade Yahoo knew when it answered):
# Yahoo adjusts every bar for every split up to then, including splits after the payload's last bar.
BASIS_FIELD = "regularMarketTime"
# How many faulty items an error message names before it only counts the rest.
NAMED_FAULTS = 5

Payload = bytes | bytearray | str | Mapping[str, Any]


@dataclass(frozen=True)
class Chart:
    """One parsed chart payload: the bars (raw `prices` without stamps) and what was left out, for the caller to log."""

    table: pa.Table
    null_bars: int  # bars dropped because Yahoo sent no close for the day
    duplicate_days: int  # bars dropped because a later bar of the payload fell on the same trading day
    events_outside: int  # dividend/split events dated before the first or after the last bar


def _fail(origin: str, what: str) -> SourceError:
    return SourceError(f"{PROVIDER}: {origin}: {what}")


def _faults(origin: str, what: str, items: list[str]) -> SourceError:
    more = f" (and {len(items) - NAMED_FAULTS} more)" if len(items) > NAMED_FAULTS else ""
    return _fail(origin, f"{what}: {', '.join(items[:NAMED_FAULTS])}{more}")


def _decode(payload: Payload, origin: str) -> Mapping[str, Any]:
    return decode_json_object(payload, provider=PROVIDER, origin=origin)


def _result(payload: Payload, origin: str) -> Mapping[str, Any]:
    """chart.result[0] of a payload, or SourceError carrying Yahoo's own error description."""
    doc = _decode(payload, origin)
    chart = doc.get("chart")
    if not isinstance(chart, Mapping):
        raise _fail(origin, f"no 'chart' object in the payload (keys: {sorted(doc)[:10]})")
    error = chart.get("error")
    if error is not None:
        if isinstance(error, Mapping):
            raise _fail(origin, f"Yahoo error {error.get('code')!r}: {error.get('description')}")
        raise _fail(origin, f"Yahoo error: {error}")
    results = chart.get("result")
    if not isinstance(results, list) or not results or not isinstance(results[0], Mapping):
        raise _fail(origin, f"chart.result is {results!r:.80}, not a list holding one result, and chart.error is null")
    return results[0]


def _timezone(meta: Mapping[str, Any], origin: str) -> ZoneInfo:
    name = meta.get("exchangeTimezoneName")
    if not isinstance(name, str) or not name:
        raise _fail(origin, "meta.exchangeTimezoneName is missing, so bars cannot be put on trading dates")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise _fail(origin, f"meta.exchangeTimezoneName {name!r} is not a known time zone") from exc


def _trading_days(stamps: Any, zone: ZoneInfo, origin: str, field: str) -> np.ndarray:
    """Epoch seconds to the exchange's calendar date (a 20:00 New York bar is that day, not the next UTC one)."""
    try:
        seconds = np.asarray(stamps, dtype="int64")
    except (TypeError, ValueError, OverflowError) as exc:
        raise _fail(origin, f"{field} holds a value that is not epoch seconds: {exc}") from exc
    local = pd.to_datetime(seconds, unit="s", utc=True).tz_convert(zone).tz_localize(None)
    return local.to_numpy().astype("datetime64[D]")


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _last_of_day(days: np.ndarray) -> np.ndarray:
    """For days in time order, True on the last bar of each day."""
    return np.r_[days[1:] != days[:-1], True] if len(days) else np.zeros(0, dtype=bool)


def _numbers(values: Any, origin: str, field: str, length: int) -> np.ndarray:
    """A quote array as float64 with NaN for null; SourceError if it is not a list of numbers of the bars' length."""
    if not isinstance(values, list):
        raise _fail(origin, f"{field} is missing or not a list")
    if len(values) != length:
        raise _fail(origin, f"{field} has {len(values)} values for {length} timestamps")
    bad = [f"{field}[{i}]={v!r}" for i, v in enumerate(values) if v is not None and not _is_number(v)]
    if bad:
        raise _faults(origin, "not numbers", bad)
    return np.array([np.nan if v is None else float(v) for v in values], dtype="float64")


def _events(result: Mapping[str, Any], kind: str, zone: ZoneInfo, origin: str) -> list[tuple[np.datetime64, Mapping]]:
    """Each event of one kind ('dividends' or 'splits') with its trading date, from its `date` (else its key)."""
    events = result.get("events") or {}
    table = events.get(kind) if isinstance(events, Mapping) else None
    if table is None:
        return []
    if not isinstance(table, Mapping):
        raise _fail(origin, f"events.{kind} is not an object")
    out = []
    for key, event in table.items():
        if not isinstance(event, Mapping):
            raise _fail(origin, f"events.{kind}[{key}] is not an object")
        stamp = event.get("date", key)
        try:
            day = _trading_days([int(stamp)], zone, origin, f"events.{kind}[{key}].date")[0]
        except (TypeError, ValueError) as exc:
            raise _fail(origin, f"events.{kind}[{key}] has no usable date ({stamp!r})") from exc
        out.append((day, event))
    return out


def _split_ratio(event: Mapping[str, Any], origin: str, key: str) -> float:
    """New shares per old share: numerator/denominator (4:1 -> 4.0), else Yahoo's 'splitRatio' text."""
    num, den = event.get("numerator"), event.get("denominator")
    if num is None and den is None and isinstance(event.get("splitRatio"), str):
        num, _, den = event["splitRatio"].replace("/", ":").partition(":")
    try:
        ratio = float(num) / float(den)  # type: ignore[arg-type]
    except (TypeError, ValueError, ZeroDivisionError) as exc:
        raise _fail(origin, f"events.splits[{key}] has no usable ratio ({num!r}/{den!r})") from exc
    if not np.isfinite(ratio) or ratio <= 0:
        raise _fail(origin, f"events.splits[{key}] ratio {num!r}/{den!r} is not a positive number")
    return ratio


def read_chart(payload: Payload, *, origin: str) -> Chart:
    """One chart v8 payload (JSON bytes or decoded) to its daily bars (raw `prices`, adjusted='split') and drop counts.

    Bars are put on the exchange's trading date (meta.exchangeTimezoneName), sorted. A bar whose close is
    null is dropped and counted; a null open/high/low/volume is kept as null. Two bars on one trading day keep
    the later one. Splits land on their date as numerator/denominator. Yahoo states every dividend in the
    download day's split basis, like its closes, and so does the row: basis_date is the exchange date of
    meta.regularMarketTime, and a payload without it is refused (its basis is unknown). as_traded brings
    prices and dividends back to as traded with every split known up to that day. An event between the first and last
    bar with no bar on its date is an error (it would shift every adjustment before it); events outside the
    bars' range are counted and left out. A result without timestamps (a window with no trading) is empty.
    """
    schema = raw_dataset("prices").arrow_schema(without_stamps=True)
    result = _result(payload, origin)
    meta = result.get("meta")
    if not isinstance(meta, Mapping):
        raise _fail(origin, "chart.result[0].meta is missing")
    stamps = result.get("timestamp")
    if not stamps:
        return Chart(schema.empty_table(), null_bars=0, duplicate_days=0, events_outside=0)
    symbol = meta.get("symbol")
    if not isinstance(symbol, str) or not symbol.strip():
        raise _fail(origin, "meta.symbol is missing, so the bars have no ticker")
    granularity = meta.get("dataGranularity", "1d")
    if granularity != "1d":
        raise _fail(origin, f"meta.dataGranularity is {granularity!r}; raw prices are daily bars (interval=1d)")
    zone = _timezone(meta, origin)
    if not isinstance(stamps, list):
        raise _fail(origin, "chart.result[0].timestamp is not a list")
    market_time = meta.get(BASIS_FIELD)
    if not _is_number(market_time):
        raise _fail(
            origin,
            f"{symbol}: meta.{BASIS_FIELD} is missing, so the download day, through which Yahoo split-adjusted "
            "the closes, is unknown and the basis of the closes is unknown",
        )
    basis = _trading_days([int(market_time)], zone, origin, f"meta.{BASIS_FIELD}")[0]
    days = _trading_days(stamps, zone, origin, "timestamp")
    n = len(days)
    indicators = result.get("indicators")
    quotes = indicators.get("quote") if isinstance(indicators, Mapping) else None
    if not isinstance(quotes, list) or not quotes or not isinstance(quotes[0], Mapping):
        raise _fail(origin, "indicators.quote[0] is missing")
    quote = {f: _numbers(quotes[0].get(f), origin, f"indicators.quote[0].{f}", n) for f in QUOTE_FIELDS}

    # Stable sort by time, then the last bar of each trading day.
    order = np.argsort(np.asarray(stamps, dtype="int64"), kind="stable")
    has_close = ~np.isnan(quote["close"][order])
    null_bars = int((~has_close).sum())
    order = order[has_close]
    last_of_day = _last_of_day(days[order])
    duplicate_days = int((~last_of_day).sum())
    order = order[last_of_day]
    days = days[order]
    quote = {f: v[order] for f, v in quote.items()}

    position = {d: i for i, d in enumerate(days.tolist())}
    split = np.ones(len(days))
    dividend = np.zeros(len(days))
    outside, orphans = 0, []
    events = [("splits", d, e) for d, e in _events(result, "splits", zone, origin)]
    events += [("dividends", d, e) for d, e in _events(result, "dividends", zone, origin)]
    placed: list[tuple[str, int, Mapping]] = []
    for kind, day, event in events:
        if len(days) == 0 or day < days[0] or day > days[-1]:
            outside += 1
        elif day.item() not in position:
            orphans.append(f"{kind} on {day}")
        else:
            placed.append((kind, position[day.item()], event))
    if orphans:
        raise _faults(origin, "events on a trading day with no bar (or a null close)", orphans)
    for kind, i, event in placed:
        if kind == "splits":
            # Two split records on one day compound.
            split[i] *= _split_ratio(event, origin, str(event.get("date")))
        else:
            amount = event.get("amount")
            if not _is_number(amount) or not np.isfinite(amount):
                raise _fail(origin, f"events.dividends[{event.get('date')}] amount {amount!r} is not a number")
            dividend[i] += float(amount)

    table = pa.Table.from_pydict(
        {
            "ticker": pa.array([symbol] * len(days), pa.string()),
            "date": pa.array(days, pa.date32()),
            **{f: pa.array(quote[f], pa.float64(), from_pandas=True) for f in QUOTE_FIELDS},
            "dividend": pa.array(dividend, pa.float64()),
            "split_ratio": pa.array(split, pa.float64()),
            "adjusted": pa.array([ADJUSTED] * len(days), pa.string()),
            "basis_date": pa.array(np.full(len(days), basis), pa.date32()),
        },
        schema=schema,
    )
    return Chart(table, null_bars=null_bars, duplicate_days=duplicate_days, events_outside=outside)


def parse_chart(payload: Payload, *, origin: str) -> pa.Table:
    """One chart v8 payload to raw `prices` rows (ticker, trading date) without stamps; see read_chart for the rules."""
    return read_chart(payload, origin=origin).table


def adjclose_shape(payload: Payload, *, origin: str = "<payload>") -> pd.Series:
    """Yahoo's adjclose / close per trading date, divided by its value on the payload's last day (float, index `date`).

    Yahoo's adjclose on the last day already carries every dividend paid between that day and the download;
    dividing by it leaves only the dividends inside the payload, which is what our own adjustment can match.
    """
    result = _result(payload, origin)
    meta = result.get("meta")
    stamps = result.get("timestamp")
    if not stamps or not isinstance(meta, Mapping):
        return pd.Series([], index=pd.Index([], name="date", dtype=object), dtype="float64", name="adjclose_shape")
    zone = _timezone(meta, origin)
    days = _trading_days(stamps, zone, origin, "timestamp")
    indicators = result.get("indicators") or {}
    quotes, adj = indicators.get("quote") or [{}], indicators.get("adjclose") or [{}]
    close = _numbers(quotes[0].get("close"), origin, "indicators.quote[0].close", len(days))
    adjclose = _numbers(adj[0].get("adjclose"), origin, "indicators.adjclose[0].adjclose", len(days))
    order = np.argsort(np.asarray(stamps, dtype="int64"), kind="stable")
    ok = np.isfinite(close[order]) & np.isfinite(adjclose[order]) & (close[order] > 0)
    order = order[ok]
    order = order[_last_of_day(days[order])]
    if len(order) == 0:
        return pd.Series([], index=pd.Index([], name="date", dtype=object), dtype="float64", name="adjclose_shape")
    ratio = adjclose[order] / close[order]
    index = pd.Index([d.item() for d in days[order]], name="date", dtype=object)
    return pd.Series(ratio / ratio[-1], index=index, name="adjclose_shape")


@dataclass(frozen=True)
class _Span:
    """One parsed payload of one ticker: where it came from, its first and last bar, its download day."""

    origin: str
    ticker: str
    first: date
    last: date
    basis: date


def _span(origin: str, table: pa.Table) -> _Span:
    tickers = set(table.column("ticker").to_pylist())
    bases = set(table.column("basis_date").to_pylist())
    if len(tickers) != 1 or len(bases) != 1 or None in bases:
        raise _fail(origin, f"one payload must hold one ticker on one basis day (got {sorted(map(str, tickers))})")
    days = table.column("date")
    return _Span(origin, tickers.pop(), pc.min(days).as_py(), pc.max(days).as_py(), bases.pop())


def _uncovered(span: _Span, spans: list[_Span]) -> date | None:
    """The first NYSE session in (span.last, last session <= span.basis] that no payload's bars span, else None.

    A payload's split events are complete for its own bars from first to last (Yahoo sends the events of the
    window it was asked for), so the splits after `span` are known when payloads of the ticker chain from its
    last bar to the session of its download day without a session left between them.
    """
    target = last_trading_day(span.basis)
    cursor = span.last
    while cursor < target:
        sessions = trading_days(cursor + timedelta(days=1), target)
        if not sessions:
            return None
        following = sessions[0]
        reach = [s.last for s in spans if s.first <= following <= s.last]
        if not reach:
            return following
        cursor = max(reach)
    return None


def as_traded(charts: Sequence[tuple[str, pa.Table]]) -> tuple[list[pa.Table], list[str]]:
    """Parsed chart payloads (origin, table of one ticker) to as-traded bars, and one-line refusals of the rest.

    Each payload's bars are split-adjusted through its download day (basis_date). Every split known for the
    ticker between a bar and that day, from any payload of the ticker given here, multiplies the bar's prices
    and dividend back (and divides its volume). A payload whose last bar is before the last NYSE session on or
    before its download day, with no chain of payloads of the same ticker covering the sessions between, could
    hide a split there: it is refused, naming the ticker, its last bar and its download day. Returned bars are
    adjusted='none' with basis_date null.
    """
    parsed = [(origin, t) for origin, t in charts if t.num_rows]
    spans = [_span(origin, t) for origin, t in parsed]
    splits: dict[str, dict[date, tuple[float, str]]] = {}
    for (origin, table), span in zip(parsed, spans, strict=True):
        known = splits.setdefault(span.ticker, {})
        for day, ratio in zip(table.column("date").to_pylist(), table.column("split_ratio").to_pylist(), strict=True):
            if ratio == 1.0:
                continue
            if day in known and known[day][0] != ratio:
                raise _fail(
                    origin, f"{span.ticker}: split on {day} is {ratio} here but {known[day][0]} in {known[day][1]}"
                )
            known[day] = (ratio, origin)
    out, refused = [], []
    for (origin, table), span in zip(parsed, spans, strict=True):
        gap = _uncovered(span, [s for s in spans if s.ticker == span.ticker])
        if gap is not None:
            refused.append(
                f"{PROVIDER}: {origin}: {span.ticker} last bar {span.last}, downloaded {span.basis}: Yahoo split-adjusted "
                f"the closes through {span.basis}, and no payload of {span.ticker} in this load covers {gap} onwards, "
                "so a split in between would be unknown; load it with a payload of the ticker that runs through "
                "its download day"
            )
            continue
        events = sorted((d, r) for d, (r, _) in splits.get(span.ticker, {}).items() if d <= span.basis)
        event_days = np.array([d for d, _ in events], dtype="datetime64[D]")
        # log of the product of the splits on or before each event day, so (bar, basis] is a difference
        cumulative = np.r_[0.0, np.cumsum(np.log([r for _, r in events]))]
        bars = table.column("date").to_numpy(zero_copy_only=False).astype("datetime64[D]")
        through_bar = cumulative[np.searchsorted(event_days, bars, side="right")]
        scale = np.exp(cumulative[-1] - through_bar)
        columns = {
            name: table.column(name).to_numpy(zero_copy_only=False).astype("float64")
            for name in table.column_names
            if name in ("open", "high", "low", "close", "volume", "dividend")
        }
        for name, values in columns.items():
            converted = values / scale if name == "volume" else values * scale
            table = table.set_column(
                table.schema.get_field_index(name), name, pa.array(converted, pa.float64(), from_pandas=True)
            )
        n = table.num_rows
        table = table.set_column(table.schema.get_field_index("adjusted"), "adjusted", pa.array(["none"] * n))
        table = table.set_column(table.schema.get_field_index("basis_date"), "basis_date", pa.nulls(n, pa.date32()))
        out.append(table)
    return out, refused
