"""daily_prices: one row per ticker and trading day; as-traded OHLC, adjusted close, total return and point-in-time market cap."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

COLUMNS = [
    "ticker", "date", "open", "high", "low", "close", "volume", "dividend", "split_ratio",
    "adj_close", "return_1d", "shares_outstanding", "market_cap", "source",
]  # fmt: skip


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


def daily_prices(prices: pd.DataFrame, shares: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Price bars (staging.prices) and share counts (ticker, filed, shares) to the daily_prices mart, for days <= as_of.

    Closes are as traded. A provider whose bars are already split-adjusted
    (adjusted = 'split') is converted back with the split events in its own
    data, so a split is never applied twice; one whose bars also carry
    dividends ('split_dividend') is taken as it is, with adj_close = close.
    """
    df = prices.loc[pd.to_datetime(prices["date"]).dt.date <= as_of].copy()
    df["date"] = pd.to_datetime(df["date"]).astype("datetime64[s]")
    df = df.sort_values(["ticker", "date"], kind="stable").reset_index(drop=True)
    if df.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in COLUMNS}).assign(
            ticker=pd.Series(dtype="str"), date=pd.Series(dtype="datetime64[s]"), source=pd.Series(dtype="str")
        )[COLUMNS]
    ticker = df["ticker"].to_numpy()
    starts = np.r_[True, ticker[1:] != ticker[:-1]]
    split = df["split_ratio"].to_numpy(dtype="float64")
    split = np.where(np.isfinite(split) & (split > 0), split, 1.0)
    dividend = np.nan_to_num(df["dividend"].to_numpy(dtype="float64"), nan=0.0)
    log_split = np.log(split)

    # Back to as-traded where the provider pre-applied splits: scale by the splits after each day.
    basis = df["adjusted"].to_numpy()
    pre_split = np.isin(basis, ["split"])
    future_splits = np.exp(_group_suffix_sum(log_split, starts))
    scale = np.where(pre_split, future_splits, 1.0)
    for col in ("open", "high", "low", "close"):
        df[col] = df[col].to_numpy(dtype="float64") * scale
    df["volume"] = df["volume"].to_numpy(dtype="float64") / scale
    close = df["close"].to_numpy(dtype="float64")

    # Backward adjustment factor of each event day: the split, and the dividend
    # as a fraction of the previous close in post-split units.
    prev_close = np.r_[np.nan, close[:-1]]
    prev_close[starts] = np.nan
    div_fraction = np.where(np.isfinite(prev_close) & (prev_close > 0), dividend * split / prev_close, 0.0)
    div_factor = np.where((div_fraction > 0) & (div_fraction < 1), 1.0 - div_fraction, 1.0)
    log_m = np.log(div_factor) - log_split
    full = np.isin(basis, ["split_dividend"])
    log_m = np.where(full, 0.0, log_m)
    adj_close = close * np.exp(_group_suffix_sum(log_m, starts))
    # CRSP's holding-period return: price change plus the dividend, in post-split units.
    with np.errstate(divide="ignore", invalid="ignore"):
        ret = np.where(full, close / prev_close, (close + dividend) * split / prev_close) - 1.0
    df["adj_close"] = adj_close
    df["return_1d"] = ret
    df["dividend"] = dividend
    df["split_ratio"] = split

    # Shares known on each day: the latest filing on or before it, times the splits since.
    df["_cum_split"] = np.exp(_group_prefix_sum(log_split, starts))
    sh = shares.dropna(subset=["ticker", "filed", "shares"]).copy()
    sh["filed"] = pd.to_datetime(sh["filed"]).astype("datetime64[s]")
    sh = sh.loc[sh["filed"].dt.date <= as_of]
    if sh.empty:
        df["shares_outstanding"] = np.nan
    else:
        sh = sh.sort_values(["filed", "ticker"]).drop_duplicates(["ticker", "filed"], keep="last")
        by_date = df[["ticker", "date", "_cum_split"]].sort_values("date", kind="stable")
        sh = pd.merge_asof(sh, by_date, left_on="filed", right_on="date", by="ticker", direction="backward").drop(
            columns="date"
        )
        sh["_cum_split"] = sh["_cum_split"].fillna(1.0)
        sh = sh.rename(columns={"_cum_split": "_split_at_filing"}).sort_values("filed")
        order = df.sort_values("date", kind="stable").index
        merged = pd.merge_asof(
            df.loc[order, ["ticker", "date"]],
            sh[["ticker", "filed", "shares", "_split_at_filing"]],
            left_on="date",
            right_on="filed",
            by="ticker",
            direction="backward",
        )
        merged.index = order
        merged = merged.sort_index()
        df["shares_outstanding"] = (
            merged["shares"].to_numpy(dtype="float64")
            * df["_cum_split"].to_numpy()
            / merged["_split_at_filing"].to_numpy(dtype="float64")
        )
    df["market_cap"] = df["close"] * df["shares_outstanding"]
    df["date"] = df["date"].dt.date
    return df[COLUMNS]
