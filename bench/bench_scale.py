"""Scale: a nightly and a month's backfill at 2,500 to 20,000 tickers, in-process and on Dask: wall time and peak memory.

Run only when asked (`python -m bench.run scale`; it takes long). Each (size, runner) gets a fresh data
directory: a seeding nightly for AS_OF with HISTORY_YEARS of history, then a backfill of the month BACKFILL
before it, each in its own process (bench.worker, the same flows `eea run` and `eea backfill` call).
"Tickers" is the demo's setting, EEA_UNIVERSE_SMALL + EEA_UNIVERSE_LARGE at 4:1; the market the demo
simulates holds about twice as many companies over its history (listed, delisted, never in an index),
and the per-ticker datasets are sharded over all of them.

Peak memory is of the whole process tree (the run, its temporary Prefect server, the Dask scheduler and
workers), sampled every 0.2 s: the sum of resident sets, which counts pages shared between processes
more than once, so it errs high. A run whose tree passes MEMORY_CEILING_MB is stopped and recorded as such.
EEA_BENCH_SCALE_SIZES (e.g. "2500,5000") runs a subset of the sizes, EEA_BENCH_SCALE_RUNNERS (e.g. "process") of the runners.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
SIZES = (2_500, 5_000, 10_000, 20_000)
RUNNERS = ("process", "dask")
AS_OF = date(2025, 6, 30)
BACKFILL = (date(2024, 5, 1), date(2024, 5, 31))
HISTORY_YEARS = 1  # a year of prices and fundamentals (and of options, 4 quarters of calls): the 20,000 run finishes
SAMPLE_SECONDS = 0.2
MEMORY_CEILING_MB = 20_000  # the machine has 24 GB and is shared: stop a run before it takes all of it
TIMEOUT_SECONDS = 3 * 3600


def _default(field: str) -> Any:
    from config.settings import Settings

    return Settings.model_fields[field].default


def _tree_rss_mb(proc: psutil.Process) -> tuple[float, float]:
    """Resident memory of the process and of the process with all its descendants, in MB."""
    main = proc.memory_info().rss
    total = main
    for child in proc.children(recursive=True):
        try:
            total += child.memory_info().rss
        except psutil.Error:  # gone between listing and reading
            continue
    return main / 2**20, total / 2**20


def _measure(args: list[str], env: dict[str, str], log: Path) -> dict[str, Any]:
    """Run `python -m bench.worker *args` and sample its process tree; its JSON result plus wall time and peaks."""
    started = time.perf_counter()
    with open(log.with_suffix(".out"), "w") as out, open(log.with_suffix(".err"), "w") as err:
        popen = subprocess.Popen(
            [sys.executable, "-m", "bench.worker", *args], cwd=ROOT, env=env, stdout=out, stderr=err
        )
        proc = psutil.Process(popen.pid)
        peak_main = peak_tree = 0.0
        stopped = None
        while popen.poll() is None:
            try:
                main, tree = _tree_rss_mb(proc)
            except psutil.Error:
                break
            peak_main, peak_tree = max(peak_main, main), max(peak_tree, tree)
            elapsed = time.perf_counter() - started
            if tree > MEMORY_CEILING_MB or elapsed > TIMEOUT_SECONDS:
                stopped = f"stopped at {tree:.0f} MB after {elapsed:.0f} s"
                for child in proc.children(recursive=True):
                    child.kill()
                popen.kill()
                break
            time.sleep(SAMPLE_SECONDS)
        popen.wait()
    wall = time.perf_counter() - started
    row: dict[str, Any] = {
        "wall_seconds": round(wall, 2),
        "peak_rss_tree_mb": round(peak_tree, 1),
        "peak_rss_main_mb": round(peak_main, 1),
    }
    if stopped or popen.returncode != 0:
        tail = log.with_suffix(".err").read_text()[-2000:]
        return {**row, "error": stopped or f"exit {popen.returncode}: {tail}"}
    result = json.loads(log.with_suffix(".out").read_text().strip().splitlines()[-1])
    timings: dict[str, float] = result["timings"]
    steps: dict[str, float] = {}
    for step, seconds in timings.items():
        if step.startswith("flow "):  # flows nest the steps below; counting both would count twice
            continue
        kind = (
            step.split(" ")[0] if step.split(" ")[0] in ("extract", "validate", "land", "build", "model") else "other"
        )
        steps[kind] = steps.get(kind, 0.0) + seconds
    return {
        **row,
        "flow_body_seconds": round(result["flow_body_seconds"], 2),
        "startup_seconds": round(result["startup_seconds"], 2),
        "steps_seconds": {k: round(v, 2) for k, v in sorted(steps.items())},
        "extract_seconds": {k.removeprefix("extract "): v for k, v in timings.items() if k.startswith("extract ")},
        "raw_rows": sum(v for k, v in result["rows"].items() if k.startswith("raw.")),
        "missing": result["missing"],
        "failed": result["failed"],
    }


def _warm(home: Path) -> None:
    """Migrate the shared Prefect home once, so no measured run pays the temporary server's first start."""
    code = "import flows\nfrom prefect import flow\nflow(name='warm')(lambda: None)()\n"
    env = {**os.environ, "PREFECT_HOME": str(home)}
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True)


