"""prefect.yaml on a real local Prefect server: deploy, trigger the ad-hoc run, a process worker runs it from the checkout and publishes; the nightly is scheduled after the close in New York and skips NYSE holidays."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import suppress
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from config.settings import NEW_YORK
from flows.nightly import scheduled_day, session_skip_reason
from tests.flows.support import SMALL
from warehouse.store import connect_readonly

# Its own server and worker, not the session's test harness.
pytestmark = pytest.mark.xdist_group("deploy")

ROOT = Path(__file__).resolve().parents[2]
PREFECT = ROOT / ".venv" / "bin" / "prefect"
AS_OF = date(2025, 6, 30)
POOL = "eea-process"
FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def test_a_trading_days_only_run_skips_days_without_an_nyse_session() -> None:
    holiday = session_skip_reason(date(2025, 7, 4))
    assert holiday is not None and "2025-07-04" in holiday and "holiday" in holiday
    weekend = session_skip_reason(date(2025, 7, 5))
    assert weekend is not None and "weekend" in weekend
    assert session_skip_reason(date(2025, 7, 3)) is None  # the half day before Independence Day is a session
    assert session_skip_reason(date(2026, 11, 27)) is None  # so is the day after Thanksgiving
    assert session_skip_reason(date(2026, 11, 26)) is not None
    # outside a flow run, the day is today in New York (a scheduled run uses its scheduled time instead)
    assert scheduled_day() in {datetime.now(NEW_YORK).date(), date.fromordinal(datetime.now(NEW_YORK).toordinal() - 1)}


class Processes:
    """Subprocesses started in their own process groups, each group stopped on exit (SIGINT, then SIGKILL)."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        with (self.logs / f"{name}.log").open("wb") as log:
            proc = subprocess.Popen(
                [str(PREFECT), *args],
                cwd=ROOT,
                env=env or self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started.append(proc)
        return proc

    def run(self, name: str, *args: str, timeout: float, env: dict[str, str] | None = None) -> str:
        """Run a prefect command to its end; its output, or a failure showing it."""
        proc = self.start(name, *args, env=env)
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop(proc)
            raise AssertionError(f"prefect {' '.join(args)} took over {timeout} s:\n{self.log(name)}") from None
        assert code == 0, f"prefect {' '.join(args)} exited {code}:\n{self.log(name)}"
        return self.log(name)

    def log(self, name: str, tail: int = 6000) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")[-tail:]

    @staticmethod
    def stop(proc: subprocess.Popen[bytes]) -> None:
        """SIGINT to the process group (a worker may ignore SIGTERM for 30 s), then SIGKILL to what is left of it."""
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGINT)
        with suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=15)
        # Even when the leader is gone: a worker's flow-run process lives in the worker's group.
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        with suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)

    def stop_all(self) -> None:
        for proc in reversed(self.started):
            self.stop(proc)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[httpx.Client, Processes]]:
    """A real Prefect server (SQLite in tmp, a free port) with the eea-process pool; every process stopped after."""
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    # Nothing inherited may point at another server, Prefect home or data directory.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "EEA_"))}
    env |= {
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_API_URL": api,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_LOGGING_LEVEL": "INFO",
        # The scheduler visits deployments every second, so the nightly's cron runs appear at once.
        "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "1",
        # A run not given its own data directory (e.g. the nightly's cron firing mid-test) lands here, small,
        # never in the checkout's data/.
        "EEA_DATA_DIR": str(tmp_path / "worker-data"),
        **SMALL,
    }
    logs = tmp_path / "logs"
    logs.mkdir()
    procs = Processes(env, logs)
    client = httpx.Client(base_url=api, timeout=30)
    try:
        srv = procs.start("server", "server", "start", "--host", "127.0.0.1", "--port", str(port), "--no-ui")
        deadline = time.monotonic() + 90  # a fresh database migrates in ~10-25 s
        while True:
            assert srv.poll() is None, f"the Prefect server exited {srv.returncode}:\n{procs.log('server')}"
            with suppress(httpx.HTTPError):
                if client.get("/health").status_code == 200:
                    break
            assert time.monotonic() < deadline, f"the Prefect server never became healthy:\n{procs.log('server')}"
            time.sleep(0.5)
        procs.run("pool", "--no-prompt", "work-pool", "create", POOL, "--type", "process", timeout=60)
        yield client, procs
    finally:
        client.close()
        procs.stop_all()


def deployment(client: httpx.Client, name: str) -> dict[str, Any]:
    response = client.get(f"/deployments/name/{name}")
    response.raise_for_status()
    return dict(response.json())


def flow_run(client: httpx.Client, run_id: str) -> dict[str, Any]:
    response = client.get(f"/flow_runs/{run_id}")
    response.raise_for_status()
    return dict(response.json())


def run_logs(client: httpx.Client, run_id: str) -> list[str]:
    response = client.post("/logs/filter", json={"logs": {"flow_run_id": {"any_": [run_id]}}, "limit": 200})
    response.raise_for_status()
    return [str(r["message"]) for r in response.json()]


