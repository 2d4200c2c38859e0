"""Analyst consensus: per company, snapshot date and next two unreported fiscal years; optimistic on earnings."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from scipy.special import ndtri

from sources.demo import rng as streams
from sources.demo.fundamentals import ANCHOR_SPEED, ROA_PERSISTENCE, economics
from sources.demo.market import Market
from sources.demo.schema import categorical, empty, table

# Mean optimism of consensus earnings over an unbiased forecast; actuals land about this much lower.
OPTIMISM = 0.11
# Expected yearly growth of a company's market value, which analysts build into its asset path.
_VALUE_GROWTH = 0.06


def analyst_count(mcap: np.ndarray, coverage: np.ndarray, uncovered: np.ndarray) -> np.ndarray:
    """Analysts covering a company: 1-15 rising with market cap; about 10% of micro caps have none."""
    count = np.clip(np.round(1 + 2.2 * np.log(np.maximum(mcap, 1.0) / 150e6) + coverage), 1, 15)
    return np.where(uncovered & (mcap < 300e6), 0, count).astype(np.int32)


def estimates(m: Market, days: np.ndarray, cols: np.ndarray | None) -> pa.Table:
    """raw.estimates on the given snapshot sessions for every covered company listed at that close."""
    e = economics(m)
    u = m.universe
    companies = np.arange(m.n) if cols is None else np.sort(cols)
    persistent = ndtri(streams.hashed_uniform(u.seed, streams.ESTIMATES, companies))
    out: list[dict[str, np.ndarray]] = []
    for t in days:
        t = int(t)
        live = companies[m.alive(t, companies)]
        known = e.known_day[live] <= t
        has = known.any(axis=1)
        live, known = live[has], known[has]
        j0 = known.shape[1] - 1 - np.argmax(known[:, ::-1], axis=1)
        mcap = m.close[t, live].astype(np.float64) * m.shares[t, live]
        count = analyst_count(mcap, u.coverage[live], u.uncovered[live])
        keep = count > 0
        live, j0, mcap, count = live[keep], j0[keep], mcap[keep], count[keep]
        bias_company = persistent[np.searchsorted(companies, live)]
        month = int(m.sessions[t].astype("datetime64[M]").astype(np.int64))
        z = streams.generator(u.seed, streams.ESTIMATES, month).standard_normal((4, u.size))[:, live]
        mu, growth, tax = u.roa_mean[live], u.asset_growth[live], u.tax_rate[live]
        roa0 = e.values["roa"][live, j0]
        assets = e.values["assets"][live, j0]
        interest0 = e.values["interest"][live, j0]
        shares = m.shares[t, live]
        # Assets follow the accounts' own rule: trend growth plus a partial move toward what today's
        # market value implies.
        target = np.log(mcap / np.maximum(u.ev_multiple[live] - u.debt_ratio[live] + u.cash_ratio[live], 0.15))
        closing = assets
        for h in (1, 2):
            roa = mu + ROA_PERSISTENCE**h * (roa0 - mu)
            opening = closing
            ahead = target + _VALUE_GROWTH * (h - 0.5)
            closing = np.exp(np.log(opening) + growth + ANCHOR_SPEED * (ahead - np.log(opening)))
            avg = 0.5 * (opening + closing)
            revenue = u.turnover[live] * avg
            operating = roa * avg / (1 - tax) - u.rd_share[live] * revenue
            pretax = operating - interest0 * closing / assets
            earnings = np.where(pretax > 0, pretax * (1 - tax), 0.95 * pretax)
            # Consensus leans optimistic: a bias per company, a little noise per month.
            lean = OPTIMISM + 0.03 * bias_company + 0.02 * z[h - 1]
            earnings = earnings + np.abs(earnings) * lean
            revenue = revenue * (1.02 + 0.03 * z[h + 1])
            out.append(
                {
                    "company": live,
                    "fy": (e.years[j0] + h).astype(np.int32),
                    "t": np.full(len(live), t),
                    "revenue": np.round(revenue, -3),
                    "earnings": np.round(earnings, -3),
                    "eps": np.round(earnings / shares, 4),
                    "analysts": count,
                }
            )
    if not out:
        return empty("estimates")
    rows = {k: np.concatenate([o[k] for o in out]) for k in out[0]}
    order = np.lexsort((rows["fy"], rows["company"], rows["t"]))
    rows = {k: v[order] for k, v in rows.items()}
    return table(
        "estimates",
        {
            "ticker": categorical(rows["company"], u.ticker[: m.n]),
            "fiscal_year": rows["fy"],
            "as_of": m.sessions[rows["t"]],
            "revenue": rows["revenue"],
            "earnings": rows["earnings"],
            "eps": rows["eps"],
            "analysts": rows["analysts"],
        },
    )
