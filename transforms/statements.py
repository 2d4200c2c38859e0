"""statements: raw us-gaap facts to one row per company and fiscal year, point in time, with Uniform-style ROA.

Pure: frames in, frames out (EEA_MODEL.md 1 and 4). Choices where the spec is silent, each named where it is made:
- only facts of annual forms (ANNUAL_FORMS) give values, so a 10-Q's year-end comparative never overrides the 10-K;
- per (cik, concept, period end) the latest filed annual-length fact wins (tie: the greater accession), whatever its
  period_start, so a restated comparative replaces the original;
- payables and accrued liabilities a company does not tag subtract nothing (their columns stay null);
- debt, like every item but R&D, preferred and minority interest, stays null where no concept is found, and
  `debt_flag` says so where the year has interest expense (debt that is there but untagged);
- fiscal years are named by the Compustat convention: a year ending January to May belongs to the previous
  calendar year (a retailer's year ending 2024-02-03 is fiscal 2023), a 52/53-week year ending in the first
  week of a month counts as ending in the month before;
- capitalised R&D needs the company's R&D of the rd_years years before: where the company reports R&D and one of
  those years is not in the data, the year's adjusted figures are null with `adjusted_reason`, never built
  with zeros; a company that reports no R&D at all needs no history;
- lease liabilities (operating and finance) are debt, their right-of-use assets stay operating assets
  (`Adjustments.leases_as_debt`; switched off, the liabilities are no debt and the right-of-use assets leave
  the asset base).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

TAXONOMY = "us-gaap"
# Forms whose facts are annual figures (amendments and transition reports included).
ANNUAL_FORMS = ("10-K", "10-K/A", "10-KT", "10-KT/A", "20-F", "20-F/A", "40-F", "40-F/A")
# Days into a month a 52/53-week fiscal year may end and still count as ending in the month before.
SPILL_DAYS = 7
# A fiscal year ending in these months (after SPILL_DAYS) is named by the calendar year before (Compustat).
PREVIOUS_YEAR_MONTHS = 5

# Length of an annual duration in days, both ends counted: 52/53-week years are 364 or 371 days.
ANNUAL_DAYS = (340, 390)
# Units of the variable-rate share; every other item is USD.
RATIO_UNITS = ("pure", "percent", "Percent", "%")

CONCEPTS: dict[str, tuple[str, ...]] = {
    # The total where tagged; ASC 606 (2018 on) names; the pre-2018 names; the net top line of banks and brokers.
    "revenue": (
        "Revenues",
        "RevenueFromContractWithCustomerExcludingAssessedTax",
        "RevenueFromContractWithCustomerIncludingAssessedTax",
        "SalesRevenueNet",
        "SalesRevenueGoodsNet",
        "RevenuesNetOfInterestExpense",
    ),
    # Else derived as pretax + interest (DERIVED_OPERATING) where both are known.
    "operating_income": ("OperatingIncomeLoss",),
    # A company without research spending tags nothing: 0, concept null.
    "rd": ("ResearchAndDevelopmentExpense", "ResearchAndDevelopmentExpenseExcludingAcquiredInProcessCost"),
    "tax": ("IncomeTaxExpenseBenefit",),
    # Before tax and before equity-method income; the older name that also excludes minority interest.
    "pretax": (
        "IncomeLossFromContinuingOperationsBeforeIncomeTaxesExtraordinaryItemsNoncontrollingInterest",
        "IncomeLossFromContinuingOperationsBeforeIncomeTaxesMinorityInterestAndIncomeLossFromEquityMethodInvestments",
    ),
    # To the parent; incl. minority interest; to common holders (after preferred dividends) as a last resort.
    "net_income": ("NetIncomeLoss", "ProfitLoss", "NetIncomeLossAvailableToCommonStockholdersBasic"),
    # InterestExpenseNonoperating is the 2024 taxonomy's name for the same line (Marvell switches in FY2025).
    "interest": ("InterestExpense", "InterestExpenseNonoperating", "InterestExpenseDebt"),
    "assets": ("Assets",),
    # The combined line carries accrued liabilities too: accrued is then 0.
    "payables": ("AccountsPayableCurrent", "AccountsPayableAndAccruedLiabilitiesCurrent"),
    "accrued": ("AccruedLiabilitiesCurrent",),
    # Balance-sheet cash; the cash-flow statement's total incl. restricted cash; the pre-2009 name.
    "cash": (
        "CashAndCashEquivalentsAtCarryingValue",
        "CashCashEquivalentsRestrictedCashAndRestrictedCashEquivalents",
        "Cash",
    ),
    # Borrowings = long-term debt including its current maturities, plus short-term borrowings (SHORT_TERM) and lines
    # of credit (CREDIT_LINES) where reported apart, plus lease liabilities (LEASES): see _debt.
    # LongTermDebt includes current maturities; LongTermDebtNoncurrent gets LongTermDebtCurrent (else DebtCurrent)
    # added; DebtLongtermAndShorttermCombinedAmount already holds short-term borrowings. Without any of these, the
    # small-cap lines: convertible notes, notes payable, senior notes (each with its current part, CURRENT_PARTS).
    "debt": (
        "LongTermDebt",
        "LongTermDebtNoncurrent",
        "DebtLongtermAndShorttermCombinedAmount",
        "LongTermDebtAndCapitalLeaseObligations",
    ),
    # Missing -> 0 (most companies have none).
    "preferred": ("PreferredStockValue", "PreferredStockValueOutstanding"),
    "minority_interest": ("MinorityInterest",),
    # To the parent; incl. noncontrolling interest where only that is tagged.
    "equity": ("StockholdersEquity", "StockholdersEquityIncludingPortionAttributableToNoncontrollingInterest"),
    # A fraction of long-term debt at floating rates; values above 1 are percent.
    "variable_rate_debt_share": ("LongTermDebtPercentageBearingVariableInterestRate",),
}
CURRENT_MATURITIES = "LongTermDebtCurrent"
SHORT_TERM = "ShortTermBorrowings"
# Current debt as one line, the current part where LongTermDebtCurrent is not tagged.
DEBT_CURRENT = "DebtCurrent"
# Debt lines of companies that tag no total, each a (total, noncurrent, current) triple: total if tagged, else the
# two parts. Summed across lines (they are distinct instruments).
DEBT_LINES = (
    ("ConvertibleNotesPayable", "ConvertibleDebtNoncurrent", "ConvertibleNotesPayableCurrent"),
    ("NotesPayable", "LongTermNotesPayable", "NotesPayableCurrent"),
    ("SeniorNotes", "SeniorLongTermNotes", None),
)
# Revolving lines drawn: not part of LongTermDebt in the taxonomy, so added to every total but the combined one.
CREDIT_LINES = ("LineOfCredit", "LongTermLineOfCredit", "LineOfCreditCurrent")
# Lease liabilities (ASC 842), total else noncurrent + current; they are debt in EV (Adjustments.leases_as_debt).
LEASES = (
    ("OperatingLeaseLiability", "OperatingLeaseLiabilityNoncurrent", "OperatingLeaseLiabilityCurrent"),
    ("FinanceLeaseLiability", "FinanceLeaseLiabilityNoncurrent", "FinanceLeaseLiabilityCurrent"),
)
# Right-of-use assets of operating leases: left out of the asset base when leases are not debt.
ROU_ASSET = "OperatingLeaseRightOfUseAsset"
DEBT_FLAG = "interest expense but no debt tagged"
DERIVED_OPERATING = "derived: pretax + interest"
# A financial's interest expense is its cost of goods (deposits, funding): its operating income is pretax income.
DERIVED_OPERATING_FINANCIAL = "derived: pretax (financial)"
# Flow items (annual durations ending on the fiscal year end); the rest are instants at it.
DURATION_ITEMS = ("revenue", "operating_income", "rd", "tax", "pretax", "net_income", "interest")
# Items a company without the fact has none of: 0 with the concept null.
ZERO_IF_MISSING = ("rd", "preferred", "minority_interest")

COLUMNS = [
    "cik", "ticker", "fiscal_year", "period_end", "filed",
    *(c for item in CONCEPTS for c in (item, f"{item}_concept")),
    "borrowings", "lease_liabilities", "debt_flag",
    "tax_rate", "rd_amortisation", "rd_unamortised", "rd_years_known", "adj_earnings", "excess_cash", "adj_assets",
    "assets_basis", "roa_adjusted", "roa_asreported", "adjusted_reason",
]  # fmt: skip

# Row keys: cik * SPAN + (day + OFFSET), one sortable integer per (cik, day) for days 1791-2149; times CONCEPT_SPAN
# plus a concept code, one per (cik, day, concept), still within int64 for any 10-digit CIK.
SPAN, OFFSET, CONCEPT_SPAN = 1 << 17, 1 << 16, 1 << 7
_EXTRA = (
    CURRENT_MATURITIES, SHORT_TERM, DEBT_CURRENT, "LongTermDebtAndCapitalLeaseObligationsCurrent",
    *(c for line in (*DEBT_LINES, *LEASES) for c in line if c), *CREDIT_LINES, ROU_ASSET,
)  # fmt: skip
_NAMES = tuple(dict.fromkeys([*(c for cs in CONCEPTS.values() for c in cs), *_EXTRA]))
# Every us-gaap concept annual_statements reads: what a caller must select from the facts.
CONCEPT_NAMES = _NAMES
_CODE = {name: i for i, name in enumerate(_NAMES)}
_IS_DURATION = np.array([any(n in CONCEPTS[i] for i in DURATION_ITEMS) for n in _NAMES])
assert len(_NAMES) <= CONCEPT_SPAN
_RATIO_CODE = _CODE[CONCEPTS["variable_rate_debt_share"][0]]
TAX_CLIP, TAX_DEFAULT = (0.0, 0.35), 0.25
# A null for np.where over object arrays.
_NULL = np.array(None, dtype=object)


@dataclass(frozen=True)
class Adjustments:
    """The Uniform-style adjustments (EEA_MODEL.md 4), each one a switch."""

    capitalise_rd: bool = True
    rd_years: int = 5
    subtract_operating_liabilities: bool = True  # accounts payable + accrued liabilities
    subtract_excess_cash: bool = True
    operating_cash: float = 0.02  # cash above this share of revenue is excess
    leases_as_debt: bool = True  # lease liabilities in debt, right-of-use assets in the asset base

    def __post_init__(self) -> None:
        if self.rd_years < 1:
            raise ValueError(f"rd_years must be at least 1, got {self.rd_years}")
        if not self.operating_cash >= 0:
            raise ValueError(f"operating_cash must be >= 0, got {self.operating_cash}")


def _arrow(values: pd.Series) -> pa.Array:
    arr = pa.array(values)
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _strings(values: pd.Series) -> pa.Array:
    arr = _arrow(values)
    return arr if pa.types.is_string(arr.type) else arr.cast(pa.string())


def _days(values: pd.Series) -> np.ndarray:
    """Dates of any flavour (date objects, datetime64, Timestamps, Arrow date32) as float days since 1970, NaN if null."""
    arr = _arrow(values)
    if not pa.types.is_date32(arr.type):
        arr = pc.cast(arr, pa.date32(), safe=False)
    return arr.cast(pa.int32()).to_numpy(zero_copy_only=False).astype("float64")


def _in(values: pd.Series, allowed: tuple[str, ...]) -> np.ndarray:
    return pc.is_in(_strings(values), value_set=pa.array(allowed)).fill_null(False).to_numpy(zero_copy_only=False)


def _accession_rank(values: pd.Series, rows: np.ndarray) -> np.ndarray:
    """Rank of each selected row's accession in string order (a null ranks first), ranking each distinct value once."""
    encoded = pc.dictionary_encode(_strings(values).take(pa.array(rows)).fill_null(""))
    rank = pc.rank(encoded.dictionary, sort_keys="ascending").to_numpy(zero_copy_only=False).astype("int64")
    return rank[encoded.indices.to_numpy(zero_copy_only=False)]


