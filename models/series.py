"""series: the model's results per company and per index by fiscal year (EEA_MODEL.md 3, 5, 6), and the screen.

Pure: frames in, frames out. Every index number is an aggregate (sum of earnings over sum of assets), never a
mean of ratios. Forward years are each member's own FY0 + t, so a member whose fiscal year ends in June adds to
the fiscal year its own year t falls in. Choices where the spec is silent:
- forward ROA (analyst, projection, market-implied) is earnings over the year's opening assets A_{t-1} on the
  member's asset path, as the valuation defines E_t = ROA_t x A_{t-1}; actual ROA uses the mean of opening and
  closing assets, as the Uniform-style actuals do (section 4);
- the actual index series is over today's members (the same companies as the forward series), by fiscal year;
- the analyst series uses consensus net income moved onto the Uniform basis by FY0's recurring bridge only: after-tax
  interest expense and the after-tax R&D adjustment, grown with the asset path; FY0's one-offs (other non-operating
  items, discontinued operations) are not carried forward. A member with debt but no interest expense tagged has
  no analyst ROA on the Uniform basis (its consensus stays in roa_analyst_reported);
- financials are out of the index aggregate unless IndexPolicy.include_financials (eea_exclusions, stage 'policy');
  members with ev <= 0 are in the index sums (the index is defined by its sums) unless IndexPolicy.negative_ev is
  False, though they have no R* of their own;
- each index row carries its coverage: members and index weight used against the index's members on as_of, and
  coverage_ok where the weight share (the member share where weights are unknown) reaches min_coverage;
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
    "assets_concept", "debt_concept", "borrowings", "lease_liabilities", "debt_flag", "financial", "price_date",
    "estimates_as_of", "reason",
]  # fmt: skip

INDEX_COLUMNS = [
    "as_of", "index_name", "fiscal_year", "series", "value", "members_used", "members_excluded", "members_total",
    "members_coverage", "weight_coverage", "coverage_ok", "roa_steady", "roa_steady_cap_weighted",
    "roa_steady_median", "r", "g_terminal", "k",
]  # fmt: skip

SENSITIVITY_COLUMNS = ["parameter", "shift", "variant", "r", "g_terminal", "roa_steady", "members_used"]


@dataclass(frozen=True)
class IndexPolicy:
    """Who is in the index aggregate and when a year's number is complete enough to show (flow parameters)."""

    include_financials: bool = False
    negative_ev: bool = True
    min_coverage: float = 2 / 3


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


def _coverage(summary: dict[str, Any], used: int, weight_used: float, min_coverage: float) -> dict[str, Any]:
    """members_total, members_coverage, weight_coverage and coverage_ok of one index row."""
    total, weight_total = summary["members_total"], summary["weight_total"]
    members = used / total if total else float("nan")
    weight = weight_used / weight_total if weight_total > 0 else float("nan")
    share = weight if np.isfinite(weight) else members
    return {
        "members_total": total,
        "members_coverage": members,
        "weight_coverage": weight,
        "coverage_ok": bool(np.isfinite(share) and share >= min_coverage),
    }


