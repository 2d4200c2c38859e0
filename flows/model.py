"""The model step of a run: read the model's inputs from the run's staging layer and marts, run the EEA model once.

The five eea_* marts are built from one model run per warehouse run (cached on the run's context), so they always
agree with each other.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from prefect import get_run_logger

from flows.runtime import RunContext
from models.series import Results, run_model
from transforms.eea_inputs import ModelParams, company_inputs, cost_of_capital, latest_estimates, members_on
from transforms.statements import CONCEPTS, Adjustments, annual_statements

# How far back the last close may lie (calendar days); older is a stale price and the member is excluded.
MAX_PRICE_AGE_DAYS = 10


def model_params(ctx: RunContext) -> ModelParams:
    s = ctx.settings
    return ModelParams(
        horizon=s.eea_horizon,
        g_terminal=s.eea_g_terminal,
        beta=s.eea_beta,
        erp=s.eea_erp,
        max_price_age_days=MAX_PRICE_AGE_DAYS,
    )


def adjustments(ctx: RunContext) -> Adjustments:
    s = ctx.settings
    return Adjustments(
        capitalise_rd=s.eea_capitalise_rd,
        rd_years=s.eea_rd_years,
        subtract_operating_liabilities=s.eea_subtract_operating_liabilities,
        subtract_excess_cash=s.eea_subtract_excess_cash,
        operating_cash=s.eea_operating_cash,
    )


def _query(ctx: RunContext, sql: str, params: list[Any]) -> pd.DataFrame:
    return ctx.run.query(sql, params).to_pandas()


def _mart_or_empty(ctx: RunContext, name: str, sql: str, params: list[Any], columns: list[str]) -> pd.DataFrame:
    """Rows of a mart built earlier in the run, or none where this warehouse has never built it (a first load)."""
    exists = (
        ctx.run.query("SELECT count(*) AS n FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = ?", [name])
        .column("n")[0]
        .as_py()
    )
    return _query(ctx, sql, params) if exists else pd.DataFrame(columns=columns)


def statements(ctx: RunContext) -> pd.DataFrame:
    """Annual statements of every company, point in time at the run's as_of."""
    concepts = sorted({c for names in CONCEPTS.values() for c in names})
    facts = _query(
        ctx,
        "SELECT cik, ticker, taxonomy, concept, unit, period_start, period_end, value, fiscal_year, fiscal_period, "
        "form, filed, accession FROM staging.fundamentals "
        "WHERE filed <= ? AND taxonomy = 'us-gaap' AND list_contains(?, concept)",
        [ctx.as_of, concepts],
    )
    return annual_statements(facts, ctx.as_of, adjustments(ctx))


def model_results(ctx: RunContext) -> Results:
    """The model run of this warehouse run, computed on first use."""
    cached = ctx.cache.get("eea")
    if cached is not None:
        return cached
    logger = get_run_logger()
    params = model_params(ctx)
    day = ctx.as_of
    with ctx.timed("model inputs"):
        st = statements(ctx)
        membership = _mart_or_empty(
            ctx,
            "index_membership",
            "SELECT index_name, ticker, valid_from, valid_to, weight, sector, name, cik FROM index_membership "
            "WHERE valid_from <= ?",
            [day],
            ["index_name", "ticker", "valid_from", "valid_to", "weight", "sector", "name", "cik"],
        )
        members = members_on(membership, day)
        market = _mart_or_empty(
            ctx,
            "daily_prices",
            "SELECT ticker, max(date) AS date, arg_max(close, date) AS close, "
            "arg_max(shares_outstanding, date) AS shares_outstanding, arg_max(market_cap, date) AS market_cap "
            "FROM daily_prices WHERE date <= ? AND date >= ? - INTERVAL 40 DAY GROUP BY ticker",
            [day, day],
            ["ticker", "date", "close", "shares_outstanding", "market_cap"],
        )
        estimates = latest_estimates(
            _query(
                ctx,
                "SELECT ticker, fiscal_year, as_of, revenue, earnings, eps, analysts "
                "FROM staging.estimates WHERE as_of <= ?",
                [day],
            ),
            day,
        )
        companies = _query(
            ctx,
            "SELECT cik, arg_max(ticker, as_of) AS ticker, arg_max(sic, as_of) AS sic "
            "FROM staging.companies WHERE as_of <= ? GROUP BY cik",
            [day],
        )
        risk_free = _mart_or_empty(
            ctx,
            "risk_free",
            "SELECT series, date, value FROM risk_free WHERE date <= ?",
            [day],
            ["series", "date", "value"],
        )
        r, rf_date = cost_of_capital(risk_free, day, params)
        inputs, exclusions = company_inputs(members, st, market, estimates, companies, r, day, params)
        # Sector of every company the warehouse knows, for the projection's sector medians.
        sectors = (
            membership.dropna(subset=["cik", "sector"])
            .sort_values("valid_from")
            .drop_duplicates("cik", keep="last")
            .set_index("cik")["sector"]
        )
    with ctx.timed("model"):
        results = run_model(
            inputs,
            exclusions,
            st,
            sectors,
            day,
            r,
            params.g_terminal,
            params.horizon,
            screen_size=ctx.settings.eea_screen_size,
        )
    steady = results.index.loc[results.index["series"] == "market_implied", "roa_steady"]
    logger.info(
        "eea: %d members on %s, %d modelled, r=%.4f (risk-free of %s), R*=%s",
        len(members),
        day,
        len(inputs),
        r,
        rf_date,
        ", ".join(f"{v:.4f}" for v in steady.drop_duplicates()) or "none",
    )
    ctx.cache["eea"] = results
    return results


def build_eea_company(ctx: RunContext) -> pd.DataFrame:
    return model_results(ctx).company


def build_eea_index(ctx: RunContext) -> pd.DataFrame:
    return model_results(ctx).index


def build_eea_sensitivity(ctx: RunContext) -> pd.DataFrame:
    return model_results(ctx).sensitivity


def build_eea_exclusions(ctx: RunContext) -> pd.DataFrame:
    return model_results(ctx).exclusions


def build_eea_screen(ctx: RunContext) -> pd.DataFrame:
    return model_results(ctx).screen
