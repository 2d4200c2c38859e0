"""annual_statements on hand-written facts (fallbacks, restatements, point in time, Uniform ROA), the real SEC
payloads and the demo market."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sources.base import Request
from sources.sec import parse_companyfacts
from transforms.statements import (
    COLUMNS,
    CONCEPTS,
    Adjustments,
    annual_statements,
    fiscal_year_of,
    fiscal_year_zero,
)

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "fundamentals"
MARVELL = FIXTURES / "companyfacts" / "CIK0001835632.json"
IFRS_FILER = FIXTURES / "edgartools_fixtures" / "lpa_facts.json"

CIK = 1001
# Balance-sheet concepts the helpers write as instants; everything else is a duration.
INSTANTS = {
    "Assets", "AccountsPayableCurrent", "AccountsPayableAndAccruedLiabilitiesCurrent", "AccruedLiabilitiesCurrent",
    "CashAndCashEquivalentsAtCarryingValue", "LongTermDebt", "LongTermDebtNoncurrent", "LongTermDebtCurrent",
    "ShortTermBorrowings", "DebtLongtermAndShorttermCombinedAmount", "PreferredStockValue", "MinorityInterest",
    "StockholdersEquity", "LongTermDebtPercentageBearingVariableInterestRate", "ConvertibleDebtNoncurrent",
    "ConvertibleNotesPayableCurrent", "NotesPayable", "LineOfCredit", "OperatingLeaseLiability",
    "FinanceLeaseLiabilityNoncurrent", "FinanceLeaseLiabilityCurrent", "DebtCurrent", "OperatingLeaseRightOfUseAsset",
}  # fmt: skip


def fact(concept: str, end: date, value: float, filed: date, *, start: date | None = None, form: str = "10-K",
         cik: int = CIK, ticker: str | None = "AAA", unit: str = "USD", taxonomy: str = "us-gaap",
         accession: str | None = None) -> dict:  # fmt: skip
    return {
        "cik": cik, "ticker": ticker, "taxonomy": taxonomy, "concept": concept, "unit": unit, "period_start": start,
        "period_end": end, "value": float(value), "fiscal_year": filed.year, "fiscal_period": "FY", "form": form,
        "filed": filed, "accession": accession or f"{cik:010d}-{filed:%y}-000001",
    }  # fmt: skip


def year_facts(end: date, values: dict[str, float], filed: date, **kw) -> list[dict]:
    """One fiscal year's facts as a filing reports them: durations over the 365 days to `end`, instants at `end`."""
    start = end - timedelta(days=364)
    return [fact(c, end, v, filed, start=None if c in INSTANTS else start, **kw) for c, v in values.items()]


def ten_k(fy: int, books: dict[int, dict[str, float]], filed: date | None = None, **kw) -> list[dict]:
    """The 10-K of fiscal year `fy` (December year end): that year and, where known, last year as comparatives."""
    filed = filed or date(fy + 1, 3, 1)
    rows = year_facts(date(fy, 12, 31), books[fy], filed, **kw)
    if fy - 1 in books:
        rows += year_facts(date(fy - 1, 12, 31), books[fy - 1], filed, **kw)
    return rows


def frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows)


def one(out: pd.DataFrame, fiscal_year: int, cik: int = CIK) -> pd.Series:
    rows = out[(out["cik"] == cik) & (out["fiscal_year"] == fiscal_year)]
    assert len(rows) == 1, f"expected one row for cik {cik} FY{fiscal_year}, got {len(rows)}"
    return rows.iloc[0]


AS_OF = date(2030, 1, 1)


def test_one_row_per_company_year_in_column_order() -> None:
    books = {2022: {"Revenues": 100, "Assets": 500}, 2023: {"Revenues": 120, "Assets": 520}}
    rows = ten_k(2023, books) + ten_k(2023, books, cik=7, ticker="BBB")
    out = annual_statements(frame(rows), AS_OF)
    assert list(out.columns) == COLUMNS
    assert list(zip(out["cik"], out["fiscal_year"], strict=True)) == [(7, 2022), (7, 2023), (CIK, 2022), (CIK, 2023)]
    assert one(out, 2023)["period_end"] == date(2023, 12, 31)
    assert one(out, 2022)["filed"] == date(2024, 3, 1)  # known from the FY2023 10-K's comparatives
    assert one(out, 2023, cik=7)["ticker"] == "BBB"


def test_revenue_falls_back_per_year_and_names_the_concept() -> None:
    books = {
        # The 3rd fallback must not win over the 2nd.
        2023: {"RevenueFromContractWithCustomerExcludingAssessedTax": 500, "SalesRevenueNet": 999},
        2022: {"SalesRevenueNet": 400},
    }
    out = annual_statements(frame(ten_k(2023, books)), AS_OF)
    assert one(out, 2023)["revenue"] == 500
    assert one(out, 2023)["revenue_concept"] == "RevenueFromContractWithCustomerExcludingAssessedTax"
    assert one(out, 2022)["revenue"] == 400
    assert one(out, 2022)["revenue_concept"] == "SalesRevenueNet"
    assert pd.isna(one(out, 2023)["assets"]) and pd.isna(one(out, 2023)["assets_concept"])


