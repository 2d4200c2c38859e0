"""The nightly run (every dataset for one as-of date, then every mart, then publish) and the backfill over a date range."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from prefect import flow, get_run_logger

from config.settings import NEW_YORK, load_settings
from flows.datasets import DATASET_FLOWS, FLOW_DATASETS, finish, land_datasets
from flows.marts import MARTS, build_marts
from flows.runtime import run_scope
from transforms.calendar import is_trading_day, trading_days
from warehouse.store import WarehouseError, connect_readonly


def session_skip_reason(day: date) -> str | None:
    """Why a trading-days-only run on this New York date does nothing (no NYSE session that day), or None to run."""
    if is_trading_day(day):
        return None
    kind = "a weekend day" if day.weekday() >= 5 else "an NYSE holiday"
    return f"{day.isoformat()} ({day:%A}) is {kind}: no session, no new closes to land"


def scheduled_day() -> date:
    """The New York date this run was scheduled for (today outside a flow run); a late run keeps its own day."""
    from prefect.runtime import flow_run

    start: datetime = flow_run.scheduled_start_time
    return start.astimezone(NEW_YORK).date()


@flow(name="nightly", log_prints=False)
def nightly(
    as_of: date | None = None, trading_days_only: bool = False, include_financials: bool | None = None
) -> dict[str, Any]:
    """Land every dataset up to as_of (seeding history on an empty warehouse), rebuild every mart, publish.

    With trading_days_only (set by the nightly deployment's schedule), a run whose
    scheduled New York date is no NYSE session returns at once, touching nothing, with skipped=True.
    include_financials puts banks, insurers and other financials in the index aggregate (default: the
    EEA_EEA_INCLUDE_FINANCIALS setting, off).
    """
    if trading_days_only:
        day = scheduled_day()
        reason = session_skip_reason(day)
        if reason is not None:
            get_run_logger().info("nightly skipped: %s", reason)
            return {"kind": "nightly", "skipped": True, "date": day.isoformat(), "reason": reason}
    knobs = {} if include_financials is None else {"eea_include_financials": include_financials}
    with run_scope("nightly", as_of, **knobs) as (ctx, _owner):
        logger = get_run_logger()
        logger.info("nightly run %s for %s into %s", ctx.run.run_id, ctx.as_of, ctx.settings.data_dir)
        for name, dataset_flow in DATASET_FLOWS.items():
            with ctx.timed(f"flow {name}"):
                dataset_flow(as_of=ctx.as_of)
        build_marts(m.name for m in MARTS)
        return finish(ctx)


def published_as_of(data_dir: Any) -> date | None:
    """The as-of date of the last published run, or None for an empty warehouse."""
    try:
        con = connect_readonly(data_dir)
    except WarehouseError:
        return None
    try:
        row = con.execute("SELECT max(as_of) FROM pipeline_runs WHERE state = 'published'").fetchone()
    finally:
        con.close()
    return row[0] if row else None


@flow(name="backfill")
def backfill(start: date, end: date) -> dict[str, Any]:
    """Land every dataset for the trading days in [start, end] in one bulk batch each, rebuild every mart, publish.

    Marts are computed as of the later of `end` and the warehouse's current
    as-of date, so a backfill of old history never rolls the marts back.
    """
    sessions = trading_days(start, end)
    if not sessions:
        raise ValueError(f"no NYSE trading day between {start} and {end}: nothing to backfill")
    first, last = sessions[0], sessions[-1]
    settings = load_settings()
    current_as_of = published_as_of(settings.data_dir)
    as_of = max(last, current_as_of) if current_as_of else last
    with run_scope("backfill", as_of) as (ctx, _owner):
        get_run_logger().info(
            "backfill %s..%s (%d trading days), marts as of %s", first, last, len(sessions), ctx.as_of
        )
        for name, datasets in FLOW_DATASETS.items():
            with ctx.timed(f"flow {name}"):
                land_datasets(datasets, start=first, end=last)
        build_marts(m.name for m in MARTS)
        return finish(ctx)
