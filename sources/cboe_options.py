"""CBOE delayed-quotes option chain: one JSON payload (one underlying, one snapshot) in, one raw `options` row per contract out."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pyarrow as pa

from sources.base import SourceError
from sources.payload import decode_json_object
from transforms.calendar import last_trading_day
from transforms.options import parse_occ
from warehouse.ddl import raw_dataset

PROVIDER = "cboe"
_EASTERN = ZoneInfo("America/New_York")
_OPEN = time(9, 30)
# How many offending rows an error message lists before summarising the rest.
_LISTED = 10
# Contract fields whose CBOE key is the raw column's name, taken as given.
_AS_GIVEN = ("volume", "open_interest", "bid", "ask", "iv", "delta")


def parse_cboe_chain(payload: bytes, *, origin: str, trade_date: date | None = None) -> pa.Table:
    """A CBOE delayed-quotes options payload (bytes) to the raw `options` contract without stamps, one row per contract.

    underlying is data.symbol upper-cased, without the leading '_' CBOE puts on index underlyings ('_SPX' -> 'SPX').
    trade_date, unless given, is the session the snapshot belongs to: the payload's `timestamp` is US Eastern time, and
    a snapshot taken before the 09:30 open belongs to the session before that day, one taken later to the last session
    on or before that day (so a weekend or holiday snapshot goes to the session before it). expiry, option_type and
    strike come from the OCC symbol in `option`; contract is that symbol without the padding spaces of the official
    form. last is last_trade_price, null when that is missing, or 0 with no last_trade_time (CBOE's "never traded").
    iv (a fraction) and every other value are kept as given, 0.0 included: no contract is dropped. underlying_price is
    data.current_price, or data.close where current_price is missing or not positive. Raises SourceError naming the
    provider, `origin` and the rows at fault when the payload is not JSON, lacks data.options, or holds a malformed,
    missing or duplicated symbol or a non-numeric value.
    """
    document = _decode(payload, origin)
    data = document.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("options"), list):
        raise _error(origin, f"no data.options list in the payload (top-level keys: {sorted(document)})")
    contracts: list[Any] = data["options"]
    not_objects = [i for i, row in enumerate(contracts) if not isinstance(row, dict)]
    if not_objects:
        raise _error(origin, f"data.options entries that are not objects at position(s) {_listing(not_objects)}")

    underlying = _underlying(data, document, origin)
    session = trade_date if trade_date is not None else _session(document, origin)
    symbols = _symbols(contracts, origin)
    parsed = _parse(symbols, origin)

    n = len(contracts)
    columns: dict[str, pa.Array] = {
        "underlying": pa.array([underlying] * n, type=pa.string()),
        "trade_date": pa.array([session] * n, type=pa.date32()),
        "contract": pa.array(parsed["contract"], type=pa.string()),
        "expiry": pa.array(parsed["expiry"], type=pa.date32()),
        "option_type": pa.array(parsed["option_type"], type=pa.string()),
        "strike": pa.array(parsed["strike"], type=pa.float64()),
    }
    for column in _AS_GIVEN:
        columns[column] = _floats(contracts, column, symbols, origin)
    columns["last"] = _floats(contracts, "last_trade_price", symbols, origin, none_if=_never_traded)
    columns["underlying_price"] = pa.array([_underlying_price(data, origin)] * n, type=pa.float64())
    schema = raw_dataset("options").arrow_schema(without_stamps=True)
    return pa.table([columns[field.name] for field in schema], schema=schema)


def _decode(payload: bytes, origin: str) -> dict[str, Any]:
    return dict(decode_json_object(payload, provider=PROVIDER, origin=origin))


def _underlying(data: dict[str, Any], document: dict[str, Any], origin: str) -> str:
    symbol = data.get("symbol") or document.get("symbol")
    if not isinstance(symbol, str) or not symbol.strip("_ "):
        raise _error(origin, f"no underlying symbol in data.symbol (got {symbol!r})")
    # CBOE marks index underlyings with a leading underscore ('_SPX'); elsewhere the ticker is plain 'SPX'.
    return symbol.strip().upper().removeprefix("_")


def _session(document: dict[str, Any], origin: str) -> date:
    stamp = document.get("timestamp")
    try:
        taken = datetime.fromisoformat(str(stamp))
    except ValueError as exc:
        raise _error(origin, f"timestamp {stamp!r} is not a date and time; pass trade_date instead") from exc
    if taken.tzinfo is not None:
        taken = taken.astimezone(_EASTERN)
    # Before the open the quotes, volume and open interest are still those of the previous session.
    day = taken.date() if taken.time() >= _OPEN else taken.date() - timedelta(days=1)
    return last_trading_day(day)


def _symbols(contracts: list[dict[str, Any]], origin: str) -> list[str]:
    symbols = [row.get("option") for row in contracts]
    missing = [i for i, s in enumerate(symbols) if not isinstance(s, str)]
    if missing:
        raise _error(origin, f"contracts without an `option` symbol at position(s) {_listing(missing)}")
    return symbols  # type: ignore[return-value]


def _parse(symbols: list[str], origin: str) -> dict[str, list[Any]]:
    try:
        parsed = parse_occ(pd.Series(symbols, dtype=object), strict=True)
    except ValueError as exc:
        raise _error(origin, str(exc)) from exc
    # Only the padding of the official 21-character form can hold spaces; without it the key matches other providers'.
    contract = [s.replace(" ", "") for s in symbols]
    repeated = sorted(c for c, k in Counter(contract).items() if k > 1)
    if repeated:
        raise _error(origin, f"{len(repeated)} contract(s) listed more than once: {_listing(repeated)}")
    return {
        "contract": contract,
        "expiry": parsed["expiry"].tolist(),
        "option_type": parsed["option_type"].tolist(),
        "strike": parsed["strike"].tolist(),
    }


def _never_traded(row: dict[str, Any]) -> bool:
    return row.get("last_trade_price") == 0 and row.get("last_trade_time") is None


def _floats(
    contracts: list[dict[str, Any]],
    key: str,
    symbols: list[str],
    origin: str,
    none_if: Callable[[dict[str, Any]], bool] | None = None,
) -> pa.Array:
    values = [None if none_if is not None and none_if(row) else row.get(key) for row in contracts]
    bad = [i for i, v in enumerate(values) if v is not None and (isinstance(v, bool) or not isinstance(v, int | float))]
    if bad:
        named = [f"{symbols[i]}={values[i]!r}" for i in bad]
        raise _error(origin, f"non-numeric {key} in {len(bad)} contract(s): {_listing(named)}")
    # from_pandas turns a NaN (Python's json reads the bare NaN token) into null.
    return pa.array(values, type=pa.float64(), from_pandas=True)


def _underlying_price(data: dict[str, Any], origin: str) -> float | None:
    for key in ("current_price", "close"):
        value = data.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _error(origin, f"non-numeric data.{key} {value!r}")
        if value > 0:
            return float(value)
    return None


def _listing(items: list[Any]) -> str:
    shown = ", ".join(str(item) for item in items[:_LISTED])
    return shown + (f" (and {len(items) - _LISTED} more)" if len(items) > _LISTED else "")


def _error(origin: str, what: str) -> SourceError:
    return SourceError(f"{PROVIDER}: {origin}: {what}")
