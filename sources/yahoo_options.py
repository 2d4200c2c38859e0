"""Yahoo v7 options: the JSON payloads of one underlying's chain (one expiry each) in, one raw `options` row per contract out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pyarrow as pa

from sources.base import SourceError
from sources.payload import decode_json_object
from transforms.calendar import last_trading_day
from transforms.options import parse_occ
from warehouse.ddl import raw_dataset

PROVIDER = "yahoo"
_EASTERN = ZoneInfo("America/New_York")
# How many offending rows an error message lists before summarising the rest.
_LISTED = 10
# Raw column -> Yahoo contract key, for the values taken as given.
_AS_GIVEN = {
    "volume": "volume",
    "open_interest": "openInterest",
    "bid": "bid",
    "ask": "ask",
    "iv": "impliedVolatility",
}
_SIDES = (("calls", "C"), ("puts", "P"))


def expiration_dates(payload: bytes, *, origin: str = "<unnamed payload>") -> list[int]:
    """One Yahoo v7 options payload to the expiration dates it lists (epoch seconds, ascending, each once).

    The list includes the expiry whose contracts the payload itself carries; the caller requests the others with
    `&date=<epoch>`. Raises SourceError naming `origin` on a payload that is not a Yahoo options result.
    """
    result = _result(payload, origin)
    dates = result.get("expirationDates")
    if not isinstance(dates, list) or any(isinstance(d, bool) or not isinstance(d, int) for d in dates):
        raise _error(origin, f"expirationDates is not a list of epoch seconds: {dates!r}")
    return sorted(set(dates))


def parse_yahoo_options(
    payloads: Sequence[bytes], *, origins: Sequence[str], trade_date: date | None = None
) -> pa.Table:
    """Yahoo v7 options payloads of one underlying (bytes, one origin each) to the raw `options` contract without stamps.

    One row per contract across all payloads. A contract found in two payloads keeps the row of the later one (the
    later request is the fresher quote); within one payload the later listing wins likewise. underlying is
    underlyingSymbol upper-cased, without the '^' Yahoo puts on indexes ('^SPX' -> 'SPX'); every payload must name the
    same one. trade_date, unless given, is the last trading day on or before the America/New_York date of
    quote.regularMarketTime (the underlying's last regular-session trade), and every payload must agree on it.
    expiry, option_type and strike come from the OCC symbol in contractSymbol, which must match the calls/puts list it
    sits in; contract is that symbol without padding spaces. volume, open_interest, bid, ask and iv (impliedVolatility,
    a fraction, Yahoo's 1e-05 "no model value" included) are as given, null where absent; delta is null (Yahoo has
    none); last is lastPrice, null when absent or 0 with no lastTradeDate; underlying_price is the row's own payload's
    quote.regularMarketPrice. Raises SourceError naming the provider, the origin and the rows at fault on a payload
    that is not JSON, carries optionChain.error or no result, or holds a malformed or misfiled symbol or a non-numeric
    value.
    """
    if len(payloads) != len(origins):
        raise ValueError(f"{len(payloads)} payload(s) but {len(origins)} origin(s); pass one origin per payload")
    if not payloads:
        raise ValueError("no payloads: pass at least the first response of the chain")

    parts = [_payload_rows(payload, origin, trade_date) for payload, origin in zip(payloads, origins, strict=True)]
    underlyings = {part["underlying"] for part in parts}
    if len(underlyings) > 1:
        named = [f"{o}={p['underlying']}" for o, p in zip(origins, parts, strict=True)]
        raise _error(", ".join(origins), f"payloads of different underlyings: {_listing(named)}")
    sessions = {part["trade_date"] for part in parts}
    if len(sessions) > 1:
        named = [f"{o}={p['trade_date']}" for o, p in zip(origins, parts, strict=True)]
        raise _error(
            ", ".join(origins),
            f"payloads of different sessions by quote.regularMarketTime: {_listing(named)}; pass trade_date",
        )

    # Later rows overwrite earlier ones under the same key; the survivors keep the order in which they were fetched.
    latest: dict[str, tuple[int, int]] = {}
    for p, part in enumerate(parts):
        for r, contract in enumerate(part["contract"]):
            latest.pop(contract, None)
            latest[contract] = (p, r)
    keep = list(latest.values())

    def column(name: str) -> list[Any]:
        return [parts[p][name][r] for p, r in keep]

    n = len(keep)
    columns: dict[str, pa.Array] = {
        "underlying": pa.array([underlyings.pop()] * n, type=pa.string()),
        "trade_date": pa.array([sessions.pop()] * n, type=pa.date32()),
        "delta": pa.nulls(n, type=pa.float64()),
    }
    for name in ("contract", "option_type"):
        columns[name] = pa.array(column(name), type=pa.string())
    columns["expiry"] = pa.array(column("expiry"), type=pa.date32())
    for name in ("strike", *_AS_GIVEN, "last", "underlying_price"):
        # from_pandas turns a NaN (Python's json reads the bare NaN token) into null.
        columns[name] = pa.array(column(name), type=pa.float64(), from_pandas=True)
    schema = raw_dataset("options").arrow_schema(without_stamps=True)
    return pa.table([columns[field.name] for field in schema], schema=schema)


def _payload_rows(payload: bytes, origin: str, trade_date: date | None) -> dict[str, Any]:
    result = _result(payload, origin)
    found = result.get("quote")
    quote: dict[str, Any] = found if isinstance(found, dict) else {}
    symbol = result.get("underlyingSymbol") or quote.get("symbol")
    if not isinstance(symbol, str) or not symbol.strip("^ "):
        raise _error(origin, f"no underlyingSymbol in the result (got {symbol!r})")
    # Yahoo marks indexes with a caret ('^SPX'); elsewhere the ticker is plain 'SPX'.
    underlying = symbol.strip().upper().removeprefix("^")
    session = trade_date if trade_date is not None else _session(quote, origin)

    blocks = result.get("options", [])
    if not isinstance(blocks, list) or any(not isinstance(b, dict) for b in blocks):
        raise _error(origin, "result.options is not a list of objects")
    contracts: list[dict[str, Any]] = []
    sides: list[str] = []
    places: list[str] = []
    for block in blocks:
        for side, kind in _SIDES:
            listed = block.get(side, [])
            if not isinstance(listed, list):
                raise _error(origin, f"{side} of expiration {block.get('expirationDate')} is not a list")
            for i, row in enumerate(listed):
                contracts.append(row)
                sides.append(kind)
                places.append(f"{side}[{i}] of expiration {block.get('expirationDate')}")
    faulty = [
        place
        for place, row in zip(places, contracts, strict=True)
        if not isinstance(row, dict) or not isinstance(row.get("contractSymbol"), str)
    ]
    if faulty:
        raise _error(origin, f"contracts without a contractSymbol: {_listing(faulty)}")

    symbols = [row["contractSymbol"] for row in contracts]
    try:
        parsed = parse_occ(pd.Series(symbols, dtype=object), strict=True)
    except ValueError as exc:
        raise _error(origin, str(exc)) from exc
    option_type = parsed["option_type"].tolist()
    misfiled = [f"{s} in {p}" for s, t, k, p in zip(symbols, option_type, sides, places, strict=True) if t != k]
    if misfiled:
        raise _error(origin, f"{len(misfiled)} contract(s) in the wrong calls/puts list: {_listing(misfiled)}")

    price = _number(quote.get("regularMarketPrice"), "quote.regularMarketPrice", origin)
    rows: dict[str, Any] = {
        "underlying": underlying,
        "trade_date": session,
        # Only the padding of the official 21-character form can hold spaces; without it the key matches CBOE's.
        "contract": [s.replace(" ", "") for s in symbols],
        "expiry": parsed["expiry"].tolist(),
        "option_type": option_type,
        "strike": parsed["strike"].tolist(),
        "last": _floats(contracts, "lastPrice", symbols, origin, none_if=_never_traded),
        "underlying_price": [price] * len(contracts),
    }
    for name, key in _AS_GIVEN.items():
        rows[name] = _floats(contracts, key, symbols, origin)
    return rows


def _result(payload: bytes, origin: str) -> dict[str, Any]:
    document = decode_json_object(payload, provider=PROVIDER, origin=origin)
    # A refused request (bad crumb, unknown endpoint) comes back as {"finance": {"error": ...}} instead.
    chain = document.get("optionChain") or document.get("finance")
    if not isinstance(chain, dict):
        raise _error(origin, f"no optionChain in the payload (top-level keys: {sorted(document)})")
    if chain.get("error"):
        raise _error(origin, f"Yahoo reports an error: {chain['error']!r}")
    results = chain.get("result")
    if not isinstance(results, list) or not results or not isinstance(results[0], dict):
        raise _error(origin, f"optionChain.result holds no result (got {results!r})")
    return results[0]


def _session(quote: dict[str, Any], origin: str) -> date:
    stamp = quote.get("regularMarketTime")
    if isinstance(stamp, bool) or not isinstance(stamp, int | float):
        raise _error(origin, f"quote.regularMarketTime {stamp!r} is not epoch seconds; pass trade_date instead")
    return last_trading_day(datetime.fromtimestamp(stamp, _EASTERN).date())


def _never_traded(row: dict[str, Any]) -> bool:
    return row.get("lastPrice") == 0 and not row.get("lastTradeDate")


def _floats(
    contracts: list[dict[str, Any]],
    key: str,
    symbols: list[str],
    origin: str,
    none_if: Callable[[dict[str, Any]], bool] | None = None,
) -> list[float | None]:
    values = [None if none_if is not None and none_if(row) else row.get(key) for row in contracts]
    bad = [i for i, v in enumerate(values) if v is not None and (isinstance(v, bool) or not isinstance(v, int | float))]
    if bad:
        # A formatted=true response wraps numbers as {"raw": ..., "fmt": ...}; the caller must ask for formatted=false.
        named = [f"{symbols[i]}={values[i]!r}" for i in bad]
        raise _error(origin, f"non-numeric {key} in {len(bad)} contract(s): {_listing(named)}")
    return values


def _number(value: Any, name: str, origin: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _error(origin, f"non-numeric {name} {value!r}")
    return float(value)


def _listing(items: list[Any]) -> str:
    shown = ", ".join(str(item) for item in items[:_LISTED])
    return shown + (f" (and {len(items) - _LISTED} more)" if len(items) > _LISTED else "")


def _error(origin: str, what: str) -> SourceError:
    return SourceError(f"{PROVIDER}: {origin}: {what}")
