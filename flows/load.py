"""Load downloaded payloads through the same parser, landing path and mart rebuild as a nightly run, then publish."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from prefect import flow, get_run_logger

from flows.datasets import finish, record_validation
from flows.marts import build_marts, marts_for
from flows.runtime import run_scope
from sources.base import SourceError
from sources.connectors import _PerTicker
from sources.files import parse_payloads
from warehouse.ddl import raw_dataset
from warehouse.validation import validate_batch


@flow(name="load")
def load(
    dataset: str,
    provider: str,
    files: list[str],
    as_of: date | None = None,
    ticker: str | None = None,
    downloaded: date | None = None,
) -> dict[str, Any]:
    """Parse the files (all of them, before anything is written), land them, rebuild their marts, publish.

    A prices file that cannot land (its basis unknown, or unreadable) is refused with a one-line reason in the
    log and in the result's `refused`, and the others go on: each replaces only its own ticker's rows.
    `downloaded` is the day Stooq or Cboe files were fetched, the day their adjusted bars are on the basis of.
    """
    payloads = []
    for name in files:
        path = Path(name)
        if not path.is_file():
            raise SourceError(f"{provider}: {name} is not a file")
        payloads.append((str(path), path.read_bytes()))
    with run_scope("load", as_of) as (ctx, _owner):
        refused: list[str] = []
        tables = parse_payloads(
            dataset, provider, payloads, as_of=ctx.as_of, ticker=ticker, downloaded=downloaded, refused=refused
        )
        logger = get_run_logger()
        for reason in refused:
            logger.warning("refused: %s", reason)
        for name, table in tables.items():
            part = raw_dataset(name).partition
            assert part is not None
            if table.num_rows == 0:
                logger.warning("%s: the files hold no %s rows", provider, name)
                continue
            # Nothing dated after as_of lands: point in time holds for loads too.
            table = table.filter(pc.less_equal(table.column(part), pa.scalar(ctx.as_of, pa.date32())))
            if table.num_rows == 0:
                continue
            report = validate_batch(name, table.to_pandas(), batch_id=ctx.run.next_batch_id(name), as_of=ctx.as_of)
            if not report.passed:
                # A file someone hands over is refused outright, with why; nothing is published.
                raise SourceError(
                    f"{provider}: the {name} in {', '.join(files)} fail the validation gate: {report.summary()}"
                )
            record_validation(ctx, report.results, "landed")
            lo, hi = pc.min(table.column(part)).as_py(), pc.max(table.column(part)).as_py()
            scope = _PerTicker.scope.get(name) if name != "constituents" else None
            landed = ctx.run.land(name, table, source=provider, window=(lo, hi), scope=scope)
            ctx.landed[name] = landed.rows
            logger.info(
                "%s: loaded %d rows of %s for %s..%s from %d files", provider, landed.rows, name, lo, hi, len(files)
            )
        if not ctx.landed:
            why = f"; refused: {' | '.join(refused)}" if refused else ""
            raise SourceError(
                f"{provider}: nothing to load from {len(files)} files for {dataset} on or before {ctx.as_of}{why}"
            )
        build_marts(marts_for(ctx.landed))
        result = finish(ctx)
        if refused:
            result["refused"] = refused
        return result