def test_combined_payables_and_accrued_are_not_subtracted_twice() -> None:
    only_liabilities = Adjustments(capitalise_rd=False, subtract_excess_cash=False)
    combined = {2023: {"Revenues": 100, "Assets": 1000, "AccountsPayableAndAccruedLiabilitiesCurrent": 30,
                       "AccruedLiabilitiesCurrent": 20}}  # fmt: skip
    separate = {2023: {"Revenues": 100, "Assets": 1000, "AccountsPayableCurrent": 10, "AccruedLiabilitiesCurrent": 20}}
    rows = ten_k(2023, combined) + ten_k(2023, separate, cik=2)
    out = annual_statements(frame(rows), AS_OF, only_liabilities)
    row = one(out, 2023)
    assert row["payables"] == 30 and row["payables_concept"] == "AccountsPayableAndAccruedLiabilitiesCurrent"
    assert row["accrued"] == 0 and pd.isna(row["accrued_concept"])
    assert row["adj_assets"] == 1000 - 30
    other = one(out, 2023, cik=2)
    assert (other["payables"], other["accrued"]) == (10, 20)
    assert other["accrued_concept"] == "AccruedLiabilitiesCurrent"
    assert other["adj_assets"] == 1000 - (10 + 20)


def test_restated_comparative_replaces_the_original_point_in_time() -> None:
    first = ten_k(2022, {2022: {"Revenues": 100, "Assets": 500}}, filed=date(2023, 3, 1))
    # The FY2023 10-K restates FY2022: revenue 90, assets 480.
    second = ten_k(2023, {2023: {"Revenues": 120, "Assets": 520}, 2022: {"Revenues": 90, "Assets": 480}},
                   filed=date(2024, 3, 1))  # fmt: skip
    facts = frame(first + second)

    later = annual_statements(facts, date(2024, 6, 30))
    fy22 = one(later, 2022)
    assert (fy22["revenue"], fy22["assets"]) == (90, 480)  # replaced, not 100 + 90
    assert fy22["filed"] == date(2023, 3, 1)  # the year first became known with the original 10-K
    assert later["revenue"].sum() == 90 + 120
    assert pd.isna(one(later, 2023)["roa_asreported"])  # no net income reported

    before = annual_statements(facts, date(2023, 12, 31))
    assert list(before["fiscal_year"]) == [2022]
    assert (one(before, 2022)["revenue"], one(before, 2022)["assets"]) == (100, 500)


def test_same_day_filings_keep_the_later_accession() -> None:
    filed, end = date(2024, 3, 1), date(2023, 12, 31)
    start = end - timedelta(days=364)
    rows = [
        fact("Revenues", end, 222, filed, start=start, form="10-K/A", accession="0000001001-24-000009"),
        fact("Revenues", end, 111, filed, start=start, form="10-K", accession="0000001001-24-000002"),
    ]
    out = annual_statements(frame(rows), AS_OF)
    assert one(out, 2023)["revenue"] == 222
    out = annual_statements(frame(rows[::-1]), AS_OF)
    assert one(out, 2023)["revenue"] == 222


def test_a_year_appears_on_its_10k_filed_date_not_a_day_before() -> None:
    books = {y: {"Revenues": 100 + y - 2020, "Assets": 1000} for y in (2022, 2023, 2024)}
    filed_2024 = date(2025, 2, 20)
    facts = frame(ten_k(2023, books) + ten_k(2024, books, filed=filed_2024))

    day_before = annual_statements(facts, filed_2024 - timedelta(days=1))
    assert 2024 not in set(day_before["fiscal_year"])
    assert fiscal_year_zero(day_before).to_dict() == {CIK: 2023}

    on_the_day = annual_statements(facts, filed_2024)
    assert one(on_the_day, 2024)["revenue"] == 104
    assert fiscal_year_zero(on_the_day).to_dict() == {CIK: 2024}


def test_quarterly_facts_do_not_make_annual_rows() -> None:
    q_end, q_filed = date(2024, 3, 31), date(2024, 5, 10)
    quarter = [
        fact("Revenues", q_end, 30, q_filed, start=date(2024, 1, 1), form="10-Q"),  # 91 days
        fact("Assets", q_end, 1100, q_filed, form="10-Q"),
    ]
    assert annual_statements(frame(quarter), AS_OF).empty

    annual = ten_k(2023, {2023: {"Revenues": 100, "Assets": 1000}})
    # A 10-K's own fourth-quarter figure, and a 10-Q instant at the year end with another value.
    q4 = fact("Revenues", date(2023, 12, 31), 28, date(2024, 3, 1), start=date(2023, 10, 1))
    q1_comparative = fact("Assets", date(2023, 12, 31), 999, q_filed, form="10-Q")
    out = annual_statements(frame([*quarter, *annual, q4, q1_comparative]), AS_OF)
    assert list(out["fiscal_year"]) == [2023]
    row = one(out, 2023)
    assert (row["revenue"], row["assets"]) == (100, 1000)


# Six years of accounts with R&D, small enough to check by hand.
YEARS = (2019, 2020, 2021, 2022, 2023, 2024)
BOOKS = {
    y: {
        "Revenues": rev, "OperatingIncomeLoss": op, "ResearchAndDevelopmentExpense": rd,
        "IncomeLossFromContinuingOperationsBeforeIncomeTaxesExtraordinaryItemsNoncontrollingInterest": pre,
        "IncomeTaxExpenseBenefit": tax, "NetIncomeLoss": pre - tax, "Assets": assets,
        "AccountsPayableCurrent": ap, "AccruedLiabilitiesCurrent": acc, "CashAndCashEquivalentsAtCarryingValue": cash,
    }
    for y, rev, op, rd, pre, tax, assets, ap, acc, cash in zip(
        YEARS,
        (1000, 1100, 1200, 1300, 1500, 2000),  # revenue
        (50, 55, 60, 70, 80, 100),  # operating income
        (10, 20, 30, 40, 50, 60),  # R&D
        (40, 45, 50, 60, 64, 80),  # pretax
        (8, 9, 10, 12, 16, 16),  # tax
        (500, 600, 700, 800, 900, 1000),  # assets
        (20, 25, 30, 35, 40, 50),  # payables
        (10, 10, 15, 15, 20, 30),  # accrued
        (50, 50, 50, 50, 50, 100),  # cash
        strict=True,
    )
}  # fmt: skip


