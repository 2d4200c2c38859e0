"""The one write path: a run's working copy of the warehouse, partition writes to the lake, table rebuilds, atomic publish.

Readers only ever open the published file (`warehouse.duckdb`) read-only. A
run takes the writer lock, copies the published file into its own working
directory, lands batches into new lake files (never touching the files the
published catalog points at), rebuilds tables in its copy, and publishes by
renaming the copy over the published file. A crash at any point leaves the
published file and the files it points at untouched; the next run records the
dead run as crashed and clears what it left.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from warehouse.ddl import SCHEMA_DIR, TableDef, load_layer, mart, raw_dataset
from warehouse.lake import LAKE, Lake, LakeError, LocalLake, S3Lake

PUBLISHED = "warehouse.duckdb"
LOCK_FILE = ".writer.lock"
# The provider name of the built-in simulated market: raw rows with this source are synthetic, not real data.
SYNTHETIC_SOURCE = "demo"


class WarehouseError(RuntimeError):
    """A write could not be done; the message says which table or batch and why."""


class WarehouseBusy(WarehouseError):
    """Another run holds the writer lock."""


class LandingError(WarehouseError):
    """A batch does not meet its dataset's raw contract."""


@dataclass(frozen=True)
class Landed:
    """What one landing wrote."""

    dataset: str
    batch_id: str
    rows: int
    partitions: int


def _utcnow() -> datetime:
    # Naive UTC: DuckDB TIMESTAMP has no zone, and every stamp here is UTC.
    return datetime.now(UTC).replace(tzinfo=None)


def new_run_id(now: datetime | None = None) -> str:
    """A sortable, unique run id: UTC start time plus a random suffix."""
    now = now or _utcnow()
    return now.strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(3)


def quarantine_dir(data_dir: Path) -> Path:
    """Where failed batches wait, whole, with their validation reports: lake/quarantine/<dataset>/<batch_id>.*"""
    return Path(data_dir) / "lake" / "quarantine"


def quarantined(data_dir: Path) -> list[dict[str, Any]]:
    """Every batch waiting in quarantine, oldest first, as its stored record."""
    root = quarantine_dir(data_dir)
    out = []
    for path in sorted(root.glob("*/*.json")) if root.exists() else []:
        with contextlib.suppress(OSError, json.JSONDecodeError):
            record = json.loads(path.read_text())
            record["_parquet"] = str(path.with_suffix(".parquet"))
            out.append(record)
    return sorted(out, key=lambda r: r.get("quarantined_at", ""))


def published_path(data_dir: Path) -> Path:
    return Path(data_dir) / PUBLISHED


