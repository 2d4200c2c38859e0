"""Tables read off the simulated market: prices, constituents and companies (per snapshot date), rates."""

from __future__ import annotations

import itertools

import numpy as np
import pyarrow as pa

from sources.demo import rng as streams
from sources.demo.market import INDEX_NAMES, LARGE_INDEX, SMALL_INDEX, Market, year_rows
from sources.demo.schema import categorical, constant, table
from sources.demo.universe import SECTORS, SIC_TABLE

# Share of each member's shares the index fund holds (IWM and a large-cap fund).
FUND_SHARE = {SMALL_INDEX: 0.022, LARGE_INDEX: 0.008}
EXCHANGES = ("NYSE", "NASDAQ")


def tick_round(x: np.ndarray) -> np.ndarray:
    """Round prices to the cent, or to 1/100 cent below $1, as US quotes are."""
    return np.where(x >= 1.0, np.round(x, 2), np.round(x, 4))


def _events_at(
    keys: np.ndarray, ev_day: np.ndarray, ev_col: np.ndarray, ev_val: np.ndarray, n_cols: int, default: float
) -> np.ndarray:
    # keys: sorted day * n_cols + column of each output row; events land on matching rows.
    out = np.full(len(keys), default)
    if len(ev_day):
        ek = ev_day * n_cols + ev_col
        pos = np.searchsorted(keys, ek)
        ok = (pos < len(keys)) & (keys[np.minimum(pos, len(keys) - 1)] == ek)
        out[pos[ok]] = ev_val[ok]
    return out


def prices(m: Market, d0: int, d1: int, cols: np.ndarray) -> pa.Table:
    """raw.prices for sessions d0..d1 (indices) and companies `cols`: as-traded OHLCV with dividends and splits."""
    years, _ = year_rows(m.sessions)
    # A calendar year at a time keeps the intermediate arrays of a long window small.
    cuts = [d0, *(t for t in range(d0 + 1, d1 + 1) if years[t] != years[t - 1]), d1 + 1]
    return pa.concat_tables([_prices(m, a, b - 1, cols) for a, b in itertools.pairwise(cuts)])


def _prices(m: Market, d0: int, d1: int, cols: np.ndarray) -> pa.Table:
    u = m.universe
    sub = m.close[d0 : d1 + 1][:, cols]
    ti, ci = np.nonzero(~np.isnan(sub))
    t_abs = ti + d0
    c_abs = cols[ci]
    close_raw = sub[ti, ci].astype(np.float64)
    keys = t_abs.astype(np.int64) * m.n + c_abs
    split = _events_at(keys, m.splits[0], m.splits[1], m.splits[2], m.n, 1.0)
    div = _events_at(keys, m.dividends[0], m.dividends[1], m.dividends[2], m.n, 0.0)
    prev = np.where(t_abs > 0, m.close[np.maximum(t_abs - 1, 0), c_abs], np.nan).astype(np.float64)
    first = np.isnan(prev)
    prev = np.where(first, u.price0[c_abs], prev)
    ref = (prev - div) / split
    move = np.log(close_raw / ref)

    years, rows = year_rows(m.sessions)
    noise = np.empty((4, len(ti)), dtype=np.float32)
    row_year = years[t_abs]
    for year in np.unique(row_year):
        sel = np.flatnonzero(row_year == year)
        block = streams.generator(u.seed, streams.OHLC, int(year)).standard_normal(
            (4, streams.BLOCK_ROWS, u.size), dtype=np.float32
        )
        noise[:, sel] = block[:, rows[t_abs[sel]], c_abs[sel]]
        del block
    sigma = u.idio_vol[c_abs] + 0.006
    open_ = ref * np.exp(0.35 * move + 0.3 * sigma * noise[0])
    open_ = np.where(first, prev, open_)
    high = np.maximum(open_, close_raw) * np.exp(0.45 * sigma * np.abs(noise[1]))
    low = np.minimum(open_, close_raw) * np.exp(-0.45 * sigma * np.abs(noise[2]))

    close = tick_round(close_raw)
    open_ = tick_round(open_)
    tick = np.where(close >= 1.0, 0.01, 0.0001)
    high = np.maximum(np.ceil(np.round(high / tick, 6)) * tick, np.maximum(open_, close))
    low = np.minimum(np.maximum(np.floor(np.round(low / tick, 6)) * tick, tick), np.minimum(open_, close))
    high, low = tick_round(high), tick_round(low)

    shares = m.shares[t_abs, c_abs]
    turnover = 0.004 + 0.004 * u.size_loading[c_abs]
    surprise = np.abs(move) / (sigma + 0.01)
    volume = shares * turnover * np.exp(0.45 * noise[3]) * (1.0 + 1.5 * surprise) * np.where(first, 8.0, 1.0)
    volume = np.maximum(100.0, np.round(volume))

    return table(
        "prices",
        {
            "ticker": categorical(c_abs, u.ticker[: m.n]),
            "date": m.sessions[t_abs],
            "open": open_,
            "high": high,
            "low": low,
            "close": close,
            "volume": volume,
            "dividend": div,
            "split_ratio": split,
            "adjusted": constant("none", len(ti)),
            "basis_date": pa.nulls(len(ti), pa.date32()),
        },
    )


