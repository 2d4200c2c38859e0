"""The write path on a real DuckDB file and Parquet lake in tmp_path: partition replace, publish, locks, failures, readers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest

from tests.conftest import ROOT
from warehouse.ddl import raw_dataset
from warehouse.lake import Lake, LocalLake
from warehouse.store import (
    LandingError,
    WarehouseBusy,
    WarehouseError,
    WarehouseRun,
    connect_readonly,
    published_path,
)

D1, D2, D3 = date(2024, 1, 2), date(2024, 1, 3), date(2024, 1, 4)


def bars(rows: list[tuple[str, date, float]]) -> pa.Table:
    """Price bars in the raw contract (without stamps) from (ticker, date, close)."""
    schema = raw_dataset("prices").arrow_schema(without_stamps=True)
    cols = {
        "ticker": [r[0] for r in rows],
        "date": [r[1] for r in rows],
        "open": [r[2] for r in rows],
        "high": [r[2] * 1.01 for r in rows],
        "low": [r[2] * 0.99 for r in rows],
        "close": [r[2] for r in rows],
        "volume": [1000.0 for _ in rows],
        "dividend": [0.0 for _ in rows],
        "split_ratio": [1.0 for _ in rows],
        "adjusted": ["none" for _ in rows],
        "basis_date": [None for _ in rows],
    }
    return pa.table(cols).cast(schema)


def land_and_publish(
    data_dir: Path, table: pa.Table, as_of: date = D3, scope: str | None = None, lake: Lake | None = None
) -> str:
    with WarehouseRun(data_dir, kind="test", as_of=as_of, lake=lake) as run:
        run.land("prices", table, source="test", window=(D1, as_of), scope=scope)
        run.publish()
        return run.run_id


def read(data_dir: Path, sql: str, lake: Lake | None = None) -> list[tuple]:
    con = connect_readonly(data_dir, lake)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture(params=["local", "s3"])
def lake(request: pytest.FixtureRequest, tmp_path: Path) -> Lake:
    """The write path's tests run twice: with the lake under the data directory, and on a local S3 server."""
    if request.param == "local":
        return LocalLake(tmp_path)
    s3: Lake = request.getfixturevalue("s3_lake")
    return s3


def file_names(lake: Lake) -> set[str]:
    return {Path(rel).name for rel in lake.raw_files()}


def test_land_then_publish_makes_rows_visible_only_after_publish(tmp_path: Path, lake: Lake) -> None:
    with WarehouseRun(tmp_path, kind="test", as_of=D2, lake=lake) as run:
        landed = run.land(
            "prices", bars([("AAA", D1, 10.0), ("BBB", D1, 20.0), ("AAA", D2, 11.0)]), source="test", window=(D1, D2)
        )
        assert (landed.rows, landed.partitions) == (3, 2)
        assert not published_path(tmp_path).exists()
        run.publish()
    assert read(tmp_path, "SELECT ticker, date, close FROM raw.prices ORDER BY 1, 2", lake) == [
        ("AAA", D1, 10.0), ("AAA", D2, 11.0), ("BBB", D1, 20.0)]  # fmt: skip
    files = sorted(Path(rel).parts[:4] for rel in lake.raw_files())
    assert files == [("lake", "raw", "prices", "date=2024-01-02"), ("lake", "raw", "prices", "date=2024-01-03")]
    state = read(tmp_path, "SELECT state, as_of FROM pipeline_runs")
    assert state == [("published", D2)]


def test_rerun_of_a_day_replaces_that_day_only(tmp_path: Path, lake: Lake) -> None:
    land_and_publish(tmp_path, bars([("AAA", D1, 10.0), ("AAA", D2, 11.0)]), lake=lake)
    land_and_publish(tmp_path, bars([("AAA", D2, 99.0)]), lake=lake)
    assert read(tmp_path, "SELECT date, close FROM raw.prices ORDER BY date", lake) == [(D1, 10.0), (D2, 99.0)]
    assert read(tmp_path, "SELECT count(*) FROM meta.lake_files WHERE part_date = DATE '2024-01-03'") == [(1,)]


def test_scoped_batch_keeps_other_tickers_of_the_partition(tmp_path: Path, lake: Lake) -> None:
    land_and_publish(tmp_path, bars([("AAA", D1, 10.0), ("BBB", D1, 20.0)]), lake=lake)
    land_and_publish(tmp_path, bars([("AAA", D1, 12.0)]), scope="ticker", lake=lake)
    assert read(tmp_path, "SELECT ticker, close FROM raw.prices ORDER BY 1", lake) == [("AAA", 12.0), ("BBB", 20.0)]


def test_superseded_files_are_kept_one_generation_then_removed(tmp_path: Path, lake: Lake) -> None:
    land_and_publish(tmp_path, bars([("AAA", D1, 10.0)]), lake=lake)
    first = file_names(lake)
    land_and_publish(tmp_path, bars([("AAA", D1, 11.0)]), lake=lake)
    second = file_names(lake)
    assert first < second  # a reader of the previous publish may still need the old file
    land_and_publish(tmp_path, bars([("AAA", D1, 12.0)]), lake=lake)
    third = file_names(lake)
    assert not (first & third) and len(third) == 2


