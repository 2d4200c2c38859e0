"""Rebuild marts in the open run: read their inputs from staging, call the transform of the same name, write through the store."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

import pandas as pd
from prefect import get_run_logger, task
from prefect.cache_policies import NONE

from flows import model
from flows.progress import step
from flows.runtime import RunContext, current
from sources.lexicon import Lexicon, default_lexicon, load_lexicon
from transforms.call_sentiment import COLUMNS as CALL_COLUMNS
from transforms.call_sentiment import call_sentiment
from transforms.daily_prices import daily_prices
from transforms.index_membership import index_membership
from transforms.options_activity import COMPARE_COLUMNS, compare_underlyings, options_activity
from transforms.risk_free import risk_free
from transforms.sector_exposure import load_sector_groups, sector_exposure
from transforms.sentiment_index import COLUMNS as SENTIMENT_INDEX_COLUMNS
from transforms.sentiment_index import sentiment_index


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
        "SELECT ticker, date, open, high, low, close, volume, dividend, split_ratio, adjusted, basis_date, source "
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


def _lexicon(ctx: RunContext) -> Lexicon:
    path = ctx.settings.lexicon_path
    return load_lexicon(path) if path else default_lexicon()


def _table_exists(ctx: RunContext, name: str) -> bool:
    found = ctx.run.query(
        "SELECT count(*) AS n FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = ?", [name]
    )
    return bool(found.column("n")[0].as_py())


def _build_call_sentiment(ctx: RunContext) -> pd.DataFrame:
    # Incremental: calls already scored with this lexicon from the same raw batch keep their rows;
    # new or re-landed calls are scored now; other lexicons' scores stay beside them.
    lexicon = _lexicon(ctx)
    current = _frame(
        ctx, "SELECT ticker, call_date, layout, text, batch_id FROM staging.transcripts WHERE call_date <= ?"
    )
    current["call_date"] = pd.to_datetime(current["call_date"]).dt.date
    if _table_exists(ctx, "call_sentiment"):
        existing = _frame(ctx, "SELECT * FROM call_sentiment WHERE call_date <= ?")
        existing["call_date"] = pd.to_datetime(existing["call_date"]).dt.date
    else:
        existing = pd.DataFrame(columns=CALL_COLUMNS)
    same_lexicon = (existing["lexicon"] == lexicon.name) & (existing["lexicon_version"] == lexicon.version)
    landed = set(zip(current["ticker"], current["call_date"], current["batch_id"], strict=True))
    still_good = [
        (t, d, b) in landed
        for t, d, b in zip(existing["ticker"], existing["call_date"], existing["batch_id"], strict=True)
    ]
    keep = existing[~same_lexicon | pd.Series(still_good, index=existing.index, dtype=bool)]
    scored = set(
        zip(
            keep.loc[same_lexicon.loc[keep.index], "ticker"],
            keep.loc[same_lexicon.loc[keep.index], "call_date"],
            strict=True,
        )
    )
    unscored = [(t, d) not in scored for t, d in zip(current["ticker"], current["call_date"], strict=True)]
    todo = current[pd.Series(unscored, index=current.index, dtype=bool)]
    new = call_sentiment(todo, lexicon)
    get_run_logger().info(
        "call_sentiment: %d calls scored now with %s %s, %d kept", len(todo), lexicon.name, lexicon.version, len(scored)
    )
    frames = [f for f in (keep, new) if len(f)]
    return pd.concat(frames, ignore_index=True)[CALL_COLUMNS] if frames else pd.DataFrame(columns=CALL_COLUMNS)


def _build_sentiment_index(ctx: RunContext) -> pd.DataFrame:
    if not _table_exists(ctx, "call_sentiment"):
        return pd.DataFrame(columns=SENTIMENT_INDEX_COLUMNS)
    calls = _frame(
        ctx,
        "SELECT ticker, call_date, net_tone, lexicon, lexicon_version FROM call_sentiment "
        "WHERE section = 'call' AND call_date <= ?",
    )
    membership = _frame(
        ctx, "SELECT index_name, ticker, valid_from, valid_to FROM index_membership WHERE valid_from <= ?"
    )
    return sentiment_index(calls, membership, min_calls=ctx.settings.sentiment_min_calls)


def _build_risk_free(ctx: RunContext) -> pd.DataFrame:
    return risk_free(_frame(ctx, "SELECT series, date, value FROM staging.rates WHERE date <= ?"), ctx.as_of)


def _build_sector_exposure(ctx: RunContext) -> pd.DataFrame:
    groups = load_sector_groups(ctx.settings.sector_map_path.read_text(encoding="utf-8"))
    snaps = _frame(
        ctx, "SELECT index_name, as_of, ticker, weight, sector, cik FROM staging.constituents WHERE as_of <= ?"
    )
    companies = _frame(ctx, "SELECT cik, ticker, as_of, sic FROM staging.companies WHERE as_of <= ?")
    # `group` is a reserved word in SQL: the mart calls it sector_group so analysts need no quotes.
    return sector_exposure(snaps, companies, groups).rename(columns={"group": "sector_group"})


# The small-cap index's option underlying, and the large-cap one it is compared with.
SMALL_CAP_OPTIONS, LARGE_CAP_OPTIONS = "IWM", "SPY"


# The raw datasets the model reads (through staging and the marts built above it).
MODEL_INPUTS = ("fundamentals", "prices", "shares_outstanding", "companies", "constituents", "estimates", "rates")
MODEL_MARTS = (
    ("eea_company", model.build_eea_company),
    ("eea_index", model.build_eea_index),
    ("eea_sensitivity", model.build_eea_sensitivity),
    ("eea_exclusions", model.build_eea_exclusions),
    ("eea_screen", model.build_eea_screen),
    ("eea_explain", model.build_eea_explain),
)


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
    Mart("call_sentiment", ("transcripts",), _build_call_sentiment),
    Mart("sentiment_index", ("transcripts", "constituents"), _build_sentiment_index),
    Mart("options_small_vs_large", ("options",), _build_options_small_vs_large),
    Mart("sector_exposure", ("constituents", "companies"), _build_sector_exposure),
    *(Mart(name, MODEL_INPUTS, build) for name, build in MODEL_MARTS),
)


def inputs_as_of(ctx: RunContext, datasets: Iterable[str]) -> date:
    """The last day all of a mart's inputs were landed for, up to as_of: the oldest of their latest good batches."""
    days = []
    for dataset in datasets:
        got = (
            ctx.run.query(
                "SELECT max(least(window_end, ?)) AS d FROM meta.batches WHERE dataset = ?", [ctx.as_of, dataset]
            )
            .column("d")[0]
            .as_py()
        )
        if got is not None:
            days.append(got)
    return min(days) if days else ctx.as_of


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
        frame = mart.build(ctx).copy()
        frame["inputs_as_of"] = inputs_as_of(ctx, mart.inputs)
        rows = ctx.run.rebuild(name, frame)
    get_run_logger().info("%s: %d rows as of %s", name, rows, ctx.as_of)
    step(f"built {name}")
    return rows


def build_marts(names: Iterable[str]) -> dict[str, int]:
    """Rebuild the named marts in dependency order."""
    wanted = set(names)
    order = [m.name for m in MARTS if m.name in wanted]
    return {name: build_mart(name) for name in order}