def six_years() -> pd.DataFrame:
    return frame([r for y in YEARS for r in ten_k(y, BOOKS)])


def test_uniform_numbers_by_hand() -> None:
    out = annual_statements(six_years(), AS_OF)
    assert list(out["fiscal_year"]) == list(YEARS)
    fy24, fy23, fy19 = one(out, 2024), one(out, 2023), one(out, 2019)

    # FY2024, N = 5: R&D of 2019-2023 amortised, 2020-2024 unamortised.
    assert fy24["rd_amortisation"] == pytest.approx((50 + 40 + 30 + 20 + 10) / 5)
    assert fy24["rd_unamortised"] == pytest.approx(60 + 50 * 4 / 5 + 40 * 3 / 5 + 30 * 2 / 5 + 20 * 1 / 5)  # 140
    assert fy24["rd_years_known"] == 5
    assert fy24["tax_rate"] == pytest.approx(16 / 80)
    assert fy24["adj_earnings"] == pytest.approx((100 + 60 - 30) * (1 - 0.2))  # 104
    assert fy24["excess_cash"] == pytest.approx(100 - 0.02 * 2000)  # 60
    assert fy24["adj_assets"] == pytest.approx(1000 - (50 + 30) - 60 + 140)  # 1000

    # FY2023 needs the R&D of 2018-2022; 2018 is not in the data, so its adjusted figures are not built with a
    # zero for 2018 (issue 15, point 2): null, with the reason. Its as-reported ROA stands.
    assert fy23["rd_years_known"] == 4
    assert fy23["tax_rate"] == pytest.approx(16 / 64)
    for column in ("rd_amortisation", "rd_unamortised", "adj_earnings", "adj_assets", "roa_adjusted"):
        assert np.isnan(fy23[column]), column
    assert (
        fy23["adjusted_reason"] == "R&D history: 4 of 5 prior fiscal years known (capitalised R&D needs FY2018-FY2022)"
    )
    assert fy23["roa_asreported"] == pytest.approx((64 - 16) / ((800 + 900) / 2))

    # FY2024's opening adjusted assets (FY2023's) are unknown, so its ROA is on closing assets, and says so.
    assert fy24["assets_basis"] == "closing"
    assert fy24["roa_adjusted"] == pytest.approx(104 / 1000)
    assert pd.isna(fy24["adjusted_reason"])
    assert fy24["roa_asreported"] == pytest.approx((80 - 16) / ((900 + 1000) / 2))

    # The first year: nothing before it, so no adjusted ROA at all.
    assert fy19["rd_years_known"] == 0
    assert np.isnan(fy19["roa_adjusted"])
    assert fy19["roa_asreported"] == pytest.approx((40 - 8) / 500)


def test_rd_history_with_the_year_before_known_gives_the_mean_basis() -> None:
    """With FY2018 in the data, FY2023's capitalised R&D is known (930 by hand) and FY2024 is on mean assets."""
    books = {**BOOKS, 2018: {**BOOKS[2019], "ResearchAndDevelopmentExpense": 5}}
    out = annual_statements(frame([r for y in (2018, *YEARS) for r in ten_k(y, books)]), AS_OF)
    fy23, fy24 = one(out, 2023), one(out, 2024)
    assert fy23["rd_amortisation"] == pytest.approx((40 + 30 + 20 + 10 + 5) / 5)
    assert fy23["rd_unamortised"] == pytest.approx(50 + 40 * 4 / 5 + 30 * 3 / 5 + 20 * 2 / 5 + 10 * 1 / 5)  # 110
    assert fy23["adj_earnings"] == pytest.approx((80 + 50 - 21) * (1 - 0.25))
    assert fy23["adj_assets"] == pytest.approx(900 - (40 + 20) - (50 - 0.02 * 1500) + 110)  # 930
    assert fy24["assets_basis"] == "mean"
    assert fy24["roa_adjusted"] == pytest.approx(104 / ((930 + 1000) / 2))


def test_a_company_without_rd_needs_no_rd_history() -> None:
    books = {y: {k: v for k, v in b.items() if k != "ResearchAndDevelopmentExpense"} for y, b in BOOKS.items()}
    out = annual_statements(frame([r for y in YEARS for r in ten_k(y, books)]), AS_OF)
    fy19 = one(out, 2019)
    assert pd.isna(fy19["adjusted_reason"])
    adj_assets_19 = 500 - (20 + 10) - (50 - 0.02 * 1000)
    assert fy19["roa_adjusted"] == pytest.approx(50 * (1 - 0.2) / adj_assets_19)


def test_rd_years_and_operating_cash_are_parameters() -> None:
    out = annual_statements(six_years(), AS_OF, Adjustments(rd_years=3, operating_cash=0.05))
    fy24 = one(out, 2024)
    assert fy24["rd_amortisation"] == pytest.approx((50 + 40 + 30) / 3)
    assert fy24["rd_unamortised"] == pytest.approx(60 + 50 * 2 / 3 + 40 * 1 / 3)
    assert fy24["rd_years_known"] == 3
    assert fy24["excess_cash"] == pytest.approx(max(100 - 0.05 * 2000, 0))  # 0
    assert one(out, 2020)["excess_cash"] == pytest.approx(max(50 - 0.05 * 1100, 0))  # 0
    with pytest.raises(ValueError, match="rd_years"):
        Adjustments(rd_years=0)


ADJUSTED = ["adj_earnings", "adj_assets", "roa_adjusted", "assets_basis", "rd_amortisation", "rd_unamortised",
            "adjusted_reason"]  # fmt: skip