def _lookup(keys: np.ndarray, probes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Position of each probe in sorted unique `keys` (clipped to a valid index) and whether it is there."""
    if len(keys) == 0:
        return np.zeros(len(probes), dtype="int64"), np.zeros(len(probes), dtype=bool)
    pos = np.minimum(np.searchsorted(keys, probes), len(keys) - 1)
    return pos, keys[pos] == probes


def _last_of_runs(*sorted_keys: np.ndarray) -> np.ndarray:
    """Mask of the last row of each run of equal keys (rows already sorted by them)."""
    n = len(sorted_keys[0])
    last = np.zeros(n, dtype=bool)
    if n:
        last[-1] = True
        for k in sorted_keys:
            last[:-1] |= k[1:] != k[:-1]
    return last


def _dates(days: np.ndarray) -> pd.Series:
    return pd.Series(pa.array(days.astype("datetime64[D]"), pa.date32()), dtype=pd.ArrowDtype(pa.date32()))


def _names(codes: np.ndarray) -> np.ndarray:
    """Concept codes to names, None for -1."""
    return np.array([*_NAMES, None], dtype=object)[np.where(codes >= 0, codes, len(_NAMES))]


def _pick(matrix: np.ndarray, item: str) -> tuple[np.ndarray, np.ndarray]:
    """Per row the value of the first concept of the item's fallback list that has one, and that concept's code."""
    value = np.full(len(matrix), np.nan)
    code = np.full(len(matrix), -1)
    for name in reversed(CONCEPTS[item]):
        column = matrix[:, _CODE[name]]
        has = np.isfinite(column)
        value, code = np.where(has, column, value), np.where(has, _CODE[name], code)
    return value, code


def _column(matrix: np.ndarray, name: str | None) -> np.ndarray:
    return matrix[:, _CODE[name]] if name else np.full(len(matrix), np.nan)


def _line(
    matrix: np.ndarray, total: str | None, noncurrent: str | None, current: str | None
) -> tuple[np.ndarray, np.ndarray]:
    """One debt line: its total where tagged, else noncurrent + current (either alone); NaN and '' where neither."""
    t, nc, cu = (_column(matrix, c) for c in (total, noncurrent, current))
    has_nc, has_cu = np.isfinite(nc), np.isfinite(cu)
    parts = np.where(has_nc | has_cu, np.nan_to_num(nc) + np.nan_to_num(cu), np.nan)
    value = np.where(np.isfinite(t), t, parts)
    part_names = np.where(
        has_nc & has_cu,
        f"{noncurrent}+{current}",
        np.where(has_nc, noncurrent or "", np.where(has_cu, current or "", "")),
    )
    names = np.where(np.isfinite(t), total or "", part_names).astype(object)
    return value, names


def _add(value: np.ndarray, part: np.ndarray, where: np.ndarray) -> np.ndarray:
    return np.where(where, np.nan_to_num(value) + part, value)


def _debt(matrix: np.ndarray) -> dict[str, np.ndarray]:
    """Borrowings and lease liabilities with the concepts summed into each (see CONCEPTS['debt'] and the lines)."""
    value, code = _pick(matrix, "debt")
    names = np.where(code >= 0, _names(code), "").astype(object)
    current = _column(matrix, CURRENT_MATURITIES)
    debt_current = _column(matrix, DEBT_CURRENT)
    noncurrent = _column(matrix, "LongTermDebtNoncurrent")
    on_noncurrent = code == _CODE["LongTermDebtNoncurrent"]
    add_current = on_noncurrent & np.isfinite(current)
    add_debt_current = on_noncurrent & ~np.isfinite(current) & np.isfinite(debt_current)
    value = _add(value, current, add_current)
    value = _add(value, debt_current, add_debt_current)
    names = np.where(add_current, names + f"+{CURRENT_MATURITIES}", names)
    names = np.where(add_debt_current, names + f"+{DEBT_CURRENT}", names)
    # Without a total: the small-cap lines (convertible notes, notes payable, senior notes), distinct instruments.
    no_total = code < 0
    for total, nc, cu in DEBT_LINES:
        line, line_names = _line(matrix, total, nc, cu)
        use = no_total & np.isfinite(line)
        value = _add(value, line, use)
        names = np.where(use, np.where(names != "", names + "+", "") + line_names, names)
    # Some filers (Marvell) tag the current maturities of long-term debt as ShortTermBorrowings: where it equals
    # the current part already inside the total, it is that part, not more debt.
    implied_current = np.where(
        (code == _CODE["LongTermDebt"]) & np.isfinite(noncurrent),
        matrix[:, _CODE["LongTermDebt"]] - noncurrent,
        np.where(np.isfinite(current), current, debt_current),
    )
    combined = code == _CODE["DebtLongtermAndShorttermCombinedAmount"]
    short = _column(matrix, SHORT_TERM)
    same_line = np.isclose(short, implied_current, rtol=1e-9, atol=0.5)
    add_short = np.isfinite(short) & ~combined & ~same_line & ~add_debt_current
    value = _add(value, short, add_short)
    names = np.where(add_short, np.where(names != "", names + "+", "") + SHORT_TERM, names)
    # Drawn credit lines are not in LongTermDebt; the combined total already holds them.
    credit, credit_names = _line(matrix, *CREDIT_LINES)
    counted = np.isclose(credit, short, rtol=1e-9, atol=0.5) & add_short
    add_credit = np.isfinite(credit) & ~combined & ~counted
    value = _add(value, credit, add_credit)
    names = np.where(add_credit, np.where(names != "", names + "+", "") + credit_names, names)
    lease = np.full(len(matrix), np.nan)
    lease_names = np.full(len(matrix), "", dtype=object)
    for total, nc, cu in LEASES:
        line, line_names = _line(matrix, total, nc, cu)
        has = np.isfinite(line)
        lease = _add(lease, line, has)
        lease_names = np.where(has, np.where(lease_names != "", lease_names + "+", "") + line_names, lease_names)
    return {
        "borrowings": value,
        "borrowings_concept": np.where(names != "", names, _NULL),
        "lease_liabilities": lease,
        "lease_concept": np.where(lease_names != "", lease_names, _NULL),
    }


def _lagged(fy_key: np.ndarray, values: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row the value of the same company's row k fiscal years earlier (NaN if none), and whether that row exists."""
    pos, found = _lookup(fy_key, fy_key - k)
    return np.where(found, values[pos], np.nan), found


def fiscal_year_of(end: np.ndarray) -> np.ndarray:
    """Fiscal year label of year-end days (days since 1970): the Compustat convention (see the module docstring)."""
    shifted = (np.asarray(end, dtype="int64") - SPILL_DAYS).astype("datetime64[D]")
    year = shifted.astype("datetime64[Y]").astype("int64") + 1970
    month = shifted.astype("datetime64[M]").astype("int64") % 12 + 1
    return year - (month <= PREVIOUS_YEAR_MONTHS)


@dataclass(frozen=True)
class Statements:
    """annual_statements' rows and, per row and concept read, the fact it came from (for eea_explain)."""

    frame: pd.DataFrame
    sources: pd.DataFrame  # cik, fiscal_year, concept, value, period_start, period_end, form, accession, filed


SOURCE_COLUMNS = ["cik", "fiscal_year", "concept", "value", "period_start", "period_end", "form", "accession", "filed"]


def annual_statements(
    facts: pd.DataFrame,
    as_of: date,
    adjustments: Adjustments = Adjustments(),
    financial_ciks: frozenset[int] | set[int] = frozenset(),
) -> pd.DataFrame:
    """raw.fundamentals rows to one row per (cik, fiscal_year) known at as_of: the items, their concepts, Uniform ROA.

    A fiscal year is the end E of an annual duration of an income item from an annual form filed on or before
    as_of, labelled by fiscal_year_of(E) (the later E where two share one). Items are read at E, each from its
    CONCEPTS fallback list; R&D amortisation and mean assets use the company's own earlier rows. Companies in
    financial_ciks (banks, insurers) derive operating income as pretax income, without adding interest back.
    """
    return statements_with_sources(facts, as_of, adjustments, financial_ciks, sources=False).frame


def statements_with_sources(
    facts: pd.DataFrame,
    as_of: date,
    adjustments: Adjustments = Adjustments(),
    financial_ciks: frozenset[int] | set[int] = frozenset(),
    *,
    sources: bool = True,
) -> Statements:
    """annual_statements, and with sources=True every fact each row holds (one row per cik, fiscal_year, concept)."""
    adj = adjustments
    limit = float(np.datetime64(as_of, "D").astype("int64"))
    filed_all = _days(facts["filed"])
    usable = filed_all <= limit
    code_all = pc.index_in(_strings(facts["concept"]), value_set=pa.array(_NAMES)).fill_null(-1)
    code_all = code_all.to_numpy(zero_copy_only=False).astype("int64")
    usd = _in(facts["unit"], ("USD",))
    keep = usable & (code_all >= 0) & np.where(code_all == _RATIO_CODE, _in(facts["unit"], RATIO_UNITS), usd)
    keep &= _in(facts["taxonomy"], (TAXONOMY,)) & _in(facts["form"], ANNUAL_FORMS)
    start_all, end_all = _days(facts["period_start"]), _days(facts["period_end"])
    value_all = facts["value"].to_numpy(dtype="float64", na_value=np.nan)
    # Durations must be annual and instants have no start; an income item tagged as an instant is no item.
    length_all = end_all - start_all + 1
    annual = (length_all >= ANNUAL_DAYS[0]) & (length_all <= ANNUAL_DAYS[1])
    duration_all = _IS_DURATION[np.maximum(code_all, 0)]
    keep &= np.where(duration_all, annual, np.isnan(start_all)) & np.isfinite(value_all) & np.isfinite(end_all)
    idx = np.flatnonzero(keep)

    cik = facts["cik"].to_numpy(dtype="int64")[idx]
    code, end, filed, value = code_all[idx], end_all[idx], filed_all[idx], value_all[idx]
    length, duration = np.nan_to_num(length_all[idx]), duration_all[idx]
    end_key = cik * SPAN + (end.astype("int64") + OFFSET)

    # Fiscal year ends: the ends of annual income-item durations; of two with one label, the later.
    ends = np.unique(end_key[duration])
    end_day = ends % SPAN - OFFSET
    row_cik = ends // SPAN
    year = fiscal_year_of(end_day)
    later = _last_of_runs(row_cik, year)
    ends, end_day, row_cik, year = ends[later], end_day[later], row_cik[later], year[later]
    n = len(ends)

    # When each year first became known: the earliest filing of an annual income fact ending on it.
    first_filed = np.full(n, np.inf)
    pos, found = _lookup(ends, end_key)
    hit = found & duration
    np.minimum.at(first_filed, pos[hit], filed[hit])

    # The latest filing wins per (cik, concept, end): restatements replace, later accessions break a tie.
    # Two int64 keys: group (cik, end, concept); within it filed, then accession, then the longer period last.
    group = end_key * CONCEPT_SPAN + code
    rank = ((filed.astype("int64") + OFFSET) << 33) | (_accession_rank(facts["accession"], idx) << 9)
    order = np.lexsort((rank | length.astype("int64"), group))
    latest = order[_last_of_runs(group[order])]
    matrix = np.full((n, len(_NAMES)), np.nan)
    pos, found = _lookup(ends, end_key[latest])
    matrix[pos[found], code[latest][found]] = value[latest][found]

    out: dict[str, np.ndarray] = {}
    values: dict[str, np.ndarray] = {}
    for item in CONCEPTS:
        if item == "debt":
            continue
        values[item], codes = _pick(matrix, item)
        out[f"{item}_concept"] = _names(codes)
    debt = _debt(matrix)
    values["borrowings"], values["lease_liabilities"] = debt["borrowings"], debt["lease_liabilities"]
    lease = debt["lease_liabilities"] if adj.leases_as_debt else np.full(n, np.nan)
    has_debt = np.isfinite(debt["borrowings"]) | np.isfinite(lease)
    values["debt"] = np.where(has_debt, np.nan_to_num(debt["borrowings"]) + np.nan_to_num(lease), np.nan)
    lease_names = debt["lease_concept"] if adj.leases_as_debt else np.full(n, None, dtype=object)
    out["debt_concept"] = np.array(
        [
            ("+".join(p for p in (b, le) if p) or None)
            for b, le in zip(debt["borrowings_concept"], lease_names, strict=True)
        ],
        dtype=object,
    )
    financial = np.isin(row_cik, np.fromiter(financial_ciks, dtype="int64", count=len(financial_ciks)))
    op = values["operating_income"]
    can_derive = np.isnan(op) & np.isfinite(values["pretax"])
    derived = can_derive & np.isfinite(values["interest"]) & ~financial
    derived_financial = can_derive & financial
    values["operating_income"] = np.where(
        derived, values["pretax"] + values["interest"], np.where(derived_financial, values["pretax"], op)
    )
    out["operating_income_concept"] = np.where(
        derived,
        DERIVED_OPERATING,
        np.where(derived_financial, DERIVED_OPERATING_FINANCIAL, out["operating_income_concept"]),
    )
    combined = out["payables_concept"] == "AccountsPayableAndAccruedLiabilitiesCurrent"
    values["accrued"] = np.where(combined, 0.0, values["accrued"])
    out["accrued_concept"] = out["accrued_concept"].copy()
    out["accrued_concept"][combined] = None
    for item in ZERO_IF_MISSING:
        values[item] = np.nan_to_num(values[item], nan=0.0)
    ratio = values["variable_rate_debt_share"]
    values["variable_rate_debt_share"] = np.where(ratio > 1, ratio / 100, ratio)
    debt_flag = np.where((values["interest"] > 0) & ~np.isfinite(debt["borrowings"]), DEBT_FLAG, _NULL)

    # Uniform-style derived columns (EEA_MODEL.md 4).
    v = values
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.clip(v["tax"] / v["pretax"], *TAX_CLIP)
    tax_rate = np.where((v["pretax"] > 0) & np.isfinite(v["tax"]), rate, TAX_DEFAULT)
    fy_key = row_cik * 10_000 + year
    big_n = adj.rd_years
    rd_amortisation, rd_unamortised = np.zeros(n), v["rd"].copy()
    rd_years_known = np.zeros(n, dtype="int64")
    for k in range(1, big_n + 1):
        rd_k, known = _lagged(fy_key, v["rd"], k)
        rd_k = np.nan_to_num(rd_k)
        rd_amortisation += rd_k / big_n
        rd_unamortised += rd_k * (big_n - k) / big_n
        rd_years_known += known
    # A company that reports R&D in any year needs every one of the rd_years before a year to capitalise it.
    rd_tagged = np.array([c is not None for c in out["rd_concept"]], dtype=bool)
    reports_rd = np.isin(row_cik, row_cik[rd_tagged])
    rd_short = adj.capitalise_rd & reports_rd & (rd_years_known < big_n)
    adjusted_reason = np.full(n, None, dtype=object)
    if rd_short.any():
        first_needed = year - big_n
        adjusted_reason[rd_short] = [
            f"R&D history: {k} of {big_n} prior fiscal years known (capitalised R&D needs FY{lo}-FY{hi})"
            for k, lo, hi in zip(rd_years_known[rd_short], first_needed[rd_short], year[rd_short] - 1, strict=True)
        ]
    tax_keep = 1.0 - tax_rate
    if adj.capitalise_rd:
        adj_earnings = (v["operating_income"] + v["rd"] - rd_amortisation) * tax_keep
    else:
        adj_earnings = v["operating_income"] * tax_keep
    cash, revenue = v["cash"], np.nan_to_num(v["revenue"], nan=0.0)
    excess_cash = np.where(np.isfinite(cash), np.maximum(cash - adj.operating_cash * revenue, 0.0), 0.0)
    adj_assets = v["assets"].copy()
    if adj.subtract_operating_liabilities:
        adj_assets -= np.nan_to_num(v["payables"]) + np.nan_to_num(v["accrued"])
    if adj.subtract_excess_cash:
        adj_assets -= excess_cash
    if adj.capitalise_rd:
        adj_assets += rd_unamortised
    if not adj.leases_as_debt:
        adj_assets -= np.nan_to_num(matrix[:, _CODE[ROU_ASSET]])
    unknown = rd_short
    rd_amortisation = np.where(unknown, np.nan, rd_amortisation)
    rd_unamortised = np.where(unknown, np.nan, rd_unamortised)
    adj_earnings = np.where(unknown, np.nan, adj_earnings)
    adj_assets = np.where(unknown, np.nan, adj_assets)
    roa_adjusted, basis = _return_on(adj_earnings, adj_assets, fy_key)
    roa_asreported, _ = _return_on(v["net_income"], v["assets"], fy_key)

    tickers = _tickers(facts, usable, filed_all, row_cik)
    frame = pd.DataFrame(
        {
            "cik": row_cik,
            "ticker": pd.array(tickers, dtype="str"),
            "fiscal_year": year,
            "period_end": _dates(end_day),
            "filed": _dates(first_filed.astype("int64")),
            **{
                c: pd.array(out[c], dtype="str") if c.endswith("_concept") else values[c]
                for c in COLUMNS[5 : 5 + 2 * len(CONCEPTS)]
            },
            "borrowings": values["borrowings"],
            "lease_liabilities": values["lease_liabilities"],
            "debt_flag": pd.array(debt_flag, dtype="str"),
            "tax_rate": tax_rate,
            "rd_amortisation": rd_amortisation,
            "rd_unamortised": rd_unamortised,
            "rd_years_known": rd_years_known,
            "adj_earnings": adj_earnings,
            "excess_cash": excess_cash,
            "adj_assets": adj_assets,
            "assets_basis": pd.array(basis, dtype="str"),
            "roa_adjusted": roa_adjusted,
            "roa_asreported": roa_asreported,
            "adjusted_reason": pd.array(adjusted_reason, dtype="str"),
        }
    )
    # Rows are unique per (cik, end) and fiscal years rise with ends, so this sort only makes the order explicit.
    frame = frame.sort_values(["cik", "fiscal_year"], kind="stable", ignore_index=True)[COLUMNS]
    if not sources:
        return Statements(frame, pd.DataFrame(columns=SOURCE_COLUMNS))
    # Each matrix cell's fact: the row of `facts` it was read from.
    src_row = np.full((n, len(_NAMES)), -1, dtype="int64")
    src_row[pos[found], code[latest][found]] = idx[latest][found]
    cell_row, cell_code = np.nonzero(src_row >= 0)
    rows = src_row[cell_row, cell_code]
    taken = pa.table({c: _arrow(facts[c]) for c in ("period_start", "period_end", "form", "accession", "filed")}).take(
        pa.array(rows)
    )
    src = pd.DataFrame(
        {
            "cik": row_cik[cell_row],
            "fiscal_year": year[cell_row],
            "concept": pd.array(np.array(_NAMES, dtype=object)[cell_code], dtype="str"),
            "value": value_all[rows],
            **{c: taken.column(c).to_pandas() for c in ("period_start", "period_end", "form", "accession", "filed")},
        }
    )
    return Statements(frame, src[SOURCE_COLUMNS])


def _return_on(earnings: np.ndarray, assets: np.ndarray, fy_key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Earnings over mean(assets last fiscal year, now), or over closing assets where last year's are unknown."""
    before, _ = _lagged(fy_key, assets, 1)
    mean = np.isfinite(before) & np.isfinite(assets)
    denominator = np.where(mean, (before + assets) / 2, assets)
    with np.errstate(divide="ignore", invalid="ignore"):
        roa = np.where(denominator > 0, earnings / denominator, np.nan)
    basis = np.full(len(assets), None, dtype=object)
    basis[np.isfinite(assets)] = "closing"
    basis[mean] = "mean"
    return roa, basis


def _tickers(facts: pd.DataFrame, usable: np.ndarray, filed: np.ndarray, ciks: np.ndarray) -> np.ndarray:
    """Per cik in `ciks`, the ticker of its latest-filed usable fact that has one (None if none has)."""
    out = np.full(len(ciks), None, dtype=object)
    tickers = _strings(facts["ticker"])
    rows = np.flatnonzero(usable & tickers.is_valid().to_numpy(zero_copy_only=False))
    if not len(rows) or not len(ciks):
        return out
    # Latest filed per cik by a hash group-by (no sort of every fact); the last such row breaks a tie.
    latest = pd.DataFrame({"cik": facts["cik"].to_numpy(dtype="int64")[rows], "filed": filed[rows], "row": rows})
    latest = latest[latest["filed"] == latest.groupby("cik")["filed"].transform("max")]
    latest = latest.drop_duplicates("cik", keep="last").sort_values("cik")
    known = latest["cik"].to_numpy()
    pos, found = _lookup(known, ciks)
    names = np.array(tickers.take(pa.array(latest["row"].to_numpy())).to_pylist(), dtype=object)
    out[found] = names[pos[found]]
    return out


def fiscal_year_zero(statements: pd.DataFrame) -> pd.Series:
    """Per cik, FY0: the last fiscal_year of point-in-time annual_statements rows (index cik, name fiscal_year)."""
    return statements.groupby("cik", sort=True)["fiscal_year"].max()