def _policy_exclusions(inputs: pd.DataFrame, policy: IndexPolicy) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Inputs split into the members the index aggregate uses and the financials it leaves out (with the reason)."""
    financial = (
        inputs["financial"].fillna(False).astype(bool) if "financial" in inputs else pd.Series(False, inputs.index)
    )
    if policy.include_financials or not financial.any():
        return inputs, pd.DataFrame(columns=["index_name", "ticker", "weight", "reason"])
    out = inputs.loc[financial, ["index_name", "ticker", "weight", "sic"]]
    reason = (
        "financial (SIC " + out["sic"].astype("Int64").astype("string") + "): banks, insurers and other financials "
        "are out of the index aggregate unless include_financials"
    )
    return inputs.loc[~financial].reset_index(drop=True), out.drop(columns="sic").assign(reason=reason)


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
    policy: IndexPolicy = IndexPolicy(),
    inputs_without_rd: pd.DataFrame | None = None,
) -> Results:
    """Model inputs (transforms.eea_inputs.company_inputs) to the five EEA marts' rows.

    inputs_without_rd: the same members' inputs built without R&D capitalisation, for eea_sensitivity's variant.
    """
    h = horizon
    everyone = inputs.reset_index(drop=True)
    if "weight" not in everyone:
        everyone = everyone.assign(weight=np.nan)
    inputs, left_out = _policy_exclusions(everyone, policy)
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

    roa_analyst, roa_analyst_reported = _analyst_roa(inputs, path)
    proj = projection.to_numpy(dtype=np.float64)

    pre = exclusions if "weight" in exclusions else exclusions.assign(weight=np.nan)
    index_rows: list[dict[str, Any]] = []
    sens_rows: list[pd.DataFrame] = []
    excluded_rows = [pre.assign(stage="inputs"), left_out.assign(stage="policy")]
    names = sorted(set(everyone["index_name"]) | set(pre["index_name"]))
    for index_name in names:
        pos = np.flatnonzero(inputs["index_name"].to_numpy() == index_name)
        sub = inputs.iloc[pos]
        all_of_index = everyone[everyone["index_name"] == index_name]
        pre_of_index = pre[pre["index_name"] == index_name]
        n_pre = len(pre_of_index) + int((left_out["index_name"] == index_name).sum())
        agg = index_implied_roa(sub, r, g_terminal, negative_ev=policy.negative_ev) if len(sub) else None
        if agg is not None:
            excluded_rows.append(agg["exclusions"].assign(index_name=index_name, stage="model"))
            used = np.isin(sub["ticker"].to_numpy(), agg["exclusions"]["ticker"].to_numpy(), invert=True)
            sens_rows.append(
                sensitivity(sub, r, g_terminal, negative_ev=policy.negative_ev).assign(
                    index_name=index_name, variant="as configured"
                )
            )
        else:
            used = np.zeros(0, dtype=bool)
        if len(all_of_index):
            sens_rows.append(_variants(all_of_index, inputs_without_rd, index_name, r, g_terminal, policy))
        steady = agg["roa_steady"] if agg else float("nan")
        # Coverage is against the members the aggregate is meant to hold: financials left out by policy do not count.
        eligible = all_of_index[all_of_index["ticker"].isin(sub["ticker"])]
        weights = pd.to_numeric(pd.concat([eligible["weight"], pre_of_index["weight"]]), errors="coerce")
        summary = {
            "members_excluded": n_pre + (agg["members_excluded"] if agg else 0),
            "members_total": len(eligible) + len(pre_of_index),
            "weight_total": float(weights.sum()) if weights.notna().any() else float("nan"),
            "roa_steady": steady,
            "roa_steady_cap_weighted": agg["roa_steady_cap_weighted"] if agg else float("nan"),
            "roa_steady_median": agg["roa_steady_median"] if agg else float("nan"),
            "r": r,
            "g_terminal": g_terminal,
            "k": k,
        }
        index_rows += _actual_rows(sub, statements, denominators, index_name, summary, policy.min_coverage)
        fy0 = sub["fy0"].to_numpy(dtype=np.int64)
        roa0 = sub["roa_0"].to_numpy(dtype=np.float64)
        weight = pd.to_numeric(sub["weight"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
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
            index_rows += _forward_rows(roa, op, fy0, weight, index_name, series, summary, policy.min_coverage)
    index = pd.DataFrame(index_rows, columns=[c for c in INDEX_COLUMNS if c != "as_of"])
    index.insert(0, "as_of", as_of)

    company = _company_frame(inputs, solved, path, statements, roa_analyst, roa_analyst_reported, proj, h)
    company.insert(0, "as_of", as_of)
    company = company[COMPANY_COLUMNS]

    kept = [e for e in excluded_rows if len(e)]
    excl = pd.concat(kept, ignore_index=True) if kept else pd.DataFrame()
    excl = excl.reindex(columns=["index_name", "ticker", "reason", "stage"])
    excl.insert(0, "as_of", as_of)
    sens = (
        pd.concat(sens_rows, ignore_index=True)[[*SENSITIVITY_COLUMNS, "index_name"]]
        if sens_rows
        else pd.DataFrame(columns=[*SENSITIVITY_COLUMNS, "index_name"])
    )
    sens.insert(0, "as_of", as_of)
    screen = _screen(inputs, solved, roa_analyst, as_of, screen_size)
    return Results(company, index, sens, excl, screen)


def _analyst_roa(inputs: pd.DataFrame, path: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(members, H) analyst ROA on the Uniform basis and as reported, over the opening assets of each year.

    The bridge from consensus net income to Uniform earnings carries FY0's recurring items only: interest expense
    after tax (0 for a company with no borrowings; unknown, so no Uniform ROA, where it has borrowings but tags no
    interest) and the after-tax R&D adjustment (adjusted earnings - operating income x (1 - tax rate)).
    """
    h = path.shape[1] - 1
    opening = path[:, :-1]

    def col(name: str) -> np.ndarray:
        if name not in inputs:
            return np.full(len(inputs), np.nan)
        return pd.to_numeric(inputs[name], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)

    keep = 1.0 - col("tax_rate_0")
    interest, borrowings = col("interest_0"), col("borrowings")
    interest = np.where(np.isnan(interest) & ~(borrowings > 0), 0.0, interest)
    with np.errstate(all="ignore"):
        rd_part = col("adj_earnings_0") - col("operating_income_0") * keep
        bridge = interest * keep + rd_part
        growth_of_assets = opening / path[:, [0]]
        analyst_net = np.column_stack([col(f"analyst_earnings_{t}") for t in range(1, h + 1)]).reshape(len(inputs), h)
        analyst_adj = analyst_net + bridge[:, None] * growth_of_assets
        return analyst_adj / opening, analyst_net / opening


