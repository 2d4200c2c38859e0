"""series: the model's results per company and per index by fiscal year (EEA_MODEL.md 3, 5, 6), and the screen.

Pure: frames in, frames out. Every index number is an aggregate (sum of earnings over sum of assets), never a
mean of ratios. Forward years are each member's own FY0 + t, so a member whose fiscal year ends in June adds to
the fiscal year its own year t falls in. Choices where the spec is silent:
- forward ROA (analyst, projection, market-implied) is earnings over the year's opening assets A_{t-1} on the
  member's asset path, as the valuation defines E_t = ROA_t x A_{t-1}; actual ROA uses the mean of opening and
  closing assets, as the Uniform-style actuals do (section 4);
- the actual index series is over today's members (the same companies as the forward series), by fiscal year;
- the analyst series uses consensus net income moved onto the Uniform basis (transforms/eea_inputs.py);
- the projection's sector medians are medians of adjusted ROA per sector and fiscal year over every company in the
  warehouse whose sector is known; k is estimated on those same company-years (models.eea.estimate_k).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from models.eea import estimate_k, implied_roa, index_implied_roa, project_roa, sensitivity

SERIES = ("actual", "actual_asreported", "analyst", "projection", "market_implied")

COMPANY_COLUMNS = [
    "as_of", "index_name", "ticker", "fiscal_year", "period", "roa_actual", "roa_asreported", "roa_analyst",
    "roa_analyst_reported", "roa_projection", "roa_market_implied", "roa_steady", "ev", "assets", "assets_opening",
    "r", "g_terminal", "fy0", "fy0_filed", "growth", "growth_source", "revenue_concept", "operating_income_concept",
    "assets_concept", "debt_concept", "price_date", "estimates_as_of", "reason",
]  # fmt: skip

INDEX_COLUMNS = [
    "as_of", "index_name", "fiscal_year", "series", "value", "members_used", "members_excluded", "roa_steady",
    "roa_steady_cap_weighted", "roa_steady_median", "r", "g_terminal", "k",
]  # fmt: skip

SCREEN_COLUMNS = [
    "as_of", "index_name", "rank", "ticker", "name", "sector", "sic", "fy0", "gap", "roa_analyst_fy1",
    "roa_implied_fy1", "roa_analyst_fy2", "roa_implied_fy2", "roa_0", "roa_steady", "leverage",
    "floating_rate_debt_share", "operating_margin", "market_cap", "ev", "analysts",
]  # fmt: skip


@dataclass(frozen=True)
class Results:
    """Everything one model run produces, one frame per mart."""

    company: pd.DataFrame
    index: pd.DataFrame
    sensitivity: pd.DataFrame
    exclusions: pd.DataFrame
    screen: pd.DataFrame


def _denominators(statements: pd.DataFrame) -> pd.DataFrame:
    """Per statement row, the mean of opening and closing (adjusted and total) assets, or closing alone."""
    s = statements[["cik", "fiscal_year", "adj_assets", "assets"]].copy()
    prev = s.rename(columns={"adj_assets": "adj_prev", "assets": "assets_prev"})
    prev["fiscal_year"] = prev["fiscal_year"] + 1
    s = s.merge(prev, on=["cik", "fiscal_year"], how="left")
    s["adj_denominator"] = np.where(s["adj_prev"].notna(), (s["adj_prev"] + s["adj_assets"]) / 2, s["adj_assets"])
    s["asr_denominator"] = np.where(
        s["assets_prev"].notna(), (s["assets_prev"] + s["assets"]) / 2, s["assets"]
    )  # fmt: skip
    return s[["cik", "fiscal_year", "adj_denominator", "asr_denominator"]]


def sector_medians(statements: pd.DataFrame, sectors: pd.Series) -> pd.DataFrame:
    """Per (sector, fiscal_year): the median adjusted ROA of companies whose sector is known (sectors: cik -> sector)."""
    s = statements[["cik", "fiscal_year", "roa_adjusted"]].assign(sector=statements["cik"].map(sectors))
    s = s.dropna(subset=["sector", "roa_adjusted"])
    medians = s.groupby(["sector", "fiscal_year"])["roa_adjusted"].median()
    return medians.rename("sector_median").reset_index()


def asset_path(inputs: pd.DataFrame, horizon: int) -> np.ndarray:
    """(rows, H + 1): A_0 .. A_H from assets_0 and growth_1..H."""
    path = np.empty((len(inputs), horizon + 1))
    path[:, 0] = inputs["assets_0"].to_numpy(dtype=np.float64, na_value=np.nan)
    for t in range(1, horizon + 1):
        path[:, t] = path[:, t - 1] * (1.0 + inputs[f"growth_{t}"].to_numpy(dtype=np.float64, na_value=np.nan))
    return path


def run_model(
    inputs: pd.DataFrame,
    exclusions: pd.DataFrame,
    statements: pd.DataFrame,
    sectors: pd.Series,
    as_of: date,
    r: float,
    g_terminal: float,
    horizon: int,
    screen_size: int = 50,
) -> Results:
    """Model inputs (transforms.eea_inputs.company_inputs) to the five EEA marts' rows."""
    h = horizon
    inputs = inputs.reset_index(drop=True)
    solved = implied_roa(inputs) if len(inputs) else _empty_solved(h)
    path = asset_path(inputs, h)
    opening = path[:, :-1]
    denominators = _denominators(statements)
    medians = sector_medians(statements, sectors)
    history = statements[["cik", "fiscal_year", "roa_adjusted"]].rename(
        columns={"cik": "ticker", "roa_adjusted": "roa"}
    )
    history = history.assign(sector=statements["cik"].map(sectors)).merge(
        medians, on=["sector", "fiscal_year"], how="left"
    )
    k = estimate_k(history[["ticker", "fiscal_year", "roa", "sector_median"]])
    median_of = medians.set_index(["sector", "fiscal_year"])["sector_median"]
    own_median = pd.Series(
        median_of.reindex(pd.MultiIndex.from_arrays([inputs["sector"], inputs["fy0"]])).to_numpy(dtype=np.float64),
        index=inputs.index,
    )
    # A sector with no median that year reverts to the median of all companies that year.
    overall = statements.groupby("fiscal_year")["roa_adjusted"].median()
    own_median = own_median.fillna(inputs["fy0"].map(overall))
    projection = project_roa(inputs["roa_0"], own_median.set_axis(inputs.index), k=k, years=h)

    with np.errstate(all="ignore"):
        bridge = (inputs["adj_earnings_0"] - inputs["net_income_0"]).to_numpy(dtype=np.float64, na_value=np.nan)
        growth_of_assets = opening / path[:, [0]]
        analyst_net = np.column_stack([inputs[f"analyst_earnings_{t}"] for t in range(1, h + 1)]).astype(np.float64)
        analyst_adj = analyst_net + np.nan_to_num(bridge)[:, None] * growth_of_assets
        roa_analyst = analyst_adj / opening
        roa_analyst_reported = analyst_net / opening
    proj = projection.to_numpy(dtype=np.float64)

    index_rows: list[dict[str, Any]] = []
    sens_rows: list[pd.DataFrame] = []
    excluded_rows = [exclusions.assign(stage="inputs")]
    for index_name in sorted(set(inputs["index_name"]) | set(exclusions["index_name"])):
        pos = np.flatnonzero(inputs["index_name"].to_numpy() == index_name)
        sub = inputs.iloc[pos]
        n_pre = int((exclusions["index_name"] == index_name).sum())
        agg = index_implied_roa(sub, r, g_terminal) if len(sub) else None
        if agg is not None:
            excluded_rows.append(agg["exclusions"].assign(index_name=index_name, stage="model"))
            used = np.isin(sub["ticker"].to_numpy(), agg["exclusions"]["ticker"].to_numpy(), invert=True)
            sens_rows.append(sensitivity(sub, r, g_terminal).assign(index_name=index_name))
        else:
            used = np.zeros(0, dtype=bool)
        steady = agg["roa_steady"] if agg else float("nan")
        summary = {
            "members_excluded": n_pre + (agg["members_excluded"] if agg else 0),
            "roa_steady": steady,
            "roa_steady_cap_weighted": agg["roa_steady_cap_weighted"] if agg else float("nan"),
            "roa_steady_median": agg["roa_steady_median"] if agg else float("nan"),
            "r": r,
            "g_terminal": g_terminal,
            "k": k,
        }
        index_rows += _actual_rows(sub, statements, denominators, index_name, summary)
        fy0 = sub["fy0"].to_numpy(dtype=np.int64)
        roa0 = sub["roa_0"].to_numpy(dtype=np.float64)
        op = opening[pos]
        t_idx = np.arange(1, h + 1)
        market_path = roa0[:, None] + (t_idx / h)[None, :] * (steady - roa0[:, None])
        market_path[~used, :] = np.nan
        forward = {
            "analyst": roa_analyst[pos],
            "projection": proj[pos],
            "market_implied": market_path,
        }
        for series, roa in forward.items():
            index_rows += _forward_rows(roa, op, fy0, index_name, series, summary)
    index = pd.DataFrame(index_rows, columns=[c for c in INDEX_COLUMNS if c != "as_of"])
    index.insert(0, "as_of", as_of)

    company = _company_frame(inputs, solved, path, statements, roa_analyst, roa_analyst_reported, proj, h)
    company.insert(0, "as_of", as_of)
    company = company[COMPANY_COLUMNS]

    excl = pd.concat(excluded_rows, ignore_index=True)[["index_name", "ticker", "reason", "stage"]]
    excl.insert(0, "as_of", as_of)
    sens = (
        pd.concat(sens_rows, ignore_index=True)
        if sens_rows
        else pd.DataFrame(columns=["parameter", "shift", "r", "g_terminal", "roa_steady", "members_used", "index_name"])
    )
    sens.insert(0, "as_of", as_of)
    screen = _screen(inputs, solved, roa_analyst, as_of, screen_size)
    return Results(company, index, sens, excl, screen)


