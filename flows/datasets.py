"""One flow per dataset: ask the configured source for what the warehouse lacks, land it as a raw batch, and (run alone) publish."""

from __future__ import annotations

import contextlib
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NONE

from config.settings import DEMO_ORIGIN, Settings
from flows.marts import build_marts, marts_for
from flows.progress import step
from flows.runtime import RunContext, current, run_scope
from flows.shards import _transient, extract_shard, shard_runner, shard_settings, shards
from sources.base import Request, Source, SourceError
from warehouse.ddl import mart, raw_dataset
from warehouse.store import Landed
from warehouse.validation import ValidationReport, build_docs, validate_batch

# Which raw datasets each dataset flow lands (SEC gives facts, share counts and reference data together).
# Constituents first: per-ticker providers ask for the index members it lands.
FLOW_DATASETS: dict[str, tuple[str, ...]] = {
    "constituents": ("constituents",),
    "rates": ("rates",),
    "prices": ("prices",),
    "fundamentals": ("companies", "shares_outstanding", "fundamentals"),
    "estimates": ("estimates",),
    "transcripts": ("transcripts",),
    "options": ("options",),
}


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def seed_start(ctx: RunContext, dataset: str) -> date:
    """Where history starts for a dataset the warehouse has never landed."""
    settings = ctx.settings
    if dataset == "options":
        return _years_before(ctx.as_of, settings.options_history_years)
    if dataset == "transcripts":
        return ctx.as_of - timedelta(days=92 * settings.transcript_quarters)
    if dataset in STATEMENT_DATASETS:
        return statements_start(ctx.as_of, settings)
    return _years_before(ctx.as_of, settings.history_years)


# Filings the model reads years back from: capitalised R&D needs the rd_years before the first year shown.
STATEMENT_DATASETS = ("fundamentals",)


def statements_start(as_of: date, settings: Settings) -> date:
    """Where filings history starts: max(history_years, horizon) + rd_years + 1 years back, so that every year shown
    (and FY0, and the H years of history the projection reads) has the R&D of the rd_years before it; never before
    the demo market's origin where the demo serves fundamentals (it has nothing earlier)."""
    years = max(settings.history_years, settings.eea_horizon) + settings.eea_rd_years + 1
    start = _years_before(as_of, years)
    if settings.source_for("fundamentals") == "demo":
        start = max(start, DEMO_ORIGIN)
    return start


def window(ctx: RunContext, dataset: str, start: date | None = None) -> tuple[date, date]:
    """The dates to ask for: history on an empty warehouse, else from the day after the last landed window; always as_of itself."""
    end = ctx.as_of
    if start is not None:
        return start, end
    last = ctx.run.query("SELECT max(window_end) AS d FROM meta.batches WHERE dataset = ?", [dataset]).column("d")[0]
    last_end = last.as_py()
    if last_end is None:
        return seed_start(ctx, dataset), end
    return min(last_end + timedelta(days=1), end), end


def universe(ctx: RunContext, dataset: str) -> tuple[str, ...] | None:
    """The tickers a per-ticker provider is asked for: option underlyings, else both indexes' latest members."""
    if dataset == "options":
        return ctx.settings.option_underlyings
    members = ctx.run.query(
        "SELECT DISTINCT ticker FROM staging.constituents WHERE as_of = "
        "(SELECT max(as_of) FROM staging.constituents WHERE as_of <= ?) ORDER BY ticker",
        [ctx.as_of],
    ).column("ticker")
    return tuple(members.to_pylist())


# Datasets a per-ticker provider serves by filing date (SEC: facts and share counts filed in the window). A nightly
# asks only for what was filed since the last landed window, so a company that joins the index after the seed would
# get only its new filings; these datasets fetch a newcomer's history once, as the seed would have.
FILED_HISTORY = ("fundamentals", "shares_outstanding")


