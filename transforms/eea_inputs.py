"""eea_inputs: the model's inputs per index member on as_of (EEA_MODEL.md 1), from statements, prices, estimates, rates.

Pure: frames in, frames out. Choices where the spec is silent, each named where it is made:
- a member's statements are found by its CIK, else by the CIK the reference data gives its ticker;
- the price is the last close on or before as_of, refused when older than `max_price_age_days`;
- debt, preferred stock and minority interest a company does not report count as 0 (the concept stays null, and
  `debt_flag` says where the year has interest expense but no debt is tagged);
- a member whose FY0 has no adjusted ROA (e.g. its R&D history is too short to capitalise) is excluded with the
  statements' reason, never modelled on a partial number;
- financials are members with a SIC in FINANCIAL_SIC (banks, credit, brokers, insurers, holding and investment
  offices including REITs and blank checks): `financial` is True, and the model leaves them out of the index
  unless asked (real estate operators, SIC 6500-6599, are operating companies);
- asset growth: the analyst revenue path for the consecutive forward years it covers, then a linear fade to
  g_terminal at year H; with no analyst revenue the fade starts from last year's actual revenue growth, and with
  neither from g_terminal itself; every growth is clipped to [-50%, +100%] so a tiny revenue base cannot blow up
  the asset path (`growth_clipped` says where that happened);
- analyst earnings are the consensus net income (or EPS x shares known at as_of). To set them beside the
  Uniform-style actuals they are moved onto the same basis by the FY0 gap between adjusted earnings and net income
  (after-tax interest and the R&D adjustment), grown with the asset path: `analyst_adj_earnings_t`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

GROWTH_CLIP = (-0.5, 1.0)
# SIC ranges (inclusive) of financials: depository and non-depository credit, brokers, insurance (6000-6499) and
# holding and other investment offices (6700-6799: REITs, blank checks, trusts). Their balance sheets are not
# operating assets, and a bank's interest expense is its cost of goods.
FINANCIAL_SIC = ((6000, 6499), (6700, 6799))


def is_financial(sic: pd.Series) -> pd.Series:
    """True where a SIC code is in FINANCIAL_SIC, False where not, False where unknown (bool Series)."""
    code = pd.to_numeric(sic, errors="coerce")
    hit = pd.Series(False, index=sic.index)
    for lo, hi in FINANCIAL_SIC:
        hit |= code.between(lo, hi).fillna(False).astype(bool)
    return hit


@dataclass(frozen=True)
class ModelParams:
    """The model's parameters (EEA_MODEL.md 1): horizon, terminal growth, and r = risk-free + beta x ERP."""

    horizon: int = 5
    g_terminal: float = 0.04
    beta: float = 1.0
    erp: float = 0.05
    max_price_age_days: int = 10
    rates_series: str = "DGS10"


