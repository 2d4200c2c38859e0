"""The raw-batch gate: clean hand-written batches pass; each small corruption is caught with its severity."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

import pandas as pd
import pytest

from warehouse.validation import CRITICAL, WARNING, ValidationReport, validate_batch

AS_OF = date(2024, 12, 24)
BATCH = "batch-2024-12-24-test"
STAMPS = {"batch_id": BATCH, "source": "test", "loaded_at": datetime(2024, 12, 24, 22, 0)}


def _clean() -> dict[str, pd.DataFrame]:
    frames = {
        "prices": pd.DataFrame(
            {
                "ticker": ["AAA", "AAA", "BBB", "BBB"],
                "date": [date(2024, 12, 23), date(2024, 12, 24)] * 2,
                "open": [10.0, 10.4, 20.0, 20.2],
                "high": [10.6, 10.9, 20.5, 20.6],
                "low": [9.8, 10.2, 19.7, 19.9],
                "close": [10.5, 10.8, 20.1, 20.4],
                "volume": [1000.0, 1200.0, 500.0, 650.5],
                "dividend": [0.0, 0.0, 0.25, 0.0],
                "split_ratio": [1.0, 1.0, 1.0, 1.0],
                "adjusted": ["none"] * 4,
                "basis_date": [None] * 4,
            }
        ),
        "options": pd.DataFrame(
            {
                "underlying": ["IWM", "IWM", "IWM"],
                "trade_date": [date(2024, 12, 24)] * 3,
                "contract": ["IWM250117C00220000", "IWM250117P00220000", "IWM241224P00200000"],
                "expiry": [date(2025, 1, 17), date(2025, 1, 17), date(2024, 12, 24)],
                "option_type": ["C", "P", "P"],
                "strike": [220.0, 220.0, 200.0],
                "volume": [10.0, 0.0, 3.0],
                "open_interest": [100.0, 50.0, 0.0],
                "bid": [5.0, 4.0, 0.01],
                "ask": [5.2, 4.1, 0.02],
                "last": [5.1, 4.05, 0.01],
                "iv": [0.22, 0.24, 0.5],
                "delta": [0.5, -0.5, -0.01],
                "underlying_price": [221.0, 221.0, 221.0],
            }
        ),
        "rates": pd.DataFrame(
            {
                "series": ["DGS10", "DGS10", "DGS3MO"],
                "date": [date(2024, 12, 23), AS_OF, AS_OF],
                "value": [4.5, None, 4.3],
            }
        ),
        "constituents": pd.DataFrame(
            {
                "index_name": ["russell_2000", "russell_2000"],
                "as_of": [AS_OF, AS_OF],
                "ticker": ["AAA", "BBB"],
                "name": ["Aaa Corp", "Bbb Inc"],
                "sector": ["Industrials", "Health Care"],
                "asset_class": ["Equity", "Equity"],
                "weight": [0.05, 0.04],
                "shares_held": [1000.0, 2000.0],
                "market_value": [10500.0, 40200.0],
                "price": [10.5, 20.1],
                "cik": [1001, None],
                "exchange": ["NASDAQ", "NYSE"],
            }
        ),
        "companies": pd.DataFrame(
            {
                "cik": [1001, 1002],
                "as_of": [AS_OF, AS_OF],
                "ticker": ["AAA", "BBB"],
                "name": ["Aaa Corp", "Bbb Inc"],
                "sic": [3559, 2834],
                "sic_description": ["Machinery", "Pharma"],
                "fiscal_year_end": ["1231", "0630"],
                "exchange": ["NASDAQ", "NYSE"],
            }
        ),
        "shares_outstanding": pd.DataFrame(
            {
                "cik": [1001, 1002],
                "ticker": ["AAA", "BBB"],
                "period_end": [date(2024, 10, 31), date(2024, 11, 1)],
                "filed": [date(2024, 12, 20), date(2024, 12, 23)],
                "shares": [5.0e7, 2.0e7],
                "form": ["10-Q", "10-Q"],
                "accession": ["0001-24-1", "0002-24-1"],
            }
        ),
        "fundamentals": pd.DataFrame(
            {
                "cik": [1001, 1001, 1002],
                "ticker": ["AAA", "AAA", "BBB"],
                "taxonomy": ["us-gaap"] * 3,
                "concept": ["Assets", "OperatingIncomeLoss", "Assets"],
                "unit": ["USD"] * 3,
                "period_start": [None, date(2024, 7, 1), None],
                "period_end": [date(2024, 9, 30)] * 3,
                "value": [1.0e9, -2.0e6, 5.0e8],
                "fiscal_year": [2024, 2024, 2025],
                "fiscal_period": ["Q3", "Q3", "Q1"],
                "form": ["10-Q"] * 3,
                "filed": [date(2024, 11, 5), date(2024, 11, 5), date(2024, 11, 8)],
                "accession": ["a1", "a1", "a2"],
                "frame": ["CY2024Q3I", "CY2024Q3", "CY2024Q3I"],
            }
        ),
        "estimates": pd.DataFrame(
            {
                "ticker": ["AAA", "AAA", "BBB"],
                "fiscal_year": [2024, 2025, 2025],
                "as_of": [AS_OF] * 3,
                "revenue": [1.0e8, 1.2e8, 5.0e7],
                "earnings": [1.0e7, 1.3e7, -2.0e6],
                "eps": [0.2, 0.26, -0.1],
                "analysts": [5, 4, 3],
            }
        ),
        "transcripts": pd.DataFrame(
            {
                "ticker": ["AAA", "BBB"],
                "call_date": [date(2024, 11, 6), date(2024, 11, 8)],
                "fiscal_year": [2024, 2025],
                "fiscal_quarter": [3, 1],
                "title": ["Q3 2024 call", "Q1 2025 call"],
                "layout": ["speaker_blocks", "blob"],
                "text": ["Operator: welcome.", "CEO: thanks."],
            }
        ),
    }
    return frames


CLEAN = _clean()


def _run(dataset: str, frame: pd.DataFrame, **kwargs: object) -> ValidationReport:
    return validate_batch(dataset, frame, batch_id=BATCH, as_of=AS_OF, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("dataset", sorted(CLEAN))
def test_clean_batch_passes(dataset: str) -> None:
    report = _run(dataset, CLEAN[dataset], last_good_rows=len(CLEAN[dataset]))
    assert report.passed, report.summary()
    assert report.failures() == []
    assert report.results and all(r["dataset"] == dataset and r["batch_id"] == BATCH for r in report.results)


def test_clean_batch_with_stamp_columns_passes() -> None:
    report = _run("prices", CLEAN["prices"].assign(**STAMPS), reference=CLEAN["prices"])
    assert report.passed, report.summary()


def test_result_fields() -> None:
    report = _run("prices", _set("close", 0, -1.0)(CLEAN["prices"]))
    keys = {
        "dataset",
        "batch_id",
        "expectation",
        "severity",
        "success",
        "unexpected_count",
        "unexpected_sample",
        "details",
    }
    assert all(set(r) == keys for r in report.results)
    assert report.failures(WARNING) == []
    with pytest.raises(ValueError):
        report.failures("fatal")


def test_unknown_dataset_raises() -> None:
    with pytest.raises(ValueError, match="unknown dataset"):
        _run("nope", CLEAN["prices"])


def _set(column: str, row: int, value: object) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def change(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.copy()
        # A value the column's dtype cannot hold (as a connector's untyped frame would carry) needs object dtype.
        if not (isinstance(value, float) and pd.api.types.is_float_dtype(out[column])):
            out[column] = out[column].astype(object)
        out.loc[row, column] = value
        return out

    return change


def _dup(row: int) -> Callable[[pd.DataFrame], pd.DataFrame]:
    return lambda frame: pd.concat([frame, frame.iloc[[row]]], ignore_index=True)


def _drop(column: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    return lambda frame: frame.drop(columns=[column])


def _extra(column: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    return lambda frame: frame.assign(**{column: 1})


def _empty(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.iloc[0:0]


def _cents(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out[["open", "high", "low", "close"]] = out[["open", "high", "low", "close"]] * 100
    return out


def _move_dates(column: str, days: int) -> Callable[[pd.DataFrame], pd.DataFrame]:
    return lambda frame: frame.assign(**{column: [d + timedelta(days=days) for d in frame[column]]})


REF = {"reference": CLEAN["prices"]}
# (case id, dataset, change, validate kwargs, expected expectation (substring), severity, token the summary must show)
CASES = [
    ("prices-zero-close", "prices", _set("close", 1, 0.0), {}, "be_between(close)", CRITICAL, "AAA"),
    ("prices-negative-open", "prices", _set("open", 2, -3.0), {}, "be_between(open)", CRITICAL, "-3.0"),
    ("prices-negative-low", "prices", _set("low", 0, -1.0), {}, "be_between(low)", CRITICAL, "-1.0"),
    ("prices-high-below-low", "prices", _set("high", 0, 9.0), {}, "(high >= low)", CRITICAL, "AAA"),
    ("prices-close-above-high", "prices", _set("close", 3, 25.0), {}, "(high >= close)", CRITICAL, "BBB"),
    ("prices-open-below-low", "prices", _set("open", 3, 19.0), {}, "(open >= low)", CRITICAL, "BBB"),
    ("prices-dup-key", "prices", _dup(1), {}, "compound_columns_to_be_unique(ticker, date)", CRITICAL, "AAA"),
    (
        "prices-future-date",
        "prices",
        _set("date", 3, date(2024, 12, 26)),
        {},
        "[not after as_of]",
        CRITICAL,
        "2024-12-26",
    ),
    ("prices-saturday", "prices", _set("date", 2, date(2024, 12, 21)), {}, "[XNYS session]", CRITICAL, "2024-12-21"),
    ("prices-holiday", "prices", _set("date", 2, date(2024, 12, 25)), {}, "[XNYS session]", CRITICAL, "2024-12-25"),
    ("prices-null-ticker", "prices", _set("ticker", 0, None), {}, "not_be_null(ticker)", CRITICAL, "2024-12-23"),
    ("prices-null-date", "prices", _set("date", 0, None), {}, "not_be_null(date)", CRITICAL, "AAA"),
    (
        "prices-string-close",
        "prices",
        _set("close", 2, "12,5"),
        {},
        "type_coercible(close -> DOUBLE)",
        CRITICAL,
        "12,5",
    ),
    (
        "prices-bad-date",
        "prices",
        _set("date", 1, "yesterday"),
        {},
        "type_coercible(date -> DATE)",
        CRITICAL,
        "yesterday",
    ),
    ("prices-missing-close", "prices", _drop("close"), {}, "expect_column_to_exist(close)", CRITICAL, "close"),
    ("prices-extra-column", "prices", _extra("vwap"), {}, "expect_table_columns_to_match_set", CRITICAL, "vwap"),
    ("prices-empty", "prices", _empty, {}, "[not empty]", CRITICAL, "0"),
    ("prices-tenfold-drop", "prices", lambda f: f.iloc[:1], {"last_good_rows": 40}, "[0.1x-10x", CRITICAL, "1"),
    ("prices-halved", "prices", lambda f: f.iloc[:3], {"last_good_rows": 8}, "[0.5x-2x", WARNING, "3"),
    ("prices-stale", "prices", _move_dates("date", -7), {}, "[fresh", WARNING, "2024-12-17"),
    ("prices-cents", "prices", _cents, REF, "[price scale", CRITICAL, "AAA"),
    ("prices-negative-volume", "prices", _set("volume", 0, -5.0), {}, "be_between(volume)", CRITICAL, "-5.0"),
    ("prices-zero-split", "prices", _set("split_ratio", 0, 0.0), {}, "be_between(split_ratio)", CRITICAL, "AAA"),
    ("prices-negative-dividend", "prices", _set("dividend", 3, -0.1), {}, "be_between(dividend)", CRITICAL, "-0.1"),
    ("prices-bad-adjusted", "prices", _set("adjusted", 0, "raw"), {}, "be_in_set(adjusted)", CRITICAL, "raw"),
    (
        "options-strike-zero",
        "options",
        _set("strike", 0, 0.0),
        {},
        "be_between(strike)",
        CRITICAL,
        "IWM250117C00220000",
    ),
    (
        "options-expiry-before-trade",
        "options",
        _set("expiry", 1, date(2024, 12, 20)),
        {},
        "(expiry >= trade_date)",
        CRITICAL,
        "IWM250117P00220000",
    ),
    ("options-type-x", "options", _set("option_type", 2, "X"), {}, "be_in_set(option_type)", CRITICAL, "X"),
    ("options-negative-volume", "options", _set("volume", 0, -1.0), {}, "be_between(volume)", CRITICAL, "-1.0"),
    (
        "options-negative-oi",
        "options",
        _set("open_interest", 1, -7.0),
        {},
        "be_between(open_interest)",
        CRITICAL,
        "-7.0",
    ),
    ("options-dup-contract", "options", _dup(0), {}, "compound_columns_to_be_unique", CRITICAL, "IWM250117C00220000"),
    ("options-saturday", "options", _move_dates("trade_date", -3), {}, "[XNYS session]", CRITICAL, "2024-12-21"),
    ("options-empty", "options", _empty, {}, "[not empty]", CRITICAL, "0"),
    ("options-null-contract", "options", _set("contract", 0, None), {}, "not_be_null(contract)", CRITICAL, "IWM"),
    ("rates-999", "rates", _set("value", 2, 999.0), {}, "be_between(value)", CRITICAL, "999"),
    ("rates-dup-key", "rates", _dup(0), {}, "compound_columns_to_be_unique(series, date)", CRITICAL, "DGS10"),
    ("rates-empty", "rates", _empty, {}, "[not empty]", CRITICAL, "0"),
    ("rates-future", "rates", _set("date", 0, date(2025, 1, 2)), {}, "[not after as_of]", CRITICAL, "2025-01-02"),
    ("rates-string-value", "rates", _set("value", 0, "n/a"), {}, "type_coercible(value -> DOUBLE)", CRITICAL, "n/a"),
    ("constituents-weight-150", "constituents", _set("weight", 0, 150.0), {}, "be_between(weight)", CRITICAL, "150"),
    (
        "constituents-negative-weight",
        "constituents",
        _set("weight", 1, -0.5),
        {},
        "be_between(weight)",
        CRITICAL,
        "BBB",
    ),
    ("constituents-empty", "constituents", _empty, {}, "[not empty]", WARNING, "0"),
    (
        "fundamentals-assets-negative",
        "fundamentals",
        _set("value", 2, -5.0e8),
        {},
        "[concept == 'Assets']",
        CRITICAL,
        "-500000000",
    ),
    ("fundamentals-dup-key", "fundamentals", _dup(0), {}, "compound_columns_to_be_unique", CRITICAL, "Assets"),
    (
        "fundamentals-null-concept",
        "fundamentals",
        _set("concept", 1, None),
        {},
        "not_be_null(concept)",
        CRITICAL,
        "1001",
    ),
    (
        "fundamentals-float-fiscal-year",
        "fundamentals",
        _set("fiscal_year", 0, 2024.5),
        {},
        "type_coercible(fiscal_year -> INTEGER)",
        CRITICAL,
        "2024.5",
    ),
    ("companies-dup-key", "companies", _dup(1), {}, "compound_columns_to_be_unique(cik, as_of)", CRITICAL, "1002"),
    (
        "companies-string-cik",
        "companies",
        _set("cik", 0, "CIK1001"),
        {},
        "type_coercible(cik -> BIGINT)",
        CRITICAL,
        "CIK1001",
    ),
    (
        "companies-missing-ticker",
        "companies",
        _drop("ticker"),
        {},
        "expect_column_to_exist(ticker)",
        CRITICAL,
        "ticker",
    ),
    ("companies-empty", "companies", _empty, {}, "[not empty]", WARNING, "0"),
    ("shares-zero", "shares_outstanding", _set("shares", 0, 0.0), {}, "be_between(shares)", CRITICAL, "1001"),
    (
        "shares-future-filed",
        "shares_outstanding",
        _set("filed", 1, date(2024, 12, 31)),
        {},
        "[not after as_of]",
        CRITICAL,
        "2024-12-31",
    ),
    ("estimates-dup-key", "estimates", _dup(2), {}, "compound_columns_to_be_unique", CRITICAL, "BBB"),
    (
        "estimates-tenfold-jump",
        "estimates",
        lambda f: pd.concat([f.assign(fiscal_year=f["fiscal_year"] + i) for i in range(0, 40, 3)], ignore_index=True),
        {"last_good_rows": 3},
        # Estimates arrive with events (sparse): a file of the whole universe after a 3-row revision is flagged,
        # not quarantined.
        "[sparse: at most 10x",
        WARNING,
        "42",
    ),
    ("transcripts-null-text", "transcripts", _set("text", 0, None), {}, "not_be_null(text)", CRITICAL, "AAA"),
    (
        "transcripts-extra-column",
        "transcripts",
        _extra("speaker_count"),
        {},
        "expect_table_columns_to_match_set",
        CRITICAL,
        "speaker_count",
    ),
    (
        "transcripts-int-text",
        "transcripts",
        _set("layout", 1, 7),
        {},
        "type_coercible(layout -> VARCHAR)",
        CRITICAL,
        "7",
    ),
]


@pytest.mark.parametrize(
    ("dataset", "change", "kwargs", "expectation", "severity", "token"),
    [pytest.param(*c[1:], id=c[0]) for c in CASES],
)
def test_bad_batch_is_caught(
    dataset: str,
    change: Callable[[pd.DataFrame], pd.DataFrame],
    kwargs: dict,
    expectation: str,
    severity: str,
    token: str,
) -> None:
    report = _run(dataset, change(CLEAN[dataset]), **kwargs)
    hits = [r for r in report.failures(severity) if expectation in r["expectation"]]
    assert hits, f"{expectation} ({severity}) not among failures:\n{report.summary()}"
    assert report.passed == (not report.failures(CRITICAL))
    if severity == CRITICAL:
        assert not report.passed
    lines = [line for line in report.summary().splitlines() if expectation in line]
    assert lines and all(dataset in line and BATCH in line for line in lines)
    assert any(token in line for line in lines), lines


def test_catalogue_is_large() -> None:
    assert len(CASES) >= 40


def test_docs_are_built(tmp_path) -> None:
    report = _run("rates", CLEAN["rates"], docs_dir=tmp_path / "docs")
    assert report.passed
    assert (tmp_path / "docs" / "index.html").exists()


# --- Row count against the last good batch, by how the dataset arrives ----------------------------------------


def _one_10k(facts: int, filed: date, cik: int = 1003, ticker: str = "CCC") -> pd.DataFrame:
    """One 10-K's facts, all filed on one day: `facts` distinct duration concepts for fiscal 2024."""
    return pd.DataFrame(
        {
            "cik": [cik] * facts,
            "ticker": [ticker] * facts,
            "taxonomy": ["us-gaap"] * facts,
            "concept": [f"Concept{i:03d}" for i in range(facts)],
            "unit": ["USD"] * facts,
            "period_start": [date(2024, 1, 1)] * facts,
            "period_end": [date(2024, 12, 31)] * facts,
            "value": [1.0e6 + i for i in range(facts)],
            "fiscal_year": [2024] * facts,
            "fiscal_period": ["FY"] * facts,
            "form": ["10-K"] * facts,
            "filed": [filed] * facts,
            "accession": [f"{cik}-24-1"] * facts,
            "frame": [None] * facts,
        }
    )


