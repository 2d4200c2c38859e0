"""daily_prices: one row per ticker and trading day; as-traded OHLC, adjusted close, total return and point-in-time market cap."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from transforms.calendar import trading_days

COLUMNS = [
    "ticker", "date", "open", "high", "low", "close", "volume", "dividend", "split_ratio",
    "adj_close", "return_1d", "shares_outstanding", "market_cap", "source", "price_basis", "basis_date",
]  # fmt: skip
AS_TRADED = "none"


def _group_suffix_sum(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Per group (rows contiguous, `starts` marks each group's first row): sum of the values after each row."""
    prefix = np.cumsum(values)
    group_id = np.cumsum(starts) - 1
    ends = np.r_[np.flatnonzero(starts)[1:], len(values)] - 1
    return prefix[ends][group_id] - prefix


def _group_prefix_sum(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Per group: sum of the values up to and including each row."""
    prefix = np.cumsum(values)
    first = np.flatnonzero(starts)
    group_id = np.cumsum(starts) - 1
    before = np.r_[0.0, prefix][first][group_id]
    return prefix - before


def _arrow(values: pd.Series) -> pa.Array:
    """A column as one Arrow array (zero-copy where pandas already holds Arrow data)."""
    arr = pa.array(values) if not isinstance(values, pa.ChunkedArray) else values
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _days(values: pd.Series) -> np.ndarray:
    """Dates of any pandas flavour (date objects, datetime64, Arrow date32) as int64 days since the epoch."""
    arr = _arrow(values)
    if not pa.types.is_date32(arr.type):
        arr = pc.cast(arr, pa.date32())
    return arr.view(pa.int32()).to_numpy(zero_copy_only=False).astype("int64")


def _codes(values: pd.Series, dictionary: pa.Array) -> np.ndarray:
    """Position of each string in `dictionary`, -1 for a null or a string not in it."""
    idx = pc.index_in(_arrow(values).cast(pa.string()), value_set=dictionary)
    return idx.fill_null(-1).to_numpy(zero_copy_only=False).astype("int64")


# Keys are ticker code * SPAN + (day + OFFSET): one sortable integer per (ticker, day), any day since 1600.
SPAN, OFFSET = 1_000_000, 500_000


def _asof_index(keys: np.ndarray, probes: np.ndarray) -> np.ndarray:
    """For each probe, the position of the last key <= probe in sorted `keys`, or -1."""
    return np.searchsorted(keys, probes, side="right") - 1


def _sessions_between(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Per pair of epoch days: how many NYSE sessions lie in (lo, hi]."""
    if len(lo) == 0:
        return np.zeros(0, dtype="int64")
    first = date.fromordinal(date(1970, 1, 1).toordinal() + int(lo.min()))
    last = date.fromordinal(date(1970, 1, 1).toordinal() + int(hi.max()))
    sessions = np.array(trading_days(first, last), dtype="datetime64[D]").astype("int64")
    return np.searchsorted(sessions, hi, side="right") - np.searchsorted(sessions, lo, side="right")


def _is_session(days: np.ndarray) -> np.ndarray:
    if len(days) == 0:
        return np.zeros(0, dtype=bool)
    first = date.fromordinal(date(1970, 1, 1).toordinal() + int(days.min()))
    last = date.fromordinal(date(1970, 1, 1).toordinal() + int(days.max()))
    sessions = np.array(trading_days(first, last), dtype="datetime64[D]").astype("int64")
    return np.isin(days, sessions)


def daily_prices(prices: pd.DataFrame, shares: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Price bars (staging.prices) and share counts (ticker, filed, shares) to the daily_prices mart, for days <= as_of.

    Closes are as traded where that can be proven. A bar a provider adjusted ('split' or 'split_dividend')
    is on the basis of its basis_date (the download day): nothing after that day is in it. A bar on the
    basis day's own session is as traded. A 'split' bar before it is multiplied back by the splits in
    (bar date, basis_date] - only those, so bars of downloads made on different days mix correctly - and is
    proven as traded when every NYSE session in that span has an as-traded row in the series (whose
    split_ratio is then the provider's event record; adjusted providers send no events). Any other adjusted
    bar keeps the provider's prices, says so in price_basis and basis_date, and has no shares_outstanding or
    market_cap: a guess at the splits would put them off by the split factor. 'split_dividend' bars keep
    adj_close = close and returns from close.
    """
    day = _days(prices["date"])
    limit = np.datetime64(as_of, "D").astype("int64")
    keep = day <= limit
    # Ticker codes in sorted order, shared with the share counts, make (ticker, day) one sortable integer key.
    names = set(pc.unique(_arrow(prices["ticker"]).cast(pa.string())).to_pylist())
    names |= set(pc.unique(_arrow(shares["ticker"]).cast(pa.string())).to_pylist()) if len(shares) else set()
    dictionary = pa.array(sorted(n for n in names if n is not None), pa.string())
    price_codes = _codes(prices["ticker"], dictionary)
    share_codes = _codes(shares["ticker"], dictionary) if len(shares) else np.array([], dtype="int64")
    key = price_codes * SPAN + day + OFFSET
    order = np.flatnonzero(keep)
    order = order[np.argsort(key[order], kind="stable")]
    key, day, price_codes = key[order], day[order], price_codes[order]
    if len(order) == 0:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in COLUMNS})

    def col(name: str) -> np.ndarray:
        return prices[name].to_numpy(dtype="float64", na_value=np.nan)[order]

    starts = np.r_[True, price_codes[1:] != price_codes[:-1]]
    split = col("split_ratio")
    split = np.where(np.isfinite(split) & (split > 0), split, 1.0)
    dividend = np.nan_to_num(col("dividend"), nan=0.0)
    log_split = np.log(split)
    adjusted = _arrow(prices["adjusted"]).cast(pa.string())
    kind = adjusted.take(pa.array(order)).to_numpy(zero_copy_only=False).astype(object)
    kind = np.where(pd.isna(kind), "unknown", kind).astype(str)
    as_traded = kind == AS_TRADED
    split_only = kind == "split"
    full = kind == "split_dividend"
    if "basis_date" in prices.columns:
        basis_arr = _arrow(prices["basis_date"])
        basis_arr = basis_arr if pa.types.is_date32(basis_arr.type) else pc.cast(basis_arr, pa.date32())
        basis_arr = basis_arr.take(pa.array(order))
        has_basis = basis_arr.is_valid().to_numpy(zero_copy_only=False)
        basis = basis_arr.view(pa.int32()).fill_null(0).to_numpy(zero_copy_only=False).astype("int64")
    else:
        has_basis, basis = np.zeros(len(order), dtype=bool), np.zeros(len(order), dtype="int64")

    # Adjusted bars with a basis day: the last row of the same ticker on or before it, the sessions between
    # the bar and it, and how many of those have an as-traded row (prefix sums over the sorted series).
    proven = as_traded.copy()
    scale = np.ones(len(order))
    pending = np.flatnonzero(~as_traded & has_basis & (basis >= day))
    if len(pending):
        through = np.searchsorted(key, price_codes[pending] * SPAN + basis[pending] + OFFSET, side="right") - 1
        gap = _sessions_between(day[pending], basis[pending])
        traded_sessions = np.r_[0, np.cumsum(as_traded & _is_session(day))]
        covered = traded_sessions[through + 1] - traded_sessions[pending + 1]
        split_prefix = np.r_[0.0, np.cumsum(log_split)]
        later = np.exp(split_prefix[through + 1] - split_prefix[pending + 1])
        ok = (gap == 0) | (split_only[pending] & (covered == gap))
        proven[pending[ok]] = True
        scale[pending[ok]] = np.where(split_only[pending[ok]], later[ok], 1.0)

    open_, high, low, close = (col(c) * scale for c in ("open", "high", "low", "close"))
    volume = col("volume") / scale
    dividend = dividend * scale

    # Backward adjustment factor of each event day: the split, and the dividend
    # as a fraction of the previous close in post-split units.
    prev_close = np.r_[np.nan, close[:-1]]
    prev_close[starts] = np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        div_fraction = np.where(np.isfinite(prev_close) & (prev_close > 0), dividend * split / prev_close, 0.0)
    div_factor = np.where((div_fraction > 0) & (div_fraction < 1), 1.0 - div_fraction, 1.0)
    log_m = np.where(full, 0.0, np.log(div_factor) - log_split)
    adj_close = close * np.exp(_group_suffix_sum(log_m, starts))
    # CRSP's holding-period return: price change plus the dividend, in post-split units.
    with np.errstate(divide="ignore", invalid="ignore"):
        ret = np.where(full, close / prev_close, (close + dividend) * split / prev_close) - 1.0

    # Shares known on each day: the latest filing on or before it, times the splits since.
    cum_split = np.exp(_group_prefix_sum(log_split, starts))
    shares_out = np.full(len(order), np.nan)
    filed = _days(shares["filed"]) if len(shares) else np.array([], dtype="int64")
    count = shares["shares"].to_numpy(dtype="float64", na_value=np.nan) if len(shares) else np.array([])
    usable = (share_codes >= 0) & (filed <= limit) & np.isfinite(count)
    if usable.any():
        s_key = share_codes[usable] * SPAN + filed[usable] + OFFSET
        s_order = np.argsort(s_key, kind="stable")
        s_key, s_count = s_key[s_order], count[usable][s_order]
        # the same filing date twice: the later row wins, as the latest loaded would
        last = np.r_[s_key[1:] != s_key[:-1], True]
        s_key, s_count = s_key[last], s_count[last]
        # splits already in each count: the cumulative split factor on the last trading day <= filed
        at_filing = _asof_index(key, s_key)
        same = (at_filing >= 0) & (key[np.clip(at_filing, 0, None)] // SPAN == s_key // SPAN)
        split_at_filing = np.where(same, cum_split[np.clip(at_filing, 0, None)], 1.0)
        hit = _asof_index(s_key, key)
        found = (hit >= 0) & (s_key[np.clip(hit, 0, None)] // SPAN == key // SPAN)
        idx = np.clip(hit, 0, None)
        shares_out = np.where(found, s_count[idx] * cum_split / split_at_filing[idx], np.nan)

    dates = pa.array(day.astype("datetime64[D]"), type=pa.date32())
    return pd.DataFrame(
        {
            "ticker": pd.Series(dictionary.take(pa.array(price_codes)), dtype=pd.ArrowDtype(pa.string())),
            "date": pd.Series(dates, dtype=pd.ArrowDtype(pa.date32())),
            "open": open_,
            "high": high,
            "low": low,
            "close": close,
            "volume": volume,
            "dividend": dividend,
            "split_ratio": split,
            "adj_close": adj_close,
            "return_1d": ret,
            "shares_outstanding": np.where(proven, shares_out, np.nan),
            "market_cap": np.where(proven, close * shares_out, np.nan),
            "source": pd.Series(
                _arrow(prices["source"]).cast(pa.string()).take(pa.array(order)), dtype=pd.ArrowDtype(pa.string())
            ),
            "price_basis": pd.Series(
                pa.array(np.where(proven, AS_TRADED, kind), pa.string()), dtype=pd.ArrowDtype(pa.string())
            ),
            "basis_date": pd.Series(
                pa.array(
                    np.where(proven | ~has_basis, 0, basis).astype("int32"), pa.int32(), mask=proven | ~has_basis
                ).cast(pa.date32()),
                dtype=pd.ArrowDtype(pa.date32()),
            ),
        }
    )[COLUMNS]