def test_failed_run_publishes_nothing_and_says_why(tmp_path: Path, lake: Lake) -> None:
    land_and_publish(tmp_path, bars([("AAA", D1, 10.0)]), lake=lake)
    before = published_path(tmp_path).read_bytes()
    with pytest.raises(RuntimeError, match="boom"), WarehouseRun(tmp_path, kind="test", as_of=D2, lake=lake) as run:
        run.land("prices", bars([("AAA", D1, 50.0), ("AAA", D2, 51.0)]), source="test", window=(D1, D2))
        raise RuntimeError("boom")
    assert published_path(tmp_path).read_bytes() == before
    assert read(tmp_path, "SELECT close FROM raw.prices", lake) == [(10.0,)]
    log = [json.loads(p.read_text()) for p in (tmp_path / "runs").glob("*.json")]
    failed = [r for r in log if r["state"] == "failed"]
    assert len(failed) == 1 and "boom" in failed[0]["error"] and "landing prices" in failed[0]["error"]
    # the next run that publishes writes the failure into pipeline_runs
    land_and_publish(tmp_path, bars([("AAA", D3, 12.0)]), lake=lake)
    states = sorted(r[0] for r in read(tmp_path, "SELECT state FROM pipeline_runs"))
    assert states == ["failed", "published", "published"]
    assert not list((tmp_path / "work").iterdir())


def test_second_writer_is_refused_with_who_holds_the_lock(tmp_path: Path) -> None:
    with WarehouseRun(tmp_path, kind="test", as_of=D1) as first:
        with pytest.raises(WarehouseBusy, match=f"run {first.run_id}"):
            WarehouseRun(tmp_path, kind="test", as_of=D1).open()
        first.publish()
    land_and_publish(tmp_path, bars([("AAA", D1, 10.0)]))  # the lock was released


def test_batch_that_breaks_the_contract_is_refused_by_name(tmp_path: Path) -> None:
    bad = bars([("AAA", D1, 10.0)]).drop_columns(["volume"]).append_column("colour", pa.array(["red"]))
    with WarehouseRun(tmp_path, kind="test", as_of=D1) as run:
        with pytest.raises(LandingError, match=r"missing columns \['volume'\], unexpected columns \['colour'\]"):
            run.land("prices", bad, source="test", window=(D1, D1))
        undated = bars([("AAA", D1, 10.0), ("BBB", D1, 1.0)])
        undated = undated.set_column(1, "date", pa.array([D1, None], pa.date32()))
        with pytest.raises(LandingError, match=r"1 rows have no date .* rows \[1\]"):
            run.land("prices", undated, source="test", window=(D1, D1))
        run.publish()


def test_rebuild_checks_columns_against_the_ddl(tmp_path: Path) -> None:
    with WarehouseRun(tmp_path, kind="test", as_of=D1) as run:
        with pytest.raises(WarehouseError, match=r"risk_free .* missing \['value'\], unexpected \['yield_pct'\]"):
            run.rebuild(
                "risk_free", pa.table({"series": ["DGS10"], "date": [D1], "yield_pct": [4.0], "inputs_as_of": [D1]})
            )
        good = pa.table({"series": ["DGS10"], "date": [D1], "value": [4.0], "inputs_as_of": [D1]})
        assert run.rebuild("risk_free", good) == 1
        run.publish()
    comment = read(tmp_path, "SELECT comment FROM duckdb_columns() WHERE table_name = 'risk_free' "
                             "AND column_name = 'value'")  # fmt: skip
    assert comment and "percent" in comment[0][0]


def test_a_reader_keeps_its_snapshot_across_a_publish(tmp_path: Path, lake: Lake) -> None:
    land_and_publish(tmp_path, bars([("AAA", D1, 10.0)]), lake=lake)
    old = connect_readonly(tmp_path, lake)
    try:
        land_and_publish(tmp_path, bars([("AAA", D1, 20.0), ("AAA", D2, 21.0)]), lake=lake)
        assert old.execute("SELECT close FROM raw.prices").fetchall() == [(10.0,)]
        # DuckDB shares one database instance per path within a process, so a fresh reader is another
        # process, as an analyst's would be. On object storage it finds the lake's endpoint in the catalog
        # and its credentials in the standard AWS variables.
        from tests.s3server import KEY, SECRET

        env = {**os.environ, "AWS_ACCESS_KEY_ID": KEY, "AWS_SECRET_ACCESS_KEY": SECRET}
        fresh = subprocess.run(
            [sys.executable, "-c", "import sys; from warehouse.store import connect_readonly; "
             "print(connect_readonly(sys.argv[1]).execute('SELECT count(*) FROM raw.prices').fetchone()[0])",
             str(tmp_path)],
            capture_output=True, text=True, check=True, env=env, cwd=ROOT,
        )  # fmt: skip
        assert fresh.stdout.strip() == "2"
    finally:
        old.close()


