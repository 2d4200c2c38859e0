"""The data dictionary: every mart with its table comment and a column | type | meaning table, as markdown.

Rendering is pure (catalog rows in, markdown out). The rows come from `duckdb_tables()` and `duckdb_columns()` of
the published warehouse (`write_dictionary`, written by every run into the export folder) or of a fresh warehouse
built from `warehouse/schema/marts.sql` (`from_ddl`, committed as docs/DATA_DICTIONARY.md and regenerated with
`.venv/bin/python -m warehouse.dictionary > docs/DATA_DICTIONARY.md`).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

import duckdb

from warehouse.ddl import load_layer
from warehouse.store import WarehouseError, published_path

REGENERATE = ".venv/bin/python -m warehouse.dictionary > docs/DATA_DICTIONARY.md"
MARTS_SCHEMA = "main"
# Extensions other than the built-in ones would be downloaded, which fails offline.
_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}


class TableDoc(NamedTuple):
    """One row of duckdb_tables(): a mart and its comment."""

    table: str
    comment: str | None


class ColumnDoc(NamedTuple):
    """One row of duckdb_columns(): a column of a mart, its type and its comment."""

    table: str
    column: str
    type: str
    comment: str | None


def _cell(text: str | None) -> str:
    # A pipe would end the markdown cell and a newline the row.
    return " ".join((text or "").split()).replace("|", "\\|")


def render_dictionary(tables: Iterable[TableDoc], columns: Iterable[ColumnDoc]) -> str:
    """Markdown: an index of the marts, then per mart (by name) a heading, its comment and its columns in order."""
    docs = sorted(tables, key=lambda t: t.table)
    by_table: dict[str, list[ColumnDoc]] = {}
    for col in columns:
        by_table.setdefault(col.table, []).append(col)
    lines = [
        "# Data dictionary",
        "",
        "Every mart of the published warehouse (`warehouse.duckdb`, schema `main`; also exported as Parquet in",
        "`export/<table>/<table>.parquet`), with what each column means and its unit. Generated from the",
        "`COMMENT ON` statements in `warehouse/schema/marts.sql`; do not edit by hand, regenerate it:",
        "",
        f"    {REGENERATE}",
        "",
        *[f"- [{t.table}](#{t.table})" for t in docs],
    ]
    for t in docs:
        lines += ["", f"## {t.table}", "", _cell(t.comment) or "(no comment)", ""]
        lines += ["| column | type | meaning |", "|---|---|---|"]
        lines += [f"| `{c.column}` | {_cell(c.type)} | {_cell(c.comment)} |" for c in by_table.get(t.table, [])]
    return "\n".join(lines) + "\n"


def catalog(con: duckdb.DuckDBPyConnection, database: str | None = None) -> tuple[list[TableDoc], list[ColumnDoc]]:
    """The marts' rows of duckdb_tables() and duckdb_columns() (columns in table order) of `database` (default: current)."""
    db = database or con.execute("SELECT current_database()").fetchone()[0]  # type: ignore[index]
    tables = [
        TableDoc(*row)
        for row in con.execute(
            "SELECT table_name, comment FROM duckdb_tables() "
            "WHERE database_name = ? AND schema_name = ? AND NOT temporary ORDER BY table_name",
            [db, MARTS_SCHEMA],
        ).fetchall()
    ]
    columns = [
        ColumnDoc(*row)
        for row in con.execute(
            "SELECT c.table_name, c.column_name, c.data_type, c.comment FROM duckdb_columns() c "
            "JOIN duckdb_tables() t USING (database_name, schema_name, table_name) "
            "WHERE c.database_name = ? AND c.schema_name = ? AND NOT t.temporary "
            "ORDER BY c.table_name, c.column_index",
            [db, MARTS_SCHEMA],
        ).fetchall()
    ]
    return tables, columns


def from_ddl() -> str:
    """The dictionary of a fresh warehouse built from warehouse/schema/marts.sql (what docs/DATA_DICTIONARY.md holds)."""
    con = duckdb.connect(":memory:", config=_CONFIG)
    try:
        for table in load_layer("marts").values():
            for statement in table.statements:
                con.execute(statement)
        return render_dictionary(*catalog(con))
    finally:
        con.close()


@contextlib.contextmanager
def attach_published(data_dir: Path, alias: str = "w") -> Iterator[duckdb.DuckDBPyConnection]:
    """The published warehouse attached read-only as `alias` to a new in-memory database.

    Not `duckdb.connect(path, read_only=True)`: DuckDB keeps one database instance per file and process, so in a
    process that still holds a connection to the file from before a publish (the run's own, after it published)
    connect() hands back that instance, i.e. the replaced file. ATTACH opens the file now on disk.
    """
    path = published_path(data_dir)
    if not path.exists():
        raise WarehouseError(f"no published warehouse at {path}: run `make run` (or `eea run`) first")
    con = duckdb.connect(":memory:", config=_CONFIG)
    try:
        con.execute("SET enable_progress_bar = false")
        quoted = str(path).replace("'", "''")
        con.execute(f"ATTACH '{quoted}' AS {alias} (READ_ONLY)")
        yield con
    finally:
        con.close()


def write_text_atomic(path: Path, text: str) -> Path:
    """Write `text` to `path` through a temporary file and a rename, so a reader never sees half of it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{secrets.token_hex(3)}")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return path


def write_dictionary(data_dir: Path, target: Path) -> Path:
    """Write the dictionary of the published warehouse under `data_dir` to `target`; the file written."""
    with attach_published(data_dir) as con:
        text = render_dictionary(*catalog(con, "w"))
    return write_text_atomic(target, text)


if __name__ == "__main__":
    sys.stdout.write(from_ddl())
