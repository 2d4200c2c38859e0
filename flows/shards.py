"""Per-ticker work in shards: how a ticker list splits, and the Prefect task runner the shards run on (threads or Dask).

`task_runner` picks the runner from settings: 'process' runs shards on a few threads of this process;
'dask' runs them on a Dask cluster through prefect-dask, either one at EEA_DASK_ADDRESS or a local one of
EEA_DASK_WORKERS single-threaded worker processes started on first use and kept for the life of this process
(start-up costs seconds, and each worker builds its own demo market once).

What a Dask worker needs, and how it gets it:

- Settings: none from its environment. Each shard task is given the run's Settings object (pickled with
  the task) and builds its own source from it, because a worker has no RunContext. Secrets held in
  settings (EEA_FRED_API_KEY, EEA_FMP_API_KEY) travel with them over Dask's comms; a secret named by a
  Prefect Secret block is loaded by the worker itself.
- Prefect: the task's serialized context carries this process's Prefect settings, PREFECT_API_URL included,
  so task runs and logs go to the same server. When this process runs on Prefect's temporary server (no
  PREFECT_API_URL), the shards are submitted with PREFECT_API_URL set to that server's address; otherwise
  every worker would start a temporary server of its own.
- Environment: a local cluster's workers are child processes of this one. They inherit its environment,
  and `worker_env` passes the EEA_*, PREFECT_* and telemetry variables explicitly, so DO_NOT_TRACK and
  PREFECT_SERVER_ANALYTICS_ENABLED=false hold there before Prefect is imported.

A remote cluster (EEA_DASK_ADDRESS) needs, on every worker: this project and its locked dependencies at the
same version (tasks and Arrow tables are pickled between them); the telemetry variables above in the
worker's environment; network access to the providers; a Prefect server reachable at this process's
PREFECT_API_URL (a temporary server on 127.0.0.1 is not reachable from another machine, so run a real
one); and, because settings travel over Dask's comms, a TLS scheduler address (tls://) where keys are set.
Workers never touch the warehouse: every shard's rows come back to this process, which validates and lands.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import threading
from collections.abc import Iterator, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import pyarrow as pa
from prefect import task
from prefect.cache_policies import NONE
from prefect.states import State

from config.settings import Settings
from flows.runtime import resolve_secrets
from sources.base import Request, Source, SourceError
from sources.registry import build_source

if TYPE_CHECKING:
    from prefect.task_runners import TaskRunner

# In-process shards run on this many threads: enough to overlap per-ticker network waits, few enough to
# stay polite to providers and to bound the memory of shards in flight.
THREADS = 4
# Environment a local Dask worker must see before it imports Prefect or Great Expectations.
_WORKER_ENV_PREFIXES = ("EEA_", "PREFECT_")
_WORKER_ENV_NAMES = ("DO_NOT_TRACK", "GX_ANALYTICS_ENABLED")


def shards(tickers: Sequence[str], size: int) -> list[tuple[str, ...]]:
    """Consecutive slices of `size` tickers, in the order given; the last one shorter when size does not divide."""
    if size <= 0:
        raise ValueError(f"shard size must be positive, got {size}")
    return [tuple(tickers[i : i + size]) for i in range(0, len(tickers), size)]


def worker_env(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The variables a local Dask worker is started with: EEA_*, PREFECT_* and telemetry off."""
    env = dict(os.environ if environ is None else environ)
    out = {k: v for k, v in env.items() if k.startswith(_WORKER_ENV_PREFIXES) or k in _WORKER_ENV_NAMES}
    out.update({"DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "GX_ANALYTICS_ENABLED": "false"})
    return out


def task_runner(settings: Settings) -> TaskRunner[Any]:
    """The Prefect task runner EEA_TASK_RUNNER picks, not started: threads in-process, or Dask."""
    if settings.task_runner == "process":
        from prefect.task_runners import ThreadPoolTaskRunner

        return ThreadPoolTaskRunner(max_workers=THREADS)
    from prefect_dask import DaskTaskRunner

    if settings.dask_address:
        return DaskTaskRunner(address=settings.dask_address)
    return DaskTaskRunner(
        cluster_kwargs={
            "n_workers": settings.dask_workers,
            "threads_per_worker": 1,
            "processes": True,
            # No dashboard pages: nothing reads them, and the machine may be shared.
            "dashboard_address": None,
            "env": worker_env(),
        }
    )


# The started Dask runner of this process, by (address, workers); one at a time.
_DASK: dict[tuple[str | None, int], Any] = {}


def close_task_runners() -> None:
    """Stop the Dask runner this process started (its local cluster with it); a no-op when there is none."""
    while _DASK:
        _, runner = _DASK.popitem()
        with contextlib.suppress(Exception):  # a cluster already gone at exit has nothing left to close
            runner.__exit__(None, None, None)


atexit.register(close_task_runners)


def _dask_runner(settings: Settings) -> Any:
    key = (settings.dask_address, settings.dask_workers)
    if key not in _DASK:
        close_task_runners()
        runner = task_runner(settings).__enter__()
        _DASK[key] = runner
    return _DASK[key]


@contextlib.contextmanager
def _api_for_workers() -> Iterator[None]:
    """Submit with PREFECT_API_URL pointing at this process's temporary Prefect server, when it runs on one."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    if PREFECT_API_URL.value():
        yield
        return
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()
    server.start()  # idempotent: the server this process's flow run already talks to
    with temporary_settings(updates={PREFECT_API_URL: server.api_url}):
        yield


@contextlib.contextmanager
def shard_runner(settings: Settings) -> Iterator[tuple[TaskRunner[Any], int]]:
    """A started task runner for one batch of shards, and how many shards it runs at once.

    Threads are started and stopped around the batch; a Dask runner is started once and kept.
    """
    if settings.task_runner == "process":
        with task_runner(settings) as runner:
            yield runner, THREADS
        return
    runner = _dask_runner(settings)
    slots = max(1, sum(runner.client.nthreads().values()))
    with _api_for_workers():
        yield runner, slots


def shard_settings(settings: Settings, slots: int) -> Settings:
    """Settings for one shard of `slots` running at once: SEC's request rate is for the whole run, so on Dask each
    worker process gets its share; threads of this process already share its one SEC limiter at the full rate."""
    if settings.task_runner == "process":
        # RateLimiter.for_provider keeps one limiter per provider in a process and refuses a second rate for it.
        return settings
    return settings.model_copy(update={"sec_rate_per_second": settings.sec_rate_per_second / max(slots, 1)})


# Errors worth another try: the network, a provider's bad moment. A bug or a
# bad request fails the same way every time, so it is not retried.
TRANSIENT = (SourceError, OSError, TimeoutError, ConnectionError)


def _transient(task: Any, task_run: Any, state: State) -> bool:
    exc = state.data if isinstance(state.data, BaseException) else None
    return isinstance(exc, TRANSIENT)


# Sources the shard tasks of this process built for the current run, by (run, provider, shard): the same shard of
# the next dataset reuses what its source fetched (SEC: one companyfacts payload gives share counts and facts).
_SHARD_SOURCES: dict[tuple[str, str, tuple[str, ...]], Source] = {}
_SHARD_SOURCES_LOCK = threading.Lock()


def _shard_source(settings: Settings, run_id: str, dataset: str, tickers: tuple[str, ...]) -> Source:
    name = settings.source_for(dataset)
    with _SHARD_SOURCES_LOCK:
        if any(key[0] != run_id for key in _SHARD_SOURCES):
            _SHARD_SOURCES.clear()
        key = (run_id, name, tickers)
        if key not in _SHARD_SOURCES:
            _SHARD_SOURCES[key] = build_source(name, settings, secrets=resolve_secrets(settings, name))
        return _SHARD_SOURCES[key]


# Here rather than beside `extract` in flows/datasets.py: a Dask worker imports the module of the task it runs,
# and this one stays light (no Great Expectations, no marts), which saves each worker seconds and memory.
@task(
    retries=3,
    retry_delay_seconds=[2, 10, 30],
    retry_condition_fn=_transient,
    cache_policy=NONE,
    task_run_name="extract-{dataset}-shard-{shard}",
)
def extract_shard(
    settings: Settings, run_id: str, dataset: str, start: date, end: date, shard: int, tickers: tuple[str, ...]
) -> tuple[pa.Table, dict[str, str]]:
    """One shard of a per-ticker dataset: its tickers' rows for [start, end], and the tickers that failed (why).

    Runs where the task runner puts it, a thread here or a Dask worker, which has no RunContext: it builds
    its own source from the settings it is given and never touches the warehouse.
    """
    source = _shard_source(settings, run_id, dataset, tickers)
    table = source.fetch(Request(dataset=dataset, start=start, end=end, tickers=tickers))
    return table, dict(getattr(source, "missing", {}).get(dataset) or {})