@pytest.mark.parametrize("switch", ["capitalise_rd", "subtract_operating_liabilities", "subtract_excess_cash"])
def test_each_switch_changes_exactly_its_part(switch: str) -> None:
    # Five earlier years (2014-2018, R&D 10 each) give every year from 2019 on its full R&D history.
    early = {y: {**BOOKS[2019]} for y in range(2014, 2019)}
    books = {**early, **BOOKS}
    facts = frame([r for y in (*early, *YEARS) for r in ten_k(y, books)])
    on = annual_statements(facts, AS_OF)
    off = annual_statements(facts, AS_OF, Adjustments(**{switch: False}))
    on, off = (x[x["fiscal_year"] >= 2019].reset_index(drop=True) for x in (on, off))
    # Everything but the adjusted columns is untouched.
    pd.testing.assert_frame_equal(on.drop(columns=ADJUSTED), off.drop(columns=ADJUSTED))
    assert on["adj_earnings"].notna().all() and on["adj_assets"].notna().all()
    assets_change = off["adj_assets"] - on["adj_assets"]
    if switch == "capitalise_rd":
        np.testing.assert_allclose(assets_change, -on["rd_unamortised"])
        assert one(on, 2019)["rd_amortisation"] == pytest.approx(10)
        np.testing.assert_allclose(off["adj_earnings"], on["operating_income"] * (1 - on["tax_rate"]))
        assert one(off, 2024)["adj_earnings"] == pytest.approx(100 * (1 - 0.2))
        assert one(off, 2024)["adj_assets"] == pytest.approx(1000 - (50 + 30) - 60)
    else:
        part = on["payables"] + on["accrued"] if switch == "subtract_operating_liabilities" else on["excess_cash"]
        np.testing.assert_allclose(assets_change, part)
        np.testing.assert_allclose(off["adj_earnings"], on["adj_earnings"])
    assert (assets_change != 0).any()
    expected = off["adj_earnings"] / ((off["adj_assets"].shift(1) + off["adj_assets"]) / 2)
    np.testing.assert_allclose(off["roa_adjusted"].iloc[1:], expected.iloc[1:])


def pretax_and_tax(cik: int, pretax: float | None, tax: float | None) -> list[dict]:
    values = {"Revenues": 100.0, "Assets": 1000.0}
    if pretax is not None:
        values["IncomeLossFromContinuingOperationsBeforeIncomeTaxesExtraordinaryItemsNoncontrollingInterest"] = pretax
    if tax is not None:
        values["IncomeTaxExpenseBenefit"] = tax
    return year_facts(date(2023, 12, 31), values, date(2024, 3, 1), cik=cik)


@pytest.mark.parametrize(
    ("pretax", "tax", "rate"),
    [
        (100, 21, 0.21),
        (100, 50, 0.35),  # clipped at 35%
        (100, -10, 0.0),  # a tax benefit on a profit: clipped at 0
        (-100, 10, 0.25),  # a loss: undefined
        (0, 0, 0.25),
        (100, None, 0.25),
        (None, 5, 0.25),
    ],
)
def test_tax_rate_is_clipped_and_defaults_to_a_quarter(pretax: float | None, tax: float | None, rate: float) -> None:
    out = annual_statements(frame(pretax_and_tax(CIK, pretax, tax)), AS_OF)
    assert one(out, 2023)["tax_rate"] == pytest.approx(rate)


def test_operating_income_is_derived_from_pretax_and_interest_only_when_not_tagged() -> None:
    pre = "IncomeLossFromContinuingOperationsBeforeIncomeTaxesExtraordinaryItemsNoncontrollingInterest"
    end, filed = date(2023, 12, 31), date(2024, 3, 1)
    derived = year_facts(end, {pre: 80, "InterestExpenseNonoperating": 20}, filed)
    tagged = year_facts(end, {pre: 80, "InterestExpense": 20, "OperatingIncomeLoss": 95}, filed, cik=2)
    out = annual_statements(frame(derived + tagged), AS_OF)
    assert one(out, 2023)["operating_income"] == 80 + 20
    assert one(out, 2023)["operating_income_concept"] == "derived: pretax + interest"
    assert one(out, 2023)["interest_concept"] == "InterestExpenseNonoperating"
    assert one(out, 2023, cik=2)["operating_income"] == 95
    assert one(out, 2023, cik=2)["operating_income_concept"] == "OperatingIncomeLoss"
    # No R&D fact: R&D is 0 with no concept.
    assert one(out, 2023)["rd"] == 0 and pd.isna(one(out, 2023)["rd_concept"])


@pytest.mark.parametrize(
    ("balances", "debt", "concept"),
    [
        ({"LongTermDebtNoncurrent": 80, "LongTermDebtCurrent": 20, "ShortTermBorrowings": 5}, 80 + 20 + 5,
         "LongTermDebtNoncurrent+LongTermDebtCurrent+ShortTermBorrowings"),
        ({"LongTermDebt": 100, "ShortTermBorrowings": 7}, 100 + 7, "LongTermDebt+ShortTermBorrowings"),
        # Short-term borrowings equal to the current part inside LongTermDebt are that part (Marvell tags it so).
        ({"LongTermDebt": 100, "LongTermDebtNoncurrent": 80, "ShortTermBorrowings": 20}, 100, "LongTermDebt"),
        ({"DebtLongtermAndShorttermCombinedAmount": 100, "ShortTermBorrowings": 7}, 100,
         "DebtLongtermAndShorttermCombinedAmount"),
        ({"ShortTermBorrowings": 7}, 7, "ShortTermBorrowings"),
        ({}, None, None),
    ],
)  # fmt: skip
def test_total_debt(balances: dict[str, float], debt: float | None, concept: str | None) -> None:
    values = {"Revenues": 100.0, **balances}
    out = annual_statements(frame(year_facts(date(2023, 12, 31), values, date(2024, 3, 1))), AS_OF)
    row = one(out, 2023)
    if debt is None:
        assert pd.isna(row["debt"]) and pd.isna(row["debt_concept"])
    else:
        assert row["debt"] == debt and row["debt_concept"] == concept
    # Preferred stock and minority interest a company does not report are 0.
    assert (row["preferred"], row["minority_interest"]) == (0, 0)