def _empty_solved(h: int) -> pd.DataFrame:
    cols = ["ticker", "roa_steady", *[f"roa_implied_{t}" for t in range(1, h + 1)], "reason"]
    return pd.DataFrame(columns=cols)


def _forward_rows(
    roa: np.ndarray, opening: np.ndarray, fy0: np.ndarray, index_name: str, series: str, summary: dict[str, Any]
) -> list[dict[str, Any]]:
    """Sum of ROA_t x A_{t-1} over sum of A_{t-1}, by the fiscal year each member's year t falls in."""
    ok = np.isfinite(roa) & np.isfinite(opening) & (opening > 0)
    years = fy0[:, None] + np.arange(1, roa.shape[1] + 1)[None, :]
    frame = pd.DataFrame({"fiscal_year": years[ok], "earnings": (roa * opening)[ok], "assets": opening[ok]}).groupby(
        "fiscal_year"
    )
    sums = frame.sum()
    counts = frame.size()
    extra = (
        summary if series == "market_implied" else {k: summary[k] for k in ("members_excluded", "r", "g_terminal", "k")}
    )
    return [
        {
            "index_name": index_name,
            "fiscal_year": int(y),
            "series": series,
            "value": float(sums.loc[y, "earnings"] / sums.loc[y, "assets"]),
            "members_used": int(counts.loc[y]),
            **extra,
        }
        for y in sums.index
    ]


