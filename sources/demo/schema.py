"""Arrow schemas of the raw contracts (raw.sql without batch_id, source, loaded_at) and a table builder for them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa

_S, _D, _F, _I64, _I32 = pa.string(), pa.date32(), pa.float64(), pa.int64(), pa.int32()


def _schema(*cols: tuple[str, pa.DataType, bool]) -> tuple[pa.Schema, frozenset[str]]:
    # Fields stay nullable (Arrow's default) so these tables concatenate with other sources';
    # `table` enforces the NOT NULL columns of raw.sql (flag False) instead.
    return pa.schema([(name, kind) for name, kind, _ in cols]), frozenset(n for n, _, nullable in cols if not nullable)


_CONTRACTS: dict[str, tuple[pa.Schema, frozenset[str]]] = {
    "constituents": _schema(
        ("index_name", _S, False),
        ("as_of", _D, False),
        ("ticker", _S, False),
        ("name", _S, True),
        ("sector", _S, True),
        ("asset_class", _S, True),
        ("weight", _F, True),
        ("shares_held", _F, True),
        ("market_value", _F, True),
        ("price", _F, True),
        ("cik", _I64, True),
        ("exchange", _S, True),
    ),
    "prices": _schema(
        ("ticker", _S, False),
        ("date", _D, False),
        ("open", _F, True),
        ("high", _F, True),
        ("low", _F, True),
        ("close", _F, False),
        ("volume", _F, True),
        ("dividend", _F, False),
        ("split_ratio", _F, False),
        ("adjusted", _S, False),
        ("basis_date", _D, True),
    ),
    "companies": _schema(
        ("cik", _I64, False),
        ("as_of", _D, False),
        ("ticker", _S, False),
        ("name", _S, True),
        ("sic", _I32, True),
        ("sic_description", _S, True),
        ("fiscal_year_end", _S, True),
        ("exchange", _S, True),
    ),
    "shares_outstanding": _schema(
        ("cik", _I64, False),
        ("ticker", _S, True),
        ("period_end", _D, False),
        ("filed", _D, False),
        ("shares", _F, False),
        ("form", _S, True),
        ("accession", _S, True),
    ),
    "fundamentals": _schema(
        ("cik", _I64, False),
        ("ticker", _S, True),
        ("taxonomy", _S, False),
        ("concept", _S, False),
        ("unit", _S, False),
        ("period_start", _D, True),
        ("period_end", _D, False),
        ("value", _F, False),
        ("fiscal_year", _I32, True),
        ("fiscal_period", _S, True),
        ("form", _S, True),
        ("filed", _D, False),
        ("accession", _S, True),
        ("frame", _S, True),
    ),
    "estimates": _schema(
        ("ticker", _S, False),
        ("fiscal_year", _I32, False),
        ("as_of", _D, False),
        ("revenue", _F, True),
        ("earnings", _F, True),
        ("eps", _F, True),
        ("analysts", _I32, True),
    ),
    "transcripts": _schema(
        ("ticker", _S, False),
        ("call_date", _D, False),
        ("fiscal_year", _I32, True),
        ("fiscal_quarter", _I32, True),
        ("title", _S, True),
        ("layout", _S, False),
        ("text", _S, False),
    ),
    "options": _schema(
        ("underlying", _S, False),
        ("trade_date", _D, False),
        ("contract", _S, False),
        ("expiry", _D, False),
        ("option_type", _S, False),
        ("strike", _F, False),
        ("volume", _F, True),
        ("open_interest", _F, True),
        ("bid", _F, True),
        ("ask", _F, True),
        ("last", _F, True),
        ("iv", _F, True),
        ("delta", _F, True),
        ("underlying_price", _F, True),
    ),
    "rates": _schema(("series", _S, False), ("date", _D, False), ("value", _F, True)),
}

SCHEMAS: dict[str, pa.Schema] = {name: schema for name, (schema, _) in _CONTRACTS.items()}
# Columns raw.sql declares NOT NULL.
NOT_NULL: dict[str, frozenset[str]] = {name: required for name, (_, required) in _CONTRACTS.items()}

# The date column each dataset is partitioned (and windowed) by.
PARTITION: dict[str, str] = {
    "constituents": "as_of",
    "prices": "date",
    "companies": "as_of",
    "shares_outstanding": "filed",
    "fundamentals": "filed",
    "estimates": "as_of",
    "transcripts": "call_date",
    "options": "trade_date",
    "rates": "date",
}


def _array(values: Any, kind: pa.DataType) -> pa.Array:
    if isinstance(values, pa.Array | pa.ChunkedArray):
        return values.cast(kind)
    if isinstance(values, np.ndarray) and values.dtype.kind == "M":
        missing = np.isnat(values)
        days = np.where(missing, 0, values.astype("datetime64[D]").astype(np.int64)).astype(np.int32)
        return pa.array(days, type=pa.int32(), mask=missing if missing.any() else None).cast(kind)
    if isinstance(values, np.ndarray) and values.dtype.kind == "f":
        return pa.array(values, type=kind, from_pandas=True)
    return pa.array(values, type=kind)


def table(dataset: str, columns: Mapping[str, Any]) -> pa.Table:
    """An Arrow table in the raw contract of `dataset` from column arrays (numpy NaN becomes null)."""
    schema = SCHEMAS[dataset]
    out = pa.Table.from_arrays([_array(columns[f.name], f.type) for f in schema], schema=schema)
    for name in NOT_NULL[dataset]:
        if out.column(name).null_count:
            raise ValueError(f"demo built nulls in {dataset}.{name}, which raw.sql declares NOT NULL")
    return out


def empty(dataset: str) -> pa.Table:
    """A table with no rows in the raw contract of `dataset`."""
    return SCHEMAS[dataset].empty_table()


def constant(value: str, length: int) -> pa.Array:
    """A string column holding one value on every row."""
    return categorical(np.zeros(length, dtype=np.int32), [value])


def categorical(codes: np.ndarray, labels: Sequence[str] | np.ndarray) -> pa.Array:
    """A string column from integer codes into a list of labels, built without a Python loop per row."""
    dictionary = pa.array(list(labels), type=pa.string())
    return pa.DictionaryArray.from_arrays(pa.array(np.asarray(codes, dtype=np.int32)), dictionary).cast(pa.string())
