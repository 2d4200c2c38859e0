"""Release a quarantined batch (it lands as if it had just arrived) or drop it."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from prefect import flow, get_run_logger

from flows.datasets import finish, record_validation
from flows.marts import build_marts, marts_for
from flows.runtime import run_scope
from sources.connectors import _PerTicker
from warehouse.store import WarehouseError, quarantined


def find(data_dir: Path, batch_id: str) -> dict[str, Any]:
    """The quarantine record of a batch; WarehouseError naming the batches there are if it is not one of them."""
    records = quarantined(data_dir)
    for record in records:
        if record["batch_id"] == batch_id:
            return record
    known = ", ".join(r["batch_id"] for r in records) or "none"
    raise WarehouseError(f"no quarantined batch {batch_id!r}; quarantined batches: {known}")


@flow(name="release")
def release(batch_id: str, as_of: date | None = None) -> dict[str, Any]:
    """Land a quarantined batch whole, through the same write path, rebuild what depends on it, publish, then clear it."""
    with run_scope("release", as_of) as (ctx, _owner):
        record = find(ctx.settings.data_dir, batch_id)
        dataset = record["dataset"]
        table = pq.read_table(record["_parquet"])
        lo, hi = (date.fromisoformat(d) for d in record["window"])
        scope = (
            _PerTicker.scope.get(dataset)
            if record.get("source") in {"yahoo", "stooq", "cboe", "sec", "sec_fsds", "fmp"}
            else None
        )
        landed = ctx.run.land(dataset, table, source=record["source"], window=(lo, hi), scope=scope)
        ctx.landed[dataset] = landed.rows
        record_validation(ctx, record.get("results", []), "released")
        get_run_logger().info(
            "released %s: %d rows of %s landed as %s", batch_id, landed.rows, dataset, landed.batch_id
        )
        build_marts(marts_for([dataset]))
        result = finish(ctx)
    for suffix in (".parquet", ".json"):
        Path(record["_parquet"]).with_suffix(suffix).unlink(missing_ok=True)
    return result


def drop(data_dir: Path, batch_id: str) -> dict[str, Any]:
    """Delete a quarantined batch and its report for good."""
    record = find(data_dir, batch_id)
    for suffix in (".parquet", ".json"):
        Path(record["_parquet"]).with_suffix(suffix).unlink(missing_ok=True)
    return record