def test_variable_rate_share_is_a_fraction() -> None:
    end, filed = date(2023, 12, 31), date(2024, 3, 1)
    share = "LongTermDebtPercentageBearingVariableInterestRate"
    rows = [
        *year_facts(end, {"Revenues": 1}, filed),
        fact(share, end, 0.4, filed, unit="pure"),
        *year_facts(end, {"Revenues": 1}, filed, cik=2),
        fact(share, end, 45, filed, unit="pure", cik=2),
        *year_facts(end, {"Revenues": 1}, filed, cik=3),
    ]
    out = annual_statements(frame(rows), AS_OF)
    assert one(out, 2023)["variable_rate_debt_share"] == pytest.approx(0.4)
    assert one(out, 2023, cik=2)["variable_rate_debt_share"] == pytest.approx(0.45)
    assert pd.isna(one(out, 2023, cik=3)["variable_rate_debt_share"])


def test_a_year_ending_january_to_may_is_the_year_before_and_a_changed_year_end_keeps_the_later() -> None:
    """Issue 15, point 6: a year ending 2025-02-01 (a retailer's) is fiscal 2024 (Compustat), not 2025."""
    january = year_facts(date(2025, 2, 1), {"Revenues": 10}, date(2025, 3, 12))
    may = year_facts(date(2025, 5, 31), {"Revenues": 11}, date(2025, 7, 30), cik=3)
    early_june = year_facts(date(2025, 6, 1), {"Revenues": 12}, date(2025, 7, 30), cik=4)  # 52/53 weeks: May's
    july = year_facts(date(2025, 6, 28), {"Revenues": 13}, date(2025, 8, 30), cik=5)
    # Year end moved from June to December: two ends in 2023 (the second a 10-KT with an annual comparative).
    june = year_facts(date(2023, 6, 30), {"Revenues": 20}, date(2023, 8, 30), cik=2)
    december = year_facts(date(2023, 12, 31), {"Revenues": 21}, date(2024, 3, 1), cik=2, form="10-KT")
    out = annual_statements(frame(january + june + december + may + early_june + july), AS_OF)
    assert one(out, 2024)["period_end"] == date(2025, 2, 1)
    assert one(out, 2024, cik=3)["revenue"] == 11
    assert one(out, 2024, cik=4)["revenue"] == 12
    assert one(out, 2025, cik=5)["revenue"] == 13
    assert one(out, 2023, cik=2)["period_end"] == date(2023, 12, 31)
    assert one(out, 2023, cik=2)["revenue"] == 21


def test_ifrs_and_non_usd_facts_give_no_rows() -> None:
    ifrs = year_facts(date(2023, 12, 31), {"Revenues": 10, "Assets": 100}, date(2024, 4, 1), taxonomy="ifrs-full")
    euro = year_facts(date(2023, 12, 31), {"Revenues": 10}, date(2024, 4, 1), unit="EUR", cik=2)
    out = annual_statements(frame(ifrs + euro), AS_OF)
    assert out.empty and list(out.columns) == COLUMNS
    assert fiscal_year_zero(out).empty


def test_dates_as_date_objects_datetime64_or_timestamps_give_the_same_rows() -> None:
    facts = six_years()
    expected = annual_statements(facts, AS_OF)
    as_datetime64 = facts.assign(**{c: pd.to_datetime(facts[c]) for c in ("period_start", "period_end", "filed")})
    assert str(as_datetime64["filed"].dtype).startswith("datetime64")
    as_timestamps = as_datetime64.astype({c: object for c in ("period_start", "period_end", "filed")})
    assert isinstance(as_timestamps["filed"].iloc[0], pd.Timestamp)
    pd.testing.assert_frame_equal(annual_statements(as_datetime64, AS_OF), expected)
    pd.testing.assert_frame_equal(annual_statements(as_timestamps, AS_OF), expected)


def test_ticker_is_the_latest_known() -> None:
    books = {y: {"Revenues": 1} for y in (2022, 2023, 2024)}
    rows = ten_k(2022, books, ticker="OLD") + ten_k(2023, books, ticker="NEW") + ten_k(2024, books, ticker=None)
    assert set(annual_statements(frame(rows), AS_OF)["ticker"]) == {"NEW"}
    assert set(annual_statements(frame(rows), date(2023, 6, 1))["ticker"]) == {"OLD"}


# --- real SEC payloads ---


def _payload(path: Path) -> bytes:
    if not path.is_file():
        pytest.skip(f"needs ../shared/fixtures: {path} not found (../shared/fixtures is absent on this machine)")
    return path.read_bytes()


def _annual_values(doc: dict, concept: str, end: str, as_of: date) -> list[tuple[str, str, float]]:
    """(filed, accession, value) of a us-gaap USD fact from a 10-K ending on `end` and filed by as_of, in filing order;
    annual durations only for income items, instants only for balances."""
    body = doc["facts"]["us-gaap"].get(concept, {"units": {}})["units"].get("USD", [])
    out = []
    for item in body:
        if item["end"] != end or item.get("form") not in ("10-K", "10-K/A") or item["filed"] > as_of.isoformat():
            continue
        if "start" in item:
            days = (date.fromisoformat(item["end"]) - date.fromisoformat(item["start"])).days + 1
            if not 340 <= days <= 390:
                continue
        out.append((item["filed"], item.get("accn", ""), float(item["val"])))
    return sorted(out)


