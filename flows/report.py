"""The HTML report of the published warehouse: one self-contained page an analyst can open anywhere.

This module is the IO edge: it reads the published marts into frames and writes `reports/report_<as_of>.html` and
`reports/report.html` (the latest); `flows/report_html.py` turns the frames into the page.
"""

from __future__ import annotations

import logging
import os
import tempfile
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from flows.report_html import SCREEN_SIZE, SMALL_UNDERLYING, ReportData, render_report
from warehouse.store import WarehouseError, published_path

log = logging.getLogger(__name__)

ALIAS = "published"
# As in warehouse/store.py: extensions beyond the built-in ones would be downloaded, which fails offline.
_DUCKDB_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}


def open_published(data_dir: Path) -> duckdb.DuckDBPyConnection:
    """A read-only view of the file that is published *now*, even inside the process that just published it.

    `duckdb.connect(path)` hands back the database instance the process already has open for that path, if any: a
    reader that opened the warehouse before the last publish keeps the replaced file alive, and a new connection
    would read the old run. A fresh in-memory database (never shared) that ATTACHes the path opens the file there
    now, i.e. the one `publish` renamed into place.
    """
    path = published_path(data_dir)
    if not path.exists():
        raise WarehouseError(f"no published warehouse at {path}: run `make run` (or `eea run`) first")
    con = duckdb.connect(":memory:", config=_DUCKDB_CONFIG)
    try:
        quoted = str(path.resolve()).replace("'", "''")
        con.execute(f"ATTACH '{quoted}' AS {ALIAS} (READ_ONLY)")
        con.execute(f"USE {ALIAS}")
    except BaseException:
        con.close()
        raise
    return con


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND schema_name = 'main'", [ALIAS]
    ).fetchall()
    return {r[0] for r in rows}


def _frame(
    con: duckdb.DuckDBPyConnection, tables: set[str], table: str, sql: str, params: list | None = None
) -> pd.DataFrame | None:
    """The query's rows, or None when `table` is not in the warehouse (a first load publishes only some marts)."""
    if table not in tables:
        return None
    return con.execute(sql, params or []).df()


def _inputs(con: duckdb.DuckDBPyConnection, tables: set[str]) -> pd.DataFrame:
    """table, inputs_as_of (the oldest in it) for every non-empty mart that records how current its inputs are."""
    names = [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM duckdb_columns() WHERE database_name = ? AND schema_name = 'main' "
            "AND column_name = 'inputs_as_of' ORDER BY table_name",
            [ALIAS],
        ).fetchall()
        if r[0] in tables
    ]
    if not names:
        return pd.DataFrame({"table": pd.Series(dtype=str), "inputs_as_of": pd.Series(dtype="datetime64[us]")})
    sql = " UNION ALL ".join(
        f'SELECT \'{n}\' AS "table", min(inputs_as_of) AS inputs_as_of FROM main."{n}"' for n in names
    )
    return con.sql(sql).df().dropna(subset=["inputs_as_of"]).reset_index(drop=True)


def read_report_data(con: duckdb.DuckDBPyConnection) -> ReportData:
    """Everything the report shows, from a connection to the published warehouse (see `open_published`)."""
    tables = _tables(con)
    run = None
    if "pipeline_runs" in tables:
        columns = {
            r[0]
            for r in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE database_name = ? AND schema_name = 'main' "
                "AND table_name = 'pipeline_runs'",
                [ALIAS],
            ).fetchall()
        }
        # A warehouse published before the synthetic columns were kept: unknown, never guessed.
        recorded = "synthetic, synthetic_datasets" if "synthetic" in columns else "NULL, NULL"
        run = con.execute(
            f"SELECT run_id, as_of, ended_at, {recorded} FROM pipeline_runs WHERE state = 'published' "
            "ORDER BY ended_at DESC NULLS LAST, run_id DESC LIMIT 1"
        ).fetchone()
    as_of: date | None = run[1] if run else None
    screen_sql = "SELECT * FROM eea_screen WHERE index_name = 'russell_2000' AND rank <= ? ORDER BY rank"
    return ReportData(
        as_of=as_of,
        published_at=run[2] if run else None,
        run_id=run[0] if run else None,
        synthetic=run[3] if run else None,
        synthetic_datasets=tuple(run[4] or ()) if run else (),
        inputs=_inputs(con, tables),
        eea_index=_frame(con, tables, "eea_index", "SELECT * FROM eea_index ORDER BY index_name, fiscal_year, series"),
        eea_sensitivity=_frame(con, tables, "eea_sensitivity", "SELECT * FROM eea_sensitivity ORDER BY ALL"),
        sentiment_index=_frame(
            con, tables, "sentiment_index", "SELECT * FROM sentiment_index WHERE period = 'month' ORDER BY period_start"
        ),
        options_activity=_frame(
            con,
            tables,
            "options_activity",
            "SELECT underlying, trade_date, put_volume, call_volume, pc_volume_ratio, put_volume_z, pc_volume_z, "
            "hedging_spike FROM options_activity WHERE underlying = ? ORDER BY trade_date",
            [SMALL_UNDERLYING],
        ),
        options_small_vs_large=_frame(
            con,
            tables,
            "options_small_vs_large",
            "SELECT * FROM options_small_vs_large WHERE small = ? ORDER BY trade_date",
            [SMALL_UNDERLYING],
        ),
        sector_exposure=_frame(con, tables, "sector_exposure", "SELECT * FROM sector_exposure ORDER BY ALL"),
        eea_screen=_frame(con, tables, "eea_screen", screen_sql, [SCREEN_SIZE]),
        eea_exclusions=_frame(
            con, tables, "eea_exclusions", "SELECT index_name, ticker, reason, stage FROM eea_exclusions ORDER BY ALL"
        ),
    )


def _write_atomic(path: Path, content: str) -> None:
    # A reader (a browser, a file server) sees the old page or the new one, never half of one.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes it private; the page is for anyone who can read the data directory
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_report(data_dir: Path) -> Path:
    """Write reports/report_<as_of>.html and reports/report.html from the published warehouse; the dated file.

    Raises WarehouseError when nothing has been published yet.
    """
    data_dir = Path(data_dir)
    con = open_published(data_dir)
    try:
        data = read_report_data(con)
    finally:
        con.close()
    page = render_report(data)
    folder = data_dir / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    latest = folder / "report.html"
    written = latest
    if data.as_of is not None:
        written = folder / f"report_{data.as_of.isoformat()}.html"
        _write_atomic(written, page)
    _write_atomic(latest, page)
    log.info("report written: %s (%d bytes)", written, len(page))
    return written


def after_publish_report(data_dir: Path) -> Path | None:
    """Write the report of what was just published; the file written, None if nothing was."""
    if not published_path(Path(data_dir)).exists():
        log.warning("report: no published warehouse in %s; no report this run", data_dir)
        return None
    return write_report(Path(data_dir))
