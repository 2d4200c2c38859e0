"""explain: the whole derivation of each member's model numbers for one as-of date, one row per number (eea_explain).

Pure: frames in, frames out. A reader redoes every number from the rows before it: each filed input names its
us-gaap concept, fiscal year, period, form, accession number and filing date; each derived number states its
formula. Steps, in order: the price and shares (market cap), the FY0 balance sheet items of EV, EV; FY0's income
statement and the R&D history behind the Uniform adjustments, the adjusted earnings and assets, ROA; r; the growth
path; the valuation's a and b, R* and the implied ROA path.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from models.eea import valuation_coefficients

COLUMNS = [
    "as_of", "index_name", "ticker", "step", "section", "item", "value", "unit", "fiscal_year", "concept",
    "period_start", "period_end", "form", "accession", "filed", "derivation",
]  # fmt: skip

# Filed items of a statement row: (item, its concept column). Debt's concept may name several facts ('+').
FILED_ITEMS = (
    ("revenue", "revenue_concept"),
    ("operating_income", "operating_income_concept"),
    ("rd", "rd_concept"),
    ("tax", "tax_concept"),
    ("pretax", "pretax_concept"),
    ("interest", "interest_concept"),
    ("net_income", "net_income_concept"),
    ("assets", "assets_concept"),
    ("payables", "payables_concept"),
    ("accrued", "accrued_concept"),
    ("cash", "cash_concept"),
    ("debt", "debt_concept"),
    ("preferred", "preferred_concept"),
    ("minority_interest", "minority_interest_concept"),
)

_FORMULA = {
    "market_cap": "close x shares outstanding (shares of the latest filing on or before the price date, x splits since)",
    "borrowings": "sum of the debt facts named in concept (see the debt rows)",
    "lease_liabilities": "operating + finance lease liabilities (leases are debt)",
    "debt": "borrowings + lease liabilities; 0 where none is tagged (debt_flag says if interest is paid)",
    "excess_cash": "max(cash - operating_cash x revenue, 0)",
    "ev": "market_cap + debt + preferred + minority_interest - excess_cash",
    "tax_rate": "tax / pretax, clipped to [0, 35%]; 25% where pretax <= 0 or tax unknown",
    "rd_amortisation": "sum of the R&D of the rd_years before FY0 / rd_years",
    "rd_unamortised": "sum over k = 0..rd_years-1 of R&D(FY0-k) x (rd_years - k) / rd_years",
    "adj_earnings": "(operating_income + rd - rd_amortisation) x (1 - tax_rate)",
    "adj_assets": "assets - payables - accrued - excess_cash + rd_unamortised",
    "adj_assets_opening": "adj_assets of the fiscal year before FY0",
    "roa_0": "adj_earnings / mean(adj_assets_opening, adj_assets) (closing alone where the opening is unknown)",
    "risk_free": "10-year Treasury yield on the last day on or before as_of, percent",
    "r": "risk_free / 100 + beta x equity risk premium",
    "g_terminal": "long-run growth after year H",
    "a": "sum_t [(1 - t/H) roa_0 A_{t-1} - (A_t - A_{t-1})] / (1+r)^t - g_terminal A_H / ((r - g_terminal)(1+r)^H)",
    "b": "sum_t (t/H) A_{t-1} / (1+r)^t + A_H / ((r - g_terminal)(1+r)^H)",
    "roa_steady": "R* = (ev - a) / b",
}


def _rows(frame: pd.DataFrame, items: list[tuple[str, str, str]], section: str, step0: int) -> pd.DataFrame:
    """Wide member rows to long rows: one per (member, item) with value, unit and the item's formula."""
    out = []
    for i, (column, item, unit) in enumerate(items):
        if column not in frame:
            continue
        part = frame[["index_name", "ticker", "fy0"]].copy()
        part["value"] = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        part["item"], part["unit"], part["section"], part["step"] = item, unit, section, step0 + i
        part["derivation"] = _FORMULA.get(item)
        part["fiscal_year"] = frame["fy0"] if section in ("balance sheet", "uniform") else pd.NA
        out.append(part)
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame()


