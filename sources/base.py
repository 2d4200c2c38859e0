"""The connector contract: a source turns a request for one dataset over a date window into an Arrow table in that dataset's raw contract."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

import pyarrow as pa

# The datasets of the raw layer (warehouse/schema/raw.sql), in landing order.
DATASETS: tuple[str, ...] = (
    "rates",
    "prices",
    "constituents",
    "companies",
    "shares_outstanding",
    "fundamentals",
    "estimates",
    "transcripts",
    "options",
)


@dataclass(frozen=True)
class Request:
    """What a flow asks a source for: rows of `dataset` dated in [start, end], as known on `end`.

    The date a window applies to is the dataset's partition column (raw.sql):
    prices.date, constituents.as_of, fundamentals.filed, options.trade_date, ...
    `tickers` narrows a per-ticker provider to a subset; None means the whole
    universe the source knows.
    """

    dataset: str
    start: date
    end: date
    tickers: tuple[str, ...] | None = field(default=None)


class SourceError(RuntimeError):
    """A source could not deliver a batch; the message names the provider and what failed."""


class Source(Protocol):
    """A provider of one or more datasets."""

    name: str

    def datasets(self) -> frozenset[str]:
        """The datasets this source can deliver."""
        ...

    def fetch(self, request: Request) -> pa.Table:
        """Rows in the raw contract of request.dataset, without batch_id, source and loaded_at (the landing step stamps those)."""
        ...
