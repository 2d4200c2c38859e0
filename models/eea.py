"""eea: the Embedded Expectations model (EEA_MODEL.md 2, 3, 5, 6, 8): market-implied ROA per company and per index."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

REQUIRED = ("ticker", "ev", "assets_0", "roa_0", "r", "g_terminal")
VALUE_INPUTS = ("assets_0", "roa_0", "r", "g_terminal")
DEFAULT_K = 0.3
MIN_K_PAIRS = 30
HISTORY_COLUMNS = ("ticker", "fiscal_year", "roa", "sector_median")

# Order in which a row's checks run; the first that fails is the row's reason. Inputs the
# discounting needs come first, then the asset path, then the price, then the solve itself.
# "missing" covers null, non-numeric and non-finite (inf) values alike.
REASON_ORDER = (
    "missing r",
    "missing g_terminal",
    "r <= g_terminal",
    "r <= -1",
    "missing assets_0",
    "assets_0 <= 0",
    "missing roa_0",
    "missing growth_<t>",
    "growth_<t> <= -1",
    "missing ev",
    "ev <= 0",
    "b <= 0 or non-finite",
    "a non-finite",
    "roa_steady non-finite",
)

_GROWTH = re.compile(r"growth_(\d+)")

FloatArray = npt.NDArray[np.float64]


def growth_columns(frame: pd.DataFrame) -> list[str]:
    """Names of the growth_1 .. growth_H columns of a frame, ordered by year; ValueError unless exactly 1..H."""
    found = sorted(c for c in frame.columns if isinstance(c, str) and _GROWTH.fullmatch(c))
    if not found:
        raise ValueError("no growth columns: expected growth_1 .. growth_H")
    # By the integer, not the text: growth_10 comes after growth_9.
    expected = [f"growth_{t}" for t in range(1, len(found) + 1)]
    if sorted(expected) != found:
        raise ValueError(f"growth columns must be exactly growth_1 .. growth_{len(found)}, got {found}")
    return expected


def _require(frame: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"missing required columns: {missing}")


def _numeric(frame: pd.DataFrame, column: str) -> FloatArray:
    # Coercion instead of a cast: a stray string or pd.NA in one row must become that row's
    # reason, not an exception for the whole run.
    values = frame[column]
    if values.dtype != np.float64:
        values = pd.to_numeric(values, errors="coerce")
    return values.to_numpy(dtype=np.float64, na_value=np.nan)


@dataclass(frozen=True)
class _Solved:
    """Per-row arrays of one pass over a member frame; a, b, path and roa_steady are NaN where code >= 0."""

    horizon: int
    ticker: pd.Series
    ev: FloatArray
    assets_0: FloatArray
    roa_0: FloatArray
    a: FloatArray
    b: FloatArray
    path: FloatArray  # (rows, H + 1): A_0 .. A_H
    roa_steady: FloatArray
    ok: npt.NDArray[np.bool_]
    code: npt.NDArray[np.int32]  # index into texts, -1 where solved
    texts: tuple[str, ...]

    def reasons(self) -> pd.Series:
        # One Arrow take over the few distinct texts, null where solved (code -1): no Python object per row.
        taken = pa.array(self.texts, type=pa.string()).take(pa.array(self.code, mask=self.code < 0))
        return pd.Series(pd.array(taken, dtype="str"))

    def path_of(self, roa_steady: Any, roa_0: Any) -> dict[str, Any]:
        # The straight line of section 2: roa_0 at t = 0, R* at t = H, held after.
        return {
            f"roa_implied_{t}": roa_0 + (t / self.horizon) * (roa_steady - roa_0) for t in range(1, self.horizon + 1)
        }


def _solve(frame: pd.DataFrame, nonpositive_ev: bool = False) -> _Solved:
    """Member rows (implied_roa's input) to a, b, asset path and R* per row, with the first failing check's reason.

    nonpositive_ev: solve rows with ev <= 0 too (an index sum needs them; a company's own R* does not exist).
    """
    _require(frame, REQUIRED)
    names = growth_columns(frame)
    horizon = len(names)
    n = len(frame)
    ev, a0, roa0, r, g = (_numeric(frame, c) for c in ("ev", "assets_0", "roa_0", "r", "g_terminal"))
    growth = [_numeric(frame, c) for c in names]

    code = np.full(n, -1, dtype=np.int32)
    texts: list[str] = []
    ok = np.ones(n, dtype=bool)

    def flag(bad: npt.NDArray[np.bool_], text: str) -> None:
        hit = ok & bad
        if hit.any():
            code[hit] = len(texts)
            texts.append(text)
            ok[hit] = False

    with np.errstate(all="ignore"):
        flag(~np.isfinite(r), "missing r")
        flag(~np.isfinite(g), "missing g_terminal")
        flag(r <= g, "r <= g_terminal")
        flag(r <= -1, "r <= -1")
        flag(~np.isfinite(a0), "missing assets_0")
        flag(a0 <= 0, "assets_0 <= 0")
        flag(~np.isfinite(roa0), "missing roa_0")
        for t, gt in enumerate(growth, start=1):
            flag(~np.isfinite(gt), f"missing growth_{t}")
            flag(gt <= -1, f"growth_{t} <= -1")
        flag(~np.isfinite(ev), "missing ev")
        if not nonpositive_ev:
            flag(ev <= 0, "ev <= 0")

        # Section 2 coefficients, computed on every row (bad rows give garbage, masked below)
        # so the pass stays one vectorised sweep with a loop only over the H years.
        a = np.zeros(n)
        b = np.zeros(n)
        discount = np.ones(n)
        growth_factor = 1.0 + r
        path = np.empty((n, horizon + 1))
        path[:, 0] = a0
        for t in range(1, horizon + 1):
            prev = path[:, t - 1]
            investment = prev * growth[t - 1]
            path[:, t] = prev + investment
            discount = discount / growth_factor
            w = t / horizon
            b += w * prev * discount
            a += ((1.0 - w) * roa0 * prev - investment) * discount
        terminal = path[:, horizon] * discount / (r - g)
        b += terminal
        a -= g * terminal

        flag(~(np.isfinite(b) & (b > 0)), "b <= 0 or non-finite")
        flag(~np.isfinite(a), "a non-finite")
        roa_steady = (ev - a) / b
        flag(~np.isfinite(roa_steady), "roa_steady non-finite")

    bad = ~ok
    a[bad] = np.nan
    b[bad] = np.nan
    path[bad, :] = np.nan
    roa_steady[bad] = np.nan
    ticker = frame["ticker"].reset_index(drop=True)
    return _Solved(horizon, ticker, ev, a0, roa0, a, b, path, roa_steady, ok, code, tuple(texts))


def valuation_coefficients(frame: pd.DataFrame) -> pd.DataFrame:
    """Per member row (implied_roa's input columns): ticker, a, b, assets_1 .. assets_H, reason; V = a + b R*."""
    s = _solve(frame)
    out: dict[str, Any] = {"ticker": s.ticker, "a": s.a, "b": s.b}
    out.update({f"assets_{t}": s.path[:, t] for t in range(1, s.horizon + 1)})
    out["reason"] = s.reasons()
    return pd.DataFrame(out, copy=False)


def implied_roa(frame: pd.DataFrame) -> pd.DataFrame:
    """Per row (ticker, ev, assets_0, roa_0, r, g_terminal, growth_1..H): ticker, roa_steady, roa_implied_t, reason."""
    s = _solve(frame)
    out: dict[str, Any] = {"ticker": s.ticker, "roa_steady": s.roa_steady}
    # roa_0 is finite wherever roa_steady is, and NaN roa_steady nulls the path elsewhere.
    out.update(s.path_of(s.roa_steady, s.roa_0))
    out["reason"] = s.reasons()
    return pd.DataFrame(out, copy=False)


def value_at(frame: pd.DataFrame, roa_steady: npt.ArrayLike) -> FloatArray:
    """Per row (assets_0, roa_0, r, g_terminal, growth_1..H; roa_steady by position): V(R*) from its definition."""
    _require(frame, VALUE_INPUTS)
    names = growth_columns(frame)
    horizon = len(names)
    a0, roa0, r, g = (_numeric(frame, c) for c in VALUE_INPUTS)
    target = np.broadcast_to(np.asarray(roa_steady, dtype=np.float64), a0.shape)
    # Deliberately not a + b R*: this is the independent check the round-trip test relies on.
    with np.errstate(all="ignore"):
        value = np.zeros(len(frame))
        prev = a0
        for t, name in enumerate(names, start=1):
            assets = prev * (1.0 + _numeric(frame, name))
            roa_t = roa0 + (t / horizon) * (target - roa0)
            fcf = roa_t * prev - (assets - prev)
            value += fcf / (1.0 + r) ** t
            prev = assets
        terminal = prev * (target - g) / (r - g)
        value += terminal / (1.0 + r) ** horizon
    return value


def index_implied_roa(frame: pd.DataFrame, r: float, g_terminal: float, negative_ev: bool = True) -> dict[str, Any]:
    """One index (member rows: ticker, ev, assets_0, roa_0, growth_1..H) at index r, g_terminal: R*_index and summary.

    Keys: r, g_terminal, horizon, roa_steady (R*_index = (sum ev - sum a) / sum b over solvable members),
    roa_0 (asset-weighted: sum(roa_0_i * assets_0_i) / sum(assets_0_i), A0 being the only asset level in the
    contract), roa_implied_1..H (straight line from that roa_0 to R*_index), roa_steady_cap_weighted (ev-weighted
    mean of members' own R*), roa_steady_median, members_used, members_excluded, exclusions (ticker, reason).
    Members' own R* use the index r and g_terminal too (any r, g_terminal columns in the frame are overridden),
    so the three summary numbers differ only in how they aggregate. All values are NaN when no member is usable.
    The index is defined by its sums, so a member with ev <= 0 (a net-cash company) is in them unless negative_ev is
    False; it has no R* of its own, so the cap-weighted mean and the median are over members with ev > 0.
    """
    s = _solve(frame.assign(r=r, g_terminal=g_terminal), nonpositive_ev=negative_ev)
    used = s.ok
    ev, a, b = s.ev[used], s.a[used], s.b[used]
    roa0, a0 = s.roa_0[used], s.assets_0[used]
    own_ok = used & (s.ev > 0)
    own, own_ev = s.roa_steady[own_ok], s.ev[own_ok]
    n_used = int(used.sum())
    if n_used:
        steady = float((ev.sum() - a.sum()) / b.sum())
        index_roa0 = float((roa0 * a0).sum() / a0.sum())
        cap_weighted = float((own_ev * own).sum() / own_ev.sum()) if len(own) else float("nan")
        median = float(np.median(own)) if len(own) else float("nan")
    else:
        steady = index_roa0 = cap_weighted = median = float("nan")
    excluded = ~used
    exclusions = pd.DataFrame(
        {"ticker": s.ticker[excluded].reset_index(drop=True), "reason": s.reasons()[excluded].reset_index(drop=True)}
    )
    return {
        "r": r,
        "g_terminal": g_terminal,
        "horizon": s.horizon,
        "roa_steady": steady,
        "roa_0": index_roa0,
        **{k: float(v) for k, v in s.path_of(steady, index_roa0).items()},
        "roa_steady_cap_weighted": cap_weighted,
        "roa_steady_median": median,
        "members_used": n_used,
        "members_excluded": int(excluded.sum()),
        "exclusions": exclusions,
    }


def sensitivity(
    frame: pd.DataFrame,
    r: float,
    g_terminal: float,
    shifts: Sequence[float] = (-0.01, 0.0, 0.01),
    negative_ev: bool = True,
) -> pd.DataFrame:
    """Per (parameter r or g_terminal, shift): parameter, shift, r, g_terminal, roa_steady (R*_index), members_used."""
    rows = []
    for parameter in ("r", "g_terminal"):
        for shift in shifts:
            r_s = r + shift if parameter == "r" else r
            g_s = g_terminal + shift if parameter == "g_terminal" else g_terminal
            result = index_implied_roa(frame, r_s, g_s, negative_ev=negative_ev)
            rows.append((parameter, float(shift), r_s, g_s, result["roa_steady"], result["members_used"]))
    columns = ["parameter", "shift", "r", "g_terminal", "roa_steady", "members_used"]
    out = pd.DataFrame(rows, columns=columns)
    return out.astype({"parameter": "str", "shift": "float64", "r": "float64", "g_terminal": "float64",
                       "roa_steady": "float64", "members_used": "int64"})  # fmt: skip


def project_roa(
    roa_0: pd.Series | npt.ArrayLike,
    sector_median: pd.Series | npt.ArrayLike | float,
    k: float = DEFAULT_K,
    years: int = 5,
) -> pd.DataFrame:
    """Per company (roa_0, its sector median): roa_projection_1..years by ROA_{t+1} = ROA_t + k (median - ROA_t).

    The index is roa_0's when it is a Series (else 0..n-1). A sector_median Series is aligned on that index when
    roa_0 is a Series too; otherwise arrays match by position and a scalar applies to every company.
    """
    if not (np.isfinite(k) and 0.0 <= k <= 1.0):
        raise ValueError(f"k must be in [0, 1], got {k}")
    if years < 1:
        raise ValueError(f"years must be >= 1, got {years}")
    if isinstance(roa_0, pd.Series):
        index = roa_0.index
        start = pd.to_numeric(roa_0, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        start = np.asarray(roa_0, dtype=np.float64).reshape(-1)
        index = pd.RangeIndex(len(start))
    if isinstance(sector_median, pd.Series):
        median_s = sector_median.reindex(index) if isinstance(roa_0, pd.Series) else sector_median
        median = pd.to_numeric(median_s, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        median = np.asarray(sector_median, dtype=np.float64)
    median = np.broadcast_to(median, start.shape)
    out = {}
    current = start
    for t in range(1, years + 1):
        current = current + k * (median - current)
        out[f"roa_projection_{t}"] = current
    return pd.DataFrame(out, index=index)


def estimate_k(history: pd.DataFrame) -> float:
    """Panel (ticker, fiscal_year, roa, sector_median; one row per ticker-year) to the pooled mean-reversion speed k.

    No-intercept least squares of ROA_{t+1} - ROA_t on (median_t - ROA_t) over pairs of consecutive fiscal years of
    one ticker with all values finite, clipped to [0, 1]. Returns DEFAULT_K (0.3, the spec's default) when fewer than
    MIN_K_PAIRS (30) pairs are usable, since a slope on a handful of pairs is noise. ValueError on missing columns or
    a duplicated (ticker, fiscal_year).
    """
    _require(history, HISTORY_COLUMNS)
    h = history[list(HISTORY_COLUMNS)].copy()
    for c in ("fiscal_year", "roa", "sector_median"):
        h[c] = pd.to_numeric(h[c], errors="coerce")
    # Null keys would pair with each other in the merge below; such rows cannot be placed in time anyway.
    h = h[h["ticker"].notna() & h["fiscal_year"].notna()]
    if h.duplicated(["ticker", "fiscal_year"]).any():
        raise ValueError("history has duplicated (ticker, fiscal_year) rows")
    following = h[["ticker", "fiscal_year", "roa"]].rename(columns={"roa": "roa_next"})
    following["fiscal_year"] = following["fiscal_year"] - 1
    pairs = h.merge(following, on=["ticker", "fiscal_year"], how="inner")
    x = (pairs["sector_median"] - pairs["roa"]).to_numpy(dtype=np.float64, na_value=np.nan)
    y = (pairs["roa_next"] - pairs["roa"]).to_numpy(dtype=np.float64, na_value=np.nan)
    usable = np.isfinite(x) & np.isfinite(y)
    x, y = x[usable], y[usable]
    sxx = float(x @ x)
    if len(x) < MIN_K_PAIRS or sxx <= 0.0:
        return DEFAULT_K
    return float(np.clip((x @ y) / sxx, 0.0, 1.0))
