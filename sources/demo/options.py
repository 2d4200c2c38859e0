"""Option chains: IWM (on the small-cap index) and SPY (large caps) per trade date, priced off a skewed smile."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import numpy as np
import pyarrow as pa
from scipy.special import ndtr, ndtri

from sources.demo import rng as streams
from sources.demo.market import (
    Market,
    calendar,
    first_session_on_or_after,
    last_session_on_or_before,
    nth_friday,
)
from sources.demo.schema import categorical, constant, empty, table

OPTIONS_START = date(2015, 1, 2)
# Per underlying: price at the origin, beta to market volatility, long-run implied vol, and mean
# daily call and put volume (contracts) in 2015.
UNDERLYINGS = {
    "IWM": {"start": 120.0, "beta": 1.2, "long_iv": 0.22, "calls": 300_000.0, "puts": 480_000.0},
    "SPY": {"start": 110.0, "beta": 0.95, "long_iv": 0.17, "calls": 1_400_000.0, "puts": 1_900_000.0},
}
_STRIKES = 25


def _strike_step(underlying: str, spot: float) -> float:
    if underlying == "SPY":
        return 5.0
    return 1.0 if spot < 100 else 2.0 if spot < 175 else 5.0


def _expiry_session(friday: date) -> date:
    # An exchange holiday on the Friday moves expiry to the session before; past the calendar's
    # reach the Friday is taken as a session.
    sessions = calendar()
    if friday > sessions[-1].astype(date):
        return friday
    t = int(last_session_on_or_before(sessions, np.array([friday], dtype="datetime64[D]"))[0])
    return sessions[t].astype(date)


@lru_cache(maxsize=4096)
def expiries(trade_date: date) -> tuple[date, ...]:
    """Expiries listed on a trade date: the next 4 weekly Fridays, then 3 serial and 3 quarterly monthlies."""
    fridays = []
    first = trade_date + timedelta(days=(4 - trade_date.weekday()) % 7 or 7)
    fridays += [first + timedelta(days=7 * k) for k in range(4)]
    monthly: list[date] = []
    year, month = trade_date.year, trade_date.month
    while len(monthly) < 6 and (year - trade_date.year) * 12 + month - trade_date.month <= 13:
        third = nth_friday(year, month, 3)
        if third > trade_date and (len(monthly) < 3 or month % 3 == 0):
            monthly.append(third)
        month += 1
        if month > 12:
            year, month = year + 1, 1
    out = sorted({_expiry_session(f) for f in fridays + monthly if f <= trade_date + timedelta(days=370)})
    return tuple(e for e in out if e > trade_date)


def _occ(root: str, expiry: np.ndarray, is_put: np.ndarray, strike: np.ndarray) -> list[str]:
    # OCC symbol: root, YYMMDD, C or P, strike x 1000 in 8 digits.
    year = expiry.astype("datetime64[Y]").astype(np.int64) + 1970
    month = expiry.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (expiry - expiry.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    ymd = ((year % 100) * 10000 + month * 100 + day).tolist()
    code = np.round(strike * 1000).astype(np.int64).tolist()
    return [f"{root}{a:06d}{'P' if b else 'C'}{c:08d}" for a, b, c in zip(ymd, is_put.tolist(), code, strict=True)]


def options(m: Market, d0: int, d1: int, tickers: tuple[str, ...] | None) -> pa.Table:
    """raw.options: the IWM and SPY chains on each session d0..d1 from OPTIONS_START on."""
    start = max(d0, int(first_session_on_or_after(m.sessions, np.array([OPTIONS_START], "datetime64[D]"))[0]))
    wanted = [s for s in UNDERLYINGS if tickers is None or s in {t.upper() for t in tickers}]
    if start > d1 or not wanted:
        return empty("options")
    parts = [_chains(m, start, d1, symbol) for symbol in wanted]
    return pa.concat_tables(parts)


def _chains(m: Market, d0: int, d1: int, symbol: str) -> pa.Table:
    p = UNDERLYINGS[symbol]
    level = m.small_level if symbol == "IWM" else m.large_level
    seed = m.universe.seed
    sym_key = 1 if symbol == "IWM" else 2

    day_idx, exp_col, strike_col = [], [], []
    for t in range(d0, d1 + 1):
        trade = m.sessions[t].astype(date)
        spot = p["start"] * level[t]
        step = _strike_step(symbol, spot)
        grid = np.arange(np.ceil(0.8 * spot / step), np.floor(1.2 * spot / step) + 1) * step
        grid = np.sort(grid[np.argsort(np.abs(grid - spot), kind="stable")[:_STRIKES]])
        ex = np.array(expiries(trade), dtype="datetime64[D]")
        day_idx.append(np.full(len(ex) * len(grid), t))
        exp_col.append(np.repeat(ex, len(grid)))
        strike_col.append(np.tile(grid, len(ex)))
    t_row = np.concatenate(day_idx)
    expiry = np.concatenate(exp_col)
    strike = np.concatenate(strike_col)
    n_rows = len(t_row)
    t_row = np.concatenate([t_row, t_row])
    expiry = np.concatenate([expiry, expiry])
    strike = np.concatenate([strike, strike])
    is_put = np.repeat([False, True], n_rows)

    spot = np.round(p["start"] * level[t_row], 2)
    trade_day = m.sessions[t_row]
    tau = np.maximum((expiry - trade_day).astype(np.float64), 0.5) / 365.0
    rate = m.rate[t_row] / 100.0
    forward = spot * np.exp(rate * tau)

    # The smile: at-the-money vol follows market volatility and rises after drawdowns; puts are richer.
    vol_day = m.market_vol[t_row]
    padded = np.concatenate([np.full(252, level[0]), level])
    year_peak = np.lib.stride_tricks.sliding_window_view(padded, 253).max(axis=1)
    drawdown = 1.0 - level[t_row] / year_peak[t_row]
    short_iv = 1.1 * p["beta"] * vol_day * np.sqrt(252) + 0.02 + 0.25 * drawdown
    atm = p["long_iv"] + (short_iv - p["long_iv"]) * np.exp(-tau / 0.35)
    x = np.log(strike / forward) / (atm * np.sqrt(tau))
    skew = 0.15 + 0.05 * m.stress[t_row]
    iv = np.clip(atm * (1 - skew * x + 0.025 * x * x), 0.4 * atm, 3.0 * atm) + np.where(is_put, 0.005, 0.0)

    sd = iv * np.sqrt(tau)
    d1_ = (np.log(spot / strike) + (rate + 0.5 * iv * iv) * tau) / sd
    d2_ = d1_ - sd
    disc = strike * np.exp(-rate * tau)
    call = spot * ndtr(d1_) - disc * ndtr(d2_)
    put = disc * ndtr(-d2_) - spot * ndtr(-d1_)
    mid = np.where(is_put, put, call)
    delta = np.where(is_put, ndtr(d1_) - 1.0, ndtr(d1_))

    day_number = trade_day.astype(np.int64)
    contract_key = expiry.astype(np.int64) * 10_000_000 + np.round(strike * 1000).astype(np.int64) * 2 + is_put

    def normal(purpose: int, *keys: np.ndarray) -> np.ndarray:
        # Standard normals that are pure functions of (seed, underlying, keys): no window can change them.
        return ndtri(streams.hashed_uniform(seed, streams.OPTIONS, purpose, sym_key, *keys))

    # Day totals: growing with the years, higher when volatile; puts spike on sharp falls (hedging).
    years = (day_number - np.datetime64("2015-01-01", "D").astype(np.int64)) / 365.25
    move = np.log(level[t_row] / level[np.maximum(t_row - 1, 0)]) / (p["beta"] * vol_day)
    activity = np.exp(0.08 * years + 0.25 * normal(1, day_number)) * np.sqrt(vol_day / 0.0097)
    spike = streams.hashed_uniform(seed, streams.OPTIONS, 2, sym_key, day_number)
    hedging = 1.0 + np.minimum(1.5, 0.8 * np.maximum(0.0, -move - 1.0)) + np.where(spike < 0.03, 0.6 + 30 * spike, 0.0)
    total = activity * np.where(is_put, p["puts"] * hedging, p["calls"])
    weight = np.exp(-0.5 * (x / 0.6) ** 2) * np.exp(-tau / 0.15)
    share = weight / np.bincount(_group(t_row, is_put), weights=weight)[_group(t_row, is_put)]
    volume = np.floor(total * share * np.exp(0.7 * normal(3, day_number, contract_key) - 0.245))
    oi_weight = np.exp(-0.5 * (x / 0.8) ** 2) * (0.05 + np.minimum(tau, 0.5)) ** 0.3
    open_interest = np.floor(
        12
        * total
        * oi_weight
        / np.bincount(_group(t_row, is_put), weights=oi_weight)[_group(t_row, is_put)]
        * np.exp(0.8 * normal(4, contract_key))
        * np.where(tau < 3 / 365, 0.6, 1.0)
    )

    spread = 0.01 + 0.008 * mid
    bid = np.maximum(0.0, np.floor((mid - spread / 2) * 100 + 1e-9) / 100)
    ask = np.maximum(np.ceil((mid + spread / 2) * 100 - 1e-9) / 100, bid + 0.01)
    last = np.clip(np.round(mid * np.exp(0.02 * normal(5, day_number, contract_key)), 2), np.maximum(bid, 0.01), ask)
    # Like real chains: a few contracts carry no model values (iv 0, delta at its bound) and no last trade.
    odd = streams.hashed_uniform(seed, streams.OPTIONS, 6, sym_key, day_number, contract_key)
    dead = ((np.minimum(np.abs(delta), 1 - np.abs(delta)) < 0.01) & (tau < 21 / 365) & (odd < 0.4)) | (odd > 0.99)
    last = np.where(dead | ((volume == 0) & (open_interest == 0)), np.nan, last)
    iv_out = np.where(dead, 0.0, np.round(iv, 4))
    delta_out = np.where(dead, np.round(delta), np.round(delta, 4))

    order = np.lexsort((strike, is_put, expiry, t_row))
    contract = _occ(symbol, expiry[order], is_put[order], strike[order])
    return table(
        "options",
        {
            "underlying": constant(symbol, len(order)),
            "trade_date": trade_day[order],
            "contract": pa.array(contract, type=pa.string()),
            "expiry": expiry[order],
            "option_type": categorical(is_put[order].astype(np.int32), ["C", "P"]),
            "strike": strike[order],
            "volume": volume[order],
            "open_interest": open_interest[order],
            "bid": bid[order],
            "ask": ask[order],
            "last": last[order],
            "iv": iv_out[order],
            # Adding zero turns -0.0 (a rounded far out-of-the-money put) into 0.0.
            "delta": delta_out[order] + 0.0,
            "underlying_price": np.round(spot[order], 2),
        },
    )


def _group(t_row: np.ndarray, is_put: np.ndarray) -> np.ndarray:
    # One group per trade date and option type, for sums with np.bincount.
    return (t_row - t_row.min()) * 2 + is_put.astype(np.int64)