def _variants(
    members: pd.DataFrame,
    without_rd: pd.DataFrame | None,
    index_name: str,
    r: float,
    g_terminal: float,
    policy: IndexPolicy,
) -> pd.DataFrame:
    """R*_index with financials in and out, R&D capitalised or not, negative-EV members in and out (eea_sensitivity)."""

    def solve(frame: pd.DataFrame, financials: bool, negative_ev: bool) -> tuple[float, int]:
        if not financials and "financial" in frame:
            frame = frame[~frame["financial"].fillna(False).astype(bool)]
        if not len(frame):
            return float("nan"), 0
        out = index_implied_roa(frame, r, g_terminal, negative_ev=negative_ev)
        return out["roa_steady"], out["members_used"]

    fin, neg = policy.include_financials, policy.negative_ev
    rows = [
        ("financials", "included", *solve(members, True, neg)),
        ("financials", "excluded", *solve(members, False, neg)),
        ("negative_ev", "included", *solve(members, fin, True)),
        ("negative_ev", "excluded", *solve(members, fin, False)),
        ("capitalise_rd", "on", *solve(members, fin, neg)),
    ]
    if without_rd is not None:
        other = without_rd[without_rd["index_name"] == index_name]
        rows.append(("capitalise_rd", "off", *solve(other, fin, neg)))
    return pd.DataFrame(
        [
            {"parameter": p, "shift": 0.0, "variant": v, "r": r, "g_terminal": g_terminal, "roa_steady": rs,
             "members_used": n, "index_name": index_name}
            for p, v, rs, n in rows
        ]
    )  # fmt: skip


def _empty_solved(h: int) -> pd.DataFrame:
    cols = ["ticker", "roa_steady", *[f"roa_implied_{t}" for t in range(1, h + 1)], "reason"]
    return pd.DataFrame(columns=cols)


def _forward_rows(
    roa: np.ndarray,
    opening: np.ndarray,
    fy0: np.ndarray,
    weight: np.ndarray,
    index_name: str,
    series: str,
    summary: dict[str, Any],
    min_coverage: float,
) -> list[dict[str, Any]]:
    """Sum of ROA_t x A_{t-1} over sum of A_{t-1}, by the fiscal year each member's year t falls in."""
    ok = np.isfinite(roa) & np.isfinite(opening) & (opening > 0)
    years = fy0[:, None] + np.arange(1, roa.shape[1] + 1)[None, :]
    weights = np.broadcast_to(np.nan_to_num(weight)[:, None], roa.shape)
    frame = pd.DataFrame(
        {"fiscal_year": years[ok], "earnings": (roa * opening)[ok], "assets": opening[ok], "weight": weights[ok]}
    ).groupby("fiscal_year")
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
            **{k: v for k, v in extra.items() if k not in ("members_total", "weight_total")},
            **_coverage(summary, int(counts.loc[y]), float(sums.loc[y, "weight"]), min_coverage),
        }
        for y in sums.index
    ]


def _actual_rows(
    sub: pd.DataFrame,
    statements: pd.DataFrame,
    denominators: pd.DataFrame,
    index_name: str,
    summary: dict[str, Any],
    min_coverage: float,
) -> list[dict[str, Any]]:
    """Actual and as-reported index ROA by fiscal year over these members: sum of earnings over sum of assets."""
    weight = sub.dropna(subset=["cik"]).drop_duplicates("cik").set_index("cik")["weight"]
    st = statements[statements["cik"].isin(sub["cik"].dropna())].merge(denominators, on=["cik", "fiscal_year"])
    st = st.assign(weight=pd.to_numeric(st["cik"].map(weight), errors="coerce").fillna(0.0))
    rows = []
    for series, num, den in (
        ("actual", "adj_earnings", "adj_denominator"),
        ("actual_asreported", "net_income", "asr_denominator"),
    ):
        ok = st[num].notna() & st[den].notna() & (st[den] > 0)
        g = st[ok].groupby("fiscal_year")
        sums = g[[num, den, "weight"]].sum()
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
                    **_coverage(summary, int(counts.loc[y]), float(sums.loc[y, "weight"]), min_coverage),
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
        "revenue_concept", "operating_income_concept", "assets_concept", "debt_concept", "borrowings",
        "lease_liabilities", "debt_flag", "financial", "price_date", "estimates_as_of",
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
