"""BI tools on the published warehouse, with real clients: SQLAlchemy (duckdb-engine) reading while a nightly writes
in another process, the DuckDB CLI, and the Parquet export each run writes and swaps in whole."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

import flows.export
from flows.export import DICTIONARY, export_dir, export_parquet
from flows.nightly import nightly
from tests.flows.support import subprocess_env
from warehouse.ddl import load_layer
from warehouse.dictionary import REGENERATE, attach_published
from warehouse.store import WarehouseRun, connect_readonly, published_path

ROOT = Path(__file__).resolve().parents[2]
FIRST = date(2025, 6, 30)
NEXT = date(2025, 7, 31)
MARTS = sorted(load_layer("marts"))
# The DuckDB shell as the duckdb-cli package installs it into the venv; EEA_DUCKDB_CLI points at another one.
DUCKDB_CLI = Path(os.environ.get("EEA_DUCKDB_CLI") or Path(sys.executable).parent / "duckdb")

prefect = pytest.mark.xdist_group("prefect-b")


def start_nightly(data_dir: Path, prefect_api: str, as_of: date, log: Path) -> subprocess.Popen:
    """`eea run` in another process; its output goes to `log` (a pipe nobody reads until the end could fill up)."""
    with open(log, "w") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "flows.cli", "run", "--as-of", as_of.isoformat()],
            cwd=ROOT,
            env=subprocess_env(data_dir, prefect_api),
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def published(data_dir: Path, sql: str) -> list[tuple]:
    with attach_published(data_dir) as con:
        con.execute("USE w")
        return con.execute(sql).fetchall()


def tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def assert_export_matches_published(data_dir: Path) -> None:
    """Every mart, and nothing else, as export/<table>/<table>.parquet with the table's rows and columns."""
    root = export_dir(data_dir)
    assert sorted(p.name for p in root.iterdir() if p.is_dir()) == MARTS
    assert {p.name for p in root.iterdir() if p.is_file()} == {DICTIONARY}
    for table in MARTS:
        files = list((root / table).iterdir())
        assert [f.name for f in files] == [f"{table}.parquet"], table
        meta = pq.ParquetFile(files[0]).metadata
        columns = [r[0] for r in published(data_dir, f"SELECT column_name FROM (DESCRIBE {table})")]
        assert pq.read_schema(files[0]).names == columns, table
        assert meta.num_rows == published(data_dir, f"SELECT count(*) FROM {table}")[0][0], table
        assert {meta.row_group(0).column(i).compression for i in range(meta.num_columns)} == {"ZSTD"}, table
    assert (root / DICTIONARY).read_text(encoding="utf-8") == (ROOT / "docs" / "DATA_DICTIONARY.md").read_text(
        encoding="utf-8"
    ), f"the published warehouse's comments differ from docs/DATA_DICTIONARY.md ({REGENERATE})"


@prefect
def test_sqlalchemy_reads_whole_marts_while_a_nightly_writes(tiny_env: Path, prefect_api: str) -> None:
    nightly(as_of=FIRST)
    # NullPool: each read opens the file anew, as a BI query would. A pooled connection keeps the file it opened
    # (and, DuckDB sharing one instance per file and process, so does every connect() beside it) until disposed.
    engine = sa.create_engine(
        f"duckdb:///{published_path(tiny_env)}", connect_args={"read_only": True}, poolclass=sa.pool.NullPool
    )
    inspector = sa.inspect(engine)
    assert sorted(inspector.get_table_names(schema="main")) == MARTS
    # Without a schema duckdb-engine lists every schema's tables: the marts and meta's bookkeeping.
    assert set(inspector.get_table_names()) == {*MARTS, "batches", "lake", "lake_files", "table_builds"}
    ddl = load_layer("marts")["eea_index"]
    assert inspector.get_table_comment("eea_index")["text"], "duckdb-engine shows no table comment"
    comments = {c["name"]: c.get("comment") for c in inspector.get_columns("eea_index")}
    assert list(comments) == list(ddl.column_names)
    assert all(comments.values()), f"columns without a comment through SQLAlchemy: {comments}"
    assert "fraction" in str(comments["value"])
    # Tables from the inspector's columns: duckdb-engine 0.17's full reflection (autoload_with) fails on its
    # primary-key query ("Type with name REGCLASS does not exist"), Mause/duckdb_engine#1388.
    metadata = sa.MetaData()
    eea_index, call_sentiment = (
        sa.Table(name, metadata, *[sa.Column(c["name"], c["type"]) for c in inspector.get_columns(name)])
        for name in ("eea_index", "call_sentiment")
    )
    builds = sa.text("SELECT table_name, as_of, rows FROM meta.table_builds")

    log = tiny_env.parent / "nightly.log"
    proc = start_nightly(tiny_env, prefect_api, NEXT, log)
    seen: list[date] = []
    try:
        while True:
            ended = proc.poll() is not None
            with engine.connect() as con:
                index = con.execute(sa.select(eea_index)).mappings().all()
                calls = con.execute(sa.select(sa.func.count(), sa.func.max(call_sentiment.c.call_date))).one()
                built = {r.table_name: r for r in con.execute(builds)}
            as_of = {r["as_of"] for r in index}
            assert len(as_of) == 1, f"eea_index mixes runs: {as_of}"
            assert all(r["members_used"] > 0 for r in index)
            assert len(index) == built["eea_index"].rows and built["eea_index"].as_of in as_of
            n_calls, last_call = calls
            assert n_calls == built["call_sentiment"].rows > 0 and built["call_sentiment"].as_of in as_of
            assert last_call <= min(as_of)
            seen.append(next(iter(as_of)))
            if ended:
                break
        assert proc.returncode == 0, log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    # the last published run, then the new one from the moment it published; never anything else
    assert len(seen) > 5 and seen[0] == FIRST and seen[-1] == NEXT and seen == sorted(seen), set(seen)
    engine.dispose()