def newcomers(ctx: RunContext, dataset: str, tickers: tuple[str, ...]) -> tuple[str, ...]:
    """The tickers with no rows yet in staging.<dataset>: by CIK where the companies or constituents data gives the
    ticker one (a renamed ticker keeps its filer's history; a reused ticker is a new filer), else by ticker."""
    if not tickers:
        return ()
    found = ctx.run.query(
        f"""
        WITH members AS (SELECT unnest(?::VARCHAR[]) AS ticker),
        filer AS (SELECT ticker, arg_max(cik, as_of) AS cik FROM staging.companies WHERE as_of <= ? GROUP BY ticker),
        listed AS (
            SELECT ticker, arg_max(cik, as_of) AS cik FROM staging.constituents
            WHERE cik IS NOT NULL AND as_of <= ? GROUP BY ticker
        )
        SELECT m.ticker FROM members m LEFT JOIN filer f USING (ticker) LEFT JOIN listed l USING (ticker)
        WHERE CASE WHEN coalesce(f.cik, l.cik) IS NOT NULL
                   THEN coalesce(f.cik, l.cik) NOT IN (SELECT DISTINCT cik FROM staging.{dataset})
                   ELSE m.ticker NOT IN (SELECT DISTINCT ticker FROM staging.{dataset} WHERE ticker IS NOT NULL)
              END
        ORDER BY m.ticker
        """,
        [list(tickers), ctx.as_of, ctx.as_of],
    ).column("ticker")
    return tuple(found.to_pylist())


def _land_history(ctx: RunContext, dataset: str, lo: date) -> int:
    """Land, as a batch of its own, the filings of index members new to `dataset` from its seed start to the day
    before the night's window; rows landed. Nothing for a seed run or a provider whose batches are not per ticker."""
    if dataset not in FILED_HISTORY or dataset not in getattr(ctx.source(dataset), "scope", {}):
        return 0
    start, end = seed_start(ctx, dataset), lo - timedelta(days=1)
    if end < start:
        return 0
    logger = get_run_logger()
    new = newcomers(ctx, dataset, universe(ctx, dataset) or ())
    if not new:
        return 0
    shown = ", ".join(new[:10]) + (f" and {len(new) - 10} more" if len(new) > 10 else "")
    with ctx.timed(f"extract {dataset} history"):
        try:
            table = extract_step(ctx, dataset, start, end, tickers=new)
        except SourceError as exc:
            # They still have no rows, so the next night asks again.
            logger.error("%s: no history for %d newcomers (%s): %s", dataset, len(new), shown, exc)
            return 0
    if table.num_rows == 0:
        # Nothing filed before the night's window (or every newcomer missing): no empty batch; the next night asks again.
        logger.info(
            "%s: no history %s..%s for the %d index members new to it (%s)", dataset, start, end, len(new), shown
        )
        return 0
    rows = _gate_and_land(ctx, dataset, table, start, end)
    got = len(pc.unique(table.column("ticker"))) if rows else 0
    logger.info(
        "%s: history %s..%s for %d of %d index members new to it (%s): %d rows",
        dataset, start, end, got, len(new), shown, rows,
    )  # fmt: skip
    return rows


@task(retries=3, retry_delay_seconds=[2, 10, 30], retry_condition_fn=_transient, cache_policy=NONE)
def extract(dataset: str, start: date, end: date) -> pa.Table:
    """Fetch one dataset's rows for [start, end] from its configured source."""
    ctx = current()
    source = ctx.source(dataset)
    per_ticker = dataset in getattr(source, "scope", {})
    tickers = universe(ctx, dataset) if per_ticker else None
    if per_ticker and not tickers:
        get_run_logger().warning("%s: no index members known on %s yet; land constituents first", dataset, ctx.as_of)
    table = source.fetch(Request(dataset=dataset, start=start, end=end, tickers=tickers))
    _report_missing(ctx, dataset, getattr(source, "missing", {}).get(dataset) or {}, len(tickers or ()), source.name)
    return table


def _report_missing(ctx: RunContext, dataset: str, missing: dict[str, str], asked: int, provider: str) -> None:
    if missing:
        # A dataset may be asked twice in a run (newcomers' history, then the night): keep both answers.
        ctx.missing.setdefault(dataset, {}).update(missing)
        shown = ", ".join(f"{t} ({why})" for t, why in list(missing.items())[:10])
        get_run_logger().warning(
            "%s: %d of %d tickers missing from %s; the rest landed: %s", dataset, len(missing), asked, provider, shown
        )


# Datasets that come whole even from a per-ticker provider: a handful of option underlyings, each one chain.
WHOLE = frozenset({"options"})


def shard_tickers(ctx: RunContext, source: Source, dataset: str, end: date) -> tuple[str, ...] | None:
    """The tickers a dataset's request is split over, or None where it is fetched in one task.

    Split: what a provider fetches per ticker (its `scope` names the dataset; asked for the index members) and
    the demo's per-ticker datasets (asked for every company it knows, so the shards add up to its whole answer).
    Whole: one payload for the dataset (iShares holdings, FRED rates, option chains, folders of files).
    The model's inputs are not sharded: they are DuckDB queries on the run's working copy, which no other
    process may open while this one writes it, and then one vectorised pass over ~2,500 member rows (the
    implied-ROA solve of 2,000 rows takes under a millisecond, bench/results.json "eea"); shards would add
    task overhead and a copy of the inputs per worker, and save nothing.
    """
    if dataset in WHOLE:
        return None
    if dataset in getattr(source, "scope", {}):
        return universe(ctx, dataset) or None
    if dataset in getattr(source, "per_ticker", ()):
        return tuple(source.all_tickers(end))  # type: ignore[attr-defined]
    return None


