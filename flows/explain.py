"""`eea explain TICKER`: a member's whole derivation, from the published eea_explain mart or recomputed for another as-of.

For the published as-of the rows are the mart's. For an earlier date the model is run again, read-only, on the
published warehouse's point-in-time inputs (filings filed, prices and rates dated on or before that date), so no
run, no lock and no write is involved.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import duckdb
import pandas as pd

from config.settings import Settings
from warehouse.store import WarehouseError, connect_readonly


class _ReadOnlyRun:
    """The one method of a warehouse run the model step reads through, on a read-only connection."""

    def __init__(self, con: Any) -> None:
        self.con = con

    def query(self, sql: str, params: list[Any] | None = None) -> Any:
        return self.con.sql(sql, params=params).to_arrow_table()


def _recompute(settings: Settings, con: Any, as_of: date) -> pd.DataFrame:
    from flows.model import model_results
    from flows.runtime import RunContext

    ctx = RunContext(settings=settings, run=_ReadOnlyRun(con), as_of=as_of, kind="explain")  # type: ignore[arg-type]
    model_results(ctx)
    frame: pd.DataFrame = ctx.cache["eea_explain"]
    return frame


def synthetic_datasets(con: Any) -> list[str] | None:
    """The raw datasets of the published warehouse that hold demo-market rows (pipeline_runs), None if unrecorded."""
    rows = con.execute(
        "SELECT synthetic, synthetic_datasets FROM pipeline_runs WHERE state = 'published' "
        "ORDER BY ended_at DESC LIMIT 1"
    ).fetchall()
    if not rows or rows[0][0] is None:
        return None
    return list(rows[0][1] or []) if rows[0][0] else []


def explain_rows(settings: Settings, ticker: str, as_of: date | None = None) -> tuple[date, pd.DataFrame]:
    """(as_of, the ticker's eea_explain rows); WarehouseError when the warehouse or the ticker has none.

    rows.attrs["synthetic"]: the datasets that come from the simulated demo market (empty: none; None: unknown).
    """
    from flows.runtime import lake_for

    con = connect_readonly(settings.data_dir, lake_for(settings))
    try:
        try:
            published = con.execute("SELECT max(as_of) FROM eea_explain").fetchall()
        except duckdb.CatalogException:
            raise WarehouseError(
                f"{settings.warehouse_path}: no eea_explain table (published before it existed); run `eea run` first"
            ) from None
        latest = published[0][0] if published else None
        day = as_of or latest
        if day is None:
            raise WarehouseError(f"{settings.warehouse_path}: no eea_explain rows yet; run `eea run` first")
        if day == latest:
            rows = con.execute(
                "SELECT * EXCLUDE (inputs_as_of) FROM eea_explain WHERE upper(ticker) = upper(?) "
                "ORDER BY index_name, step, fiscal_year NULLS FIRST, concept NULLS FIRST",
                [ticker],
            ).df()
        else:
            frame = _recompute(settings, con, day)
            rows = frame[frame["ticker"].str.upper() == ticker.upper()].reset_index(drop=True)
        synthetic = synthetic_datasets(con)
    finally:
        con.close()
    if rows.empty:
        raise WarehouseError(
            f"{ticker}: no derivation on {day}: not a member the model used (see eea_exclusions for the reason)"
        )
    rows.attrs["synthetic"] = synthetic
    return day, rows


def _number(value: Any, unit: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if unit == "fraction":
        return f"{100 * value:.4f}%"
    if unit == "percent":
        return f"{value:.4f}%"
    return f"{value:,.4f}" if abs(value) < 1000 else f"{value:,.0f}"


def _day(value: Any) -> str:
    return str(pd.Timestamp(value).date()) if value is not None and pd.notna(value) else ""


def format_explain(ticker: str, day: date, rows: pd.DataFrame) -> str:
    """The rows as a text a reader can redo by hand, section by section."""
    out = [f"{ticker.upper()} as of {day}: every number and where it comes from"]
    synthetic = rows.attrs.get("synthetic")
    if synthetic:
        out.insert(0, f"SYNTHETIC DEMO MARKET - not real data (simulated: {', '.join(synthetic)})")
    for (index_name, section), part in rows.groupby(["index_name", "section"], sort=False):
        out.append("")
        out.append(f"[{index_name}] {section}")
        for _, r in part.iterrows():
            fy = f"FY{int(r['fiscal_year'])}" if pd.notna(r["fiscal_year"]) else ""
            start, end = _day(r["period_start"]), _day(r["period_end"])
            period = f"{start}..{end}" if start else end
            filed = _day(r["filed"])
            where = [r["concept"], r["form"], r["accession"], f"filed {filed}" if filed else None]
            fields = [f"{r['item']:<22}{_number(r['value'], r['unit']):>22}", fy, period]
            fields += [str(x) for x in where if x is not None and pd.notna(x)]
            out.append("  " + "  ".join(f for f in fields if f))
            if pd.notna(r["derivation"]) and r["derivation"]:
                out.append(f"  {'':<22}  = {r['derivation']}")
    return "\n".join(out)
