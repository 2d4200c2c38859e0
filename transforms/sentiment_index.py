"""sentiment_index: per month and quarter, mean call tone of small caps against large caps (members on the call date), the spread and its percentile."""

from __future__ import annotations

import numpy as np
import pandas as pd

COLUMNS = [
    "period", "period_start", "small_tone", "small_calls", "large_tone", "large_calls",
    "spread", "spread_percentile", "thin", "lexicon", "lexicon_version",
]  # fmt: skip


def _members_on(calls: pd.DataFrame, membership: pd.DataFrame, index_name: str) -> pd.Series:
    """For each call, whether its ticker was in `index_name` on the call date (spells: valid_from <= d < valid_to)."""
    spells = membership.loc[membership["index_name"] == index_name, ["ticker", "valid_from", "valid_to"]]
    joined = calls[["ticker", "call_date"]].reset_index().merge(spells, on="ticker", how="inner")
    start = pd.to_datetime(joined["valid_from"])
    end = pd.to_datetime(joined["valid_to"])
    day = pd.to_datetime(joined["call_date"])
    inside = (start <= day) & (end.isna() | (day < end))
    hit = set(joined.loc[inside, "index"])
    return pd.Series(calls.index.isin(list(hit)), index=calls.index)


def sentiment_index(
    calls: pd.DataFrame,
    membership: pd.DataFrame,
    *,
    min_calls: int = 20,
    small: str = "russell_2000",
    large: str = "large_cap",
) -> pd.DataFrame:
    """Calls (ticker, call_date, net_tone, lexicon, lexicon_version; one whole-call score each) and membership spells to the index.

    A call counts for small caps when its ticker was a member of `small` on the
    call date, and for large caps likewise; the tone of a side is the plain mean
    of its calls' net tone. The spread is small minus large. Its percentile is
    the share of periods of the same kind (and lexicon) whose spread is at or
    below it, so the lowest spread on record has the smallest percentile. A
    period with fewer than `min_calls` calls on either side is flagged thin,
    not hidden.
    """
    if calls.empty:
        return pd.DataFrame(columns=COLUMNS)
    df = calls.copy().reset_index(drop=True)
    df["call_date"] = pd.to_datetime(df["call_date"])
    df["is_small"] = _members_on(df, membership, small)
    df["is_large"] = _members_on(df, membership, large)
    out = []
    for period, freq in (("month", "M"), ("quarter", "Q")):
        df["period_start"] = df["call_date"].dt.to_period(freq).dt.start_time.dt.date
        keys = ["lexicon", "lexicon_version", "period_start"]
        small_side = df[df["is_small"]].groupby(keys)["net_tone"].agg(small_tone="mean", small_calls="count")
        large_side = df[df["is_large"]].groupby(keys)["net_tone"].agg(large_tone="mean", large_calls="count")
        periods = df.groupby(keys).size().rename("_n")
        table = pd.concat([periods, small_side, large_side], axis=1).reset_index().drop(columns="_n")
        table["small_calls"] = table["small_calls"].fillna(0).astype("int64")
        table["large_calls"] = table["large_calls"].fillna(0).astype("int64")
        table["spread"] = table["small_tone"] - table["large_tone"]
        table["spread_percentile"] = table.groupby(["lexicon", "lexicon_version"])["spread"].rank(
            method="max", pct=True
        )
        table["thin"] = (table["small_calls"] < min_calls) | (table["large_calls"] < min_calls)
        table["period"] = period
        out.append(table)
    result = pd.concat(out, ignore_index=True)
    result["spread_percentile"] = result["spread_percentile"].astype("float64").where(result["spread"].notna(), np.nan)
    return result.sort_values(["lexicon", "lexicon_version", "period", "period_start"]).reset_index(drop=True)[COLUMNS]