def _ratios(rows: list[dict[str, Any]], sizes: list[int]) -> list[dict[str, Any]]:
    """Per-ticker cost at each size over that at the size before (1.0 is a straight line; below 1, economies of scale)."""
    out = []
    for runner in RUNNERS:
        for kind in ("nightly", "backfill"):
            by_size = {
                r["tickers"]: r for r in rows if r["runner"] == runner and r["kind"] == kind and "error" not in r
            }
            have = [s for s in sizes if s in by_size]
            for a, b in itertools.pairwise(have):
                ra, rb = by_size[a], by_size[b]
                out.append(
                    {
                        "runner": runner,
                        "kind": kind,
                        "from_tickers": a,
                        "to_tickers": b,
                        "flow_body_per_ticker_ratio": round(
                            (rb["flow_body_seconds"] / b) / (ra["flow_body_seconds"] / a), 3
                        ),
                        "wall_per_ticker_ratio": round((rb["wall_seconds"] / b) / (ra["wall_seconds"] / a), 3),
                        "memory_per_ticker_ratio": round(
                            (rb["peak_rss_tree_mb"] / b) / (ra["peak_rss_tree_mb"] / a), 3
                        ),
                    }
                )
    return out


def run(sizes: tuple[int, ...] | None = None) -> dict[str, Any]:
    from flows.shards import THREADS

    wanted = os.environ.get("EEA_BENCH_SCALE_SIZES")
    chosen = sorted(sizes or (tuple(int(s) for s in wanted.split(",")) if wanted else SIZES))
    work = Path(tempfile.mkdtemp(prefix="eea-bench-scale-"))
    home = work / "prefect-home"
    rows: list[dict[str, Any]] = []
    try:
        _warm(home)
        for size in chosen:
            small, large = size * 4 // 5, size // 5
            runners = os.environ.get("EEA_BENCH_SCALE_RUNNERS")
            for runner in tuple(runners.split(",")) if runners else RUNNERS:
                data_dir = work / f"{size}-{runner}"
                env = {
                    **os.environ,
                    "PREFECT_HOME": str(home),
                    "EEA_DATA_DIR": str(data_dir),
                    "EEA_UNIVERSE_SMALL": str(small),
                    "EEA_UNIVERSE_LARGE": str(large),
                    "EEA_HISTORY_YEARS": str(HISTORY_YEARS),
                    "EEA_OPTIONS_HISTORY_YEARS": str(HISTORY_YEARS),
                    "EEA_TRANSCRIPT_QUARTERS": str(4 * HISTORY_YEARS),
                    "EEA_TASK_RUNNER": runner,
                }
                jobs = {
                    "nightly": ["nightly", AS_OF.isoformat()],
                    "backfill": ["backfill", BACKFILL[0].isoformat(), BACKFILL[1].isoformat()],
                }
                for kind, args in jobs.items():
                    print(f"   {size} tickers, {runner}, {kind}", flush=True)
                    row = _measure(args, env, work / f"{size}-{runner}-{kind}")
                    rows.append(
                        {"tickers": size, "small": small, "large": large, "runner": runner, "kind": kind, **row}
                    )
                    print(f"   -> {json.dumps({k: v for k, v in row.items() if not isinstance(v, dict)})}", flush=True)
                shutil.rmtree(data_dir, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {
        "as_of": AS_OF.isoformat(),
        "backfill": [d.isoformat() for d in BACKFILL],
        "history_years": HISTORY_YEARS,
        "sizes": chosen,
        "settings": {
            "shard_size": int(os.environ.get("EEA_SHARD_SIZE", _default("shard_size"))),
            "dask_workers": int(os.environ.get("EEA_DASK_WORKERS", _default("dask_workers"))),
            "dask_threads_per_worker": 1,
            "in_process_threads": THREADS,
        },
        "machine": f"{os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GB",
        "rows": rows,
        "per_ticker_cost": _ratios(rows, chosen),
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=1))