def _filed(members: pd.DataFrame, statements: pd.DataFrame, sources: pd.DataFrame, rd_years: int) -> pd.DataFrame:
    """FY0's filed items and the R&D of the years before, each joined to the fact it was read from."""
    st = statements.merge(members[["index_name", "ticker", "cik", "fy0"]], on="cik", suffixes=("_st", ""))
    fy0 = st[st["fiscal_year"] == st["fy0"]]
    parts = []
    for i, (item, concept_col) in enumerate(FILED_ITEMS):
        if item not in fy0 or concept_col not in fy0:
            continue
        part = fy0[["index_name", "ticker", "cik", "fiscal_year", item, concept_col]].rename(
            columns={item: "total", concept_col: "concept"}
        )
        part = part.assign(item=item, step=100 + i, section="filings FY0")
        parts.append(part)
    history = st[(st["fiscal_year"] < st["fy0"]) & (st["fiscal_year"] >= st["fy0"] - rd_years)]
    rd = history[["index_name", "ticker", "cik", "fiscal_year", "rd", "rd_concept"]].rename(
        columns={"rd": "total", "rd_concept": "concept"}
    )
    parts.append(rd.assign(item="rd", step=150, section="R&D history"))
    opening = st[st["fiscal_year"] == st["fy0"] - 1][["index_name", "ticker", "cik", "fiscal_year", "adj_assets"]]
    long = pd.concat(parts, ignore_index=True)
    # A concept naming several facts (debt: 'LongTermDebt+OperatingLeaseLiability') gives one row per fact.
    long["concept"] = long["concept"].astype("string").str.split("+")
    long = long.explode("concept")
    long = long.merge(sources, on=["cik", "fiscal_year", "concept"], how="left")
    # Items no fact gives (R&D of a company without research spending): the statement's own value, concept null.
    long["value"] = long["value"].where(long["concept"].notna(), long["total"])
    long["derivation"] = pd.Series(None, index=long.index, dtype=object).mask(
        long["concept"].isna(), "no fact tagged: counted as 0 where the statements say so, else unknown"
    )
    long["unit"] = "USD"
    opening = opening.rename(columns={"adj_assets": "value"}).assign(
        item="adj_assets_opening", step=160, section="uniform", unit="USD", derivation=_FORMULA["adj_assets_opening"]
    )
    return pd.concat([long.drop(columns=["total"]), opening], ignore_index=True)


