"""The simulated market from the origin through a date: closes, shares, events, indexes, rates, mood."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

import numpy as np

from sources.demo import rng as streams
from sources.demo.universe import IPO, ORIGIN, Universe, build_universe
from transforms.calendar import trading_days

SMALL_INDEX, LARGE_INDEX = 1, 2
INDEX_NAMES = {SMALL_INDEX: "russell_2000", LARGE_INDEX: "large_cap"}
# A day index past every simulated session: a delisting not reached yet, a membership still open.
BEYOND = np.iinfo(np.int64).max // 4

_MARKET_VOL = 0.011
_MEAN_VOL = 0.0097
_EQUITY_RETURN = 0.08
_SIZE_PREMIUM = 0.01


@lru_cache(maxsize=1)
def calendar() -> np.ndarray:
    """Every XNYS session from the origin to the last one the calendar knows (datetime64[D])."""
    return np.array(trading_days(ORIGIN, date(2200, 1, 1)), dtype="datetime64[D]")


def last_session() -> date:
    """The last session the trading calendar knows."""
    return calendar()[-1].astype(date)


def simulated_through(end: date) -> date:
    """The date a market is simulated through for a request ending at `end`: its year's end, within the calendar."""
    return min(last_session(), date(end.year, 12, 31))


def first_session_on_or_after(sessions: np.ndarray, dates: np.ndarray) -> np.ndarray:
    """Index of the first session on or after each date; len(sessions) where there is none."""
    return np.searchsorted(sessions, np.asarray(dates, dtype="datetime64[D]"), side="left")


def last_session_on_or_before(sessions: np.ndarray, dates: np.ndarray) -> np.ndarray:
    """Index of the last session on or before each date; -1 where there is none."""
    return np.searchsorted(sessions, np.asarray(dates, dtype="datetime64[D]"), side="right") - 1


def nth_friday(year: int, month: int, n: int) -> date:
    """The n-th Friday of a month."""
    first = date(year, month, 1)
    return first + timedelta(days=(4 - first.weekday()) % 7 + 7 * (n - 1))


@dataclass
class Market:
    """One simulated market: sessions x companies (a listing-order prefix of the universe) and their events."""

    universe: Universe
    sessions: np.ndarray
    n: int
    close: np.ndarray
    shares: np.ndarray
    list_day: np.ndarray
    delist_day: np.ndarray
    dividends: tuple[np.ndarray, np.ndarray, np.ndarray]
    splits: tuple[np.ndarray, np.ndarray, np.ndarray]
    members: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    change_days: np.ndarray
    month_end: np.ndarray
    cumlog_month_end: np.ndarray
    small_level: np.ndarray
    large_level: np.ndarray
    market_vol: np.ndarray
    stress: np.ndarray
    mood_small: np.ndarray
    mood_large: np.ndarray
    rate: np.ndarray
    derived: dict[str, Any] = field(default_factory=dict)

    def day(self, on: date) -> int:
        """Index of the last session on or before `on`."""
        return int(last_session_on_or_before(self.sessions, np.array([on], dtype="datetime64[D]"))[0])

    def alive(self, t: int, companies: np.ndarray) -> np.ndarray:
        """Which of `companies` are listed on session t and not delisted by its close."""
        return (self.list_day[companies] <= t) & (self.delist_day[companies] > t)

    def members_on(self, t: int, index: int) -> np.ndarray:
        """Company indices in an index after the close of session t."""
        company, which, start, end = self.members
        return np.sort(company[(which == index) & (start <= t) & (end > t)])


