"""Sharded extracts: how tickers split, which runner runs them, and the proof that Dask and in-process agree."""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given
from hypothesis import strategies as st

from config.settings import load_settings
from flows.shards import THREADS, close_task_runners, shard_settings, shards, task_runner, worker_env
from sources.base import Request, SourceError
from sources.demo import DemoSource
from sources.demo.source import _SERVED
from transforms.calendar import trading_days
from warehouse.ddl import STAMP_COLUMNS
from warehouse.lake import Lake, S3Lake
from warehouse.store import connect_readonly

AS_OF = date(2025, 6, 30)
# Columns that say which run or batch wrote a row, not what the row says.
RUN_STAMPS = {*STAMP_COLUMNS, "run_id", "built_at", "landed_at", "validated_at"} - {"source"}


def test_shards_keep_order_and_the_last_one_is_shorter() -> None:
    assert shards(["A", "B", "C", "D", "E"], 2) == [("A", "B"), ("C", "D"), ("E",)]
    assert shards(("A", "B"), 5) == [("A", "B")]
    assert shards([], 3) == []
    with pytest.raises(ValueError, match="positive"):
        shards(["A"], 0)


@given(st.lists(st.text(min_size=1, max_size=4), max_size=60), st.integers(min_value=1, max_value=25))
def test_shards_add_up_to_the_tickers(tickers: list[str], size: int) -> None:
    parts = shards(tickers, size)
    assert [t for part in parts for t in part] == tickers
    assert all(len(part) == size for part in parts[:-1])
    assert len(parts) == -(-len(tickers) // size)


def test_the_setting_picks_the_runner(tmp_path: Path) -> None:
    from prefect.task_runners import ThreadPoolTaskRunner
    from prefect_dask import DaskTaskRunner

    process = task_runner(load_settings(data_dir=tmp_path))
    assert isinstance(process, ThreadPoolTaskRunner) and process._max_workers == THREADS
    remote = task_runner(load_settings(data_dir=tmp_path, task_runner="dask", dask_address="tcp://10.0.0.1:8786"))
    assert isinstance(remote, DaskTaskRunner) and remote.address == "tcp://10.0.0.1:8786"
    local = task_runner(load_settings(data_dir=tmp_path, task_runner="dask", dask_workers=3))
    assert isinstance(local, DaskTaskRunner) and local.address is None
    kwargs = local.cluster_kwargs
    assert (kwargs["n_workers"], kwargs["threads_per_worker"], kwargs["processes"]) == (3, 1, True)
    assert kwargs["env"]["DO_NOT_TRACK"] == "1" and kwargs["env"]["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"


def test_workers_get_the_eea_and_prefect_environment_with_telemetry_off() -> None:
    env = worker_env({"EEA_UNIVERSE_SMALL": "60", "PREFECT_API_URL": "http://x/api", "HOME": "/h", "DO_NOT_TRACK": "0"})
    assert env == {
        "EEA_UNIVERSE_SMALL": "60",
        "PREFECT_API_URL": "http://x/api",
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "GX_ANALYTICS_ENABLED": "false",
    }


def test_each_dask_shard_gets_its_share_of_the_sec_rate(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, sec_rate_per_second=10.0, task_runner="dask")
    assert shard_settings(settings, 4).sec_rate_per_second == 2.5
    assert settings.sec_rate_per_second == 10.0


def test_threads_share_the_process_sec_limiter_at_the_full_rate(tmp_path: Path) -> None:
    # One limiter per provider per process (RateLimiter.for_provider): a shard thread asking 2.5/s beside the
    # run's 10/s one was refused with ValueError, so no SEC nightly could run on the default runner.
    settings = load_settings(data_dir=tmp_path, sec_rate_per_second=10.0, task_runner="process")
    assert shard_settings(settings, 4).sec_rate_per_second == 10.0


@pytest.mark.parametrize("dataset", sorted(DemoSource.per_ticker))
def test_demo_shards_add_up_to_its_whole_answer(dataset: str) -> None:
    demo = DemoSource(seed=7, n_small=60, n_large=15)
    start, end = date(2024, 1, 2), AS_OF
    whole = demo.fetch(Request(dataset, start, end))
    parts = [demo.fetch(Request(dataset, start, end, part)) for part in shards(demo.all_tickers(end), 17)]
    assert len(parts) > 3 and whole.num_rows > 0
    keys = [(c, "ascending") for c in whole.column_names]
    assert pa.concat_tables(parts).sort_by(keys).equals(whole.sort_by(keys))
    assert not _SERVED  # every ticker was served here, so the answer kept for the shards is gone
    # a subset is the whole answer's rows of those tickers, in its order
    some = demo.all_tickers(end)[5:9]
    mask = pc.is_in(whole.column("ticker"), value_set=pa.array(some))
    assert demo.fetch(Request(dataset, start, end, some)).equals(whole.filter(mask))


def _tables(data_dir: Path, lake: Lake | None = None) -> dict[str, pd.DataFrame]:
    """Every mart (but the run log and the validation log) and every raw table, run stamps dropped, rows sorted."""
    con = connect_readonly(data_dir, lake)
    try:
        marts = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' "
                "AND table_name NOT IN ('pipeline_runs', 'validation_results') ORDER BY 1"
            ).fetchall()
        ]
        raws = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'raw' UNION "
                "SELECT view_name FROM duckdb_views() WHERE schema_name = 'raw' ORDER BY 1"
            ).fetchall()
        ]
        out = {}
        for name in [*marts, *(f"raw.{r}" for r in raws)]:
            df = con.sql(f"SELECT * FROM {name}").df()
            df = df.drop(columns=[c for c in df.columns if c in RUN_STAMPS])
            out[name] = df.sort_values(list(df.columns)).reset_index(drop=True)
        return out
    finally:
        con.close()