def connect_readonly(data_dir: Path, lake: Lake | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published warehouse (what analysts and BI tools use).

    Where the catalog's lake is on object storage, the connection can read it: through `lake` (the settings'
    lake, with their credentials) when it is that lake, else through the endpoint the catalog records and the
    standard AWS credential chain (AWS_ACCESS_KEY_ID, ~/.aws, an instance role).
    """
    path = published_path(data_dir)
    if not path.exists():
        raise WarehouseError(f"no published warehouse at {path}: run `make run` (or `eea run`) first")
    con = duckdb.connect(str(path), read_only=True, config=_DUCKDB_CONFIG)
    try:
        recorded = _recorded_lake(con)
        if recorded is not None and recorded.url is not None:
            (lake if isinstance(lake, S3Lake) and lake.url == recorded.url else recorded).attach(con)
    except BaseException:
        con.close()
        raise
    return con


def _recorded_lake(con: duckdb.DuckDBPyConnection) -> S3Lake | None:
    """The object-storage lake the catalog records (without credentials), or None for a lake under the data dir."""
    try:
        rows = con.execute("SELECT url, endpoint_url, region FROM meta.lake").fetchall()
    except duckdb.CatalogException:  # a warehouse from before the lake could move
        return None
    if not rows or rows[0][0] is None:
        return None
    url, endpoint_url, region = rows[0]
    return S3Lake(url, endpoint_url=endpoint_url, region=region)


# Extensions other than the built-in ones would be downloaded, which fails offline.
_DUCKDB_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}


# Storage format of new warehouse files (see WarehouseRun.open).
_STORAGE: dict[str, str | bool | int | float | list[str]] = {"storage_compatibility_version": "v1.5.0"}


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_json_atomic(path: Path, payload: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload, default=str, indent=1))
    os.replace(tmp, path)


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _sql_list(values: list[str]) -> str:
    return "[" + ", ".join(_sql_str(v) for v in values) + "]"


class RunLog:
    """The run log outside the warehouse (data/runs/<run_id>.json): it survives failed and killed runs."""

    def __init__(self, data_dir: Path) -> None:
        self.dir = Path(data_dir) / "runs"

    def write(self, record: dict[str, Any]) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        _write_json_atomic(self.dir / f"{record['run_id']}.json", record)

    def records(self) -> list[dict[str, Any]]:
        if not self.dir.exists():
            return []
        out = []
        for path in sorted(self.dir.glob("*.json")):
            with contextlib.suppress(OSError, json.JSONDecodeError):
                out.append(json.loads(path.read_text()))
        return out


@dataclass
class WarehouseRun:
    """One run's exclusive, all-or-nothing write session on the warehouse under `data_dir`."""

    data_dir: Path
    kind: str
    as_of: date
    run_id: str = field(default_factory=new_run_id)
    lock_timeout: float = 0.0
    lake: Lake | None = None  # None: the lake under data_dir

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir)
        self.lake_dir = self.data_dir / LAKE
        self._lake: Lake = self.lake if self.lake is not None else LocalLake(self.data_dir)
        self.work_dir = self.data_dir / "work" / self.run_id
        self.work_path = self.work_dir / PUBLISHED
        self.started_at = _utcnow()
        self.rows: dict[str, int] = {}
        self.phase = "starting"
        self._con: duckdb.DuckDBPyConnection | None = None
        self._lock_fd: int | None = None
        self._mutex = threading.RLock()
        self._batches = 0
        self._keep: set[str] = set()
        self._published = False
        self._log = RunLog(self.data_dir)
        # Raw datasets of the published copy holding rows from the demo market; known once publish() has run.
        self.synthetic_datasets: tuple[str, ...] | None = None

    # -- lifecycle ---------------------------------------------------------

    def __enter__(self) -> WarehouseRun:
        self.open()
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        if self._published:
            self._release()
        elif exc is not None:
            self.abort(f"{type(exc).__name__}: {exc}")
        else:
            self.abort("the run ended without publishing")

    def open(self) -> None:
        """Take the writer lock and make the working copy."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._acquire_lock()
        try:
            self._record("running")
            self._set_phase("copying")
            self._clear_dead_work()
            self.work_dir.mkdir(parents=True, exist_ok=True)
            published = published_path(self.data_dir)
            if published.exists():
                shutil.copyfile(published, self.work_path)
            # A new warehouse is written in DuckDB 1.5's storage format, which 2.0 keeps on every later write:
            # BI tools and the DuckDB CLI built on 1.5 (the newest CLI there is) can open the published file.
            self._con = duckdb.connect(str(self.work_path), config={**_DUCKDB_CONFIG, **_STORAGE})
            self._con.execute("SET enable_progress_bar = false")
            try:
                self._lake.check()
                self._lake.attach(self._con)
                self._ensure_schema()
            except LakeError as exc:
                raise WarehouseError(str(exc)) from None
            self._settle_dead_runs()
            # Files the published catalog points at stay until the run after
            # next: a reader who opened it before this publish may still read them.
            self._keep = {r[0] for r in self._con.execute("SELECT path FROM meta.lake_files").fetchall()}
        except BaseException as exc:
            self.abort(f"{type(exc).__name__}: {exc}")
            raise

    def _acquire_lock(self) -> None:
        path = self.data_dir / LOCK_FILE
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + max(self.lock_timeout, 0.0)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 4096, 0).decode(errors="replace").strip() or "unknown"
                    os.close(fd)
                    raise WarehouseBusy(
                        f"another run is writing the warehouse in {self.data_dir} ({holder}); "
                        "wait for it to finish, or stop it, then run again"
                    ) from None
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.pwrite(
            fd, f"pid {os.getpid()}, run {self.run_id}, since {self.started_at:%Y-%m-%d %H:%M:%S} UTC".encode(), 0
        )
        self._lock_fd = fd

    def _release(self) -> None:
        with self._mutex:
            if self._con is not None:
                with contextlib.suppress(Exception):
                    self._con.close()
                self._con = None
            shutil.rmtree(self.work_dir, ignore_errors=True)
            if self._lock_fd is not None:
                with contextlib.suppress(OSError):
                    fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
                    os.close(self._lock_fd)
                self._lock_fd = None

    def _record(self, state: str, error: str | None = None, ended: datetime | None = None) -> None:
        self._log.write(
            {
                "run_id": self.run_id,
                "kind": self.kind,
                "as_of": self.as_of.isoformat(),
                "started_at": self.started_at.isoformat(sep=" "),
                "ended_at": ended.isoformat(sep=" ") if ended else None,
                "state": state,
                "phase": self.phase,
                "pid": os.getpid(),
                "rows": self.rows,
                "error": error,
            }
        )

    def _set_phase(self, phase: str) -> None:
        self.phase = phase
        self._record("running")

    def _settle_dead_runs(self) -> None:
        # We hold the lock, so any other run still marked running is dead. One
        # killed right after its rename did publish: the published file says so.
        published = {
            r[0] for r in self.con.execute("SELECT run_id FROM pipeline_runs WHERE state = 'published'").fetchall()
        }
        for record in self._log.records():
            if record.get("state") == "running" and record.get("run_id") != self.run_id:
                if record.get("run_id") in published:
                    record["state"] = "published"
                else:
                    record["state"] = "crashed"
                    record["error"] = f"stopped during phase {record.get('phase')!r}; nothing of it was published"
                self._log.write(record)

    def _clear_dead_work(self) -> None:
        work_root = self.data_dir / "work"
        if work_root.exists():
            for child in work_root.iterdir():
                if child.name != self.run_id:
                    shutil.rmtree(child, ignore_errors=True)

    def _record_lake(self) -> None:
        """Refuse a lake other than the one this catalog's files are in; record the lake (never its credentials)."""
        con = self.con
        recorded = con.execute("SELECT url, lake_id FROM meta.lake").fetchall()
        row = recorded[0] if recorded else None
        has_files = con.execute("SELECT count(*) FROM meta.lake_files").fetchall()[0][0] > 0
        if (row is not None or has_files) and (row[0] if row else None) != self._lake.url:
            was = row[0] if row and row[0] else str(self.lake_dir)
            raise WarehouseError(
                f"the warehouse in {self.data_dir} keeps its lake at {was}, but the settings put it at "
                f"{self._lake.describe()}; a lake does not move with a setting: set EEA_LAKE_URL back, or start "
                "a new warehouse in another EEA_DATA_DIR for the new lake"
            )
        lake_id = row[1] if row else secrets.token_hex(8)
        if isinstance(self._lake, S3Lake):
            self._lake.claim(lake_id, str(self.data_dir))
        endpoint = self._lake.endpoint_url if isinstance(self._lake, S3Lake) else None
        region = self._lake.region if isinstance(self._lake, S3Lake) else None
        con.execute("DELETE FROM meta.lake")
        con.execute(
            "INSERT INTO meta.lake VALUES (?, ?, ?, ?, ?)", [self._lake.url, endpoint, region, lake_id, _utcnow()]
        )

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            raise WarehouseError("the run is not open")
        return self._con

    def _ensure_schema(self) -> None:
        con = self.con
        for schema in ("meta", "raw", "staging"):
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        for stmt in duckdb.extract_statements((SCHEMA_DIR / "meta.sql").read_text()):
            con.execute(stmt.query)
        self._ensure_pipeline_runs()
        self._record_lake()  # before the raw views, which point into the lake
        for dataset in load_layer("raw"):
            self._refresh_raw_view(dataset)
        for view in load_layer("staging").values():
            for statement in view.statements:
                con.execute(statement)

    def _ensure_pipeline_runs(self) -> None:
        # A warehouse published before a column was added gets it (NULL for the runs it already holds), so the
        # comments that follow the CREATE find every column.
        con = self.con
        td = mart("pipeline_runs")
        con.execute(td.statements[0])
        have = {
            r[0]
            for r in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'main' AND table_name = 'pipeline_runs'"
            ).fetchall()
        }
        for column in td.columns:
            if column.name not in have:
                con.execute(f"ALTER TABLE main.pipeline_runs ADD COLUMN {column.name} {column.type}")
        for statement in td.statements[1:]:
            con.execute(statement)

    def _synthetic_datasets(self) -> tuple[str, ...]:
        """Raw datasets with at least one row whose `source` is the demo market, read from the rows themselves."""
        con = self.con
        found = []
        for dataset in load_layer("raw"):
            hit = con.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM raw.{dataset} WHERE source = ? LIMIT 1)", [SYNTHETIC_SOURCE]
            ).fetchone()
            if hit and hit[0]:
                found.append(dataset)
        return tuple(sorted(found))

    # -- raw layer ---------------------------------------------------------

    def land(
        self,
        dataset: str,
        table: pa.Table,
        *,
        source: str,
        window: tuple[date, date],
        scope: str | None = None,
    ) -> Landed:
        """Write a batch to the lake, replacing the partitions it covers (within `scope` values only, if given)."""
        with self._mutex:
            self._set_phase(f"landing {dataset}")
            td = raw_dataset(dataset)
            assert td.partition is not None
            self._batches += 1
            batch_id = f"{self.run_id}-{dataset}-{self._batches}"
            batch = self._conform(td, table, batch_id, source)
            landed_at = _utcnow()
            rows, parts = batch.num_rows, 0
            if rows:
                parts = self._write_partitions(td, batch, batch_id, source, landed_at, scope)
            self.con.execute(
                "INSERT INTO meta.batches VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [batch_id, dataset, source, self.run_id, self.as_of, window[0], window[1], rows, parts, landed_at],
            )
            self.rows[f"raw.{dataset}"] = self.rows.get(f"raw.{dataset}", 0) + rows
            return Landed(dataset, batch_id, rows, parts)

    def _conform(self, td: TableDef, table: pa.Table, batch_id: str, source: str) -> pa.Table:
        contract = td.arrow_schema(without_stamps=True)
        have = set(table.column_names)
        missing = [n for n in contract.names if n not in have]
        extra = [n for n in table.column_names if n not in contract.names]
        if missing or extra:
            raise LandingError(
                f"batch {batch_id} from {source!r} does not match the raw contract of {td.name} "
                f"(warehouse/schema/raw.sql): missing columns {missing}, unexpected columns {extra}"
            )
        try:
            table = table.select(contract.names).cast(contract)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise LandingError(
                f"batch {batch_id} from {source!r} for {td.name}: a column has the wrong type: {exc}"
            ) from None
        assert td.partition is not None
        nulls = table.column(td.partition).null_count
        if nulls:
            bad = pc.indices_nonzero(pc.is_null(table.column(td.partition))).to_pylist()[:10]
            raise LandingError(
                f"batch {batch_id} from {source!r} for {td.name}: {nulls} rows have no {td.partition} "
                f"(the partition date), e.g. rows {bad}"
            )
        return table

    def _check_keys(self, td: TableDef, batch_id: str, source: str) -> None:
        # Every key includes the partition date, so a batch without duplicated keys keeps raw unique.
        keys = ", ".join(td.key)
        dupes = self.con.execute(
            f"SELECT {keys}, count(*) AS n FROM _batch GROUP BY ALL HAVING count(*) > 1 ORDER BY ALL"
        ).fetchall()
        if dupes:
            sample = [dict(zip(td.key, row[:-1], strict=True)) for row in dupes[:5]]
            raise LandingError(
                f"batch {batch_id} from {source!r} for {td.name}: {len(dupes)} keys {list(td.key)} "
                f"appear more than once, e.g. {sample}"
            )

    def _write_partitions(
        self, td: TableDef, batch: pa.Table, batch_id: str, source: str, loaded_at: datetime, scope: str | None
    ) -> int:
        con = self.con
        part = td.partition
        assert part is not None
        # Locally the outbox is the dataset's folder in the lake; on object storage, one in the working directory.
        dataset_dir = self._lake.outbox(td.name, batch_id, self.work_dir)
        dataset_dir.mkdir(parents=True, exist_ok=True)
        con.register("_batch", batch)
        try:
            self._check_keys(td, batch_id, source)
            con.execute(f"CREATE OR REPLACE TEMP TABLE _touched AS SELECT DISTINCT {part} AS d FROM _batch")
            touched = con.execute("SELECT count(*) FROM _touched").fetchone()[0]  # type: ignore[index]
            old = [
                r[0]
                for r in con.execute(
                    "SELECT path FROM meta.lake_files WHERE layer = 'raw' AND dataset = ? "
                    "AND part_date IN (SELECT d FROM _touched)",
                    [td.name],
                ).fetchall()
            ]
            # The stamps are constants of the batch: DuckDB adds them as it writes.
            stamps = (
                f"{_sql_str(batch_id)} AS batch_id, {_sql_str(source)} AS source, "
                f"TIMESTAMP '{loaded_at.isoformat(sep=' ')}' AS loaded_at"
            )
            source_sql = f"SELECT *, {stamps} FROM _batch"
            if scope and old:
                # A partial batch (some tickers) keeps the other tickers' rows of the partitions it touches.
                paths = _sql_list([self._lake.location(p) for p in old])
                cols = ", ".join(td.column_names)
                source_sql = (
                    f"{source_sql} UNION ALL SELECT {cols} FROM read_parquet({paths}, union_by_name = true) "
                    f"WHERE {scope} NOT IN (SELECT DISTINCT {scope} FROM _batch)"
                )
            con.execute(
                f"COPY ({source_sql}) TO '{dataset_dir}' (FORMAT parquet, COMPRESSION zstd, "
                f"PARTITION_BY ({part}), WRITE_PARTITION_COLUMNS true, OVERWRITE_OR_IGNORE true, "
                f"FILENAME_PATTERN '{batch_id}_{{i}}')"
            )
        finally:
            con.unregister("_batch")
        written = sorted(str(p) for p in dataset_dir.glob(f"{part}=*/{batch_id}_*.parquet"))
        if not written:
            raise WarehouseError(f"batch {batch_id}: the lake write for {td.name} produced no files")
        meta = con.execute(f"SELECT file_name, num_rows FROM parquet_file_metadata({_sql_list(written)})").fetchall()
        try:
            self._lake.put(dataset_dir, td.name)
        except LakeError as exc:
            raise WarehouseError(f"batch {batch_id}: {exc}") from None
        now = _utcnow()
        entries = []
        for file_name, num_rows in meta:
            path = Path(file_name)
            part_value = date.fromisoformat(path.parent.name.split("=", 1)[1])
            rel = f"{LAKE}/raw/{td.name}/{path.relative_to(dataset_dir)}"
            entries.append(["raw", td.name, part_value, rel, batch_id, num_rows, now])
        con.execute(
            "DELETE FROM meta.lake_files WHERE layer = 'raw' AND dataset = ? AND part_date IN (SELECT d FROM _touched)",
            [td.name],
        )
        # One set-based insert: row-by-row inserts cost seconds for a 10-year batch of daily partitions.
        manifest = pa.table(
            {
                "layer": [e[0] for e in entries],
                "dataset": [e[1] for e in entries],
                "part_date": pa.array([e[2] for e in entries], pa.date32()),
                "path": [e[3] for e in entries],
                "batch_id": [e[4] for e in entries],
                "rows": pa.array([e[5] for e in entries], pa.int64()),
                "written_at": pa.array([e[6] for e in entries], pa.timestamp("us")),
            }
        )
        con.register("_manifest", manifest)
        try:
            con.execute("INSERT INTO meta.lake_files SELECT * FROM _manifest")
        finally:
            con.unregister("_manifest")
        self._refresh_raw_view(td.name)
        return int(touched)

    def _refresh_raw_view(self, dataset: str) -> None:
        con = self.con
        td = raw_dataset(dataset)
        paths = [
            self._lake.location(r[0])
            for r in con.execute(
                "SELECT path FROM meta.lake_files WHERE layer = 'raw' AND dataset = ? ORDER BY part_date, path",
                [dataset],
            ).fetchall()
        ]
        kinds = {
            r[0]
            for r in con.execute(
                "SELECT 'view' FROM duckdb_views() WHERE schema_name = 'raw' AND view_name = ? "
                "UNION ALL SELECT 'table' FROM duckdb_tables() WHERE schema_name = 'raw' AND table_name = ?",
                [dataset, dataset],
            ).fetchall()
        }
        if "table" in kinds:
            con.execute(f"DROP TABLE raw.{dataset}")
        if "view" in kinds:
            con.execute(f"DROP VIEW raw.{dataset}")
        if paths:
            cols = ", ".join(td.column_names)
            con.execute(
                f"CREATE VIEW raw.{dataset} AS SELECT {cols} FROM read_parquet({_sql_list(paths)}, union_by_name = true)"
            )
        else:
            # No data yet: an empty table with the contract, so staging and marts still resolve.
            con.execute(td.statements[0])

    # -- quarantine --------------------------------------------------------

    def quarantine(
        self, dataset: str, table: pa.Table, *, source: str, window: tuple[date, date], report: dict[str, Any]
    ) -> str:
        """Keep a batch that failed its gate whole, with its validation report, outside the lake the catalog reads."""
        with self._mutex:
            self._batches += 1
            batch_id = report.get("batch_id") or f"{self.run_id}-{dataset}-{self._batches}"
            folder = quarantine_dir(self.data_dir) / dataset
            folder.mkdir(parents=True, exist_ok=True)
            import pyarrow.parquet as pq

            pq.write_table(table, folder / f"{batch_id}.parquet", compression="zstd")
            record = {
                "batch_id": batch_id,
                "dataset": dataset,
                "source": source,
                "run_id": self.run_id,
                "as_of": self.as_of.isoformat(),
                "window": [window[0].isoformat(), window[1].isoformat()],
                "rows": table.num_rows,
                "quarantined_at": _utcnow().isoformat(sep=" "),
                **report,
            }
            _write_json_atomic(folder / f"{batch_id}.json", record)
            self.rows[f"quarantined.{dataset}"] = self.rows.get(f"quarantined.{dataset}", 0) + table.num_rows
            return batch_id

    def next_batch_id(self, dataset: str) -> str:
        """The id the next landing of `dataset` in this run will carry (validation reports name it before it lands)."""
        return f"{self.run_id}-{dataset}-{self._batches + 1}"

    # -- marts -------------------------------------------------------------

    def rebuild(self, name: str, data: pa.Table | pd.DataFrame) -> int:
        """Replace mart `name` with `data`, whose columns must be exactly those of its DDL in marts.sql."""
        with self._mutex:
            self._set_phase(f"building {name}")
            td = mart(name)
            table = data if isinstance(data, pa.Table) else pa.Table.from_pandas(data, preserve_index=False)
            expected = list(td.column_names)
            if sorted(table.column_names) != sorted(expected):
                missing = [c for c in expected if c not in table.column_names]
                extra = [c for c in table.column_names if c not in expected]
                raise WarehouseError(
                    f"the transform for {name} returned columns that do not match its DDL in warehouse/schema/marts.sql: "
                    f"missing {missing}, unexpected {extra}"
                )
            con = self.con
            con.execute(f"DROP TABLE IF EXISTS main.{name}")
            for statement in td.statements:
                con.execute(statement)
            con.register("_mart", table)
            try:
                con.execute(f"INSERT INTO main.{name} SELECT {', '.join(expected)} FROM _mart")
            except duckdb.Error as exc:
                raise WarehouseError(f"rebuilding {name}: {exc}") from None
            finally:
                con.unregister("_mart")
            rows = table.num_rows
            con.execute(
                "INSERT OR REPLACE INTO meta.table_builds VALUES (?, ?, ?, ?, ?)",
                [name, self.as_of, self.run_id, rows, _utcnow()],
            )
            self.rows[name] = rows
            return rows

    def query(self, sql: str, params: list[Any] | None = None) -> pa.Table:
        """Read from the run's working copy (its raw, staging and marts as this run sees them)."""
        with self._mutex:
            return self.con.sql(sql, params=params).to_arrow_table()

    # -- publish -----------------------------------------------------------

    def publish(self) -> Path:
        """Make this run's copy the published warehouse, atomically; then clear files no reader can need."""
        with self._mutex:
            self._set_phase("publishing")
            con = self.con
            ended = _utcnow()
            self._import_run_log(con)
            synthetic = self._synthetic_datasets()
            con.execute(
                "INSERT OR REPLACE INTO pipeline_runs (run_id, kind, as_of, started_at, ended_at, state, rows, error, "
                "synthetic, synthetic_datasets) VALUES (?, ?, ?, ?, ?, 'published', ?, NULL, ?, ?)",
                [
                    self.run_id,
                    self.kind,
                    self.as_of,
                    self.started_at,
                    ended,
                    json.dumps(self.rows, sort_keys=True),
                    bool(synthetic),
                    list(synthetic),
                ],
            )
            current = {r[0] for r in con.execute("SELECT path FROM meta.lake_files").fetchall()}
            con.execute("CHECKPOINT")
            con.close()
            self._con = None
            with open(self.work_path, "rb+") as fh:
                os.fsync(fh.fileno())
            target = published_path(self.data_dir)
            os.replace(self.work_path, target)
            _fsync_dir(self.data_dir)
            self._published = True
            self.synthetic_datasets = synthetic
            self.phase = "published"
            self._record("published", ended=ended)
            self._collect_garbage(current | self._keep)
            self._release()
            return target

    def _import_run_log(self, con: duckdb.DuckDBPyConnection) -> None:
        # Failed and killed runs never publish; the next run that does writes them down.
        known = {r[0] for r in con.execute("SELECT run_id FROM pipeline_runs").fetchall()}
        for rec in self._log.records():
            if rec.get("run_id") in known or rec.get("state") not in ("failed", "crashed"):
                continue
            # Whether a run that never published read demo data is not known: synthetic stays NULL.
            con.execute(
                "INSERT INTO pipeline_runs (run_id, kind, as_of, started_at, ended_at, state, rows, error) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    rec["run_id"],
                    rec.get("kind", "unknown"),
                    rec.get("as_of"),
                    rec.get("started_at"),
                    rec.get("ended_at"),
                    rec["state"],
                    json.dumps(rec.get("rows") or {}, sort_keys=True),
                    rec.get("error"),
                ],
            )

    def _collect_garbage(self, keep: set[str]) -> None:
        # Everything in the lake not kept goes, also what crashed runs left: a clean-up missed now is done next time.
        with contextlib.suppress(LakeError, OSError):
            self._lake.delete(self._lake.raw_files() - keep)

    def abort(self, error: str) -> None:
        """Give up: nothing is published; the run log says why."""
        self._release()
        self._record("failed", error=f"during {self.phase}: {error}", ended=_utcnow())


@contextlib.contextmanager
def open_run(data_dir: Path, *, kind: str, as_of: date, lock_timeout: float = 0.0) -> Iterator[WarehouseRun]:
    """A write session; publish() inside it, or nothing is published."""
    run = WarehouseRun(Path(data_dir), kind=kind, as_of=as_of, lock_timeout=lock_timeout)
    with run:
        yield run