@prefect
def test_duckdb_cli_counts_what_python_reads(demo_env: Path) -> None:
    if not DUCKDB_CLI.is_file():
        pytest.skip(
            f"no DuckDB CLI at {DUCKDB_CLI}: the duckdb-cli package installs it there; "
            "set EEA_DUCKDB_CLI to use another one"
        )
    nightly(as_of=FIRST)
    path = published_path(demo_env)
    version = subprocess.run([str(DUCKDB_CLI), "--version"], capture_output=True, text=True, timeout=60).stdout
    shell = subprocess.run(
        [str(DUCKDB_CLI), "-readonly", "-csv", "-noheader", str(path), "-c", "SELECT count(*) FROM eea_index"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shell.returncode == 0, f"the DuckDB CLI {version.strip()} cannot read {path}: {shell.stderr}"
    con = connect_readonly(demo_env)
    try:
        expected = con.execute("SELECT count(*) FROM eea_index").fetchone()
    finally:
        con.close()
    assert expected is not None and expected[0] > 0
    assert shell.stdout.strip().splitlines()[-1] == str(expected[0])


@prefect
def test_each_nightly_exports_its_own_marts_and_a_failed_export_keeps_the_last(
    demo_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nightly(as_of=FIRST)
    assert_export_matches_published(demo_env)
    # A connection held open across the next run, as a notebook that runs the flow would: DuckDB hands the same
    # process this (replaced) file again on connect(), so the export must not read through it.
    held = connect_readonly(demo_env)
    try:
        result = nightly(as_of=NEXT)
        assert held.execute("SELECT max(as_of) FROM eea_index").fetchone() == (FIRST,)
    finally:
        held.close()
    assert result["written"]["export"] == str(export_dir(demo_env))
    assert_export_matches_published(demo_env)
    root = export_dir(demo_env)
    assert pq.read_table(root / "eea_index" / "eea_index.parquet").column("as_of").unique().to_pylist() == [NEXT]
    runs = pq.read_table(root / "pipeline_runs" / "pipeline_runs.parquet").to_pydict()
    assert sorted(runs["as_of"]) == [FIRST, NEXT]

    before = tree_digest(root)
    real = flows.export._export_table

    def fail_on_eea_index(con: duckdb.DuckDBPyConnection, table: str, path: Path) -> None:
        # While the new export is being written, the previous one is still whole in place.
        assert tree_digest(root) == before
        if table == "eea_index":
            raise OSError("disk full (on purpose)")
        real(con, table, path)

    monkeypatch.setattr(flows.export, "_export_table", fail_on_eea_index)
    with pytest.raises(OSError, match="on purpose"):
        export_parquet(demo_env)
    assert tree_digest(root) == before
    assert [p.name for p in demo_env.iterdir() if p.name.startswith(".export.")] == [".export.lock"]


def _publish_rates(data_dir: Path, day: date, values: list[float]) -> None:
    with WarehouseRun(data_dir, kind="test", as_of=day) as run:
        n = len(values)
        run.rebuild(
            "risk_free",
            pa.table(
                {"series": [f"S{i}" for i in range(n)], "date": [day] * n, "value": values, "inputs_as_of": [day] * n}
            ),
        )
        run.publish()


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2-exchange", "two-renames"])
def test_export_swaps_a_complete_folder_in_and_clears_dead_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exchange: bool
) -> None:
    swaps: list[bool] = []
    real = flows.export._exchange

    def spy(a: Path, b: Path) -> bool:
        swaps.append(real(a, b) if exchange else False)
        return swaps[-1]

    monkeypatch.setattr(flows.export, "_exchange", spy)
    day = date(2024, 1, 2)
    _publish_rates(tmp_path, day, [4.0])
    first = export_parquet(tmp_path)
    assert rates(first) == [4.0] and swaps == []
    (tmp_path / ".export.tmp-dead").mkdir()  # left by an export that was killed
    (tmp_path / ".export.old-dead").mkdir()
    _publish_rates(tmp_path, day, [4.0, 4.5, 5.0])
    assert export_parquet(tmp_path) == first
    assert rates(first) == [4.0, 4.5, 5.0] and len(swaps) == 1
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".export")) == [".export.lock"]
    other = export_parquet(tmp_path, tmp_path / "elsewhere" / "marts")
    assert sorted(p.name for p in other.iterdir()) == [DICTIONARY, "pipeline_runs", "risk_free"]


def rates(export: Path) -> list[float]:
    return sorted(pq.read_table(export / "risk_free" / "risk_free.parquet").column("value").to_pylist())