@pytest.mark.xdist_group("prefect-b")
def test_the_nightly_gives_the_same_marts_in_process_on_dask_and_with_the_lake_on_s3(
    demo_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, s3_lake: S3Lake
) -> None:
    """The issue's proof: one nightly on the demo market three ways, every mart and raw table equal."""
    from flows.nightly import nightly
    from flows.shards import _DASK

    # A smaller market than the other flow tests' (three nightlies here): 40 + 10 members, a year of history.
    for key, value in {"EEA_UNIVERSE_SMALL": "40", "EEA_UNIVERSE_LARGE": "10", "EEA_HISTORY_YEARS": "1"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("EEA_SHARD_SIZE", "15")  # about 7 shards per per-ticker dataset
    monkeypatch.setenv("EEA_TASK_RUNNER", "process")
    in_process = nightly(as_of=AS_OF)
    expected = _tables(demo_env)
    assert {"daily_prices", "eea_company", "eea_index", "call_sentiment", "raw.prices", "raw.transcripts"} <= set(
        expected
    )

    # 1. the shards on a local Dask cluster of 2 workers
    on_dask = tmp_path / "dask"
    monkeypatch.setenv("EEA_DATA_DIR", str(on_dask))
    monkeypatch.setenv("EEA_TASK_RUNNER", "dask")
    monkeypatch.setenv("EEA_DASK_WORKERS", "2")
    try:
        distributed = nightly(as_of=AS_OF)
        [runner] = _DASK.values()
        # both worker processes ran shard tasks: only unpickling one imports flows.shards there
        ran = runner.client.run(lambda: "flows.shards" in sys.modules)
    finally:
        close_task_runners()
    assert len(ran) == 2 and all(ran.values())
    assert in_process["rows"] == distributed["rows"] and not distributed["missing"] and not distributed["failed"]
    _assert_same(expected, _tables(on_dask))

    # 2. in-process, with the lake on the local S3 server
    on_s3 = tmp_path / "s3"
    monkeypatch.setenv("EEA_TASK_RUNNER", "process")
    for key, value in {
        "EEA_DATA_DIR": str(on_s3),
        "EEA_LAKE_URL": s3_lake.url,
        "EEA_S3_ENDPOINT_URL": str(s3_lake.endpoint_url),
        "EEA_S3_REGION": s3_lake.region,
        "EEA_S3_ACCESS_KEY_ID": str(s3_lake.access_key_id),
        "EEA_S3_SECRET_ACCESS_KEY": str(s3_lake.secret_access_key),
    }.items():
        monkeypatch.setenv(key, value)
    remote = nightly(as_of=AS_OF)
    assert in_process["rows"] == remote["rows"] and not remote["missing"] and not remote["failed"]
    # the lake is on the bucket, one object per file the catalog lists, and none of it on local disk
    con = connect_readonly(on_s3, s3_lake)
    try:
        listed = {r[0] for r in con.execute("SELECT path FROM meta.lake_files").fetchall()}
    finally:
        con.close()
    assert s3_lake.raw_files() == listed and len(listed) > 100
    assert not (on_s3 / "lake" / "raw").exists()
    _assert_same(expected, _tables(on_s3, s3_lake))


def _assert_same(expected: dict[str, pd.DataFrame], actual: dict[str, pd.DataFrame]) -> None:
    assert expected.keys() == actual.keys()
    for name, frame in expected.items():
        # every table has rows (no vacuous comparison), but exclusions: a market of 50 may have none
        assert len(frame) > 0 or name == "eea_exclusions", f"{name} is empty"
        pd.testing.assert_frame_equal(frame, actual[name], check_exact=True, obj=name)


def _stooq_csv(days: list[date]) -> str:
    return "Date,Open,High,Low,Close,Volume\n" + "".join(f"{d},10.0,10.5,9.5,10.2,1000\n" for d in days)


@pytest.mark.xdist_group("prefect-b")
def test_a_failed_ticker_or_shard_is_missing_and_the_other_shards_land(
    demo_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.datasets import constituents, prices
    from sources.connectors import StooqSource
    from tests.sources.httpserver import LocalServer, Reply, Seen

    constituents(as_of=AS_OF)
    con = connect_readonly(demo_env)
    try:
        members = [
            r[0]
            for r in con.execute(
                "SELECT DISTINCT ticker FROM staging.constituents WHERE as_of = "
                "(SELECT max(as_of) FROM staging.constituents WHERE as_of <= ?) ORDER BY ticker",
                [AS_OF],
            ).fetchall()
        ]
    finally:
        con.close()
    parts = shards(members, 10)
    bad, down = members[2], parts[3]  # one ticker the provider does not know; one shard whose provider is down
    days = trading_days(AS_OF - timedelta(days=6), AS_OF)

    def reply(seen: Seen) -> Reply:
        ticker = (seen.param("s") or "").removesuffix(".us").upper()
        return Reply(404) if ticker == bad else Reply.text(_stooq_csv(days), "text/csv")

    fetch = StooqSource.fetch

    def flaky(self: StooqSource, request: Request) -> pa.Table:
        if request.tickers == down:
            raise SourceError("stooq: 503 for every ticker of this shard")
        return fetch(self, request)

    monkeypatch.setattr(StooqSource, "fetch", flaky)
    with LocalServer() as server:
        server.route("/q/d/l/", reply)
        for key, value in {
            "EEA_SOURCE_PRICES": "stooq",
            "EEA_STOOQ_URL": server.url,
            "EEA_SHARD_SIZE": "10",
            "EEA_TASK_RUNNER": "process",
            "EEA_EXTRACT_RETRIES": "0",
            "EEA_HTTP_RETRIES": "0",
        }.items():
            monkeypatch.setenv(key, value)
        result = prices(as_of=AS_OF)

    assert len(parts) > 4
    assert result["missing"]["prices"] == sorted({bad, *down})
    con = connect_readonly(demo_env)
    try:
        landed = con.execute("SELECT ticker, count(*) AS n FROM raw.prices GROUP BY ticker ORDER BY ticker").fetchall()
    finally:
        con.close()
    assert [t for t, _ in landed] == [t for t in members if t != bad and t not in down]
    assert {n for _, n in landed} == {len(days)}