def test_deployed_adhoc_run_publishes_and_the_nightly_is_scheduled_after_the_close(
    server: tuple[httpx.Client, Processes], tmp_path: Path
) -> None:
    client, procs = server
    # A process worker polling every second, started now so that its start-up overlaps the deploy.
    worker = procs.start(
        "worker", "worker", "start", "--pool", POOL, env={**procs.env, "PREFECT_WORKER_QUERY_SECONDS": "1"}
    )
    out = procs.run("deploy", "--no-prompt", "deploy", "--all", timeout=150)
    assert "nightly/nightly" in out and "backfill/backfill" in out and "nightly/adhoc" in out

    # Every deployment runs the checkout it was deployed from, with the checkout's own Python.
    nightly = deployment(client, "nightly/nightly")
    for name in ("nightly/nightly", "backfill/backfill", "nightly/adhoc"):
        spec = deployment(client, name)
        assert spec["work_pool_name"] == POOL
        assert spec["pull_steps"] == [{"prefect.deployments.steps.set_working_directory": {"directory": str(ROOT)}}]
        assert spec["job_variables"]["command"] == f"{ROOT}/.venv/bin/python -m prefect.engine"
    [schedule] = nightly["schedules"]
    assert schedule["active"] and schedule["parameters"] == {"trading_days_only": True}
    assert schedule["schedule"]["cron"] == "30 18 * * 1-5"
    assert schedule["schedule"]["timezone"] == "America/New_York"
    assert nightly["parameters"] == {}  # a run started by hand is never skipped
    assert deployment(client, "backfill/backfill")["schedules"] == []

    # A scheduled nightly for Independence Day, picked up late (as the scheduler makes it, with the schedule's
    # parameters): it must skip, judged by its scheduled day, not by the day it happens to start.
    holiday_data = tmp_path / "holiday-data"
    response = client.post(
        f"/deployments/{nightly['id']}/create_flow_run",
        json={
            "parameters": {"trading_days_only": True},
            "state": {"type": "SCHEDULED", "state_details": {"scheduled_time": "2025-07-04T22:30:00Z"}},
            "job_variables": {"env": {"EEA_DATA_DIR": str(holiday_data)}},
        },
    )
    response.raise_for_status()
    holiday_id = str(response.json()["id"])
    # The ad-hoc run, as a user would start it: a small demo market in its own data directory via the run's env.
    job_data = tmp_path / "job-data"
    job_env = {**SMALL, "EEA_DATA_DIR": str(job_data)}
    out = procs.run(
        "trigger",
        "--no-prompt",
        "deployment",
        "run",
        "nightly/adhoc",
        "--param",
        f"as_of={AS_OF.isoformat()}",
        "--job-variable",
        f"env={json.dumps(job_env)}",
        timeout=60,
    )
    found = re.search(r"UUID: ([0-9a-f-]{36})", out)
    assert found, out
    adhoc_id = found.group(1)

    deadline = time.monotonic() + 150
    while not all(flow_run(client, i)["state"]["type"] in FINAL for i in (adhoc_id, holiday_id)):
        assert worker.poll() is None, f"the worker exited {worker.returncode}:\n{procs.log('worker')}"
        assert time.monotonic() < deadline, f"the runs never finished:\n{procs.log('worker')}"
        time.sleep(1)
    procs.stop(worker)

    adhoc = flow_run(client, adhoc_id)
    assert adhoc["state_type"] == "COMPLETED", f"{adhoc['state']}:\n{procs.log('worker')}"
    con = connect_readonly(job_data)
    try:
        published = con.execute("SELECT max(as_of) FROM pipeline_runs WHERE state = 'published'").fetchone()
    finally:
        con.close()
    assert published == (AS_OF,)

    holiday = flow_run(client, holiday_id)
    assert holiday["state_type"] == "COMPLETED", f"{holiday['state']}:\n{procs.log('worker')}"
    messages = run_logs(client, holiday_id)
    assert any("nightly skipped: 2025-07-04 (Friday) is an NYSE holiday" in m for m in messages), messages
    assert not (holiday_data / "warehouse.duckdb").exists(), "the skipped run opened a warehouse"

    # The server's scheduler turned the cron into runs at 18:30 New York time, weekdays, with the skip switch on.
    query = {
        "deployments": {"id": {"any_": [nightly["id"]]}},
        "flow_runs": {"tags": {"all_": ["auto-scheduled"]}},
        "sort": "EXPECTED_START_TIME_ASC",
    }
    deadline = time.monotonic() + 30
    while not (scheduled := client.post("/flow_runs/filter", json=query).json()):
        assert time.monotonic() < deadline, "the scheduler created no run for the nightly's cron"
        time.sleep(0.5)
    for run in scheduled:
        at = datetime.fromisoformat(run["expected_start_time"]).astimezone(NEW_YORK)
        assert (at.hour, at.minute, at.weekday() < 5) == (18, 30, True), at
        assert run["parameters"] == {"trading_days_only": True}