@pytest.mark.fixtures
def test_marvell_companyfacts() -> None:
    raw = _payload(MARVELL)
    doc = json.loads(raw)
    facts = parse_companyfacts(raw, origin=MARVELL.name, ticker="MRVL")[0].to_pandas()
    as_of = max(date.fromisoformat(i["filed"]) for i in doc["facts"]["us-gaap"]["Assets"]["units"]["USD"])
    out = annual_statements(facts, as_of)

    # The latest fiscal year end of an annual revenue fact in a 10-K, read straight from the JSON.
    revenue_concept = next(c for c in CONCEPTS["revenue"] if c in doc["facts"]["us-gaap"])
    end = max(
        i["end"] for i in doc["facts"]["us-gaap"][revenue_concept]["units"]["USD"]
        if i.get("form") == "10-K" and "start" in i and _annual_values(doc, revenue_concept, i["end"], as_of)
    )  # fmt: skip
    assert end[5:7] in ("01", "02")  # Marvell's years end late January or early February
    # Named by the calendar year before (Compustat), which Marvell itself calls the year after.
    row = one(out, int(end[:4]) - 1, cik=int(doc["cik"]))
    assert row["period_end"] == date.fromisoformat(end)
    assert row["ticker"] == "MRVL"
    assert row["revenue_concept"] == revenue_concept
    assert row["revenue"] == _annual_values(doc, revenue_concept, end, as_of)[-1][2]
    assert row["assets"] == _annual_values(doc, "Assets", end, as_of)[-1][2]
    assert row["filed"] == date.fromisoformat(_annual_values(doc, revenue_concept, end, as_of)[0][0])
    assert row["assets_basis"] == "mean" and np.isfinite(row["roa_adjusted"])

    # Marvell's ShortTermBorrowings is the current part of LongTermDebt: borrowings are LongTermDebt alone; debt
    # adds the operating lease liability (noncurrent + current, no total tagged).
    ltd, noncurrent, short = (_annual_values(doc, c, end, as_of)[-1][2]
                              for c in ("LongTermDebt", "LongTermDebtNoncurrent", "ShortTermBorrowings"))  # fmt: skip
    assert short == pytest.approx(ltd - noncurrent)
    assert (row["borrowings"], row["debt_concept"].split("+")[0]) == (ltd, "LongTermDebt")
    assert row["debt"] == pytest.approx(ltd + row["lease_liabilities"])

    # One day before that 10-K the year does not exist yet.
    filed = date.fromisoformat(_annual_values(doc, revenue_concept, end, as_of)[0][0])
    assert fiscal_year_zero(annual_statements(facts, filed - timedelta(days=1))).iloc[0] == int(end[:4]) - 2

    # A comparative the next 10-K changed (rounded to millions): the value known at each date.
    ends = {i["end"] for i in doc["facts"]["us-gaap"][revenue_concept]["units"]["USD"]}
    history = {e: _annual_values(doc, revenue_concept, e, as_of) for e in sorted(ends)}
    changed = [(e, v) for e, v in history.items() if len({x[2] for x in v}) > 1]
    if not changed:
        pytest.skip("no restated revenue in this payload")
    e, values = changed[0]
    first_filed = date.fromisoformat(values[0][0])
    label = int(fiscal_year_of(np.array([np.datetime64(e, "D").astype("int64")]))[0])
    assert one(annual_statements(facts, first_filed), label, int(doc["cik"]))["revenue"] == values[0][2]
    assert one(out, label, int(doc["cik"]))["revenue"] == values[-1][2]


@pytest.mark.fixtures
def test_ifrs_filer_has_no_rows() -> None:
    raw = _payload(IFRS_FILER)
    facts = parse_companyfacts(raw, origin=IFRS_FILER.name)[0].to_pandas()
    assert len(facts) > 0 and "us-gaap" not in set(facts["taxonomy"])
    assert annual_statements(facts, date(2030, 1, 1)).empty


# --- the demo market ---


@pytest.fixture(scope="module")
def demo_facts() -> pd.DataFrame:
    from sources.demo import DemoSource

    source = DemoSource(n_small=50, n_large=10)
    return source.fetch(Request("fundamentals", date(2019, 7, 1), date(2025, 6, 30))).to_pandas()


def test_demo_statements_are_plausible_and_match_the_raw_facts(demo_facts: pd.DataFrame) -> None:
    from sources.demo.fundamentals import REVENUE_CONCEPTS

    as_of = date(2025, 6, 30)
    out = annual_statements(demo_facts, as_of)
    assert out["cik"].nunique() >= 40
    assert out["assets"].notna().all()
    assert out["revenue_concept"].isin(REVENUE_CONCEPTS).all()
    medians = out.groupby("fiscal_year")["roa_adjusted"].agg(["median", "size"])
    medians = medians[medians["size"] >= 10]
    assert len(medians) >= 5
    assert medians["median"].between(-0.05, 0.15).all(), medians

    # FY0 is the last fiscal year of a 10-K filed on or before as_of, named by fiscal_year_of its last period end.
    known = demo_facts[(pd.to_datetime(demo_facts["filed"]).dt.date <= as_of) & demo_facts["period_start"].notna()]
    last_end = pd.to_datetime(known.groupby("cik")["period_end"].max()).to_numpy().astype("datetime64[D]")
    expected_fy0 = pd.Series(fiscal_year_of(last_end.astype("int64")), index=known.groupby("cik").size().index)
    pd.testing.assert_series_equal(fiscal_year_zero(out), expected_fy0.astype("int64"), check_names=False)

    # Each year's revenue and assets are the latest filed value ending on its period end (restatements replace).
    raw = demo_facts[demo_facts["taxonomy"] == "us-gaap"].sort_values(["filed", "accession"])
    latest = raw.drop_duplicates(["cik", "concept", "period_end"], keep="last")
    for concept, column in (("Assets", "assets"), ("OperatingIncomeLoss", "operating_income")):
        want = latest[latest["concept"] == concept].set_index(["cik", "period_end"])["value"]
        got = out.set_index(["cik", pd.Index(out["period_end"].tolist(), name="period_end")])[column]
        np.testing.assert_array_equal(got.to_numpy(), want.reindex(got.index).to_numpy())
    restated = raw.groupby(["cik", "concept", "period_end"])["value"].nunique()
    assert (restated > 1).any(), "the demo should hold at least one restated comparative"


