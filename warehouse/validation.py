"""The raw-batch gate: one GX suite per raw dataset, run on a pandas frame, giving a ValidationReport per batch."""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

# GX reports usage to its servers unless told not to; these machines have no network.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

import great_expectations as gx
import great_expectations.expectations as gxe
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.expectations.row_conditions import Column as GxColumn

from transforms.calendar import trading_days
from warehouse.ddl import SPARSE, STAMP_COLUMNS, TableDef, raw_dataset

CRITICAL = "critical"
WARNING = "warning"
SEVERITIES = (CRITICAL, WARNING)
# Datasets a trading day cannot go without: an empty batch means the source broke.
DAILY_DATASETS = frozenset({"prices", "options", "rates"})
# A sparse dataset's batch over this many times the last good one is flagged (a warning, never quarantine).
SPARSE_SURGE = 10.0
# Columns checked against the NYSE calendar; rates follow the bond market's calendar, so they are not.
TRADING_DATE_COLUMNS = {"prices": "date", "options": "trade_date"}
# A daily dataset whose newest row is more than this many sessions behind as_of is stale.
FRESHNESS_SESSIONS = 3
# A per-ticker median close this far from the reference's (either way) is a unit change, such as cents for dollars.
PRICE_SCALE_LIMIT = 50.0
SAMPLE_SIZE = 5
_NUMERIC = {"DOUBLE": "float64", "INTEGER": "Int64", "BIGINT": "Int64"}
_DATE_TYPES = {"DATE"}
_TIME_TYPES = {"TIMESTAMP"}
_DOCS_SITE = "raw_gate"
# A derived column: the ticker's median close over the reference's median close for the same ticker.
_SCALE_COLUMN = "close_vs_reference"


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of one batch through the gate: one result dict per expectation."""

    dataset: str
    batch_id: str
    passed: bool
    results: list[dict]

    def failures(self, severity: str | None = None) -> list[dict]:
        """Failed results, of one severity if given."""
        if severity is not None and severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, not {severity!r}")
        return [r for r in self.results if not r["success"] and (severity is None or r["severity"] == severity)]

    def summary(self) -> str:
        """One line per failed expectation: severity, dataset, batch, expectation, offending values or rows."""
        lines = []
        for r in self.failures():
            count = "" if r["unexpected_count"] is None else f" ({r['unexpected_count']} unexpected)"
            lines.append(
                f"{r['severity'].upper()} {r['dataset']} batch {r['batch_id']}: {r['expectation']} failed{count}; "
                f"offending: {r['unexpected_sample']}; {r['details']}"
            )
        return "\n".join(lines)


@cache
def _context() -> Any:
    # One ephemeral context per process: building it and the datasource costs seconds, a checkpoint run milliseconds.
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    context.data_sources.add_pandas("raw")
    return context


def _batch_definition(dataset: str) -> Any:
    datasource = _context().data_sources.get("raw")
    try:
        asset = datasource.get_asset(dataset)
    except LookupError:
        asset = datasource.add_dataframe_asset(dataset)
    try:
        return asset.get_batch_definition("whole_frame")
    except KeyError:
        return asset.add_batch_definition_whole_dataframe("whole_frame")


def _docs_site(docs_dir: Path) -> str:
    context = _context()
    site = f"{_DOCS_SITE}_{abs(hash(str(docs_dir.resolve())))}"
    if site not in (context.variables.data_docs_sites or {}):
        context.add_data_docs_site(
            site_name=site,
            site_config={
                "class_name": "SiteBuilder",
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
    return site


def _iso(values: pd.Series) -> pd.Series:
    """Datetimes as 'YYYY-MM-DD' strings (null stays null), formatting each distinct day once."""
    codes, uniques = pd.factorize(values)
    labels = np.asarray(pd.DatetimeIndex(uniques).strftime("%Y-%m-%d"), dtype=object)
    out = np.where(codes >= 0, labels[np.clip(codes, 0, None)] if len(labels) else None, None)  # type: ignore[arg-type]
    return pd.Series(out, index=values.index, dtype=object)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (pd.Timestamp, date)):
        return value.isoformat()[:10] if isinstance(value, date) or value == value.normalize() else value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NaT or value is pd.NA:
        return None
    return value


def _sample(items: list[Any]) -> str:
    return json.dumps(_jsonable(list(items)[:SAMPLE_SIZE]), default=str)


def _result(
    dataset: str,
    batch_id: str,
    expectation: str,
    severity: str,
    success: bool,
    unexpected_count: int | None,
    sample: list[Any],
    details: str,
) -> dict:
    return {
        "dataset": dataset,
        "batch_id": batch_id,
        "expectation": expectation,
        "severity": severity,
        "success": bool(success),
        "unexpected_count": unexpected_count,
        "unexpected_sample": _sample(sample),
        "details": details,
    }


def _coerce(table: TableDef, frame: pd.DataFrame, dataset: str, batch_id: str) -> tuple[pd.DataFrame, list[dict]]:
    """The frame with contract types (bad values nulled) and one type result per contract column present.

    Values GX would choke on (a string in a DOUBLE column compared with 0) are found and reported here, then
    replaced by null so the rest of the suite still runs on the good values.
    """
    out: dict[str, pd.Series] = {}
    results: list[dict] = []
    keys = [k for k in table.key if k in frame.columns]
    for col in table.columns:
        if col.name not in frame.columns:
            continue
        raw = frame[col.name]
        bad = None
        if col.type in _NUMERIC:
            if pd.api.types.is_bool_dtype(raw):
                converted = pd.Series(np.nan, index=raw.index)
                bad = raw.notna()
            elif pd.api.types.is_numeric_dtype(raw):
                converted = raw
            else:
                converted = pd.to_numeric(raw, errors="coerce")
                bad = raw.notna() & converted.isna()
            if col.type != "DOUBLE":
                fractional = converted.notna() & (converted != np.floor(converted.astype("float64")))
                if fractional.any():
                    bad = fractional if bad is None else bad | fractional
                    converted = converted.where(~fractional)
                converted = converted.astype("Int64") if not fractional.all() or len(converted) == 0 else converted  # type: ignore[assignment]
        elif col.type in _DATE_TYPES or col.type in _TIME_TYPES:
            if pd.api.types.is_datetime64_any_dtype(raw):
                parsed = raw
            else:
                parsed = (
                    pd.to_datetime(raw, errors="coerce", format="mixed") if len(raw) else raw.astype("datetime64[us]")
                )
                bad = raw.notna() & parsed.isna()
            # Dates go to GX as ISO strings: a suite stores its parameters as JSON, so a set or bound of
            # dates comes back as strings, and ISO strings compare like the dates they name.
            converted = _iso(parsed) if col.type in _DATE_TYPES else parsed
        elif col.type == "VARCHAR":
            converted = raw
            if not (
                pd.api.types.is_string_dtype(raw) and pd.api.types.infer_dtype(raw, skipna=True) in ("string", "empty")
            ):
                bad = raw.notna() & ~raw.map(lambda v: isinstance(v, str))
                converted = raw.where(~bad).astype(object)
        else:
            converted = raw
        if bad is not None and bad.any():
            offending = frame.loc[bad, [*keys, col.name] if col.name not in keys else keys]
            results.append(
                _result(
                    dataset,
                    batch_id,
                    f"type_coercible({col.name} -> {col.type})",
                    CRITICAL,
                    False,
                    int(bad.sum()),
                    offending.head(SAMPLE_SIZE).to_dict("records"),
                    f"values not coercible to {col.type}; nulled for the other checks",
                )
            )
        else:
            results.append(
                _result(dataset, batch_id, f"type_coercible({col.name} -> {col.type})", CRITICAL, True, 0, [], "")
            )
        out[col.name] = converted
    # Extra columns ride along untouched so the column-set expectation can name them.
    for name in frame.columns:
        if name not in out:
            out[name] = frame[name]
    return pd.DataFrame(out, index=frame.index), results


def _expectations(
    dataset: str,
    table: TableDef,
    frame: pd.DataFrame,
    as_of: date,
    last_good_rows: int | None,
    with_scale: bool,
) -> list[Any]:
    """The suite of one batch: schema, nulls, keys, ranges, calendar, row count and freshness."""

    def m(severity: str, check: str | None = None) -> dict:
        return {"severity": severity, **({"check": check} if check else {})}

    present = set(frame.columns)
    contract = [c.name for c in table.columns if c.name not in STAMP_COLUMNS or c.name in present]
    expected_set = [*contract, *([_SCALE_COLUMN] if with_scale else [])]
    exps: list[Any] = [gxe.ExpectTableColumnsToMatchSet(column_set=expected_set, exact_match=True, meta=m(CRITICAL))]
    exps += [gxe.ExpectColumnToExist(column=c, meta=m(CRITICAL)) for c in contract]
    empty_severity = CRITICAL if dataset in DAILY_DATASETS else WARNING
    exps.append(gxe.ExpectTableRowCountToBeBetween(min_value=1, meta=m(empty_severity, "not empty")))
    if last_good_rows is not None and last_good_rows > 0:
        exps += _row_count_expectations(table, last_good_rows, m)
    for col in table.columns:
        if not col.nullable and col.name in present:
            exps.append(gxe.ExpectColumnValuesToNotBeNull(column=col.name, meta=m(CRITICAL)))
    key = list(table.key)
    if key and all(k in present for k in key):
        if len(key) == 1:
            exps.append(gxe.ExpectColumnValuesToBeUnique(column=key[0], meta=m(CRITICAL, "key")))
        else:
            # Compound, not within-record: the key is the tuple across rows. Rows whose key columns are all
            # null are skipped by GX; a null period_start in fundamentals counts as a value, so two instant
            # facts with the same other key columns are duplicates (stricter than SQL UNIQUE, on purpose).
            exps.append(gxe.ExpectCompoundColumnsToBeUnique(column_list=key, meta=m(CRITICAL, "key")))
    exps += _range_expectations(dataset, present, m)
    partition = table.partition
    # An empty batch has no dates to be late or early; "not empty" above already speaks for it.
    if partition and partition in present and len(frame):
        exps.append(
            gxe.ExpectColumnMaxToBeBetween(
                column=partition,
                max_value=as_of.isoformat(),  # type: ignore[arg-type]  # ISO string: suites store JSON
                meta=m(CRITICAL, "not after as_of"),
            )
        )
        if dataset in DAILY_DATASETS:
            recent = trading_days(as_of - timedelta(days=FRESHNESS_SESSIONS * 3 + 10), as_of)
            if len(recent) > FRESHNESS_SESSIONS:
                oldest_fresh = recent[-1 - FRESHNESS_SESSIONS]
                exps.append(
                    gxe.ExpectColumnMaxToBeBetween(
                        column=partition,
                        min_value=oldest_fresh.isoformat(),  # type: ignore[arg-type]
                        meta=m(WARNING, f"fresh: within {FRESHNESS_SESSIONS} sessions of as_of"),
                    )
                )
    trading_col = TRADING_DATE_COLUMNS.get(dataset)
    if trading_col and trading_col in present:
        days = frame[trading_col].dropna()
        sessions = (
            [d.isoformat() for d in trading_days(date.fromisoformat(days.min()), date.fromisoformat(days.max()))]
            if len(days)
            else []
        )
        exps.append(
            gxe.ExpectColumnValuesToBeInSet(column=trading_col, value_set=sessions, meta=m(CRITICAL, "XNYS session"))
        )
    if with_scale:
        exps.append(
            gxe.ExpectColumnValuesToBeBetween(
                column=_SCALE_COLUMN,
                min_value=1 / PRICE_SCALE_LIMIT,
                max_value=PRICE_SCALE_LIMIT,
                meta=m(CRITICAL, "price scale vs reference (cents for dollars?)"),
            )
        )
    return exps


def _row_count_expectations(table: TableDef, last_good_rows: int, m: Any) -> list[Any]:
    """This batch's rows against those expected from the last good batch, as the dataset's arrival allows.

    Dense datasets (raw.sql `-- arrival: dense`) bring about the same rows every day: outside 0.5x-2x is a
    warning, outside 0.1x-10x a broken source, so critical. Sparse ones come with events (one 10-K on a quiet
    day, thousands of facts in earnings season): any day at or under the last good batch's size is legitimate,
    so there is no floor at all, and a day over 10x of it is a warning only, since a busy filing day after a
    quiet one is legitimate too. Their keys, nulls, ranges and dates stay critical.
    """
    if table.arrival == SPARSE:
        return [
            gxe.ExpectTableRowCountToBeBetween(
                max_value=math.floor(SPARSE_SURGE * last_good_rows),
                meta=m(WARNING, f"sparse: at most {SPARSE_SURGE:g}x of last good {last_good_rows}"),
            )
        ]
    return [
        gxe.ExpectTableRowCountToBeBetween(
            min_value=math.ceil(0.5 * last_good_rows),
            max_value=math.floor(2 * last_good_rows),
            meta=m(WARNING, f"0.5x-2x of last good {last_good_rows}"),
        ),
        gxe.ExpectTableRowCountToBeBetween(
            min_value=math.ceil(0.1 * last_good_rows),
            max_value=math.floor(10 * last_good_rows),
            meta=m(CRITICAL, f"0.1x-10x of last good {last_good_rows}"),
        ),
    ]


def _range_expectations(dataset: str, present: set[str], m: Any) -> list[Any]:
    """Value ranges of one dataset, only on columns the batch has."""
    exps: list[Any] = []

    def between(column: str, severity: str = CRITICAL, **bounds: Any) -> None:
        if column in present:
            exps.append(gxe.ExpectColumnValuesToBeBetween(column=column, meta=m(severity), **bounds))

    def pair(a: str, b: str) -> None:
        if a in present and b in present:
            exps.append(
                gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                    column_A=a, column_B=b, or_equal=True, ignore_row_if="either_value_is_missing", meta=m(CRITICAL)
                )
            )

    if dataset == "prices":
        for col in ("open", "high", "low", "close"):
            between(col, min_value=0, strict_min=True)
        between("volume", min_value=0)
        between("split_ratio", min_value=0, strict_min=True)
        between("dividend", min_value=0)
        # high >= max(open, close) and low <= min(open, close), as four pairwise checks plus high >= low.
        for a, b in (("high", "open"), ("high", "close"), ("open", "low"), ("close", "low"), ("high", "low")):
            pair(a, b)
        if "adjusted" in present:
            exps.append(
                gxe.ExpectColumnValuesToBeInSet(
                    column="adjusted", value_set=["none", "split", "split_dividend"], meta=m(CRITICAL)
                )
            )
        if "adjusted" in present and "basis_date" in present:
            # Adjusted bars are on the basis of one day (the download); without it they cannot be brought back to
            # as traded. As-traded bars have no basis day.
            exps.append(
                gxe.ExpectColumnValuesToNotBeNull(
                    column="basis_date",
                    row_condition=GxColumn("adjusted") != "none",
                    meta=m(CRITICAL, "adjusted != 'none'"),
                )
            )
            exps.append(
                gxe.ExpectColumnValuesToBeNull(
                    column="basis_date",
                    row_condition=GxColumn("adjusted") == "none",
                    meta=m(CRITICAL, "adjusted == 'none'"),
                )
            )
            pair("basis_date", "date")
    elif dataset == "options":
        between("strike", min_value=0, strict_min=True)
        between("volume", min_value=0)
        between("open_interest", min_value=0)
        pair("expiry", "trade_date")
        if "option_type" in present:
            exps.append(gxe.ExpectColumnValuesToBeInSet(column="option_type", value_set=["C", "P"], meta=m(CRITICAL)))
    elif dataset == "fundamentals":
        if "value" in present and "concept" in present:
            # A row condition, not a derived column: GX filters to concept == 'Assets' before the range check.
            exps.append(
                gxe.ExpectColumnValuesToBeBetween(
                    column="value",
                    min_value=0,
                    strict_min=True,
                    row_condition=GxColumn("concept") == "Assets",
                    meta=m(CRITICAL, "concept == 'Assets'"),
                )
            )
    elif dataset == "constituents":
        between("weight", min_value=0, max_value=100)
    elif dataset == "rates":
        # GX skips nulls in range checks: a missing rate is allowed, an absurd one is not.
        between("value", min_value=-5, max_value=30)
    elif dataset == "shares_outstanding":
        between("shares", min_value=0, strict_min=True)
    return exps


def _scale_column(frame: pd.DataFrame, reference: pd.DataFrame) -> pd.Series:
    """Per row: its ticker's median close over the reference's median close for that ticker (null if unknown).

    Rows on a split date are left out: a reverse split moves an unadjusted price by the split factor legitimately.
    """
    ref = reference[["ticker", "close"]].copy()
    ref["close"] = pd.to_numeric(ref["close"], errors="coerce")
    ref_median = ref[ref["close"] > 0].groupby("ticker")["close"].median()
    usable = frame["close"].astype("float64")
    if "split_ratio" in frame.columns:
        usable = usable.where(frame["split_ratio"].astype("float64").fillna(1.0) == 1.0)
    batch_median = usable.groupby(frame["ticker"]).transform("median")
    return (batch_median / frame["ticker"].map(ref_median)).astype("float64")


def _checkpoint(dataset: str, expectations: list[Any], result_format: dict, docs_site: str | None) -> Any:
    context = _context()
    name = f"raw_{dataset}"
    suite = context.suites.add_or_update(gx.ExpectationSuite(name=name, expectations=expectations))
    definition = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=name, data=_batch_definition(dataset), suite=suite)
    )
    actions = [gx.checkpoint.UpdateDataDocsAction(name="docs", site_names=[docs_site])] if docs_site else []
    return context.checkpoints.add_or_update(
        gx.Checkpoint(name=name, validation_definitions=[definition], actions=actions, result_format=result_format)  # type: ignore[arg-type]
    )


def _gx_result(dataset: str, batch_id: str, r: Any) -> dict:
    expectation = r.expectation_config
    meta = expectation.meta or {}
    body = r.result or {}
    label = _expectation_label(expectation)
    if r.exception_info and r.exception_info.get("raised_exception"):
        return _result(
            dataset,
            batch_id,
            label,
            meta.get("severity", CRITICAL),
            False,
            None,
            [],
            f"GX raised: {r.exception_info.get('exception_message')}",
        )
    if "unexpected_count" in body:
        sample = body.get("partial_unexpected_index_list") or body.get("partial_unexpected_list") or []
        details = f"{body.get('unexpected_count')} of {body.get('element_count')} rows unexpected"
        return _result(
            dataset,
            batch_id,
            label,
            meta.get("severity", CRITICAL),
            r.success,
            int(body["unexpected_count"]),
            sample,
            details,
        )
    observed = body.get("observed_value")
    bounds = {k: v for k, v in expectation.kwargs.items() if k in ("min_value", "max_value") and v is not None}
    mismatched = (body.get("details") or {}).get("mismatched")
    sample = [observed] if not mismatched else [mismatched]
    details = f"observed {json.dumps(_jsonable(observed), default=str)}; expected {json.dumps(_jsonable(bounds), default=str)}"
    if mismatched:
        details = f"columns mismatched {json.dumps(mismatched, default=str)}"
    return _result(dataset, batch_id, label, meta.get("severity", CRITICAL), r.success, None, sample, details)


def _expectation_label(config: Any) -> str:
    kwargs = config.kwargs
    if "column_A" in kwargs:
        cols = (
            f"{kwargs['column_A']} >= {kwargs['column_B']}"
            if kwargs.get("or_equal")
            else f"{kwargs['column_A']} > {kwargs['column_B']}"
        )
    elif "column_list" in kwargs:
        cols = ", ".join(kwargs["column_list"])
    else:
        cols = kwargs.get("column", "")
    check = (config.meta or {}).get("check")
    return f"{config.type}({cols})" + (f" [{check}]" if check else "")


def validate_batch(
    dataset: str,
    frame: pd.DataFrame,
    *,
    batch_id: str,
    as_of: date,
    last_good_rows: int | None = None,
    reference: pd.DataFrame | None = None,
    docs_dir: Path | None = None,
) -> ValidationReport:
    """Run one raw batch (a frame in the raw contract, stamps optional) through its dataset's suite; never raises on bad data."""
    table = raw_dataset(dataset)
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame, not {type(frame).__name__}")
    coerced, results = _coerce(table, frame.reset_index(drop=True), dataset, batch_id)
    with_scale = (
        dataset == "prices"
        and reference is not None
        and {"ticker", "close"} <= set(reference.columns)
        and {"ticker", "close"} <= set(coerced.columns)
    )
    if with_scale:
        coerced[_SCALE_COLUMN] = _scale_column(coerced, reference)  # type: ignore[arg-type]
    index_cols = [k for k in table.key if k in coerced.columns]
    result_format = {
        "result_format": "SUMMARY",
        "partial_unexpected_count": SAMPLE_SIZE,
        **({"unexpected_index_column_names": index_cols} if index_cols else {}),
    }
    docs_site = _docs_site(docs_dir) if docs_dir is not None else None
    expectations = _expectations(dataset, table, coerced, as_of, last_good_rows, with_scale)
    checkpoint = _checkpoint(dataset, expectations, result_format, docs_site)
    run = checkpoint.run(batch_parameters={"dataframe": coerced})
    for validation in run.run_results.values():
        results += [_gx_result(dataset, batch_id, r) for r in validation.results]
    passed = not any(not r["success"] and r["severity"] == CRITICAL for r in results)
    return ValidationReport(dataset=dataset, batch_id=batch_id, passed=passed, results=results)


def build_docs(docs_dir: Path) -> Path:
    """Build GX Data Docs for every batch validated in this process into `docs_dir`; returns its index.html."""
    site = _docs_site(Path(docs_dir))
    _context().build_data_docs(site_names=[site])
    return Path(docs_dir) / "index.html"