def _market_factors(seed: int, rows: np.ndarray, years: np.ndarray) -> dict[str, np.ndarray]:
    # Year-keyed draws, row = session number within its year.
    normals, gammas = [], []
    for year in np.unique(years):
        g = streams.generator(seed, streams.MARKET, int(year))
        normals.append(g.standard_normal((streams.BLOCK_ROWS, 16)))
        gammas.append(g.standard_gamma(2.0, (streams.BLOCK_ROWS, 1)))
    block = np.searchsorted(np.unique(years), years)
    z = np.stack(normals)[block, rows]
    gam = np.stack(gammas)[block, rows, 0]
    t_days = len(rows)

    eps_m = np.clip(z[:, 1] / np.sqrt(gam), -10, 10)
    g0 = streams.generator(seed, streams.MARKET, 0)
    phi, sig_h, rho = 0.985, 0.09, -0.45
    h = np.empty(t_days)
    prev = float(g0.standard_normal()) * sig_h / np.sqrt(1 - phi * phi)
    prev_eps = 0.0
    w = z[:, 0]
    # A log-volatility AR(1) with leverage: falls in the market raise tomorrow's volatility.
    for t in range(t_days):
        prev = phi * prev + sig_h * (rho * prev_eps + np.sqrt(1 - rho * rho) * w[t])
        h[t] = prev
        prev_eps = eps_m[t]
    var_h = sig_h * sig_h / (1 - phi * phi)
    vol = _MARKET_VOL * np.exp(h - var_h)
    market = vol * eps_m

    cycle = _ou(z[:, 4], 1.5 * 252, 0.07, float(g0.standard_normal()) * 0.07)
    size = cycle / 252 + 0.0045 * (vol / _MEAN_VOL) * z[:, 2]
    sectors = 0.006 * np.sqrt(vol / _MEAN_VOL)[:, None] * z[:, 5:16]
    sentiment = _ou(z[:, 3], 120.0, 0.3, 0.0)
    return {
        "vol": vol,
        "market": market,
        "size": size,
        "sectors": sectors,
        "sentiment": sentiment,
        "h": h,
    }


def _ou(shocks: np.ndarray, half_life: float, sd: float, start: float) -> np.ndarray:
    # A mean-reverting AR(1) around zero with the given half-life (sessions) and stationary sd.
    a = np.exp(-np.log(2) / half_life)
    scale = sd * np.sqrt(1 - a * a)
    out = np.empty(len(shocks))
    level = start
    for t in range(len(shocks)):
        level = a * level + scale * shocks[t]
        out[t] = level
    return out


def _rates(seed: int, rows: np.ndarray, years: np.ndarray) -> np.ndarray:
    # DGS10 in percent: a mean-reverting path squeezed into about 1.5-5%, starting near 3.8%.
    draws = [
        streams.generator(seed, streams.RATES, int(y)).standard_normal(streams.BLOCK_ROWS) for y in np.unique(years)
    ]
    w = np.stack(draws)[np.searchsorted(np.unique(years), years), rows]
    return 1.4 + 3.7 / (1 + np.exp(-_ou(w, 2.5 * 252, 1.3, 0.62)))


