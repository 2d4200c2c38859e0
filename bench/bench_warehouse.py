"""W-nightly and W-backfill at full demo size: a seeding nightly, the next day's nightly, and 10 years of prices landed vs DuckDB's own COPY."""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AS_OF = date(2026, 11, 24)
NEXT = date(2026, 11, 25)


def _worker(data_dir: Path, *args: str, **env: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "bench.worker", *args],
        cwd=ROOT,
        env={**os.environ, "EEA_DATA_DIR": str(data_dir), **env},
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark run failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _nightly() -> dict:
    data_dir = Path(tempfile.mkdtemp(prefix="eea-bench-nightly-"))
    try:
        seed = _worker(data_dir, "nightly", AS_OF.isoformat())
        nightly = _worker(data_dir, "nightly", NEXT.isoformat())
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    keep = ("process_seconds", "startup_seconds", "flow_body_seconds", "peak_rss_mb", "timings", "rows")
    return {
        "universe": "2000 small + 500 large (demo defaults)",
        "seed_on_empty_warehouse": {k: seed[k] for k in keep},
        "nightly_next_day": {k: nightly[k] for k in keep},
    }


def _backfill_prices() -> dict:
    import duckdb

    from sources.base import Request
    from sources.demo import DemoSource
    from warehouse.store import WarehouseRun

    start = date(2016, 11, 25)
    source = DemoSource()
    t = time.perf_counter()
    table = source.fetch(Request("prices", start, AS_OF))
    generate = time.perf_counter() - t
    rows = table.num_rows

    data_dir = Path(tempfile.mkdtemp(prefix="eea-bench-backfill-"))
    try:
        # DuckDB's own speed on the same rows, same layout and compression: the baseline.
        con = duckdb.connect()
        con.register("t", table)
        (data_dir / "copy").mkdir()
        t = time.perf_counter()
        con.execute(
            f"COPY t TO '{data_dir / 'copy'}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (date), "
            "WRITE_PARTITION_COLUMNS true)"
        )
        baseline = time.perf_counter() - t
        con.close()

        t = time.perf_counter()
        with WarehouseRun(data_dir / "wh", kind="bench", as_of=AS_OF) as run:
            run.land("prices", table, source="demo", window=(start, AS_OF))
            land = time.perf_counter() - t
            run.publish()
        land_and_publish = time.perf_counter() - t
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    return {
        "rows": rows,
        "demo_generation_seconds": round(generate, 2),
        "duckdb_copy_seconds": round(baseline, 2),
        "duckdb_copy_rows_per_second": round(rows / baseline),
        "land_seconds": round(land, 2),
        "land_rows_per_second": round(rows / land),
        "land_and_publish_seconds": round(land_and_publish, 2),
        "land_speed_vs_duckdb_copy": round(baseline / land, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def run() -> dict:
    return {"W-nightly": _nightly(), "W-backfill": _backfill_prices()}


if __name__ == "__main__":
    print(json.dumps(run(), indent=1))