def explain(
    inputs: pd.DataFrame,
    statements: pd.DataFrame,
    sources: pd.DataFrame,
    extras: dict[str, Any],
    as_of: date,
    rd_years: int,
) -> pd.DataFrame:
    """Model inputs (company_inputs, with price_source and shares_filed/shares_accession where known), statements and
    their sources (transforms.statements.statements_with_sources) to eea_explain rows.

    extras: risk_free (percent), risk_free_date, beta, erp, operating_cash.
    """
    if inputs.empty:
        return pd.DataFrame(columns=COLUMNS)
    m = inputs.reset_index(drop=True).copy()
    h = len([c for c in m.columns if c.startswith("growth_") and c[7:].isdigit()])
    coefficients = valuation_coefficients(m[["ticker", "ev", "assets_0", "roa_0", "r", "g_terminal",
                                             *[f"growth_{t}" for t in range(1, h + 1)]]])  # fmt: skip
    m["a"], m["b"] = coefficients["a"].to_numpy(), coefficients["b"].to_numpy()
    with np.errstate(all="ignore"):
        m["roa_steady"] = (m["ev"] - m["a"]) / m["b"]
    m.loc[coefficients["reason"].notna().to_numpy(), "roa_steady"] = np.nan
    m["risk_free"] = extras.get("risk_free", np.nan)
    for t in range(1, h + 1):
        m[f"asset_path_{t}"] = coefficients[f"assets_{t}"].to_numpy()
        m[f"roa_implied_{t}"] = m["roa_0"] + (t / h) * (m["roa_steady"] - m["roa_0"])

    price = _rows(
        m,
        [("close", "close", "USD per share"), ("shares_outstanding", "shares_outstanding", "shares"),
         ("market_cap", "market_cap", "USD")],
        "price", 10,
    )  # fmt: skip
    by_ticker = m.set_index("ticker")
    is_close = (price["item"] == "close").to_numpy()
    is_shares = (price["item"] == "shares_outstanding").to_numpy()

    def per_row(column: str, rows: np.ndarray) -> pd.Series:
        values = by_ticker[column].reindex(price["ticker"]).to_numpy() if column in by_ticker else None
        out = pd.Series([None] * len(price), index=price.index, dtype=object)
        if values is not None:
            out[rows] = values[rows]
        return out

    price["period_end"] = per_row("price_date", is_close)
    price["concept"] = per_row("price_source", is_close)
    price["form"] = per_row("shares_form", is_shares).mask(is_close, "price")
    price["filed"] = per_row("shares_filed", is_shares)
    price["accession"] = per_row("shares_accession", is_shares)
    ev = _rows(
        m,
        [("borrowings", "borrowings", "USD"), ("lease_liabilities", "lease_liabilities", "USD"),
         ("debt", "debt", "USD"), ("preferred", "preferred", "USD"), ("minority_interest", "minority_interest", "USD"),
         ("excess_cash", "excess_cash", "USD"), ("ev", "ev", "USD")],
        "balance sheet", 20,
    )  # fmt: skip
    flags = m.set_index("ticker")["debt_flag"] if "debt_flag" in m else None
    if flags is not None:
        flagged = ev["item"].eq("debt") & flags.reindex(ev["ticker"]).notna().to_numpy()
        ev.loc[flagged, "derivation"] = ev.loc[flagged, "derivation"] + " - FLAG: " + flags.reindex(
            ev.loc[flagged, "ticker"]).astype(str).to_numpy()  # fmt: skip
    uniform = _rows(
        m,
        [("tax_rate_0", "tax_rate", "fraction"), ("adj_earnings_0", "adj_earnings", "USD"),
         ("assets_0", "adj_assets", "USD"), ("roa_0", "roa_0", "fraction")],
        "uniform", 170,
    )  # fmt: skip
    rate = _rows(m, [("risk_free", "risk_free", "percent"), ("r", "r", "fraction"),
                     ("g_terminal", "g_terminal", "fraction")], "rate", 200)  # fmt: skip
    rate.loc[rate["item"] == "risk_free", "period_end"] = extras.get("risk_free_date")
    rate.loc[rate["item"] == "r", "derivation"] = (
        f"risk_free / 100 + beta {extras.get('beta')} x equity risk premium {extras.get('erp')}"
    )
    growth = _rows(m, [(f"growth_{t}", f"growth_{t}", "fraction") for t in range(1, h + 1)], "growth", 300)
    growth["derivation"] = m.set_index("ticker")["growth_source"].reindex(growth["ticker"]).to_numpy()
    path = _rows(m, [(f"asset_path_{t}", f"assets_{t}", "USD") for t in range(1, h + 1)], "growth", 320)
    path["derivation"] = "A_t = A_{t-1} x (1 + growth_t), A_0 = adj_assets"
    solve = _rows(m, [("a", "a", "USD"), ("b", "b", "USD"), ("roa_steady", "roa_steady", "fraction")], "solve", 400)
    reasons = coefficients.set_index(m["ticker"])["reason"]
    no_solve = solve["item"].eq("roa_steady") & reasons.reindex(solve["ticker"]).notna().to_numpy()
    solve.loc[no_solve, "derivation"] = "not solved: " + reasons.reindex(solve.loc[no_solve, "ticker"]).astype(
        str).to_numpy()  # fmt: skip
    implied = _rows(m, [(f"roa_implied_{t}", f"roa_implied_{t}", "fraction") for t in range(1, h + 1)], "solve", 410)
    implied["derivation"] = "roa_0 + (t / H) x (R* - roa_0), the market-implied ROA of FY0 + t"
    implied["fiscal_year"] = implied["fy0"] + implied["item"].str.rsplit("_", n=1).str[1].astype(int)

    filed = _filed(m, statements, sources, rd_years)
    out = pd.concat([price, ev, filed, uniform, rate, growth, path, solve, implied], ignore_index=True)
    out["as_of"] = as_of
    for c in COLUMNS:
        if c not in out:
            out[c] = None
    out["fiscal_year"] = pd.to_numeric(out["fiscal_year"], errors="coerce").astype("Int32")
    out["step"] = out["step"].astype("int32")
    for c in ("period_start", "period_end", "filed"):
        out[c] = pd.to_datetime(out[c], errors="coerce").dt.date
    out = out.sort_values(["index_name", "ticker", "step", "fiscal_year", "concept"], na_position="first")
    return out[COLUMNS].reset_index(drop=True)