def test_a_52_53_week_year_ending_in_the_first_days_of_january_is_the_year_before() -> None:
    # Years ending Sunday 2022-01-02 and Sunday 2023-01-01 are fiscal 2021 and 2022: both kept, neither dropped.
    rows = year_facts(date(2022, 1, 2), {"Revenues": 100, "Assets": 400}, date(2022, 3, 1))
    rows += year_facts(date(2023, 1, 1), {"Revenues": 110, "Assets": 420}, date(2023, 3, 1))
    # A retailer's year ending 2024-02-03 is fiscal 2023 (Compustat: January to May ends are the year before).
    rows += year_facts(date(2024, 2, 3), {"Revenues": 50, "Assets": 90}, date(2024, 4, 1), cik=2)
    out = annual_statements(frame(rows), AS_OF)
    assert one(out, 2021)["revenue"] == 100 and one(out, 2022)["revenue"] == 110
    assert one(out, 2023, cik=2)["revenue"] == 50


@pytest.mark.fixtures
def test_marvell_uniform_roa_by_hand_from_the_filing() -> None:
    """Marvell's fiscal year ended 2026-01-31 (fiscal 2025 by the Compustat convention; Marvell calls it 2026), from
    its companyfacts. Every number below was read from the JSON by hand (us-gaap, USD, form 10-K, the latest filing
    of each value: accession 0001835632-26-000011 filed 2026-03-11, else the one named), in millions:
      FY2025 (2025-02-02..2026-01-31): revenue (RevenueFromContractWithCustomerExcludingAssessedTax) 8,194.6,
        OperatingIncomeLoss 1,322.9, ResearchAndDevelopmentExpense 2,075.2, IncomeTaxExpenseBenefit 376.5,
        pretax 3,046.6; at 2026-01-31: Assets 22,285.3, AccountsPayableCurrent 1,073.8,
        AccruedLiabilitiesCurrent 1,337.1, CashAndCashEquivalentsAtCarryingValue 2,638.8, LongTermDebt 4,470.6
        (LongTermDebtNoncurrent 3,970.8, so ShortTermBorrowings 499.8 is its current part), OperatingLeaseLiability
        319.7.
      FY2024 (..2025-02-01): revenue 5,767.3, R&D 1,950.4; Assets 20,204.5, payables 622.2, accrued 972.6, cash 948.3.
      R&D of the years before: FY2023 (..2024-02-03) 1,896.2; FY2022 (..2023-01-28, filed 2025-03-12) 1,784.3;
        FY2021 (..2022-01-29, filed 2024-03-13) 1,424.2; FY2020 (..2021-01-30, filed 2023-03-09) 1,072.7;
        FY2019 (..2020-02-01, filed 2022-03-10) 1,080.391.
    """
    raw = _payload(MARVELL)
    facts = parse_companyfacts(raw, origin=MARVELL.name, ticker="MRVL")[0].to_pandas()
    out = annual_statements(facts, date(2026, 6, 30))
    cik = 1835632
    fy25, fy24 = one(out, 2025, cik=cik), one(out, 2024, cik=cik)
    assert fy25["period_end"] == date(2026, 1, 31) and fy24["period_end"] == date(2025, 2, 1)

    amortisation = (1950.4 + 1896.2 + 1784.3 + 1424.2 + 1072.7) / 5  # 1,625.56
    unamortised = 2075.2 + 1950.4 * 4 / 5 + 1896.2 * 3 / 5 + 1784.3 * 2 / 5 + 1424.2 / 5  # 5,771.8
    tax_rate = 376.5 / 3046.6  # 12.36%, inside [0, 35%]
    adj_earnings = (1322.9 + 2075.2 - amortisation) * (1 - tax_rate)  # 1,553.49
    excess_cash = 2638.8 - 0.02 * 8194.6  # 2,474.908
    adj_assets = 22285.3 - 1073.8 - 1337.1 - excess_cash + unamortised  # 23,171.292
    unamortised_24 = 1950.4 + 1896.2 * 4 / 5 + 1784.3 * 3 / 5 + 1424.2 * 2 / 5 + 1072.7 / 5  # 5,322.16
    adj_assets_24 = 20204.5 - 622.2 - 972.6 - (948.3 - 0.02 * 5767.3) + unamortised_24  # 23,098.906
    roa = adj_earnings / ((adj_assets_24 + adj_assets) / 2)  # 6.715%

    m = 1e6
    assert fy25["rd_years_known"] == 5 and pd.isna(fy25["adjusted_reason"])
    assert fy25["rd_amortisation"] == pytest.approx(amortisation * m, rel=1e-9)
    assert fy25["rd_unamortised"] == pytest.approx(unamortised * m, rel=1e-9)
    assert fy25["tax_rate"] == pytest.approx(tax_rate, rel=1e-9)
    assert fy25["adj_earnings"] == pytest.approx(adj_earnings * m, rel=1e-9)
    assert fy25["adj_assets"] == pytest.approx(adj_assets * m, rel=1e-9)
    assert fy24["adj_assets"] == pytest.approx(adj_assets_24 * m, rel=1e-9)
    assert fy25["assets_basis"] == "mean"
    assert abs(fy25["roa_adjusted"] - roa) < 0.0005  # the product's bar: 0.05 points
    assert fy25["roa_adjusted"] == pytest.approx(roa, rel=1e-9)
    assert fy25["roa_asreported"] == pytest.approx(2670.1 / ((20204.5 + 22285.3) / 2), rel=1e-9)
    # Debt: LongTermDebt (its current part is the ShortTermBorrowings line) + the operating lease liability.
    assert fy25["borrowings"] == pytest.approx(4470.6 * m)
    assert fy25["lease_liabilities"] == pytest.approx(319.7 * m)
    assert fy25["debt"] == pytest.approx((4470.6 + 319.7) * m)
    assert fy25["debt_concept"] == "LongTermDebt+OperatingLeaseLiability"
    assert pd.isna(fy25["debt_flag"])
    # FY2022 needs the R&D of FY2017-FY2021; the payload starts at FY2019: no adjusted ROA, and the reason.
    fy22 = one(out, 2022, cik=cik)
    assert np.isnan(fy22["roa_adjusted"])
    assert (
        fy22["adjusted_reason"] == "R&D history: 3 of 5 prior fiscal years known (capitalised R&D needs FY2017-FY2021)"
    )


