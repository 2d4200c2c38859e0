"""Company accounts: annual economics per company and fiscal year, and the SEC filings that publish them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from sources.demo import rng as streams
from sources.demo.market import BEYOND, Market, first_session_on_or_after, last_session_on_or_before
from sources.demo.schema import categorical, constant, table
from sources.demo.universe import IPO, ORIGIN

FIRST_FY = 2007
# Uniform ROA mean-reverts to the company's own mean with this yearly persistence.
ROA_PERSISTENCE = 0.7
# How much of the gap to the assets its market value implies a company closes in a year.
ANCHOR_SPEED = 0.15
# DGS10 assumed for fiscal years before the origin.
_FALLBACK_RATE = 3.6
_ACCOUNTS = ("roa", "assets", "revenue", "rd", "operating_income", "interest", "pretax", "tax", "net_income")
_BALANCES = ("debt", "cash", "payables", "accrued", "equity")

REVENUE_CONCEPTS = ("Revenues", "RevenueFromContractWithCustomerExcludingAssessedTax", "SalesRevenueNet")
DURATION_FACTS = (
    ("OperatingIncomeLoss", "operating_income"),
    ("ResearchAndDevelopmentExpense", "rd"),
    ("IncomeTaxExpenseBenefit", "tax"),
    ("IncomeLossFromContinuingOperationsBeforeIncomeTaxesExtraordinaryItemsNoncontrollingInterest", "pretax"),
    ("NetIncomeLoss", "net_income"),
    ("InterestExpense", "interest"),
)
INSTANT_FACTS = (
    ("Assets", "assets"),
    ("AccountsPayableCurrent", "payables"),
    ("AccruedLiabilitiesCurrent", "accrued"),
    ("CashAndCashEquivalentsAtCarryingValue", "cash"),
    ("LongTermDebt", "debt"),
    ("StockholdersEquity", "equity"),
)
SHARES_CONCEPT = "EntityCommonStockSharesOutstanding"
CONCEPTS = (
    REVENUE_CONCEPTS + tuple(c for c, _ in DURATION_FACTS) + tuple(c for c, _ in INSTANT_FACTS) + (SHARES_CONCEPT,)
)


@dataclass
class Economics:
    """Annual accounts, arrays (companies x fiscal years), and when each year became public."""

    years: np.ndarray
    fye: np.ndarray
    valid: np.ndarray
    values: dict[str, np.ndarray]
    k_exists: np.ndarray
    k_day: np.ndarray
    k_cover: np.ndarray
    known_day: np.ndarray
    restated: np.ndarray
    restate_factor: np.ndarray
    q_end: np.ndarray
    q_exists: np.ndarray
    q_day: np.ndarray
    q_cover: np.ndarray


def _month_end(month: np.ndarray) -> np.ndarray:
    return ((month + 1).astype("datetime64[D]") - 1).astype("datetime64[D]")


def _shares_at(m: Market, cover: np.ndarray, company: np.ndarray) -> np.ndarray:
    t = last_session_on_or_before(m.sessions, cover)
    t = np.maximum(np.maximum(t, 0), np.minimum(m.list_day[company], len(m.sessions) - 1))
    return m.shares[t, company]


def economics(m: Market) -> Economics:
    """Accounts of every company, FY2007 to the last fiscal year ended by the last session (cached on the market)."""
    if "economics" in m.derived:
        return m.derived["economics"]
    u, n, t_days = m.universe, m.n, len(m.sessions)
    # One year past the last session: its first fiscal quarters may already have ended.
    last_year = int(str(m.sessions[-1])[:4]) + 1
    years = np.arange(FIRST_FY, last_year + 1)
    ny = len(years)
    origin = np.datetime64(ORIGIN, "D")
    list_date = u.list_date[:n]
    fye_month = (years[None, :] - 1970) * 12 + (u.fye_month[:n, None].astype(np.int64) - 1)
    fye = _month_end(fye_month.astype("datetime64[M]"))
    valid = fye <= m.sessions[-1]
    t_fye = last_session_on_or_before(m.sessions, fye)
    alive_fye = valid & (t_fye >= 0) & (m.list_day[:, None] <= t_fye) & (m.delist_day[:, None] > t_fye)
    rows = np.arange(n)[:, None]
    tf = np.clip(t_fye, 0, t_days - 1)
    cap_market = m.close[tf, rows].astype(np.float64) * m.shares[tf, rows]
    years_before = (list_date[:, None] - fye).astype(np.float64) / 365.25
    cap_proxy = u.mcap0[:n, None] * np.exp(-0.07 * np.maximum(years_before, 0.0))
    mcap = np.where(alive_fye, cap_market, cap_proxy)

    me_index = np.searchsorted(m.month_end, tf)
    me_ok = alive_fye & (me_index < len(m.month_end)) & (m.month_end[np.minimum(me_index, len(m.month_end) - 1)] == tf)
    cum = np.where(me_ok, m.cumlog_month_end[np.minimum(me_index, len(m.month_end) - 1), rows], np.nan)
    sigma_year = np.sqrt(u.idio_vol[:n] ** 2 + (u.beta[:n] * 0.01) ** 2) * np.sqrt(252)

    rate_cum = np.concatenate([[0.0], np.cumsum(m.rate)])

    v = {k: np.full((n, ny), np.nan) for k in _ACCOUNTS + _BALANCES}
    k_lag = np.zeros((n, ny))
    cover_lag = np.zeros((n, ny))
    q_cover_lag = np.zeros((n, ny, 3))
    restate_u = np.ones((n, ny))
    restate_z = np.zeros((n, ny))
    mu = u.roa_mean[:n]
    fail_gap = (u.delist_date[:n, None] - fye).astype(np.float64)
    failing = (u.delist_kind[:n, None] == 2) & (fail_gap >= 0)
    fail_shock = np.where(failing & (fail_gap < 730), -0.035, 0.0) + np.where(failing & (fail_gap < 365), -0.045, 0.0)
    denominator = np.maximum(u.ev_multiple[:n] - u.debt_ratio[:n] + u.cash_ratio[:n], 0.15)

    for j, fy in enumerate(years):
        g = streams.generator(u.seed, streams.ECONOMICS, int(fy))
        z = g.standard_normal((8, u.size))[:, :n]
        un = g.random((6, u.size))[:, :n]
        k_lag[:, j], cover_lag[:, j], restate_u[:, j] = un[0], un[1], un[2]
        q_cover_lag[:, j, :] = un[3:6].T
        restate_z[:, j] = z[7]
        target = np.log(mcap[:, j] / denominator)
        if j == 0:
            roa = mu + 0.02 * z[0]
            log_a = target + 0.25 * z[1]
            prev_assets = np.exp(log_a - u.asset_growth[:n])
        else:
            prev_assets = v["assets"][:, j - 1]
            ret = cum[:, j] - np.where(np.isnan(cum[:, j - 1]), 0.0, cum[:, j - 1])
            zret = np.clip(np.nan_to_num(ret / sigma_year), -3, 3)
            roa = mu + ROA_PERSISTENCE * (v["roa"][:, j - 1] - mu) + 0.011 * z[0] + 0.008 * zret
            log_a = (
                np.log(prev_assets) + u.asset_growth[:n] + ANCHOR_SPEED * (target - np.log(prev_assets)) + 0.04 * z[1]
            )
        roa = roa + fail_shock[:, j]
        assets = np.exp(log_a)
        avg = 0.5 * (assets + prev_assets)
        revenue = u.turnover[:n] * avg * np.exp(0.05 * z[2])
        rd = u.rd_share[:n] * revenue
        pre_adjusted = roa * avg / (1 - u.tax_rate[:n])
        debt = u.debt_ratio[:n] * assets * np.exp(0.1 * z[3])
        prev_debt = v["debt"][:, j - 1] if j else debt
        t_prev = t_fye[:, j - 1] if j else np.full(n, -1)
        lo, hi = np.clip(t_prev + 1, 0, t_days), np.clip(t_fye[:, j] + 1, 0, t_days)
        span = hi - lo
        rate_year = np.where(span > 100, (rate_cum[hi] - rate_cum[lo]) / np.maximum(span, 1), _FALLBACK_RATE)
        interest = 0.5 * (debt + prev_debt) * (rate_year / 100 + u.credit_spread[:n])
        operating = pre_adjusted - rd
        pretax = operating - interest + 0.003 * avg * z[6]
        tax = np.where(pretax > 0, u.tax_rate[:n] * pretax, 0.05 * pretax)
        v["roa"][:, j] = roa
        v["assets"][:, j] = assets
        v["revenue"][:, j] = revenue
        v["rd"][:, j] = rd
        v["operating_income"][:, j] = operating
        v["interest"][:, j] = interest
        v["pretax"][:, j] = pretax
        v["tax"][:, j] = tax
        v["net_income"][:, j] = pretax - tax
        v["debt"][:, j] = debt
        v["cash"][:, j] = np.clip(u.cash_ratio[:n] * np.exp(0.2 * z[4]), 0.02, 0.3) * assets
        v["payables"][:, j] = u.ap_ratio[:n] * assets * np.exp(0.1 * z[5])
        v["accrued"][:, j] = u.accrued_ratio[:n] * assets * np.exp(0.1 * z[5])
        v["equity"][:, j] = assets - debt - v["payables"][:, j] - v["accrued"][:, j] - u.other_liab_ratio[:n] * assets
    for key in v:
        v[key] = np.where(valid, v[key], np.nan)

    # The 10-K: filed 45-90 days after the fiscal year end, if the company is listed then.
    k_date = fye + (45 + np.floor(45 * k_lag)).astype(np.int64)
    k_day = first_session_on_or_after(m.sessions, k_date)
    listed_then = (m.list_day[:, None] <= k_day) & (m.delist_day[:, None] > k_day)
    is_ipo = (u.group[:n] == IPO)[:, None]
    k_exists = valid & (k_date >= origin) & (k_day < t_days) & listed_then & (~is_ipo | (fye >= list_date[:, None]))
    k_cover = m.sessions[np.minimum(k_day, t_days - 1)] - (5 + np.floor(15 * cover_lag)).astype(np.int64)
    known_day = np.where(k_exists, k_day, BEYOND)
    known_day = np.where(~is_ipo & (k_date < origin), -1, known_day)
    known_day = np.where(is_ipo & (fye < list_date[:, None]), m.list_day[:, None], known_day)
    known_day = np.where(valid, known_day, BEYOND)
    restated = k_exists & (restate_u < 0.03)
    factor = 1 + np.sign(restate_z) * (0.01 + 0.04 * np.abs(restate_z))

    # The 10-Qs of fiscal quarters 1-3: filed 40 days after the quarter end.
    q_month = fye_month[:, :, None] - np.array([9, 6, 3])[None, None, :]
    q_end = _month_end(q_month.astype("datetime64[M]"))
    q_date = q_end + 40
    q_day = first_session_on_or_after(m.sessions, q_date)
    q_listed = (m.list_day[:, None, None] <= q_day) & (m.delist_day[:, None, None] > q_day)
    q_exists = (q_date >= origin) & (q_day < t_days) & q_listed & (q_end >= list_date[:, None, None])
    q_cover = m.sessions[np.minimum(q_day, t_days - 1)] - (5 + np.floor(15 * q_cover_lag)).astype(np.int64)

    out = Economics(
        years=years,
        fye=fye,
        valid=valid,
        values=v,
        k_exists=k_exists,
        k_day=k_day,
        k_cover=k_cover,
        known_day=known_day,
        restated=restated,
        restate_factor=factor,
        q_end=q_end,
        q_exists=q_exists,
        q_day=q_day,
        q_cover=q_cover,
    )
    m.derived["economics"] = out
    return out


def _accession(cik: np.ndarray, filed: np.ndarray) -> pa.Array:
    # EDGAR style 0000CIK-YY-NNNNNN; the sequence number follows the filing date, so it is unique per filing.
    yy = (filed.astype("datetime64[Y]").astype(np.int64) + 1970) % 100
    doy = (filed - filed.astype("datetime64[Y]").astype("datetime64[D]")).astype(np.int64) + 1
    seq = (cik % 997) * 1000 + doy
    return pa.array(
        [f"{c:010d}-{y:02d}-{q:06d}" for c, y, q in zip(cik.tolist(), yy.tolist(), seq.tolist(), strict=True)]
    )


def _frames(fy: np.ndarray, fye_month: np.ndarray, instant: bool) -> np.ndarray:
    # SEC frames: a year's duration goes to the calendar year it mostly covers; an instant to its quarter.
    if instant:
        quarter = (fye_month - 1) // 3 + 1
        return np.array([f"CY{y}Q{q}I" for y, q in zip(fy.tolist(), quarter.tolist(), strict=True)], dtype=object)
    year = np.where(fye_month >= 7, fy, fy - 1)
    return np.array([f"CY{y}" for y in year.tolist()], dtype=object)


def fundamentals(m: Market, d0: int, d1: int, cols: np.ndarray | None) -> pa.Table:
    """raw.fundamentals for 10-Ks filed on sessions d0..d1: the year's facts, last year's again, the share count."""
    e = economics(m)
    u = m.universe
    sel = e.k_exists & (e.k_day >= d0) & (e.k_day <= d1)
    if cols is not None:
        sel &= np.isin(np.arange(m.n), cols)[:, None]
    ci, ji = np.nonzero(sel)
    filing = np.arange(len(ci))
    fye, prev_fye = e.fye[ci, ji], e.fye[ci, ji - 1]
    fy = e.years[ji]
    fye_month = u.fye_month[ci].astype(np.int64)
    no_start = np.full(len(ci), np.datetime64("NaT"), dtype="datetime64[D]")
    no_frame = np.full(len(ci), None, dtype=object)
    # A few 10-Ks restate last year: every comparative moves by one factor, balances by less.
    restate = np.where(e.restated[ci, ji], e.restate_factor[ci, ji], 1.0)
    restate_balance = 1 + 0.3 * (restate - 1)
    # Columns of each block of facts: filing, concept, taxonomy/unit code, period start and end, value, frame.
    blocks: list[tuple[np.ndarray, ...]] = []

    def facts(
        concept: np.ndarray, start: np.ndarray, end: np.ndarray, value: np.ndarray, frame: np.ndarray, kind: int = 0
    ) -> None:
        keep = np.isfinite(value)
        blocks.append(
            (
                filing[keep],
                concept[keep],
                np.full(int(keep.sum()), kind),
                start[keep],
                end[keep],
                np.round(value[keep], -3 if kind == 0 else 0),
                frame[keep],
            )
        )

    revenue_concept = u.revenue_concept[ci].astype(np.int64)
    for name, key in (("", "revenue"), *DURATION_FACTS):
        concept = revenue_concept if key == "revenue" else np.full(len(ci), CONCEPTS.index(name))
        now, before = e.values[key][ci, ji], e.values[key][ci, ji - 1] * restate
        if key == "rd":
            # Companies without research spending report no R&D fact at all.
            now, before = np.where(now > 0, now, np.nan), np.where(before > 0, before, np.nan)
        facts(concept, prev_fye + 1, fye, now, _frames(fy, fye_month, instant=False))
        facts(concept, e.fye[ci, ji - 2] + 1, prev_fye, before, no_frame)
    for name, key in INSTANT_FACTS:
        concept = np.full(len(ci), CONCEPTS.index(name))
        now, before = e.values[key][ci, ji], e.values[key][ci, ji - 1] * restate_balance
        facts(concept, no_start, fye, now, _frames(fy, fye_month, instant=True))
        facts(concept, no_start, prev_fye, before, no_frame)
    cover = e.k_cover[ci, ji]
    facts(np.full(len(ci), CONCEPTS.index(SHARES_CONCEPT)), no_start, cover, _shares_at(m, cover, ci), no_frame, 1)

    row, concept, kind, start, end, value, frame = (np.concatenate([b[k] for b in blocks]) for k in range(7))
    company = ci[row]
    filed = m.sessions[e.k_day[ci, ji]]
    return table(
        "fundamentals",
        {
            "cik": u.cik[company],
            "ticker": categorical(company, u.ticker[: m.n]),
            "taxonomy": categorical(kind, ["us-gaap", "dei"]),
            "concept": categorical(concept, CONCEPTS),
            "unit": categorical(kind, ["USD", "shares"]),
            "period_start": start,
            "period_end": end,
            "value": value,
            "fiscal_year": fy[row].astype(np.int32),
            "fiscal_period": constant("FY", len(row)),
            "form": constant("10-K", len(row)),
            "filed": filed[row],
            "accession": _accession(u.cik[ci], filed).take(pa.array(row, type=pa.int64())),
            "frame": pa.array(frame, type=pa.string()),
        },
    )


def shares_outstanding(m: Market, d0: int, d1: int, cols: np.ndarray | None) -> pa.Table:
    """raw.shares_outstanding: the cover-page share count of every 10-K and 10-Q filed on sessions d0..d1."""
    e = economics(m)
    u = m.universe
    mask = np.ones(m.n, dtype=bool) if cols is None else np.isin(np.arange(m.n), cols)
    ck, jk = np.nonzero(e.k_exists & (e.k_day >= d0) & (e.k_day <= d1) & mask[:, None])
    cq, jq, qq = np.nonzero(e.q_exists & (e.q_day >= d0) & (e.q_day <= d1) & mask[:, None, None])
    company = np.concatenate([ck, cq])
    filed = m.sessions[np.concatenate([e.k_day[ck, jk], e.q_day[cq, jq, qq]])]
    cover = np.concatenate([e.k_cover[ck, jk], e.q_cover[cq, jq, qq]])
    order = np.lexsort((company, filed))
    company, filed, cover = company[order], filed[order], cover[order]
    form = np.concatenate([np.zeros(len(ck), np.int32), np.ones(len(cq), np.int32)])[order]
    return table(
        "shares_outstanding",
        {
            "cik": u.cik[company],
            "ticker": categorical(company, u.ticker[: m.n]),
            "period_end": cover,
            "filed": filed,
            "shares": np.round(_shares_at(m, cover, company)),
            "form": categorical(form, ["10-K", "10-Q"]),
            "accession": _accession(u.cik[company], filed),
        },
    )