# The seed: 3,000 facts over 10 filed dates (earnings season: 10 days of 300 facts each). The flow's expected rows
# (flows/datasets._last_good_rows) are the last good batch's rows per partition times this batch's partitions:
# 3,000 / 10 * 1 = 300 for a batch filed on one day. 27 facts is 9% of that, under the old critical floor of
# ceil(0.1 * 300) = 30.
SEED_FACTS, SEED_FILED_DAYS = 3_000, 10
EXPECTED_FROM_SEED = round(SEED_FACTS / SEED_FILED_DAYS * 1)


def test_a_single_10k_after_a_big_seed_passes() -> None:
    assert EXPECTED_FROM_SEED == 300
    batch = _one_10k(27, filed=date(2024, 12, 23))
    report = _run("fundamentals", batch, last_good_rows=EXPECTED_FROM_SEED)
    assert report.passed, report.summary()
    # No row-count expectation can fail on a quiet day of a sparse dataset: not at critical, not as a warning.
    assert [r for r in report.failures() if "last good" in r["expectation"]] == []


def test_a_busy_filing_day_after_a_quiet_one_passes_with_a_warning() -> None:
    # The mirror case: the last good batch was one 10-K (27 facts); today 12 filers report, 12 x 27 = 324 rows,
    # 12x the last good. Legitimate in earnings season: flagged, never quarantined.
    batch = pd.concat(
        [_one_10k(27, filed=date(2024, 12, 23), cik=2000 + i, ticker=f"T{i:02d}") for i in range(12)],
        ignore_index=True,
    )
    report = _run("fundamentals", batch, last_good_rows=27)
    assert report.passed, report.summary()
    warned = [r["expectation"] for r in report.failures(WARNING) if "last good" in r["expectation"]]
    assert warned == ["expect_table_row_count_to_be_between() [sparse: at most 10x of last good 27]"]


