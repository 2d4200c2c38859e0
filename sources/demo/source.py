"""DemoSource: the `demo` provider of every raw dataset, answering a Request from the simulated market."""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa

from sources.base import DATASETS, Request
from sources.demo import equities, estimates, fundamentals, options, transcripts
from sources.demo.market import (
    INDEX_NAMES,
    Market,
    build_market,
    first_session_on_or_after,
    last_session,
    last_session_on_or_before,
    simulated_through,
)
from sources.demo.schema import empty
from sources.demo.universe import ORIGIN

_SNAPSHOT_DATASETS = ("constituents", "companies", "estimates")


class DemoSource:
    """A deterministic simulated US equity market: same seed and sizes, same data, whatever window is asked for."""

    name = "demo"

    def __init__(self, seed: int = 7, n_small: int = 2000, n_large: int = 500) -> None:
        if seed < 0 or n_small < 1 or n_large < 1:
            raise ValueError(
                f"demo needs seed >= 0 and positive sizes, got seed={seed}, n_small={n_small}, n_large={n_large}"
            )
        self.seed, self.n_small, self.n_large = int(seed), int(n_small), int(n_large)

    def datasets(self) -> frozenset[str]:
        """All nine raw datasets."""
        return frozenset(DATASETS)

    def fetch(self, request: Request) -> pa.Table:
        """Rows of request.dataset dated in [start, end] as known on end, in its raw contract (no landing stamps)."""
        if request.dataset not in DATASETS:
            raise ValueError(f"demo has no dataset {request.dataset!r}; it has {', '.join(DATASETS)}")
        self._check_window(request.start, request.end)
        m = self._market(request.end)
        d0, d1 = self._session_span(m, request.start, request.end)
        if request.dataset == "options":
            return options.options(m, d0, d1, request.tickers)
        if request.dataset == "rates":
            return equities.rates(m, d0, d1) if d0 <= d1 else empty("rates")
        cols = self._columns(m, request.tickers)
        if d0 > d1 or (cols is not None and len(cols) == 0):
            return empty(request.dataset)
        if request.dataset == "prices":
            return equities.prices(m, d0, d1, np.arange(m.n) if cols is None else cols)
        if request.dataset in _SNAPSHOT_DATASETS:
            days = equities.snapshot_days(m, d0, d1, changes=request.dataset != "estimates")
            if request.dataset == "constituents":
                return equities.constituents(m, days, cols)
            if request.dataset == "companies":
                return equities.companies(m, days, cols)
            return estimates.estimates(m, days, cols)
        if request.dataset == "fundamentals":
            return fundamentals.fundamentals(m, d0, d1, cols)
        if request.dataset == "shares_outstanding":
            return fundamentals.shares_outstanding(m, d0, d1, cols)
        return transcripts.transcripts(m, d0, d1, cols)

    def snapshot_dates(self, dataset: str, start: date, end: date) -> list[date]:
        """The partition dates `fetch` would return rows for in [start, end], as known on end."""
        self._check_window(start, end)
        if dataset in _SNAPSHOT_DATASETS:
            m = self._market(end)
            d0, d1 = self._session_span(m, start, end)
            if d0 > d1:
                return []
            days = equities.snapshot_days(m, d0, d1, changes=dataset != "estimates")
            return [d.astype(date) for d in m.sessions[days]]
        column = {
            "prices": "date",
            "rates": "date",
            "options": "trade_date",
            "fundamentals": "filed",
            "shares_outstanding": "filed",
            "transcripts": "call_date",
        }[dataset]
        values = self.fetch(Request(dataset, start, end)).column(column).unique().to_pylist()
        return sorted(values)

    def tickers(self, index_name: str, on: date) -> list[str]:
        """Members of 'russell_2000' or 'large_cap' after the close of the last session on or before `on`, sorted."""
        codes = {v: k for k, v in INDEX_NAMES.items()}
        if index_name not in codes:
            raise ValueError(f"demo has no index {index_name!r}; it has {', '.join(codes)}")
        self._check_window(ORIGIN, on)
        m = self._market(on)
        members = m.members_on(m.day(on), codes[index_name])
        return sorted(m.universe.ticker[members].tolist())

    def _check_window(self, start: date, end: date) -> None:
        if start < ORIGIN:
            raise ValueError(f"demo market starts on {ORIGIN}; window starts {start}")
        if end > last_session():
            raise ValueError(f"demo market ends with the trading calendar on {last_session()}; window ends {end}")
        if start > end:
            raise ValueError(f"window starts {start}, after its end {end}")

    def _market(self, end: date) -> Market:
        return build_market(self.seed, self.n_small, self.n_large, simulated_through(end))

    @staticmethod
    def _session_span(m: Market, start: date, end: date) -> tuple[int, int]:
        d0 = int(first_session_on_or_after(m.sessions, np.array([start], dtype="datetime64[D]"))[0])
        d1 = int(last_session_on_or_before(m.sessions, np.array([end], dtype="datetime64[D]"))[0])
        return d0, d1

    @staticmethod
    def _columns(m: Market, tickers: tuple[str, ...] | None) -> np.ndarray | None:
        if tickers is None:
            return None
        wanted = {t.upper() for t in tickers}
        return np.flatnonzero(np.isin(m.universe.ticker[: m.n], list(wanted)))