def extract_step(
    ctx: RunContext, dataset: str, start: date, end: date, tickers: tuple[str, ...] | None = None
) -> pa.Table:
    """One dataset's rows for [start, end]: one extract task, or one task per shard of tickers on the task runner.

    `tickers` narrows a per-ticker provider's request to those tickers (sharded the same way); None asks for the
    dataset's usual tickers (shard_tickers).

    Shards run on the runner EEA_TASK_RUNNER picks (flows/shards.py) and come back to this process, concatenated
    in shard order, so the batch is the one an unsharded extract gives; validation and landing stay here, with
    the writer. A shard still failing after its retries fails the dataset, except where the provider's batches
    replace per ticker (its `scope`): there its tickers are reported missing and the other shards land.
    """
    source = ctx.source(dataset)
    if tickers is None:
        tickers = shard_tickers(ctx, source, dataset, end)
    if not tickers:
        return extract.with_options(retries=ctx.settings.extract_retries)(dataset, start, end)
    parts = shards(tickers, ctx.settings.shard_size)
    shard_task = extract_shard.with_options(retries=ctx.settings.extract_retries)
    outcomes: list[tuple[pa.Table, dict[str, str]] | SourceError] = []
    with shard_runner(ctx.settings) as (runner, slots):
        settings = shard_settings(ctx.settings, slots)
        futures = [
            runner.submit(
                shard_task,
                {
                    "settings": settings,
                    "run_id": ctx.run.run_id,
                    "dataset": dataset,
                    "start": start,
                    "end": end,
                    "shard": i,
                    "tickers": part,
                },
            )
            for i, part in enumerate(parts)
        ]
        for future in futures:
            try:
                outcomes.append(future.result())
            except SourceError as exc:
                outcomes.append(exc)
    failed = [(part, out) for part, out in zip(parts, outcomes, strict=True) if isinstance(out, SourceError)]
    if failed and (len(failed) == len(parts) or dataset not in getattr(source, "scope", {})):
        raise failed[0][1]
    missing: dict[str, str] = {}
    tables = []
    for part, out in zip(parts, outcomes, strict=True):
        if isinstance(out, SourceError):
            missing.update({t: f"its shard failed after the retries: {out}" for t in part})
        else:
            tables.append(out[0])
            missing.update(out[1])
    _report_missing(ctx, dataset, missing, len(tickers), source.name)
    get_run_logger().info(
        "%s: %d tickers in %d shards on %s", dataset, len(tickers), len(parts), ctx.settings.task_runner
    )
    # One chunk: DuckDB writes the partitions of a many-chunk batch from several threads, in a row order that
    # varies from run to run (and with it the last bits of means over those rows); the same rows must land alike
    # wherever their shards ran.
    return pa.concat_tables(tables).combine_chunks()


def _last_good_rows(ctx: RunContext, dataset: str, table: pa.Table) -> int | None:
    """Rows expected of this batch from the last good one: its rows per partition times this batch's partitions."""
    last = ctx.run.query(
        "SELECT rows, partitions FROM meta.batches WHERE dataset = ? AND rows > 0 ORDER BY landed_at DESC LIMIT 1",
        [dataset],
    ).to_pylist()
    if not last or table.num_rows == 0:
        return None
    part = raw_dataset(dataset).partition
    assert part is not None
    partitions = len(pc.unique(table.column(part)))
    return round(last[0]["rows"] / max(last[0]["partitions"], 1) * partitions)


def _reference(ctx: RunContext, dataset: str, table: pa.Table) -> pd.DataFrame | None:
    """For prices: the previous trading day's bars of the same tickers, to catch a price in cents."""
    if dataset != "prices" or table.num_rows == 0:
        return None
    first = pc.min(table.column("date")).as_py()
    return ctx.run.query(
        "SELECT ticker, date, close FROM staging.prices WHERE date = (SELECT max(date) FROM staging.prices WHERE date < ?)",
        [first],
    ).to_pandas()