def _actual_rows(
    sub: pd.DataFrame, statements: pd.DataFrame, denominators: pd.DataFrame, index_name: str, summary: dict[str, Any]
) -> list[dict[str, Any]]:
    """Actual and as-reported index ROA by fiscal year over these members: sum of earnings over sum of assets."""
    st = statements[statements["cik"].isin(sub["cik"].dropna())].merge(denominators, on=["cik", "fiscal_year"])
    rows = []
    for series, num, den in (
        ("actual", "adj_earnings", "adj_denominator"),
        ("actual_asreported", "net_income", "asr_denominator"),
    ):
        ok = st[num].notna() & st[den].notna() & (st[den] > 0)
        g = st[ok].groupby("fiscal_year")
        sums = g[[num, den]].sum()
        counts = g.size()
        for y in sums.index:
            rows.append(
                {
                    "index_name": index_name,
                    "fiscal_year": int(y),
                    "series": series,
                    "value": float(sums.loc[y, num] / sums.loc[y, den]),
                    "members_used": int(counts.loc[y]),
                    **{k: summary[k] for k in ("members_excluded", "r", "g_terminal", "k")},
                }
            )
    return rows


def _company_frame(
    inputs: pd.DataFrame,
    solved: pd.DataFrame,
    path: np.ndarray,
    statements: pd.DataFrame,
    roa_analyst: np.ndarray,
    roa_analyst_reported: np.ndarray,
    proj: np.ndarray,
    h: int,
) -> pd.DataFrame:
    keep = [
        "index_name", "ticker", "cik", "ev", "r", "g_terminal", "fy0", "fy0_filed", "growth_source",
        "revenue_concept", "operating_income_concept", "assets_concept", "debt_concept", "price_date",
        "estimates_as_of",
    ]  # fmt: skip
    base = inputs[[c for c in keep if c in inputs.columns]].copy()
    base["roa_steady"] = solved["roa_steady"].to_numpy(dtype=np.float64, na_value=np.nan)
    base["reason"] = solved["reason"].astype("string").to_numpy()
    history = statements[["cik", "fiscal_year", "roa_adjusted", "roa_asreported", "adj_assets"]].rename(
        columns={"roa_adjusted": "roa_actual", "adj_assets": "assets"}
    )
    hist = base.merge(history, on="cik", how="inner")
    hist = hist[hist["fiscal_year"] <= hist["fy0"]].assign(period="actual")
    frames = [hist]
    implied = solved[[f"roa_implied_{t}" for t in range(1, h + 1)]].to_numpy(dtype=np.float64, na_value=np.nan)
    for t in range(1, h + 1):
        frames.append(
            base.assign(
                fiscal_year=base["fy0"] + t,
                period=f"FY0+{t}",
                roa_analyst=roa_analyst[:, t - 1],
                roa_analyst_reported=roa_analyst_reported[:, t - 1],
                roa_projection=proj[:, t - 1],
                roa_market_implied=implied[:, t - 1],
                assets=path[:, t],
                assets_opening=path[:, t - 1],
                growth=inputs[f"growth_{t}"].to_numpy(dtype=np.float64),
            )
        )
    out = pd.concat(frames, ignore_index=True)
    for c in COMPANY_COLUMNS:
        if c not in out.columns and c != "as_of":
            out[c] = np.nan
    out["fiscal_year"] = out["fiscal_year"].astype("int32")
    out["fy0"] = out["fy0"].astype("int32")
    return out.sort_values(["index_name", "ticker", "fiscal_year"]).reset_index(drop=True)


