"""DemoSource: the `demo` provider of every raw dataset, answering a Request from the simulated market."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date
from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

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


@dataclass
class _ByTicker:
    """One full answer, with its row numbers grouped by ticker so a subset of tickers is taken without a scan."""

    table: pa.Table
    codes: dict[str, int]
    order: np.ndarray
    bounds: np.ndarray
    # Every ticker a shard may ask for, and those asked for so far.
    universe: frozenset[str]
    asked: set[str]

    @classmethod
    def of(cls, table: pa.Table, universe: frozenset[str]) -> _ByTicker:
        encoded = pc.dictionary_encode(table.column("ticker").combine_chunks())
        codes = encoded.indices.to_numpy(zero_copy_only=False)
        labels = encoded.dictionary.to_pylist()
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(len(labels) + 1))
        return cls(table, {t: i for i, t in enumerate(labels)}, order, bounds, universe, set())

    def rows(self, tickers: tuple[str, ...]) -> pa.Table:
        """The full answer's rows of these tickers, in the full answer's order."""
        names = {t.upper() for t in tickers}
        self.asked |= names & self.universe
        wanted = {self.codes[t] for t in names if t in self.codes}
        picks = [self.order[self.bounds[c] : self.bounds[c + 1]] for c in wanted]
        rows = np.sort(np.concatenate(picks)) if picks else np.empty(0, dtype=np.int64)
        return self.table.take(pa.array(rows, type=pa.int64()))

    @property
    def done(self) -> bool:
        """Every ticker has been asked for once: the shards that ran in this process add up to the whole answer."""
        return len(self.asked) == len(self.universe)


# The full answer this process serves ticker subsets from, by request; one at a time, built under the lock so the
# shards of one request on several threads wait for one computation instead of each making it. It is dropped
# once every ticker has been served (all shards ran here), else when the next request needs the room.
_SERVED: dict[tuple[object, ...], _ByTicker] = {}
_SERVED_LOCK = threading.Lock()


class DemoSource:
    """A deterministic simulated US equity market: same seed and sizes, same data, whatever window is asked for."""

    name = "demo"
    # Datasets whose ticker subsets are served exactly: the rows of those tickers in the full answer, in its order.
    per_ticker: ClassVar[frozenset[str]] = frozenset(
        {"prices", "companies", "shares_outstanding", "fundamentals", "estimates", "transcripts"}
    )

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
        if request.tickers is not None and request.dataset in self.per_ticker:
            return self._subset(request)
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

    def all_tickers(self, end: date) -> tuple[str, ...]:
        """Every company a request ending on `end` can return rows of, listed or not, in the market's order.

        Shards of these tickers together give exactly the answer to the request without tickers.
        """
        self._check_window(ORIGIN, end)
        m = self._market(end)
        return tuple(dict.fromkeys(m.universe.ticker[: m.n].tolist()))

    def _subset(self, request: Request) -> pa.Table:
        # The simulation draws whole-universe blocks (a price noise block per year, transcript draws per month),
        # so computing each shard on its own would repeat that work once per shard: cost quadratic in the
        # universe. Instead a process computes the full answer once and serves every shard from it.
        assert request.tickers is not None
        key = (self.seed, self.n_small, self.n_large, request.dataset, request.start, request.end)
        with _SERVED_LOCK:
            if key not in _SERVED:
                _SERVED.clear()  # free the last answer before building the next
                whole = self.fetch(Request(request.dataset, request.start, request.end))
                _SERVED[key] = _ByTicker.of(whole, frozenset(self.all_tickers(request.end)))
            answer = _SERVED[key]
            rows = answer.rows(request.tickers)
            if answer.done:
                del _SERVED[key]
            return rows

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