@task(cache_policy=NONE)
def validate(dataset: str, table: pa.Table, start: date, end: date) -> ValidationReport:
    """The dataset's suite on the new batch only (Great Expectations); critical failures keep it out of the lake."""
    ctx = current()
    return validate_batch(
        dataset,
        table.to_pandas(),
        batch_id=ctx.run.next_batch_id(dataset),
        as_of=ctx.as_of,
        last_good_rows=_last_good_rows(ctx, dataset, table),
        reference=_reference(ctx, dataset, table),
    )


def record_validation(ctx: RunContext, results: list[dict[str, Any]], outcome: str) -> None:
    """Keep a batch's expectation results for the validation_results mart, with what became of the batch."""
    now = datetime.now(UTC).replace(tzinfo=None)
    for row in results:
        ctx.validation.append(
            {**row, "run_id": ctx.run.run_id, "as_of": ctx.as_of, "outcome": outcome, "validated_at": now}
        )


@task(cache_policy=NONE)
def land(dataset: str, table: pa.Table, start: date, end: date) -> Landed:
    """Write the batch to the lake in the run's working copy, replacing the partitions it covers."""
    ctx = current()
    scope = getattr(ctx.source(dataset), "scope", {}).get(dataset)
    return ctx.run.land(dataset, table, source=ctx.settings.source_for(dataset), window=(start, end), scope=scope)


def _gate_and_land(ctx: RunContext, dataset: str, table: pa.Table, lo: date, hi: date) -> int:
    """Validate one batch and land it, or quarantine it whole; rows landed (0 when quarantined)."""
    logger = get_run_logger()
    with ctx.timed(f"validate {dataset}"):
        report = validate(dataset, table, lo, hi)
    if not report.passed:
        batch_id = ctx.run.quarantine(
            dataset,
            table,
            source=ctx.settings.source_for(dataset),
            window=(lo, hi),
            report={"batch_id": report.batch_id, "results": report.results, "summary": report.summary()},
        )
        ctx.quarantined[dataset] = batch_id
        record_validation(ctx, report.results, "quarantined")
        logger.error(
            "%s: batch %s quarantined, nothing of it landed; marts use the last good data. %s",
            dataset, batch_id, report.summary(),
        )  # fmt: skip
        return 0
    if report.failures("warning"):
        logger.warning("%s: %s", dataset, report.summary())
    with ctx.timed(f"land {dataset}"):
        landed = land(dataset, table, lo, hi)
    record_validation(ctx, report.results, "landed")
    ctx.landed[dataset] = ctx.landed.get(dataset, 0) + landed.rows
    logger.info(
        "%s: landed %d rows in %d partitions for %s..%s (batch %s)",
        dataset, landed.rows, landed.partitions, lo, hi, landed.batch_id,
    )  # fmt: skip
    return landed.rows


def land_datasets(datasets: tuple[str, ...], start: date | None = None, end: date | None = None) -> dict[str, int]:
    """Extract and land each dataset in turn; rows landed per dataset.

    A nightly (no start or end given) first lands the history of index members new to a dataset in FILED_HISTORY
    (_land_history), as a batch of its own, then the night's window for every member.
    """
    ctx = current()
    logger = get_run_logger()
    out = {}
    for dataset in datasets:
        lo, hi = window(ctx, dataset, start)
        if end is not None:
            hi = end
        history = _land_history(ctx, dataset, lo) if start is None and end is None else 0
        with ctx.timed(f"extract {dataset}"):
            try:
                table = extract_step(ctx, dataset, lo, hi)
            except SourceError as exc:
                # The provider is down for the whole dataset: the rest of the run goes on, and the marts
                # that read this dataset say how old their inputs are (inputs_as_of).
                ctx.failed[dataset] = str(exc)
                logger.error("%s: nothing landed, the provider failed after its retries: %s", dataset, exc)
                out[dataset] = history
                continue
        out[dataset] = history + _gate_and_land(ctx, dataset, table, lo, hi)
    step(f"landed {', '.join(datasets)}")
    return out