def _screen(
    inputs: pd.DataFrame, solved: pd.DataFrame, roa_analyst: np.ndarray, as_of: date, size: int
) -> pd.DataFrame:
    """Per index, members whose analyst ROA exceeds their market-implied ROA most over FY1 and FY2."""
    h = roa_analyst.shape[1]
    s = inputs.copy()
    s["roa_steady"] = solved["roa_steady"].to_numpy(dtype=np.float64, na_value=np.nan)
    for t in (1, 2):
        if t <= h:
            s[f"roa_analyst_fy{t}"] = roa_analyst[:, t - 1]
            s[f"roa_implied_fy{t}"] = solved[f"roa_implied_{t}"].to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            s[f"roa_analyst_fy{t}"] = np.nan
            s[f"roa_implied_fy{t}"] = np.nan
    gaps = np.column_stack([s[f"roa_analyst_fy{t}"] - s[f"roa_implied_fy{t}"] for t in (1, 2)]).astype(np.float64)
    with np.errstate(all="ignore"):
        counted = np.isfinite(gaps)
        s["gap"] = np.where(counted, gaps, 0.0).sum(axis=1) / np.where(counted.any(axis=1), counted.sum(axis=1), np.nan)
        s["leverage"] = s["debt"] / s["total_assets_0"]
        s["operating_margin"] = np.where(s["revenue_0"] > 0, s["operating_income_0"] / s["revenue_0"], np.nan)
    s["floating_rate_debt_share"] = s.get("variable_rate_debt_share", np.nan)
    s = s[np.isfinite(s["gap"]) & s["roa_steady"].notna()]
    s = s.sort_values(["index_name", "gap", "ticker"], ascending=[True, False, True])
    s["rank"] = s.groupby("index_name").cumcount() + 1
    s = s[s["rank"] <= size].copy()
    s.insert(0, "as_of", as_of)
    for c in SCREEN_COLUMNS:
        if c not in s.columns:
            s[c] = np.nan
    return s[SCREEN_COLUMNS].reset_index(drop=True)
