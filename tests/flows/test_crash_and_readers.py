"""Real runs in another process: SIGKILL at several points leaves the published warehouse as it was; readers are never blocked or shown half a run."""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest

from flows.nightly import nightly
from tests.flows.support import subprocess_env
from warehouse.store import published_path

pytestmark = pytest.mark.xdist_group("prefect-b")

ROOT = Path(__file__).resolve().parents[2]
FIRST = date(2025, 6, 30)
NEXT = date(2025, 7, 31)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def start_run(data_dir: Path, prefect_api: str, as_of: date, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "flows.cli", "run", "--as-of", as_of.isoformat()],
        cwd=ROOT,
        env=subprocess_env(data_dir, prefect_api, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for_phase(data_dir: Path, proc: subprocess.Popen, phase: str, timeout: float = 240) -> bool:
    """Poll the run log until the running run reaches `phase`; False if the process ended first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        for log in (data_dir / "runs").glob("*.json"):
            try:
                record = json.loads(log.read_text())
            except (OSError, json.JSONDecodeError):
                continue
            if record.get("state") == "running" and str(record.get("phase", "")).startswith(phase):
                return True
        time.sleep(0.005)
    raise AssertionError(f"run never reached phase {phase!r}")


def published_state(data_dir: Path) -> tuple[str, list[tuple]]:
    """The published file's digest, and what a reader sees (proving every lake file it names is there)."""
    con = duckdb.connect(str(published_path(data_dir)), read_only=True)
    try:
        seen = con.execute(
            "SELECT (SELECT max(as_of) FROM pipeline_runs WHERE state = 'published'), "
            "(SELECT count(*) FROM raw.prices), (SELECT count(*) FROM daily_prices), "
            "(SELECT max(date) FROM daily_prices)"
        ).fetchall()
    finally:
        con.close()
    return digest(published_path(data_dir)), seen


KILL_POINTS = ["copying", "landing prices", "landing options", "building daily_prices"]


def test_sigkill_at_each_point_leaves_the_published_warehouse_as_it_was(tiny_env: Path, prefect_api: str) -> None:
    nightly(as_of=FIRST)
    before = published_state(tiny_env)
    for phase in KILL_POINTS:
        proc = start_run(tiny_env, prefect_api, NEXT)
        reached = wait_for_phase(tiny_env, proc, phase)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert reached, f"the run finished before reaching {phase!r}: {proc.stdout.read() if proc.stdout else ''}"
        assert published_state(tiny_env) == before, f"killed while {phase}, the published warehouse changed"
        assert list((tiny_env / "work").iterdir()), "the killed run should have left its working copy behind"

    result = nightly(as_of=NEXT)  # the next run completes and records the dead ones
    digest_after, seen = published_state(tiny_env)
    assert seen[0][0] == NEXT and seen[0][3] == NEXT
    assert digest_after != before[0]
    con = duckdb.connect(str(published_path(tiny_env)), read_only=True)
    try:
        states = dict(con.execute("SELECT state, count(*) FROM pipeline_runs GROUP BY state").fetchall())
        mine = con.execute("SELECT state FROM pipeline_runs WHERE run_id = ?", [result["run_id"]]).fetchone()
        errors = [r[0] for r in con.execute("SELECT error FROM pipeline_runs WHERE state = 'crashed'").fetchall()]
    finally:
        con.close()
    assert states == {"published": 2, "crashed": len(KILL_POINTS)} and mine == ("published",)
    assert sorted(any(p in e for e in errors) for p in KILL_POINTS) == [True] * len(KILL_POINTS)
    assert [p.name for p in (tiny_env / "work").iterdir()] == []
    # no file of a killed run is left in the lake
    live = {p.name for p in (tiny_env / "lake").rglob("*.parquet")}
    con = duckdb.connect(str(published_path(tiny_env)), read_only=True)
    try:
        crashed_ids = [r[0] for r in con.execute("SELECT run_id FROM pipeline_runs WHERE state = 'crashed'").fetchall()]
    finally:
        con.close()
    assert not [name for name in live if any(name.startswith(run_id) for run_id in crashed_ids)]


def test_readers_are_never_blocked_and_see_one_whole_state(tiny_env: Path, prefect_api: str) -> None:
    nightly(as_of=FIRST)
    long_lived = duckdb.connect(str(published_path(tiny_env)), read_only=True)
    proc = start_run(tiny_env, prefect_api, NEXT)
    seen: set[tuple] = set()
    reads = 0
    try:
        while proc.poll() is None:
            # a fresh read-only connection each time, as a BI tool opening the file would
            con = duckdb.connect(str(published_path(tiny_env)), read_only=True)
            try:
                row = con.execute(
                    "SELECT (SELECT max(as_of) FROM pipeline_runs WHERE state = 'published'), "
                    "(SELECT max(date) FROM daily_prices), (SELECT max(date) FROM raw.prices), "
                    "(SELECT max(as_of) FROM index_membership JOIN meta.table_builds ON table_name = 'index_membership')"
                ).fetchone()
            finally:
                con.close()
            assert row is not None
            run_as_of, mart_max, raw_max, built = row
            assert run_as_of == mart_max == raw_max == built, f"a mix of two runs: {row}"
            seen.add(row)
            reads += 1
            # the connection opened before the run keeps answering from its own snapshot
            assert long_lived.execute("SELECT max(date) FROM daily_prices").fetchone() == (FIRST,)
        output = proc.stdout.read() if proc.stdout else ""
        assert proc.returncode == 0, output
    finally:
        long_lived.close()
    assert reads > 5
    final = duckdb.connect(str(published_path(tiny_env)), read_only=True)
    try:
        assert final.execute("SELECT max(date) FROM daily_prices").fetchone() == (NEXT,)
    finally:
        final.close()
    assert {r[0] for r in seen} <= {FIRST, NEXT}
    assert "Published warehouse:" in output and "Query it:" in output