@pytest.mark.parametrize("dataset", ["fundamentals", "shares_outstanding", "estimates", "transcripts"])
def test_sparse_datasets_have_no_row_count_floor(dataset: str) -> None:
    one_row = CLEAN[dataset].iloc[:1]
    report = _run(dataset, one_row, last_good_rows=10_000)
    assert report.passed, report.summary()
    assert [r for r in report.failures() if "last good" in r["expectation"]] == []


def test_a_prices_day_of_one_percent_is_still_quarantined() -> None:
    # Prices arrive densely: 2,000 members a day. A day of 20 bars (1%) means the source broke.
    usual = 2_000
    day = pd.DataFrame(
        {
            "ticker": [f"T{i:03d}" for i in range(usual // 100)],
            "date": [AS_OF] * (usual // 100),
            "open": [10.0] * 20,
            "high": [11.0] * 20,
            "low": [9.0] * 20,
            "close": [10.5] * 20,
            "volume": [1000.0] * 20,
            "dividend": [0.0] * 20,
            "split_ratio": [1.0] * 20,
            "adjusted": ["none"] * 20,
            "basis_date": [None] * 20,
        }
    )
    report = _run("prices", day, last_good_rows=usual)
    assert not report.passed
    critical = [r["expectation"] for r in report.failures(CRITICAL)]
    assert critical == ["expect_table_row_count_to_be_between() [0.1x-10x of last good 2000]"], report.summary()


@pytest.mark.parametrize("dataset", ["prices", "options", "rates", "constituents", "companies"])
def test_dense_datasets_keep_the_critical_floor(dataset: str) -> None:
    report = _run(dataset, CLEAN[dataset].iloc[:1], last_good_rows=100)
    assert not report.passed
    assert any("[0.1x-10x of last good 100]" in r["expectation"] for r in report.failures(CRITICAL))


def test_every_raw_dataset_declares_how_it_arrives() -> None:
    from warehouse.ddl import DENSE, SPARSE, load_layer

    arrivals = {name: t.arrival for name, t in load_layer("raw").items()}
    assert arrivals == {
        "constituents": DENSE,
        "prices": DENSE,
        "companies": DENSE,
        "shares_outstanding": SPARSE,
        "fundamentals": SPARSE,
        "estimates": SPARSE,
        "transcripts": SPARSE,
        "options": DENSE,
        "rates": DENSE,
    }