def snapshot_days(m: Market, d0: int, d1: int, changes: bool) -> np.ndarray:
    """Snapshot sessions in d0..d1 (d1 is the request's end): month ends, d1, and membership changes if asked."""
    days = np.concatenate([m.month_end, [d1], m.change_days if changes else []]).astype(np.int64)
    return np.unique(days[(days >= d0) & (days <= d1)])


def constituents(m: Market, days: np.ndarray, cols: np.ndarray | None) -> pa.Table:
    """raw.constituents on the given snapshot sessions: each index's members with weight, holding and price."""
    u = m.universe
    company, which, start, end = m.members
    hit = (start[None, :] <= days[:, None]) & (end[None, :] > days[:, None])
    si, ii = np.nonzero(hit)
    t = days[si]
    c = company[ii]
    idx = which[ii].astype(np.int64)
    order = np.lexsort((c, idx, t))
    t, c, idx = t[order], c[order], idx[order]
    price = tick_round(m.close[t, c].astype(np.float64))
    held = np.round(np.where(idx == SMALL_INDEX, FUND_SHARE[SMALL_INDEX], FUND_SHARE[LARGE_INDEX]) * m.shares[t, c])
    value = np.round(held * price, 2)
    group = np.unique(t * 4 + idx, return_inverse=True)[1]
    weight = np.round(100.0 * value / np.bincount(group, weights=value)[group], 6)
    if cols is not None:
        keep = np.isin(c, cols)
        t, c, idx, price, held, value, weight = (
            t[keep],
            c[keep],
            idx[keep],
            price[keep],
            held[keep],
            value[keep],
            weight[keep],
        )
    return table(
        "constituents",
        {
            "index_name": categorical(idx - 1, [INDEX_NAMES[SMALL_INDEX], INDEX_NAMES[LARGE_INDEX]]),
            "as_of": m.sessions[t],
            "ticker": categorical(c, u.ticker[: m.n]),
            "name": categorical(c, u.name[: m.n]),
            "sector": categorical(u.sector[c], SECTORS),
            "asset_class": constant("Equity", len(t)),
            "weight": weight,
            "shares_held": held,
            "market_value": value,
            "price": price,
            "cik": u.cik[c],
            "exchange": categorical(u.nasdaq[c].astype(np.int32), EXCHANGES),
        },
    )


def companies(m: Market, days: np.ndarray, cols: np.ndarray | None) -> pa.Table:
    """raw.companies on the given snapshot sessions: every company listed at that close, with SEC reference data."""
    u = m.universe
    candidates = np.arange(m.n) if cols is None else np.sort(cols)
    live = (m.list_day[candidates][None, :] <= days[:, None]) & (m.delist_day[candidates][None, :] > days[:, None])
    si, ci = np.nonzero(live)
    t, c = days[si], candidates[ci]
    sic_row = u.sic_row[c].astype(np.int64)
    return table(
        "companies",
        {
            "cik": u.cik[c],
            "as_of": m.sessions[t],
            "ticker": categorical(c, u.ticker[: m.n]),
            "name": categorical(c, u.name[: m.n]),
            "sic": np.array([r[0] for r in SIC_TABLE], dtype=np.int32)[sic_row],
            "sic_description": categorical(sic_row, [r[1] for r in SIC_TABLE]),
            "fiscal_year_end": categorical(
                np.searchsorted([3, 6, 9, 12], u.fye_month[c]), ["0331", "0630", "0930", "1231"]
            ),
            "exchange": categorical(u.nasdaq[c].astype(np.int32), EXCHANGES),
        },
    )


def rates(m: Market, d0: int, d1: int) -> pa.Table:
    """raw.rates: DGS10 in percent on sessions d0..d1, null on about 1% of days as FRED has."""
    t = np.arange(d0, d1 + 1)
    day_number = m.sessions[t].astype(np.int64)
    missing = streams.hashed_uniform(m.universe.seed, streams.RATES, day_number) < 0.01
    value = np.where(missing, np.nan, np.round(m.rate[t], 2))
    return table(
        "rates",
        {
            "series": constant("DGS10", len(t)),
            "date": m.sessions[t],
            "value": value,
        },
    )
