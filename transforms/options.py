"""Option contracts: OCC symbols in, one row per symbol of root, expiry, type and strike out; chains flagged, not filtered."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

PARSED_COLUMNS: list[str] = ["root", "expiry", "option_type", "strike", "valid", "error"]
FLAG_COLUMNS: list[str] = ["zero_iv", "no_last_trade", "no_quote"]
# Root (1-6 chars) + YYMMDD + C/P + 8-digit strike: 16 characters at the least, 21 in the official padded form.
_MIN_LENGTH = 16
_ROOT_WIDTH = 6
_MAX_LISTED = 10


def parse_occ(symbols: Iterable[str | None] | pd.Series, strict: bool = False) -> pd.DataFrame:
    """OCC symbols (a Series or list) to one row per symbol, in order: root, expiry (date), option_type, strike, valid, error.

    A symbol is the root (1-6 upper-case letters or digits, either bare or space-padded to 6 as in the official
    21-character form), the expiry as YYMMDD (years taken as 20YY), C or P, and the strike x 1000 in 8 digits.
    A malformed symbol gets valid=False, null parsed fields and an `error` naming every fault found; with
    strict=True it raises ValueError listing up to 10 of them instead. A Series keeps its index.
    """
    raw = symbols if isinstance(symbols, pd.Series) else pd.Series(list(symbols), dtype=object)
    missing = raw.isna().to_numpy()
    text = raw.astype(object).where(~missing, "").astype(str)
    length = text.str.len()
    short = ~missing & (length < _MIN_LENGTH).to_numpy()
    # Trailing blanks would shift every fixed-width field; name them instead of reporting a cascade of bad fields.
    trailing = ~missing & ~short & (text.str.rstrip() != text).to_numpy(dtype=bool)
    checkable = ~missing & ~short & ~trailing

    root_field = text.str[:-15]
    root = root_field.str.rstrip(" ")
    ymd = text.str[-15:-9]
    kind = text.str[-9:-8]
    strike_text = text.str[-8:]

    root_ok = root.str.fullmatch(r"[A-Z0-9]{1,6}").to_numpy(dtype=bool)
    # Spaces are only the padding of the official form: a padded root field is exactly 6 wide.
    padding_ok = ((root_field == root) | (root_field.str.len() == _ROOT_WIDTH)).to_numpy(dtype=bool)
    ymd_digits = ymd.str.fullmatch(r"\d{6}").to_numpy(dtype=bool)
    expiry = pd.to_datetime("20" + ymd.where(ymd_digits, ""), format="%Y%m%d", errors="coerce")
    date_ok = ymd_digits & ~np.asarray(pd.isna(expiry))
    kind_ok = kind.isin(["C", "P"]).to_numpy(dtype=bool)
    strike_ok = strike_text.str.fullmatch(r"\d{8}").to_numpy(dtype=bool)

    # Each check: the rows failing it and the pieces of its message (text, or a per-row Series quoted into it).
    checks: list[tuple[np.ndarray, tuple[str | pd.Series, ...]]] = [
        (missing, ("missing symbol",)),
        (short, ("too short: ", length.astype(str), " characters, need at least 16")),
        (trailing, ("trailing whitespace",)),
        (checkable & ~root_ok, ("root '", root_field, "' must be 1-6 upper-case letters or digits")),
        (checkable & root_ok & ~padding_ok, ("root padded with spaces must fill 6 characters, got '", root_field, "'")),
        (checkable & ~ymd_digits, ("expiry must be 6 digits YYMMDD, got '", ymd, "'")),
        (checkable & ymd_digits & ~date_ok, ("bad expiry date '", ymd, "'")),
        (checkable & ~kind_ok, ("type must be C or P, got '", kind, "'")),
        (checkable & ~strike_ok, ("strike must be 8 digits, got '", strike_text, "'")),
    ]
    valid = ~np.logical_or.reduce([bad for bad, _ in checks])
    error = pd.Series([None] * len(raw), index=raw.index, dtype=object)
    rows = np.flatnonzero(~valid)
    if len(rows):
        # Messages are built for the malformed rows only: on a clean chain this costs nothing.
        message = np.full(len(rows), "", dtype=object)
        for bad, parts in checks:
            hit = bad[rows]
            if hit.any():
                text_of_check = np.full(len(rows), "; ", dtype=object)
                for part in parts:
                    text_of_check = text_of_check + (
                        part if isinstance(part, str) else part.iloc[rows].to_numpy(object)
                    )
                message = np.where(hit, message + text_of_check, message)
        error.iloc[rows] = [m[2:] for m in message]

    out = pd.DataFrame(
        {
            "root": root.where(valid, None),
            "expiry": expiry.dt.date.where(valid, None),
            "option_type": kind.where(valid, None),
            "strike": pd.to_numeric(strike_text.where(valid, None), errors="coerce") / 1000.0,
            "valid": valid,
            "error": error,
        },
        index=raw.index,
    )
    if strict and len(rows):
        listed = "; ".join(f"{raw.iloc[i]!r}: {error.iloc[i]}" for i in rows[:_MAX_LISTED])
        more = f" (and {len(rows) - _MAX_LISTED} more)" if len(rows) > _MAX_LISTED else ""
        raise ValueError(f"{len(rows)} malformed OCC symbol(s): {listed}{more}")
    return out


def flag_contracts(chain: pd.DataFrame) -> pd.DataFrame:
    """An option chain (one row per contract, with iv, last, bid, ask) to the same rows plus zero_iv, no_last_trade, no_quote.

    zero_iv: iv null or 0 (the provider computed no model values); no_last_trade: last null or 0; no_quote: bid and
    ask both null or 0. Every row is kept: a flagged contract still counts in volume and open interest.
    """
    missing = [c for c in ("iv", "last", "bid", "ask") if c not in chain.columns]
    if missing:
        raise ValueError(f"flag_contracts: chain lacks column(s) {missing}")
    out = chain.copy()

    def empty(col: str) -> pd.Series:
        values = pd.to_numeric(chain[col], errors="coerce")
        return (values.isna() | (values == 0)).astype(bool)

    out["zero_iv"] = empty("iv")
    out["no_last_trade"] = empty("last")
    out["no_quote"] = empty("bid") & empty("ask")
    return out
