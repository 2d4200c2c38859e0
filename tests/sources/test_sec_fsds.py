"""sources.sec_fsds: a quarter's Financial Statement Data Sets zip to raw `fundamentals`, as companyfacts gives them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sources.base import SourceError
from sources.sec import Fact, _dedupe, _fundamentals_key
from sources.sec_fsds import COREG, EXTENSION, NULL_VALUE, SEGMENTS, read_fsds
from tests.sources.fsds_zip import KA, NUM_ROWS, K, Q, tiny_fsds_zip
from transforms.statements import Adjustments, annual_statements, fiscal_year_of
from warehouse.ddl import raw_dataset

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"
OPEN_TEXT, OPEN_TEXT_ADSH = 1002638, "0001193125-09-179839"


def real_zip() -> bytes:
    path = FIXTURES / "fundamentals" / "fsds" / "2009q3.zip"
    if not path.exists():
        pytest.skip(f"real payload not found at {path} (../shared/fixtures is absent)")
    return path.read_bytes()


def test_the_hand_made_quarter_gives_companyfacts_rows() -> None:
    q = read_fsds(tiny_fsds_zip(), origin="tiny.zip")
    assert q.fundamentals.schema == raw_dataset("fundamentals").arrow_schema(without_stamps=True)
    d = date
    fy, k10, filed = 2009, "10-K", d(2009, 8, 21)
    assert [tuple(r.values()) for r in q.fundamentals.to_pylist()] == [
        # cik, ticker, taxonomy, concept, unit, start, end, value, fy, fp, form, filed, accession, frame
        (1234, None, "dei", "EntityCommonStockSharesOutstanding", "shares", None, d(2009, 7, 31), 5000.0, fy, "FY", k10, filed, K, None),
        # instant; the same-day 10-K/A's restated value wins (the greater accession), as in sources.sec._dedupe
        (1234, None, "us-gaap", "Assets", "USD", None, d(2009, 6, 30), 1001.0, fy, "FY", "10-K/A", filed, KA, None),
        # perShare in tag.txt: 'USD' becomes companyfacts' 'USD/shares'
        (1234, None, "us-gaap", "EarningsPerShareBasic", "USD/shares", d(2008, 7, 1), d(2009, 6, 30), 1.25, fy, "FY", k10, filed, K, None),
        # annual (qtrs 4): the day after the period end a year earlier; then the quarter (qtrs 1)
        (1234, None, "us-gaap", "Revenues", "USD", d(2008, 7, 1), d(2009, 6, 30), 500.0, fy, "FY", k10, filed, K, None),
        (1234, None, "us-gaap", "Revenues", "USD", d(2009, 4, 1), d(2009, 6, 30), 130.0, fy, "FY", k10, filed, K, None),
        # a quarter ending on a February month end starts on 1 December; empty fy/fp are null
        (5678, None, "us-gaap", "Revenues", "USD", d(2008, 12, 1), d(2009, 2, 28), 40.0, None, None, "10-Q", d(2009, 8, 10), Q, None),
        (5678, None, "us-gaap", "Revenues", "USD", d(2009, 1, 1), d(2009, 6, 30), 90.0, None, None, "10-Q", d(2009, 8, 10), Q, None),
    ]  # fmt: skip
    assert q.num_rows == len(NUM_ROWS)
    assert q.left_out == {COREG: 1, SEGMENTS: 1, EXTENSION: 1, NULL_VALUE: 1}
    # Assets at 2009-06-30: three rows (two us-gaap versions in the 10-K, one in the 10-K/A) -> one kept.
    assert (q.duplicates_dropped, q.conflicting_keys) == (2, 1)


def test_a_cik_ticker_map_names_the_ticker() -> None:
    rows = read_fsds(tiny_fsds_zip(), origin="tiny.zip", tickers={1234: "ALFA"}).fundamentals.to_pylist()
    assert {(r["cik"], r["ticker"]) for r in rows} == {(1234, "ALFA"), (5678, None)}


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"not a zip", "sec_fsds: bad.zip: not a zip file"),
        (tiny_fsds_zip(drop="num.txt"), "sec_fsds: bad.zip: num.txt: not in the zip"),
        (
            tiny_fsds_zip([[K, "Assets", "us-gaap/2009", "20090627", "0", "USD", "", "", "1.0", ""]]),
            "sec_fsds: bad.zip: num.txt: ddate is not a month end (FSDS rounds it to one) on line 2",
        ),
        (
            tiny_fsds_zip([*NUM_ROWS, ["0000009999-09-000009", "Assets", "us-gaap/2009", "20090630", "0", "USD", "", "", "1.0", ""]]),
            f"sec_fsds: bad.zip: num.txt: adsh not in sub.txt on line {len(NUM_ROWS) + 2}",
        ),
        (
            tiny_fsds_zip([[K, "Assets", "us-gaap/2009", "2009-06-30", "0", "USD", "", "", "1.0", ""]]),
            "sec_fsds: bad.zip: num.txt: ddate is not a yyyymmdd date on line 2",
        ),
    ],
)  # fmt: skip
def test_a_file_it_cannot_read_is_refused_in_one_line(payload: bytes, message: str) -> None:
    with pytest.raises(SourceError) as err:
        read_fsds(payload, origin="bad.zip")
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


def test_the_real_quarter_reads_and_dedupes_as_sources_sec_does() -> None:
    q = read_fsds(real_zip(), origin="2009q3.zip")
    # 126,650 num.txt rows: 3,740 co-registrant, 13,356 more dimensional, 13,765 more extension, 42 more null.
    assert q.num_rows == 126_650
    assert q.left_out == {COREG: 3740, SEGMENTS: 13356, EXTENSION: 13765, NULL_VALUE: 42}
    kept = q.num_rows - sum(q.left_out.values())
    assert q.fundamentals.num_rows == kept - q.duplicates_dropped
    assert q.duplicates_dropped == 188
    # The vector de-duplication keeps what sources.sec._dedupe keeps, in its order, per cik.
    rows = q.fundamentals.to_pylist()
    facts = [Fact(**{f: r[f] for f in Fact._fields}) for r in rows]
    by_cik: dict[int, list[Fact]] = {}
    for r, f in zip(rows, facts, strict=True):
        by_cik.setdefault(r["cik"], []).append(f)
    for group in by_cik.values():
        assert _dedupe(group, _fundamentals_key)[0] == group


def _open_text() -> list[dict]:
    rows = [r for r in read_fsds(real_zip(), origin="2009q3.zip").fundamentals.to_pylist() if r["cik"] == OPEN_TEXT]
    assert {r["accession"] for r in rows} == {OPEN_TEXT_ADSH}
    return rows


def test_open_text_fiscal_2009_from_the_real_quarter() -> None:
    """The quarter's one 10-K: OPEN TEXT CORP, cik 1002638, adsh 0001193125-09-179839, fye 0630, fy 2009 FY,
    filed 20090821. Read by hand from num.txt (segments and coreg empty; version us-gaap/2008 unless said):

    tag                                   ddate     qtrs  value
    Revenues                              20090630  4     785665000
    Revenues                              20080630  4     725532000
    OperatingIncomeLoss                   20090630  4      97584000
    OperatingIncomeLoss                   20080630  4     100379000
    IncomeTaxExpenseBenefit               20090630  4      23788000
    IncomeTaxExpenseBenefit               20080630  4      22993000
    IncomeLossFromContinuingOperationsBeforeIncomeTaxesMinorityInterestAndIncomeLossFromEquityMethodInvestments
                                          20090630  4      80777000
                                          20080630  4      76497000
    NetIncomeLoss                         20090630  4      56938000
    ResearchAndDevelopmentExpenseExcludingAcquiredInProcessCost
                                          20090630  4     116164000   (20080630: 107206000, 20070630: 79102000)
    Assets                                20090630  0    1507236000
    Assets                                20080630  0    1434676000
    CashAndCashEquivalentsAtCarryingValue 20090630  0     275819000
    CashAndCashEquivalentsAtCarryingValue 20080630  0     254916000
    AccountsPayableAndAccruedLiabilitie   20090630  0     115018000   version = the adsh: a company extension
                                                                      (a truncated name), left out; no
                                                                      AccountsPayableCurrent is tagged

    By hand, FY2009 (June ends name their calendar year):
    tax rate    = 23788000 / 80777000                       = 0.2944898
    excess cash = 275819000 - 0.02 * 785665000              = 260105700
    as-reported ROA on mean assets = 56938000 / ((1434676000 + 1507236000) / 2 = 1470956000) = 0.0387082
    R&D is reported and only FY2008 and FY2007 precede FY2009 in the quarter: no capitalised R&D, so the adjusted
    figures are refused with the reason. Without R&D capitalisation (Adjustments(capitalise_rd=False)):
    adjusted assets FY2009 = 1507236000 - 0 (payables untagged) - 260105700        = 1247130300
    adjusted assets FY2008 = 1434676000 - (254916000 - 0.02 * 725532000 = 240405360) = 1194270640
    adjusted earnings FY2009 = 97584000 * (1 - 0.2944898)
    adjusted ROA = adjusted earnings / ((1194270640 + 1247130300) / 2 = 1220700470), basis 'mean'.
    """
    rows = _open_text()
    revenue = [r for r in rows if r["concept"] == "Revenues" and r["period_end"] == date(2009, 6, 30)]
    assert [(r["period_start"], r["value"], r["form"], r["fiscal_year"], r["fiscal_period"]) for r in revenue] == [
        (date(2008, 7, 1), 785665000.0, "10-K", 2009, "FY")
    ]
    # The payables line is a company extension: left out, so nothing subtracts from the asset base for it.
    assert "AccountsPayableAndAccruedLiabilitie" not in {r["concept"] for r in rows}
    assert "AccountsPayableCurrent" not in {r["concept"] for r in rows}
    as_of = date(2009, 9, 30)
    st = annual_statements(rows_frame(rows), as_of)
    assert st["fiscal_year"].tolist() == [2007, 2008, 2009]
    fy = st.iloc[-1]
    assert fy["period_end"] == date(2009, 6, 30) and fy["filed"] == date(2009, 8, 21)
    assert fiscal_year_of(np.array([np.datetime64("2009-06-30", "D").astype("int64")]))[0] == 2009
    expected = {
        "revenue": 785665000.0,
        "operating_income": 97584000.0,
        "tax": 23788000.0,
        "pretax": 80777000.0,
        "net_income": 56938000.0,
        "rd": 116164000.0,
        "assets": 1507236000.0,
        "cash": 275819000.0,
    }
    assert {k: fy[k] for k in expected} == expected
    assert fy["revenue_concept"] == "Revenues" and fy["rd_concept"].startswith("ResearchAndDevelopmentExpense")
    assert fy["pretax_concept"].startswith("IncomeLossFromContinuingOperationsBeforeIncomeTaxes")
    assert pd.isna(fy["payables_concept"]) and np.isnan(fy["payables"])
    assert fy["tax_rate"] == pytest.approx(23788000 / 80777000) and fy["tax_rate"] == pytest.approx(0.2944898, abs=1e-7)
    assert fy["excess_cash"] == pytest.approx(260105700.0)
    assert fy["roa_asreported"] == pytest.approx(56938000 / 1470956000) and fy["roa_asreported"] == pytest.approx(
        0.0387082, abs=1e-7
    )
    # R&D is reported but five prior years are not in one quarter: refused, with the reason, never built on zeros.
    assert fy["rd_years_known"] == 2
    assert fy["adjusted_reason"] == "R&D history: 2 of 5 prior fiscal years known (capitalised R&D needs FY2004-FY2008)"
    assert np.isnan(fy["adj_assets"]) and np.isnan(fy["roa_adjusted"])

    plain = annual_statements(rows_frame(rows), as_of, Adjustments(capitalise_rd=False)).iloc[-1]
    assert plain["adj_assets"] == pytest.approx(1247130300.0)
    adj_earnings = 97584000 * (1 - 23788000 / 80777000)
    assert plain["adj_earnings"] == pytest.approx(adj_earnings)
    assert plain["assets_basis"] == "mean"
    assert plain["roa_adjusted"] == pytest.approx(adj_earnings / 1220700470)
    assert pd.isna(plain["adjusted_reason"])


def test_fiscal_year_label_names_january_to_may_ends_by_the_year_before() -> None:
    ends = np.array([np.datetime64(d, "D").astype("int64") for d in ("2010-01-31", "2009-05-31", "2009-06-30")])
    assert fiscal_year_of(ends).tolist() == [2009, 2008, 2009]


def rows_frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows)