def year_rows(sessions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Calendar year of each session and its row within that year (the row of its year-keyed draws)."""
    years = sessions.astype("datetime64[Y]").astype(np.int64) + 1970
    starts = np.searchsorted(years, years, side="left")
    return years, np.arange(len(sessions)) - starts


def _event_days(sessions: np.ndarray, u: Universe, n: int) -> dict[str, np.ndarray]:
    t_days = len(sessions)
    list_day = first_session_on_or_after(sessions, u.list_date[:n])
    delist_day = first_session_on_or_after(sessions, u.delist_date[:n])
    delist_day = np.where(delist_day >= t_days, BEYOND, delist_day)
    list_day = np.where(list_day >= t_days, BEYOND, list_day)
    # Announcement and failure phases are dated in calendar days back from the delisting date.
    acq = first_session_on_or_after(sessions, u.delist_date[:n] - (u.acq_lead[:n] * 1.45).astype(np.int64))
    fail = first_session_on_or_after(sessions, u.delist_date[:n] - (u.fail_lead[:n] * 1.45).astype(np.int64))
    kind = u.delist_kind[:n]
    announce = np.where((kind == 1) & (acq > list_day) & (acq < delist_day), acq, BEYOND)
    fail_start = np.where((kind == 2) & (fail < delist_day), np.maximum(fail, list_day + 1), BEYOND)
    return {"list": list_day, "delist": delist_day, "announce": announce, "fail_start": fail_start}


def _dividend_schedule(
    sessions: np.ndarray, u: Universe, n: int, ev: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    payers = np.flatnonzero(u.div_yield[:n] > 0)
    first_year, last_year = int(str(sessions[0])[:4]), int(str(sessions[-1])[:4])
    months = (u.div_month[payers][:, None] + np.array([0, 3, 6, 9])[None, :]).astype(np.int64)
    days, companies = [], []
    for year in range(first_year, last_year + 1):
        ym = np.datetime64(f"{year}-01", "M") + (months - 1)
        dates = ym.astype("datetime64[D]") + (u.div_day[payers][:, None] - 1)
        idx = first_session_on_or_after(sessions, dates)
        days.append(idx.ravel())
        companies.append(np.repeat(payers, 4))
    day = np.concatenate(days)
    company = np.concatenate(companies)
    keep = (day < len(sessions)) & (day > ev["list"][company]) & (day < ev["delist"][company])
    return day[keep], company[keep]


def _group(days: np.ndarray, values: np.ndarray) -> dict[int, np.ndarray]:
    # Values by session, for the per-session loop.
    order = np.argsort(days, kind="stable")
    days, values = days[order], values[order]
    cut = np.flatnonzero(np.diff(days)) + 1
    return {int(d[0]): v for d, v in zip(np.split(days, cut), np.split(values, cut), strict=True) if len(d)}


def _schedule_days(sessions: np.ndarray) -> tuple[set[int], set[int], set[int], np.ndarray]:
    first_year, last_year = int(str(sessions[0])[:4]), int(str(sessions[-1])[:4])
    recon: set[int] = {0}
    additions: set[int] = set()
    quarter_starts: set[int] = set()
    for year in range(first_year, last_year + 1):
        for month, nth, bucket in ((6, 4, recon), (3, 3, additions), (9, 3, additions), (12, 3, additions)):
            friday = np.datetime64(nth_friday(year, month, nth), "D")
            # A schedule date past the last simulated session is not known yet.
            if friday <= sessions[-1]:
                t = int(last_session_on_or_before(sessions, np.array([friday]))[0])
                if t > 0:
                    bucket.add(t)
        for month in (1, 4, 7, 10):
            t = int(first_session_on_or_after(sessions, np.array([date(year, month, 1)], "datetime64[D]"))[0])
            if 0 < t < len(sessions):
                quarter_starts.add(t)
    months = sessions.astype("datetime64[M]")
    month_end = np.flatnonzero(np.append(months[1:] != months[:-1], True))
    # The last session of the simulated span only closes a month when the month is over.
    if month_end[-1] == len(sessions) - 1 and last_session() == sessions[-1].astype(date):
        month_end = month_end[:-1]
    return recon, additions, quarter_starts, month_end


class _Membership:
    """Index membership as it changes through the simulation, kept as intervals [start, end) of sessions."""

    def __init__(self, n: int) -> None:
        self.member = np.zeros(n, dtype=np.int8)
        self.start = np.zeros(n, dtype=np.int64)
        self.closed: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        self.change_days: set[int] = set()
        self.last_intake = 0

    def set(self, idx: np.ndarray, new: np.ndarray, t: int) -> None:
        """Move companies `idx` to index `new` (0: none) after the close of session t."""
        old = self.member[idx]
        moved = old != new
        if not moved.any():
            return
        idx, old, new = idx[moved], old[moved], new[moved]
        leaving = old != 0
        self.closed.append(
            (idx[leaving], old[leaving], self.start[idx[leaving]].copy(), np.full(int(leaving.sum()), t, np.int64))
        )
        self.member[idx] = new
        self.start[idx] = t
        self.change_days.add(t)

    def reconstitute(self, t: int, cap: np.ndarray, eligible: np.ndarray, n_large: int, n_small: int) -> None:
        """Rank eligible companies by market cap: the top n_large are large caps, the next n_small small caps."""
        ranked = eligible[np.argsort(-cap[eligible], kind="stable")]
        target = np.zeros(len(ranked), dtype=np.int8)
        target[:n_large] = LARGE_INDEX
        target[n_large : n_large + n_small] = SMALL_INDEX
        self.set(ranked, target, t)
        self.last_intake = t

    def add_ipos(self, t: int, cap: np.ndarray, fresh: np.ndarray) -> None:
        """Quarterly IPO intake: new listings join the index whose size range their market cap falls in."""
        small, large = cap[self.member == SMALL_INDEX], cap[self.member == LARGE_INDEX]
        if len(fresh) and len(small) and len(large):
            target = np.where(
                cap[fresh] >= large.min(), LARGE_INDEX, np.where(cap[fresh] >= small.min(), SMALL_INDEX, 0)
            )
            self.set(fresh, target.astype(np.int8), t)
        self.last_intake = t

    def intervals(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(company, index, start, end) of every membership, open ones ending at BEYOND."""
        still = np.flatnonzero(self.member != 0)
        open_ = (still, self.member[still].copy(), self.start[still].copy(), np.full(len(still), BEYOND, np.int64))
        parts = [*self.closed, open_]
        return (
            np.concatenate([p[0] for p in parts]).astype(np.int64),
            np.concatenate([p[1] for p in parts]).astype(np.int8),
            np.concatenate([p[2] for p in parts]),
            np.concatenate([p[3] for p in parts]),
        )


def _year_returns(
    seed: int, u: Universe, n: int, year: int, t0: int, t1: int, f: dict[str, np.ndarray], ev: dict[str, np.ndarray]
) -> np.ndarray:
    """Daily log total returns (sessions t0..t1-1 x companies, float32): factors, fat-tailed noise, takeovers."""
    ny = t1 - t0
    g = streams.generator(seed, streams.IDIOSYNCRATIC, year)
    z = g.standard_normal((streams.BLOCK_ROWS, u.size), dtype=np.float32)[:ny, :n]
    gam = g.standard_gamma(2.0, (streams.BLOCK_ROWS, u.size), dtype=np.float32)[:ny, :n]
    # Student-t with 4 degrees of freedom, scaled to unit variance: z / sqrt(Gamma(2)).
    eps = np.clip(z / np.sqrt(gam), -12, 12)
    del z, gam
    beta, load, sig = u.beta[:n], u.size_loading[:n], u.idio_vol[:n]
    var = (beta * 0.0105) ** 2 + (load * 0.0045) ** 2 + 0.006**2 + sig**2
    # Expected simple return: the equity return plus a small-cap premium, less the volatility drag in logs.
    drift = ((_EQUITY_RETURN + _SIZE_PREMIUM * load) / 252 - 0.5 * var).astype(np.float32)
    vol = f["vol"][t0:t1].astype(np.float32)
    idio = (0.7 + 0.3 * vol / _MEAN_VOL)[:, None] * sig.astype(np.float32)[None, :] * eps
    del eps
    ret = (
        drift[None, :]
        + beta.astype(np.float32)[None, :] * f["market"][t0:t1, None].astype(np.float32)
        + load.astype(np.float32)[None, :] * f["size"][t0:t1, None].astype(np.float32)
        + f["sectors"][t0:t1][:, u.sector[:n].astype(np.int64)].astype(np.float32)
        + idio
    )
    # An agreed takeover: a premium jump on announcement, then the price sits near the deal price.
    announce, delist_day = ev["announce"], ev["delist"]
    tt = np.arange(t0, t1)[:, None]
    pinned = (tt > announce[None, :]) & (tt <= delist_day[None, :])
    ret = np.where(pinned, 0.0002 + 0.08 * idio, ret)
    hit = (announce >= t0) & (announce < t1)
    ret[announce[hit] - t0, np.flatnonzero(hit)] += np.log1p(u.acq_premium[:n][hit]).astype(np.float32)
    return np.clip(ret, -0.9, 0.9)


@lru_cache(maxsize=2)
def build_market(seed: int, n_small: int, n_large: int, through: date) -> Market:
    """Simulate the market from the origin through `through`; what happens on a session never depends on `through`."""
    u = build_universe(seed, n_small, n_large)
    sessions = calendar()[calendar() <= np.datetime64(through, "D")]
    t_days = len(sessions)
    n = int(np.searchsorted(u.list_date, np.datetime64(through, "D"), side="right"))
    years, rows = year_rows(sessions)
    f = _market_factors(seed, rows, years)
    ev = _event_days(sessions, u, n)
    list_day, delist_day, announce, fail_start = ev["list"], ev["delist"], ev["announce"], ev["fail_start"]
    ex_at = _group(*_dividend_schedule(sessions, u, n, ev))
    list_at = _group(list_day[list_day < t_days], np.flatnonzero(list_day < t_days))
    delist_at = _group(delist_day[delist_day < t_days], np.flatnonzero(delist_day < t_days))
    recon_days, intake_days, quarter_starts, month_end = _schedule_days(sessions)
    month_end_row = {int(t): k for k, t in enumerate(month_end)}
    log_target = np.log(u.fail_target[:n])
    delist_date = u.delist_date[:n]
    threshold = u.split_threshold[:n]
    is_ipo = u.group[:n] == IPO

    close = np.full((t_days, n), np.nan, dtype=np.float32)
    shares_by_day = np.full((t_days, n), np.nan, dtype=np.float64)
    cum_month_end = np.full((len(month_end), n), np.nan, dtype=np.float32)
    levels = {SMALL_INDEX: np.ones(t_days), LARGE_INDEX: np.ones(t_days)}
    price = np.full(n, np.nan)
    shares = np.full(n, np.nan)
    cumlog = np.zeros(n)
    div_amount = np.zeros(n)
    div_year = np.zeros(n, dtype=np.int64)
    last_split = np.full(n, -10_000, dtype=np.int64)
    below_one = np.zeros(n, dtype=np.int64)
    book = _Membership(n)
    div_log: list[tuple[int, np.ndarray, np.ndarray]] = []
    split_log: list[tuple[int, np.ndarray, np.ndarray]] = []

    for year in np.unique(years).tolist():
        span = np.flatnonzero(years == year)
        t0, t1 = int(span[0]), int(span[-1]) + 1
        ret = _year_returns(seed, u, n, year, t0, t1, f, ev)
        gd = streams.generator(seed, streams.DECISIONS, year)
        decide = gd.random((streams.BLOCK_ROWS, u.size), dtype=np.float32)[: t1 - t0, :n]
        pick = gd.random((streams.BLOCK_ROWS, u.size), dtype=np.float32)[: t1 - t0, :n]
        issue = streams.generator(seed, streams.SHARES, year).standard_normal((4, u.size))[:, :n]

        # One session at a time across all companies: splits, dividends and index changes depend on the path.
        for k in range(t1 - t0):
            t = t0 + k
            r = ret[k].astype(np.float64)
            prev_cap = price * shares
            new = list_at.get(t, np.empty(0, dtype=np.int64))
            if len(new):
                price[new] = u.price0[new]
                shares[new] = u.mcap0[new] / u.price0[new]
                # The first close is the offer price for the initial companies, a first-day pop for IPOs.
                r[new] = 0.0 if t == 0 else u.ipo_pop[new]
                cumlog[new] = 0.0
            # Time to delisting counts calendar days to its date, which is known even past `through`.
            days_left = (delist_date - sessions[t]).astype(np.int64)
            failing = np.flatnonzero((fail_start <= t) & (delist_day >= t))
            if len(failing):
                # A failing company drifts toward a penny price by its delisting date.
                left = days_left[failing] * (252 / 365.25) + 1.0
                r[failing] += (log_target[failing] - np.log(price[failing])) / left
            raw = price * np.exp(r)
            new_price = raw.copy()
            ex_today = np.zeros(n, dtype=bool)
            e = ex_at.get(t, np.empty(0, dtype=np.int64))
            if len(e):
                # The quarterly dividend is reset once a year to the target yield on the price.
                reset = div_year[e] != year
                div_amount[e[reset]] = np.maximum(0.01, np.round(u.div_yield[e] * price[e] / 4, 2))[reset]
                div_year[e[reset]] = year
                pay = np.minimum(div_amount[e] * ((price[e] >= 2.0) & (fail_start[e] > t)), 0.2 * raw[e])
                paid = pay > 0
                if paid.any():
                    new_price[e[paid]] -= pay[paid]
                    ex_today[e[paid]] = True
                    div_log.append((t, e[paid], np.round(pay[paid], 4)))
            live = ~np.isnan(new_price)
            below_one = np.where(live & (new_price < 1.0), below_one + 1, 0)
            can = live & ~ex_today & (t - last_split >= 250) & (t > list_day) & (days_left > 60)
            forward = can & (new_price > threshold) & (decide[k] < 0.005) & (announce > t) & (fail_start > t)
            reverse = can & (below_one >= 60) & (decide[k] < 0.006) & (days_left > 180)
            if forward.any() or reverse.any():
                ratio = np.ones(n)
                high = new_price / threshold >= 2.2
                ratio[forward] = np.where(high[forward], 3.0, np.where(pick[k][forward] < 0.75, 2.0, 1.5))
                ratio[reverse] = 0.1
                done = forward | reverse
                new_price[done] /= ratio[done]
                shares[done] *= ratio[done]
                last_split[done] = t
                below_one[done] = 0
                split_log.append((t, np.flatnonzero(done), ratio[done]))
            if t in quarter_starts:
                shares *= np.exp(u.issuance[:n] / 4 + 0.008 * issue[(int(str(sessions[t])[5:7]) - 1) // 3])

            if t > 0:
                # Cap-weighted total return of yesterday's members.
                growth = np.exp(r)
                for index, level in levels.items():
                    m = book.member == index
                    level[t] = level[t - 1] * float(np.nansum(prev_cap[m] * growth[m]) / np.nansum(prev_cap[m]))
            cumlog[live] += r[live]

            gone = delist_at.get(t, np.empty(0, dtype=np.int64))
            if len(gone):
                book.set(gone, np.zeros(len(gone), dtype=np.int8), t)
            if t in recon_days:
                book.reconstitute(t, new_price * shares, np.flatnonzero(live & (delist_day > t)), n_large, n_small)
            elif t in intake_days:
                fresh = is_ipo & live & (delist_day > t) & (book.member == 0) & (list_day > book.last_intake)
                book.add_ipos(t, new_price * shares, np.flatnonzero(fresh))

            close[t] = new_price
            shares_by_day[t] = shares
            if t in month_end_row:
                cum_month_end[month_end_row[t]] = np.where(live, cumlog, np.nan)
            price = new_price
            price[gone] = np.nan
            shares[gone] = np.nan

    stress = np.maximum(0.0, f["h"] - 0.3)
    small_level, large_level = levels[SMALL_INDEX], levels[LARGE_INDEX]
    # Mood: recent index returns, volatility (small caps feel stress more) and a slow sentiment swing.
    mood_small = 0.6 * np.tanh(_trailing_log_return(small_level, 63) / 0.10) - 0.5 * stress + f["sentiment"]
    mood_large = 0.6 * np.tanh(_trailing_log_return(large_level, 63) / 0.08) - 0.2 * stress + 0.6 * f["sentiment"]
    return Market(
        universe=u,
        sessions=sessions,
        n=n,
        close=close,
        shares=shares_by_day,
        list_day=list_day,
        delist_day=delist_day,
        dividends=_events(div_log),
        splits=_events(split_log),
        members=book.intervals(),
        change_days=np.array(sorted(book.change_days), dtype=np.int64),
        month_end=month_end,
        cumlog_month_end=cum_month_end,
        small_level=small_level,
        large_level=large_level,
        market_vol=f["vol"],
        stress=stress,
        mood_small=mood_small,
        mood_large=mood_large,
        rate=_rates(seed, rows, years),
    )


def _events(log: list[tuple[int, np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # (session, company, value) arrays from per-session event lists.
    if not log:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0)
    return (
        np.concatenate([np.full(len(c), t, dtype=np.int64) for t, c, _ in log]),
        np.concatenate([c for _, c, _ in log]).astype(np.int64),
        np.concatenate([v for _, _, v in log]),
    )


def _trailing_log_return(level: np.ndarray, window: int) -> np.ndarray:
    lag = np.concatenate([np.full(window, level[0]), level[:-window]])[: len(level)]
    return np.log(level / lag)