def _balance(values: dict[str, float], cik: int) -> list[dict]:
    income = {"Revenues": 1000.0, "OperatingIncomeLoss": 100.0, "Assets": 2000.0}
    return year_facts(date(2023, 12, 31), {**income, **values}, date(2024, 3, 1), cik=cik)


@pytest.mark.parametrize(
    ("values", "borrowings", "leases", "concept"),
    [
        # A small cap tagging no total: convertible notes (noncurrent + current) and notes payable, summed.
        ({"ConvertibleDebtNoncurrent": 300, "ConvertibleNotesPayableCurrent": 20, "NotesPayable": 50}, 370, None,
         "ConvertibleDebtNoncurrent+ConvertibleNotesPayableCurrent+NotesPayable"),
        # A drawn revolver beside long-term debt, and finance plus operating leases.
        ({"LongTermDebt": 400, "LineOfCredit": 60, "OperatingLeaseLiability": 80, "FinanceLeaseLiabilityNoncurrent": 15,
          "FinanceLeaseLiabilityCurrent": 5}, 460, 100,
         "LongTermDebt+LineOfCredit+OperatingLeaseLiability+FinanceLeaseLiabilityNoncurrent+FinanceLeaseLiabilityCurrent"),
        # Noncurrent debt with its current portion tagged only as DebtCurrent.
        ({"LongTermDebtNoncurrent": 250, "DebtCurrent": 30}, 280, None, "LongTermDebtNoncurrent+DebtCurrent"),
        # The combined total already holds short-term borrowings and credit lines: nothing is added twice.
        ({"DebtLongtermAndShorttermCombinedAmount": 500, "ShortTermBorrowings": 40, "LineOfCredit": 40}, 500, None,
         "DebtLongtermAndShorttermCombinedAmount"),
    ],
)  # fmt: skip
def test_debt_lines_small_caps_tag_are_summed_once(
    values: dict[str, float], borrowings: float, leases: float | None, concept: str
) -> None:
    row = one(annual_statements(frame(_balance(values, 7)), AS_OF), 2023, cik=7)
    assert row["borrowings"] == borrowings
    assert np.isnan(row["lease_liabilities"]) if leases is None else row["lease_liabilities"] == leases
    assert row["debt"] == borrowings + (leases or 0)
    assert row["debt_concept"] == concept


def test_interest_paid_without_tagged_debt_is_flagged_and_leases_can_be_left_out() -> None:
    rows = _balance({"InterestExpense": 12, "OperatingLeaseLiability": 90, "OperatingLeaseRightOfUseAsset": 85}, 8)
    out = one(annual_statements(frame(rows), AS_OF), 2023, cik=8)
    assert out["debt_flag"] == "interest expense but no debt tagged"
    assert np.isnan(out["borrowings"]) and out["debt"] == 90
    # Leases not as debt: no lease debt, and the right-of-use asset leaves the asset base (2000 - 85).
    off = one(annual_statements(frame(rows), AS_OF, Adjustments(leases_as_debt=False, capitalise_rd=False,
                                                               subtract_excess_cash=False)), 2023, cik=8)  # fmt: skip
    assert np.isnan(off["debt"]) and pd.isna(off["debt_concept"])
    assert off["adj_assets"] == 2000 - 85


def test_a_bank_s_operating_income_is_its_pretax_income() -> None:
    values = {
        "Revenues": 500.0, "Assets": 10000.0, "InterestExpense": 120.0,
        "IncomeLossFromContinuingOperationsBeforeIncomeTaxesExtraordinaryItemsNoncontrollingInterest": 80.0,
    }  # fmt: skip
    rows = year_facts(date(2023, 12, 31), values, date(2024, 3, 1), cik=9)
    industrial = one(annual_statements(frame(rows), AS_OF), 2023, cik=9)
    bank = one(annual_statements(frame(rows), AS_OF, financial_ciks={9}), 2023, cik=9)
    assert (
        industrial["operating_income"] == 200 and industrial["operating_income_concept"] == "derived: pretax + interest"
    )
    assert bank["operating_income"] == 80 and bank["operating_income_concept"] == "derived: pretax (financial)"
