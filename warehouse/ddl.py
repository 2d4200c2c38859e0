"""The schema files read as data: per table its layer, DDL statements, columns with types, key and partition column."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb
import pyarrow as pa

SCHEMA_DIR = Path(__file__).resolve().parent / "schema"
LAYERS = ("meta", "raw", "staging", "marts")
# Marts live in the default schema so analysts write `FROM daily_prices`.
SCHEMA_OF_LAYER = {"meta": "meta", "raw": "raw", "staging": "staging", "marts": "main"}
# Columns the landing step stamps on every raw row; sources never send them.
STAMP_COLUMNS = ("batch_id", "source", "loaded_at")

_TARGET = re.compile(
    r"^\s*(?:CREATE\s+(?:OR\s+REPLACE\s+)?(?:TABLE|VIEW)\s+(?:IF\s+NOT\s+EXISTS\s+)?|COMMENT\s+ON\s+(?:TABLE|COLUMN|VIEW)\s+)"
    r"(?:(\w+)\.)?(\w+)",
    re.IGNORECASE,
)
_PARTITION = re.compile(r"^--\s*partition:\s*(\w+)\s*$", re.MULTILINE)
_ARRIVAL = re.compile(r"^--\s*arrival:\s*(\w+)\s*$", re.MULTILINE)
# How a raw dataset's rows arrive (the `-- arrival:` line of raw.sql): about the same rows every day, or when
# events (filings, calls, estimate revisions) happen. Every raw table must say which.
DENSE = "dense"
SPARSE = "sparse"
ARRIVALS = (DENSE, SPARSE)


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool


@dataclass(frozen=True)
class TableDef:
    """One table or view of a layer, as its schema file defines it."""

    layer: str
    name: str
    statements: tuple[str, ...]
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    partition: str | None
    is_view: bool
    arrival: str | None = None  # raw tables only: DENSE or SPARSE

    @property
    def schema(self) -> str:
        return SCHEMA_OF_LAYER[self.layer]

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def arrow_schema(self, without_stamps: bool = False) -> pa.Schema:
        """The Arrow schema of this table (raw contract without the stamp columns, if asked)."""
        return (
            _arrow_schemas(self.layer)[self.name]
            if not without_stamps
            else pa.schema([f for f in _arrow_schemas(self.layer)[self.name] if f.name not in STAMP_COLUMNS])
        )


def _statement_target(sql: str) -> str:
    # COMMENT ON COLUMN t.col has the table in the qualifier when there is no schema.
    body = "\n".join(line for line in sql.splitlines() if not line.strip().startswith("--"))
    head = re.match(r"^\s*COMMENT\s+ON\s+COLUMN\s+([\w.]+)", body, re.IGNORECASE)
    if head:
        parts = head.group(1).split(".")
        return parts[-2]
    match = _TARGET.match(body)
    if not match:
        raise ValueError(f"cannot tell which table this schema statement is for: {sql[:80]!r}")
    return match.group(2)


def _scratch(layer: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for schema in ("meta", "raw", "staging"):
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    # Views of staging select from raw, so raw must exist to define them.
    needed = ["raw", layer] if layer == "staging" else [layer]
    for name in needed:
        for stmt in duckdb.extract_statements((SCHEMA_DIR / f"{name}.sql").read_text()):
            con.execute(stmt.query)
    return con


@cache
def load_layer(layer: str) -> dict[str, TableDef]:
    """Every table of a layer, in file order."""
    if layer not in LAYERS:
        raise ValueError(f"unknown layer {layer!r}; layers are {LAYERS}")
    text = (SCHEMA_DIR / f"{layer}.sql").read_text()
    grouped: dict[str, list[str]] = {}
    partitions: dict[str, str] = {}
    arrivals: dict[str, str] = {}
    pending_partition: str | None = None
    for stmt in duckdb.extract_statements(text):
        sql = stmt.query.strip()
        target = _statement_target(sql)
        grouped.setdefault(target, []).append(sql)
    # A `-- partition: col` line applies to the CREATE TABLE right after it.
    for chunk in re.split(r";\s*\n", text):
        found = _PARTITION.search(chunk)
        if found:
            pending_partition = found.group(1)
        create = re.search(r"CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(?:\w+\.)?(\w+)", chunk, re.IGNORECASE)
        if create and pending_partition:
            partitions[create.group(1)] = pending_partition
            pending_partition = None
        arrival = _ARRIVAL.search(chunk)
        if create and arrival:
            if arrival.group(1) not in ARRIVALS:
                raise ValueError(
                    f"{layer}.sql: {create.group(1)} has arrival {arrival.group(1)!r}; it must be one of {ARRIVALS}"
                )
            arrivals[create.group(1)] = arrival.group(1)
    con = _scratch(layer)
    schema = SCHEMA_OF_LAYER[layer]
    out: dict[str, TableDef] = {}
    for name, statements in grouped.items():
        cols = con.execute(
            "SELECT column_name, data_type, is_nullable = 'YES' FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            [schema, name],
        ).fetchall()
        keys = con.execute(
            "SELECT constraint_column_names FROM duckdb_constraints() WHERE schema_name = ? AND table_name = ? "
            "AND constraint_type IN ('PRIMARY KEY', 'UNIQUE') ORDER BY constraint_type",
            [schema, name],
        ).fetchall()
        is_view = bool(
            con.execute(
                "SELECT count(*) FROM duckdb_views() WHERE schema_name = ? AND view_name = ?", [schema, name]
            ).fetchone()[0]  # type: ignore[index]
        )
        out[name] = TableDef(
            layer=layer,
            name=name,
            statements=tuple(statements),
            columns=tuple(Column(c, t, bool(n)) for c, t, n in cols),
            key=tuple(keys[0][0]) if keys else (),
            partition=partitions.get(name),
            is_view=is_view,
            arrival=arrivals.get(name),
        )
    con.close()
    if layer == "raw":
        undeclared = sorted(name for name, t in out.items() if not t.is_view and t.arrival is None)
        if undeclared:
            raise ValueError(f"raw.sql: no `-- arrival: dense|sparse` line for {', '.join(undeclared)}")
    return out


@cache
def _arrow_schemas(layer: str) -> dict[str, pa.Schema]:
    con = _scratch(layer)
    schema = SCHEMA_OF_LAYER[layer]
    out = {}
    for name in load_layer(layer):
        out[name] = con.sql(f"SELECT * FROM {schema}.{name} LIMIT 0").to_arrow_table().schema
    con.close()
    return out


def raw_dataset(dataset: str) -> TableDef:
    """The raw contract of a dataset; ValueError naming the datasets if unknown."""
    tables = load_layer("raw")
    if dataset not in tables:
        raise ValueError(f"unknown dataset {dataset!r}; datasets are {sorted(tables)}")
    return tables[dataset]


def mart(name: str) -> TableDef:
    """The DDL of one mart table."""
    tables = load_layer("marts")
    if name not in tables:
        raise ValueError(f"no mart named {name!r} in warehouse/schema/marts.sql; marts are {sorted(tables)}")
    return tables[name]