def test_dead_run_is_recorded_as_crashed_and_its_leftovers_cleared(tmp_path: Path, lake: Lake) -> None:
    land_and_publish(tmp_path, bars([("AAA", D1, 10.0)]), lake=lake)
    dead = WarehouseRun(tmp_path, kind="nightly", as_of=D2, lake=lake)
    dead.open()
    dead.land("prices", bars([("AAA", D2, 11.0)]), source="test", window=(D2, D2))
    # Simulate a kill: drop the process's hold without any clean-up.
    import fcntl
    import os

    assert dead._lock_fd is not None
    fcntl.flock(dead._lock_fd, fcntl.LOCK_UN)
    os.close(dead._lock_fd)
    dead._lock_fd = None
    dead._con.close()  # type: ignore[union-attr]
    assert any(dead.run_id in name for name in file_names(lake))  # it had written to the lake
    land_and_publish(tmp_path, bars([("AAA", D3, 12.0)]), lake=lake)
    rows = read(tmp_path, "SELECT state, error FROM pipeline_runs WHERE run_id = ?".replace("?", f"'{dead.run_id}'"))
    assert rows[0][0] == "crashed" and "landing prices" in rows[0][1]
    assert read(tmp_path, "SELECT count(*) FROM raw.prices WHERE date = DATE '2024-01-03'", lake) == [(0,)]
    assert [p.name for p in (tmp_path / "work").iterdir()] == []
    assert not [name for name in file_names(lake) if dead.run_id in name]


def test_a_batch_with_a_duplicated_key_is_refused_by_name(tmp_path: Path) -> None:
    with WarehouseRun(tmp_path, kind="test", as_of=D1) as run:
        with pytest.raises(
            LandingError, match=r"1 keys \['ticker', 'date'\] appear more than once, e.g. \[\{'ticker': 'AAA'"
        ):
            run.land(
                "prices", bars([("AAA", D1, 10.0), ("AAA", D1, 11.0), ("BBB", D1, 1.0)]), source="t", window=(D1, D1)
            )
        run.publish()


# -- whether the published data is synthetic: read from the rows' source ----------------------------------


def rates(rows: list[tuple[date, float]]) -> pa.Table:
    return pa.table({"series": ["DGS10"] * len(rows), "date": [r[0] for r in rows], "value": [r[1] for r in rows]})


def test_pipeline_runs_says_which_datasets_hold_demo_rows(tmp_path: Path) -> None:
    with WarehouseRun(tmp_path, kind="test", as_of=D2) as run:
        run.land("prices", bars([("AAA", D1, 10.0)]), source="stooq", window=(D1, D2))
        run.publish()
    assert run.synthetic_datasets == ()
    assert read(tmp_path, "SELECT synthetic, synthetic_datasets FROM pipeline_runs") == [(False, [])]

    # Demo rates beside real prices: a mixed warehouse names the synthetic dataset.
    with WarehouseRun(tmp_path, kind="test", as_of=D2) as run:
        run.land("rates", rates([(D1, 4.0)]), source="demo", window=(D1, D2))
        run.publish()
    assert run.synthetic_datasets == ("rates",)
    latest = "SELECT synthetic, synthetic_datasets FROM pipeline_runs ORDER BY started_at DESC LIMIT 1"
    assert read(tmp_path, latest) == [(True, ["rates"])]

    # The run lands nothing from the demo, but the warehouse it publishes still holds demo rates: still synthetic.
    with WarehouseRun(tmp_path, kind="test", as_of=D3) as run:
        run.land("prices", bars([("AAA", D3, 11.0)]), source="stooq", window=(D3, D3))
        run.publish()
    assert read(tmp_path, latest) == [(True, ["rates"])]

    # Real rates replace the demo day: nothing synthetic is left.
    with WarehouseRun(tmp_path, kind="test", as_of=D3) as run:
        run.land("rates", rates([(D1, 4.1)]), source="fred", window=(D1, D1))
        run.publish()
    assert read(tmp_path, latest) == [(False, [])]


def test_a_warehouse_published_before_the_synthetic_columns_gets_them(tmp_path: Path) -> None:
    land_and_publish(tmp_path, bars([("AAA", D1, 10.0)]))
    import duckdb

    con = duckdb.connect(str(published_path(tmp_path)))
    try:
        con.execute("ALTER TABLE pipeline_runs DROP COLUMN synthetic_datasets")
        con.execute("ALTER TABLE pipeline_runs DROP COLUMN synthetic")
    finally:
        con.close()
    land_and_publish(tmp_path, bars([("AAA", D2, 11.0)]))
    rows = read(tmp_path, "SELECT synthetic, synthetic_datasets FROM pipeline_runs ORDER BY started_at")
    assert rows == [(None, None), (False, [])]
