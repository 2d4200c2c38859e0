"""Rebuild marts in the open run: read their inputs from staging, call the transform of the same name, write through the store."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pandas as pd
from prefect import get_run_logger, task
from prefect.cache_policies import NONE

from flows.runtime import RunContext, current
from transforms.daily_prices import daily_prices
from transforms.index_membership import index_membership
from transforms.options_activity import COMPARE_COLUMNS, compare_underlyings, options_activity
from transforms.risk_free import risk_free


def _frame(ctx: RunContext, sql: str) -> pd.DataFrame:
    return ctx.run.query(sql, [ctx.as_of]).to_pandas()


def _build_index_membership(ctx: RunContext) -> pd.DataFrame:
    snaps = _frame(
        ctx,
        "SELECT index_name, as_of, ticker, weight, sector, name, cik FROM staging.constituents WHERE as_of <= ?",
    )
    return index_membership(snaps, ctx.as_of)


def _build_daily_prices(ctx: RunContext) -> pd.DataFrame:
    # Arrow-backed columns: millions of rows, and the transform works on Arrow arrays directly.
    bars = ctx.run.query(
        "SELECT ticker, date, open, high, low, close, volume, dividend, split_ratio, adjusted, source "
        "FROM staging.prices WHERE date <= ?",
        [ctx.as_of],
    ).to_pandas(types_mapper=pd.ArrowDtype)
    # A share count is filed under a CIK; the ticker it belongs to is the
    # filing's own, else the latest the reference data gives for that CIK.
    shares = ctx.run.query(
        "WITH tick AS (SELECT cik, arg_max(ticker, as_of) AS ticker FROM staging.companies "
        "              WHERE as_of <= ? GROUP BY cik) "
        "SELECT coalesce(s.ticker, t.ticker) AS ticker, s.filed, s.shares "
        "FROM staging.shares_outstanding s LEFT JOIN tick t USING (cik) WHERE s.filed <= ?",
        [ctx.as_of, ctx.as_of],
    ).to_pandas()
    return daily_prices(bars, shares, ctx.as_of)


def _build_options_activity(ctx: RunContext) -> pd.DataFrame:
    chain = _frame(
        ctx,
        "SELECT underlying, trade_date, expiry, option_type, strike, volume, open_interest, iv, delta "
        "FROM staging.options WHERE trade_date <= ?",
    )
    return options_activity(chain)


def _build_options_small_vs_large(ctx: RunContext) -> pd.DataFrame:
    activity = _frame(ctx, "SELECT * FROM options_activity WHERE trade_date <= ?")
    if not (activity["underlying"] == SMALL_CAP_OPTIONS).any():
        return pd.DataFrame(columns=COMPARE_COLUMNS)
    return compare_underlyings(activity, small=SMALL_CAP_OPTIONS, large=LARGE_CAP_OPTIONS)


def _build_risk_free(ctx: RunContext) -> pd.DataFrame:
    return risk_free(_frame(ctx, "SELECT series, date, value FROM staging.rates WHERE date <= ?"), ctx.as_of)


# The small-cap index's option underlying, and the large-cap one it is compared with.
SMALL_CAP_OPTIONS, LARGE_CAP_OPTIONS = "IWM", "SPY"


@dataclass(frozen=True)
class Mart:
    name: str
    inputs: tuple[str, ...]
    build: Callable[[RunContext], pd.DataFrame]


# In build order; `inputs` are the raw datasets a mart reads, so a dataset
# flow run alone rebuilds just what depends on it.
MARTS: tuple[Mart, ...] = (
    Mart("risk_free", ("rates",), _build_risk_free),
    Mart("index_membership", ("constituents",), _build_index_membership),
    Mart("daily_prices", ("prices", "shares_outstanding", "companies"), _build_daily_prices),
    Mart("options_activity", ("options",), _build_options_activity),
    Mart("options_small_vs_large", ("options",), _build_options_small_vs_large),
)


def marts_for(datasets: Iterable[str]) -> list[str]:
    """The marts that read any of these datasets."""
    wanted = set(datasets)
    return [m.name for m in MARTS if wanted & set(m.inputs)]


@task(cache_policy=NONE)
def build_mart(name: str) -> int:
    """Rebuild one mart from the run's staging layer; rows written."""
    ctx = current()
    mart = next(m for m in MARTS if m.name == name)
    with ctx.timed(f"build {name}"):
        frame = mart.build(ctx)
        rows = ctx.run.rebuild(name, frame)
    get_run_logger().info("%s: %d rows as of %s", name, rows, ctx.as_of)
    return rows


def build_marts(names: Iterable[str]) -> dict[str, int]:
    """Rebuild the named marts in dependency order."""
    wanted = set(names)
    order = [m.name for m in MARTS if m.name in wanted]
    return {name: build_mart(name) for name in order}
