"""The model step of a run: read the model's inputs from the run's staging layer and marts, run the EEA model once.

The five eea_* marts are built from one model run per warehouse run (cached on the run's context), so they always
agree with each other.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import pandas as pd
from prefect import get_run_logger
from prefect.exceptions import MissingContextError

from flows.runtime import RunContext
from models.explain import explain
from models.series import IndexPolicy, Results, run_model
from transforms.eea_inputs import (
    ModelParams,
    company_inputs,
    cost_of_capital,
    is_financial,
    latest_estimates,
    members_on,
)
from transforms.statements import CONCEPT_NAMES, Adjustments, Statements, annual_statements, statements_with_sources

# How far back the last close may lie (calendar days); older is a stale price and the member is excluded.
MAX_PRICE_AGE_DAYS = 10


def _logger() -> Any:
    """The flow run's logger; a plain one where the model runs outside a flow (eea explain --as-of)."""
    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger("eea.model")


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


def policy(ctx: RunContext) -> IndexPolicy:
    s = ctx.settings
    return IndexPolicy(include_financials=s.eea_include_financials, min_coverage=s.eea_min_coverage)


def _facts(ctx: RunContext) -> pd.DataFrame:
    return _query(
        ctx,
        "SELECT cik, ticker, taxonomy, concept, unit, period_start, period_end, value, fiscal_year, fiscal_period, "
        "form, filed, accession FROM staging.fundamentals "
        "WHERE filed <= ? AND taxonomy = 'us-gaap' AND list_contains(?, concept)",
        [ctx.as_of, sorted(CONCEPT_NAMES)],
    )


def _basis(ctx: RunContext) -> str:
    """daily_prices' basis columns, or nulls where the mart was built before they existed (a load that does not
    rebuild it, on a warehouse published by an older version: its rows are all as traded or unconverted)."""
    found = ctx.run.query(
        "SELECT count(*) AS n FROM duckdb_columns() WHERE schema_name = 'main' AND table_name = 'daily_prices' "
        "AND column_name = 'price_basis'",
        [],
    )
    has = found.column("n")[0].as_py()
    return "price_basis, basis_date" if has else "NULL::VARCHAR AS price_basis, NULL::DATE AS basis_date"


def statements(ctx: RunContext, financial_ciks: frozenset[int] = frozenset()) -> pd.DataFrame:
    """Annual statements of every company, point in time at the run's as_of."""
    return annual_statements(_facts(ctx), ctx.as_of, adjustments(ctx), financial_ciks)


def model_results(ctx: RunContext) -> Results:
    """The model run of this warehouse run, computed on first use."""
    cached = ctx.cache.get("eea")
    if cached is not None:
        return cached
    logger = _logger()
    params = model_params(ctx)
    day = ctx.as_of
    with ctx.timed("model inputs"):
        companies = _query(
            ctx,
            "SELECT cik, arg_max(ticker, as_of) AS ticker, arg_max(sic, as_of) AS sic "
            "FROM staging.companies WHERE as_of <= ? GROUP BY cik",
            [day],
        )
        financial_ciks = frozenset(int(c) for c in companies.loc[is_financial(companies["sic"]), "cik"])
        facts = _facts(ctx)
        with_sources: Statements = statements_with_sources(facts, day, adjustments(ctx), financial_ciks)
        st = with_sources.frame
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
            # The last row of each ticker whole: arg_max would skip a null market cap (a close whose as-traded value
            # is unproven) and pair the last close with an older row's market cap.
            f"SELECT ticker, date, close, shares_outstanding, market_cap, source AS price_source, {_basis(ctx)} "
            "FROM daily_prices WHERE date <= ? AND date >= ? - INTERVAL 40 DAY "
            "QUALIFY row_number() OVER (PARTITION BY ticker ORDER BY date DESC) = 1",
            [day, day],
            [
                "ticker",
                "date",
                "close",
                "shares_outstanding",
                "market_cap",
                "price_source",
                "price_basis",
                "basis_date",
            ],
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
        risk_free = _mart_or_empty(
            ctx,
            "risk_free",
            "SELECT series, date, value FROM risk_free WHERE date <= ?",
            [day],
            ["series", "date", "value"],
        )
        r, rf_date = cost_of_capital(risk_free, day, params)
        foreign = _query(
            ctx,
            "SELECT DISTINCT cik FROM staging.fundamentals WHERE filed <= ? AND taxonomy = 'ifrs-full'",
            [day],
        )
        foreign_ciks = frozenset(int(c) for c in foreign["cik"])
        inputs, exclusions = company_inputs(
            members, st, market, estimates, companies, r, day, params, foreign_ciks=foreign_ciks
        )
        # The same members without R&D capitalisation, for eea_sensitivity's variant.
        no_rd = annual_statements(facts, day, replace(adjustments(ctx), capitalise_rd=False), financial_ciks)
        inputs_without_rd, _ = company_inputs(members, no_rd, market, estimates, companies, r, day, params)
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
            policy=policy(ctx),
            inputs_without_rd=inputs_without_rd,
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
    with ctx.timed("model explain"):
        ctx.cache["eea_explain"] = _explain(ctx, inputs, with_sources, market, r, rf_date, params)
    ctx.cache["eea"] = results
    return results


def _explain(
    ctx: RunContext,
    inputs: pd.DataFrame,
    with_sources: Statements,
    market: pd.DataFrame,
    r: float,
    rf_date: Any,
    params: ModelParams,
) -> pd.DataFrame:
    """eea_explain rows: every member's derivation, with the price's source and the shares' filing."""
    if inputs.empty:
        return explain(inputs, with_sources.frame, with_sources.sources, {}, ctx.as_of, ctx.settings.eea_rd_years)
    if not policy(ctx).include_financials:
        # Members left out by policy are not modelled (eea_exclusions says why): no derivation either.
        inputs = inputs[~inputs["financial"].fillna(False).astype(bool)]
    m = inputs.merge(market[["ticker", "price_source"]], on="ticker", how="left")
    shares = _query(
        ctx,
        "SELECT cik, filed AS shares_filed, accession AS shares_accession, form AS shares_form "
        "FROM staging.shares_outstanding WHERE filed <= ? ORDER BY filed",
        [ctx.as_of],
    )
    if len(shares):
        shares["shares_filed"] = pd.to_datetime(shares["shares_filed"])
        left = m.assign(_day=pd.to_datetime(m["price_date"]), _cik=m["cik"].astype("int64")).sort_values("_day")
        right = shares.assign(_cik=shares["cik"].astype("int64")).drop(columns="cik").sort_values("shares_filed")
        m = pd.merge_asof(left, right, left_on="_day", right_on="shares_filed", by="_cik").drop(
            columns=["_day", "_cik"]
        )
    extras = {
        "risk_free": (r - params.beta * params.erp) * 100.0,
        "risk_free_date": rf_date,
        "beta": params.beta,
        "erp": params.erp,
    }
    return explain(m, with_sources.frame, with_sources.sources, extras, ctx.as_of, ctx.settings.eea_rd_years)


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


def build_eea_explain(ctx: RunContext) -> pd.DataFrame:
    model_results(ctx)
    return ctx.cache["eea_explain"]