def members_on(membership: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """index_membership spells to the members on as_of: index_name, ticker, cik, sector, name, weight."""
    m = membership.copy()
    day = pd.Timestamp(as_of)
    start = pd.to_datetime(m["valid_from"])
    end = pd.to_datetime(m["valid_to"])
    on = (start <= day) & (end.isna() | (end > day))
    cols = ["index_name", "ticker", "cik", "sector", "name", "weight"]
    return m.loc[on, cols].sort_values(["index_name", "ticker"]).reset_index(drop=True)


def cost_of_capital(risk_free: pd.DataFrame, as_of: date, params: ModelParams) -> tuple[float, date | None]:
    """r at as_of (a fraction) from the last risk-free value on or before it, and that value's date; NaN if none."""
    rf = risk_free[(risk_free["series"] == params.rates_series) & risk_free["value"].notna()]
    rf = rf[pd.to_datetime(rf["date"]) <= pd.Timestamp(as_of)]
    if rf.empty:
        return float("nan"), None
    last = rf.iloc[int(np.argmax(pd.to_datetime(rf["date"]).to_numpy()))]
    return float(last["value"]) / 100.0 + params.beta * params.erp, pd.Timestamp(last["date"]).date()


def latest_estimates(estimates: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Per (ticker, fiscal_year), the consensus read last on or before as_of."""
    e = estimates[pd.to_datetime(estimates["as_of"]) <= pd.Timestamp(as_of)]
    if e.empty:
        return e.copy()
    e = e.sort_values(["ticker", "fiscal_year", "as_of"])
    return e.drop_duplicates(["ticker", "fiscal_year"], keep="last").reset_index(drop=True)


# Statement columns carried into the inputs, renamed for FY0 (the balance sheet the EV is built on).
_FY0 = {
    "fiscal_year": "fy0",
    "filed": "fy0_filed",
    "period_end": "fy0_end",
    "adj_assets": "assets_0",
    "roa_adjusted": "roa_0",
    "roa_asreported": "roa_asreported_0",
    "adj_earnings": "adj_earnings_0",
    "net_income": "net_income_0",
    "revenue": "revenue_0",
    "operating_income": "operating_income_0",
    "assets": "total_assets_0",
    "debt": "debt",
    "preferred": "preferred",
    "minority_interest": "minority_interest",
    "excess_cash": "excess_cash",
    "variable_rate_debt_share": "variable_rate_debt_share",
    "revenue_concept": "revenue_concept",
    "operating_income_concept": "operating_income_concept",
    "assets_concept": "assets_concept",
    "debt_concept": "debt_concept",
    "borrowings": "borrowings",
    "lease_liabilities": "lease_liabilities",
    "debt_flag": "debt_flag",
    "interest": "interest_0",
    "tax_rate": "tax_rate_0",
    "adjusted_reason": "adjusted_reason",
}


def company_inputs(
    members: pd.DataFrame,
    statements: pd.DataFrame,
    market: pd.DataFrame,
    estimates: pd.DataFrame,
    companies: pd.DataFrame,
    r: float,
    as_of: date,
    params: ModelParams,
    foreign_ciks: frozenset[int] = frozenset(),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Members on as_of to (inputs, exclusions); foreign_ciks: companies whose filed facts are IFRS, not us-gaap.

    members: index_name, ticker, cik, sector, name, weight (members_on). statements: annual_statements rows, point in
    time. market: per ticker its last close on or before as_of: ticker, date, close, shares_outstanding, market_cap.
    estimates: latest_estimates rows. companies: cik, ticker, sic (latest reference row per cik).
    inputs: one row per member the model can be asked about, with implied_roa's columns (ticker, ev, assets_0, roa_0,
    r, g_terminal, growth_1..H), analyst earnings per forward year, and provenance. exclusions: index_name, ticker,
    reason for members without statements or a usable price (the model adds its own reasons for the rest).
    """
    h = params.horizon
    m = members.copy()
    by_ticker = companies.dropna(subset=["ticker"]).drop_duplicates("ticker", keep="last").set_index("ticker")
    m["cik"] = m["cik"].astype("Int64").fillna(m["ticker"].map(by_ticker["cik"]).astype("Int64"))
    sic = companies.drop_duplicates("cik", keep="last").set_index("cik")["sic"]
    m["sic"] = m["cik"].map(sic).astype("Int64")

    st = statements.sort_values(["cik", "fiscal_year"])
    fy0 = st.drop_duplicates("cik", keep="last")
    cols = [c for c in _FY0 if c in fy0.columns]
    fy0 = fy0[["cik", *cols]].rename(columns=_FY0)
    prev = st[["cik", "fiscal_year", "revenue"]].rename(columns={"fiscal_year": "fy0", "revenue": "revenue_prev"})
    prev["fy0"] = prev["fy0"] + 1
    fy0 = fy0.merge(prev, on=["cik", "fy0"], how="left")
    m = m.merge(fy0, on="cik", how="left")

    basis = [c for c in ("price_basis", "basis_date") if c in market.columns]
    mk = market[["ticker", "date", "close", "shares_outstanding", "market_cap", *basis]].rename(
        columns={"date": "price_date"}
    )
    m = m.merge(mk, on="ticker", how="left")

    age = (pd.Timestamp(as_of) - pd.to_datetime(m["price_date"])).dt.days
    reason = pd.Series(pd.NA, index=m.index, dtype="string")
    no_statements = reason.isna() & m["fy0"].isna()
    if foreign_ciks:
        # A company filing in IFRS (a foreign private issuer's 20-F) has facts, just none the Uniform adjustments read.
        ifrs = no_statements & m["cik"].isin(list(foreign_ciks)).fillna(False).astype(bool)
        reason = reason.mask(ifrs, "files its statements in IFRS (ifrs-full), not us-gaap: no Uniform adjustments")
        no_statements &= ~ifrs
    reason = reason.mask(no_statements, "no annual statements filed on or before as_of")
    if "adjusted_reason" in m.columns:
        why = m["adjusted_reason"].astype("string")
        no_roa = reason.isna() & m["roa_0"].isna() & why.notna()
        reason = reason.mask(no_roa, "no adjusted ROA for FY" + m["fy0"].astype("Int64").astype("string") + ": " + why)
    reason = reason.mask(reason.isna() & m["close"].isna(), "no price on or before as_of")
    reason = reason.mask(
        reason.isna() & (age > params.max_price_age_days),
        "stale price: last close " + m["price_date"].astype("string") + f", over {params.max_price_age_days} days",
    )
    if "price_basis" in m.columns:
        unproven = reason.isna() & m["market_cap"].isna() & m["price_basis"].notna() & (m["price_basis"] != "none")
        reason = reason.mask(
            unproven,
            "price basis unknown: the close of " + m["price_date"].astype("string") + " is "
            + m["price_basis"].astype("string") + "-adjusted as of " + m["basis_date"].astype("string")
            + " and its as-traded value cannot be proven, so no market cap",
        )  # fmt: skip
    reason = reason.mask(reason.isna() & m["shares_outstanding"].isna(), "no shares outstanding known at as_of")
    m["financial"] = is_financial(m["sic"]).to_numpy()
    exclusions = m.loc[reason.notna(), ["index_name", "ticker", "weight"]].assign(reason=reason[reason.notna()])
    m = m.loc[reason.isna()].reset_index(drop=True)

    for c in ("debt", "preferred", "minority_interest", "excess_cash"):
        m[c] = pd.to_numeric(m[c], errors="coerce").fillna(0.0)
    m["ev"] = m["market_cap"] + m["debt"] + m["preferred"] + m["minority_interest"] - m["excess_cash"]
    m["r"] = r
    m["g_terminal"] = params.g_terminal

    m = _growth(m, estimates, h, params.g_terminal)
    m = _analyst_earnings(m, estimates, h)
    return m, exclusions.reset_index(drop=True)


def _forward(m: pd.DataFrame, estimates: pd.DataFrame, column: str, h: int) -> np.ndarray:
    """(members, H) array of an estimate column for fiscal years fy0+1 .. fy0+H, NaN where none."""
    out = np.full((len(m), h), np.nan)
    if estimates.empty or not len(m):
        return out
    est = estimates.set_index(["ticker", "fiscal_year"])[column]
    est = pd.to_numeric(est, errors="coerce")
    fy0 = m["fy0"].to_numpy(dtype=np.int64)
    for t in range(1, h + 1):
        key = pd.MultiIndex.from_arrays([m["ticker"].to_numpy(), fy0 + t])
        out[:, t - 1] = est.reindex(key).to_numpy(dtype=np.float64, na_value=np.nan)
    return out


def _growth(m: pd.DataFrame, estimates: pd.DataFrame, h: int, g_terminal: float) -> pd.DataFrame:
    rev_est = _forward(m, estimates, "revenue", h)
    base = pd.to_numeric(m["revenue_0"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    levels = np.column_stack([base, rev_est])
    with np.errstate(all="ignore"):
        step = levels[:, 1:] / levels[:, :-1] - 1.0
        step[~(levels[:, :-1] > 0) | ~np.isfinite(step)] = np.nan
    # Analyst years count only while consecutive from year 1.
    covered = np.cumprod(np.isfinite(step), axis=1).astype(bool)
    years = covered.sum(axis=1)
    prev = pd.to_numeric(m["revenue_prev"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    with np.errstate(all="ignore"):
        history = np.where(prev > 0, base / prev - 1.0, np.nan)
    last_analyst = np.where(years > 0, step[np.arange(len(m)), np.maximum(years - 1, 0)], np.nan)
    start = np.where(years > 0, last_analyst, np.where(np.isfinite(history), history, g_terminal))
    growth = np.empty((len(m), h))
    for t in range(1, h + 1):
        fade = start + (t - years) / np.maximum(h - years, 1) * (g_terminal - start)
        growth[:, t - 1] = np.where(t <= years, step[:, t - 1], fade)
    clipped = np.clip(growth, *GROWTH_CLIP)
    out = m.copy()
    for t in range(1, h + 1):
        out[f"growth_{t}"] = clipped[:, t - 1]
    out["growth_clipped"] = (clipped != growth).any(axis=1)
    out["analyst_revenue_years"] = years.astype("int32")
    source = np.where(years > 0, "analyst revenue", np.where(np.isfinite(history), "last year's revenue", "g_terminal"))
    out["growth_source"] = pd.Series(source, index=out.index, dtype="string")
    return out


def _analyst_earnings(m: pd.DataFrame, estimates: pd.DataFrame, h: int) -> pd.DataFrame:
    earnings = _forward(m, estimates, "earnings", h)
    eps = _forward(m, estimates, "eps", h)
    shares = m["shares_outstanding"].to_numpy(dtype=np.float64, na_value=np.nan)
    net = np.where(np.isfinite(earnings), earnings, eps * shares[:, None])
    out = m.copy()
    for t in range(1, h + 1):
        out[f"analyst_earnings_{t}"] = net[:, t - 1]
    if estimates.empty or not len(m):
        out["estimates_as_of"] = pd.NaT
        out["analysts"] = pd.array([pd.NA] * len(m), dtype="Int32")
        return out
    first = estimates.set_index(["ticker", "fiscal_year"])
    key = pd.MultiIndex.from_arrays([m["ticker"].to_numpy(), m["fy0"].to_numpy(dtype=np.int64) + 1])
    out["estimates_as_of"] = first["as_of"].reindex(key).to_numpy()
    out["analysts"] = pd.array(first["analysts"].reindex(key).to_numpy(), dtype="Int32")
    return out