def _publish_validation(ctx: RunContext) -> None:
    """Append this run's expectation results to validation_results, and show the failures as a Prefect artifact."""
    columns = list(mart("validation_results").column_names)
    new = pd.DataFrame(ctx.validation)
    for col in columns:
        if col not in new:
            new[col] = None
    new = new[columns]
    exists = (
        ctx.run.query(
            "SELECT count(*) AS n FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = 'validation_results'"
        )
        .column("n")[0]
        .as_py()
    )
    old = ctx.run.query("SELECT * FROM validation_results").to_pandas() if exists else pd.DataFrame(columns=columns)
    ctx.run.rebuild("validation_results", pd.concat([f for f in (old, new) if len(f)], ignore_index=True))
    failed = new[~new["success"].astype(bool)]
    docs = None
    with ctx.timed("data docs"):
        try:
            docs = build_docs(ctx.settings.data_dir / "validation" / "docs")
        except Exception as exc:  # the report is a convenience: a docs failure must not stop the publish
            get_run_logger().warning("validation: Data Docs were not built: %s", exc)
    lines = [f"# Validation, run {ctx.run.run_id} (as of {ctx.as_of})", ""]
    if docs is not None:
        lines += [f"Data Docs: [{docs}](file://{docs})", ""]
    if ctx.quarantined:
        lines += ["Quarantined batches (nothing of them landed; `eea quarantine list`):", ""]
        lines += [f"- **{d}**: `{b}`" for d, b in ctx.quarantined.items()] + [""]
    if len(failed):
        lines += ["| dataset | batch | expectation | severity | unexpected | sample |", "|---|---|---|---|---|---|"]
        for r in failed.head(50).itertuples(index=False):
            lines.append(
                f"| {r.dataset} | {r.batch_id} | {r.expectation} | {r.severity} | {r.unexpected_count} | {r.unexpected_sample} |"
            )
    else:
        lines.append("Every expectation passed.")
    with contextlib.suppress(Exception):  # outside a flow run there is nowhere to put it
        create_markdown_artifact(markdown="\n".join(lines), key="validation", description="validation gate")


def finish(ctx: RunContext) -> dict[str, Any]:
    """Publish the run and say what it did."""
    if ctx.validation:
        with ctx.timed("validation results"):
            _publish_validation(ctx)
    with ctx.timed("publish"):
        path = ctx.run.publish()
    step("published")
    from flows.after_publish import after_publish

    written = after_publish(ctx)
    return {
        "run_id": ctx.run.run_id,
        "kind": ctx.kind,
        "as_of": ctx.as_of.isoformat(),
        "warehouse": str(path),
        "chart": written.get("chart"),
        "written": written,
        "rows": dict(ctx.run.rows),
        "timings": {k: round(v, 3) for k, v in ctx.timings.items()},
        "missing": {k: sorted(v) for k, v in ctx.missing.items()},
        "quarantined": dict(ctx.quarantined),
        "failed": dict(ctx.failed),
        "flow_started": ctx.started,
        "flow_body_seconds": time.perf_counter() - ctx.started,
    }


def _dataset_flow(name: str, as_of: date | None, start: date | None) -> dict[str, Any]:
    with run_scope(name, as_of) as (ctx, owner):
        with ctx.timed(f"flow {name}"):
            landed = land_datasets(FLOW_DATASETS[name], start)
        if not owner:
            return {"landed": landed}
        build_marts(marts_for(FLOW_DATASETS[name]))
        return finish(ctx)


@flow(name="rates")
def rates(as_of: date | None = None, start: date | None = None) -> dict[str, Any]:
    """Land the 10-year Treasury yield (risk-free rate) up to as_of."""
    return _dataset_flow("rates", as_of, start)


@flow(name="prices")
def prices(as_of: date | None = None, start: date | None = None) -> dict[str, Any]:
    """Land daily price bars with splits and dividends up to as_of."""
    return _dataset_flow("prices", as_of, start)


@flow(name="constituents")
def constituents(as_of: date | None = None, start: date | None = None) -> dict[str, Any]:
    """Land index holdings snapshots up to as_of."""
    return _dataset_flow("constituents", as_of, start)


@flow(name="fundamentals")
def fundamentals(as_of: date | None = None, start: date | None = None) -> dict[str, Any]:
    """Land SEC facts, shares outstanding and company reference data filed up to as_of."""
    return _dataset_flow("fundamentals", as_of, start)


@flow(name="estimates")
def estimates(as_of: date | None = None, start: date | None = None) -> dict[str, Any]:
    """Land analyst consensus snapshots up to as_of."""
    return _dataset_flow("estimates", as_of, start)


@flow(name="transcripts")
def transcripts(as_of: date | None = None, start: date | None = None) -> dict[str, Any]:
    """Land earnings-call transcripts held up to as_of."""
    return _dataset_flow("transcripts", as_of, start)


@flow(name="options")
def options(as_of: date | None = None, start: date | None = None) -> dict[str, Any]:
    """Land option-chain snapshots (IWM, SPY) up to as_of."""
    return _dataset_flow("options", as_of, start)


DATASET_FLOWS = {
    "constituents": constituents,
    "rates": rates,
    "prices": prices,
    "fundamentals": fundamentals,
    "estimates": estimates,
    "transcripts": transcripts,
    "options": options,
}
