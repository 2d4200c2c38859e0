"""iShares holdings with a company listed twice: the share line kept, a CASH ACCRUAL line left out and counted, a true conflict refused."""

from __future__ import annotations

import csv
import logging
from datetime import date
from pathlib import Path

import pytest

from sources.base import SourceError
from sources.ishares import CASH_ACCRUAL, NO_TICKER, REPEATED, UNLISTED, read_holdings

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"
IWM_2025 = "constituents/2025-05-13/IWM_holdings.csv"

# A whole file in iShares' shape (the shape of the real downloads, invented data): UTF-8 BOM, the 8-line
# preamble, a line holding one no-break space, the header on line 10, every value quoted with thousands
# separators, '-' for missing, then a no-break-space line and a legal footer with one quoted multi-line field.
PREAMBLE = [
    "iShares Russell 2000 ETF",
    'Fund Holdings as of,"Dec 15, 2025"',
    'Inception Date,"May 22, 2000"',
    'Shares Outstanding,"290,150,000.00"',
    'Stock,"-"',
    'Bond,"-"',
    'Cash,"-"',
    'Other,"-"',
    "\u00a0",
]
HEADER = (
    "Ticker,Name,Sector,Asset Class,Market Value,Weight (%),Notional Value,Quantity,Price,Location,Exchange,"
    "Currency,FX Rate,Market Currency,Accrual Date"
)
FOOTER = [
    "\u00a0",
    '"The content contained herein is owned or licensed by a provider and is protected by applicable copyrights.',
    "Holdings are subject to change.",
    'All rights reserved."',
]
# Line 11: an ordinary member.
ALPHA = (
    '"ALPH","ALPHA INDUSTRIES INC","Industrials","Equity","250,031,442.50","0.41","250,031,442.50",'
    '"1,812,590.00","137.94","United States","New York Stock Exchange Inc.","USD","1.00","USD","-"'
)
# Line 12: the share line of a company paying a special dividend.
SPECIAL = (
    '"SPCL","SPECIAL DIVIDEND CORP","Financials","Equity","84,120,335.04","0.14","84,120,335.04",'
    '"2,205,012.00","38.15","United States","NASDAQ","USD","1.00","USD","-"'
)
# Line 13: the dividend it has declared and not yet paid, under the same ticker.
SPECIAL_ACCRUAL = (
    '"SPCL","SPECIAL DIVIDEND CORP CASH ACCRUAL","Financials","Equity","3,307,518.00","0.01","3,307,518.00",'
    '"2,205,012.00","1.50","United States","NASDAQ","USD","1.00","USD","-"'
)
# Line 14: the fund's cash.
USD_CASH = (
    '"USD","USD CASH","Cash and/or Derivatives","Cash","12,004,118.21","0.02","12,004,118.21",'
    '"12,004,118.00","100.00","United States","-","USD","1.00","USD","-"'
)
# The same ticker twice as shares, with different holdings: no way to tell which is right.
SPECIAL_CONFLICT = (
    '"SPCL","SPECIAL DIVIDEND CORP","Financials","Equity","42,060,167.52","0.07","42,060,167.52",'
    '"1,102,506.00","38.15","United States","NASDAQ","USD","1.00","USD","-"'
)


def holdings_file(rows: list[str]) -> bytes:
    """A holdings download around `rows`: BOM, preamble, header on line 10, rows from line 11, footer."""
    return ("\ufeff" + "\n".join([*PREAMBLE, HEADER, *rows, *FOOTER])).encode()


def test_accrual_line_left_out_and_counted_the_share_line_kept(caplog: pytest.LogCaptureFixture) -> None:
    payload = holdings_file([ALPHA, SPECIAL, SPECIAL_ACCRUAL, USD_CASH])
    with caplog.at_level(logging.INFO, logger="eea.sources.ishares"):
        holdings = read_holdings(payload, origin="accrual.csv")
    rows = {r["ticker"]: r for r in holdings.table.to_pylist()}
    assert list(rows) == ["ALPH", "SPCL"]
    # Exactly the share line's numbers, not the accrual's, not a sum.
    spcl = rows["SPCL"]
    assert (spcl["name"], spcl["weight"], spcl["shares_held"], spcl["market_value"], spcl["price"]) == (
        "SPECIAL DIVIDEND CORP",
        0.14,
        2205012.0,
        84120335.04,
        38.15,
    )
    assert holdings.left_out == {CASH_ACCRUAL: 1, "Cash": 1}
    assert holdings.as_of == date(2025, 12, 15)
    # The count is in the log too, with the file's name.
    assert any("accrual.csv" in m and "cash accrual 1" in m for m in caplog.messages), caplog.messages


def test_accrual_line_before_the_share_line_and_filed_as_cash() -> None:
    # Order does not matter, and an accrual iShares files under Asset Class 'Cash' is counted as an accrual too.
    as_cash = SPECIAL_ACCRUAL.replace('"Financials","Equity"', '"Cash and/or Derivatives","Cash"')
    holdings = read_holdings(holdings_file([as_cash, SPECIAL, ALPHA]), origin="accrual-first.csv")
    assert holdings.table.column("ticker").to_pylist() == ["SPCL", "ALPH"]
    assert holdings.table.column("weight").to_pylist() == [0.14, 0.41]
    assert holdings.left_out == {CASH_ACCRUAL: 1}


def test_two_share_lines_of_one_ticker_that_differ_are_refused_by_name() -> None:
    payload = holdings_file([ALPHA, SPECIAL, SPECIAL_CONFLICT, USD_CASH])
    with pytest.raises(SourceError) as raised:
        read_holdings(payload, origin="conflict.csv")
    assert str(raised.value) == (
        "ishares: conflict.csv: ticker(s) listed twice as shares with different data, cannot tell which is right: "
        "SPCL (lines 12, 13 differ in market value, weight (%), notional value, quantity)"
    )


def test_a_line_repeated_word_for_word_is_kept_once_and_counted() -> None:
    holdings = read_holdings(holdings_file([ALPHA, SPECIAL, ALPHA]), origin="repeat.csv")
    assert holdings.table.column("ticker").to_pylist() == ["ALPH", "SPCL"]
    assert holdings.table.column("weight").to_pylist() == [0.41, 0.14]
    assert holdings.left_out == {REPEATED: 1}


def _real(relative: str) -> Path:
    path = FIXTURES / relative
    if not path.is_file():
        pytest.skip(f"{relative} not found at {path} (../shared/fixtures is absent)")
    return path


def _real_rows(path: Path) -> list[dict[str, str]]:
    """The holding rows of a real file read with the csv module: from the 'Ticker' header to the first blank line."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    start = next(i for i, row in enumerate(rows) if row and row[0] == "Ticker")
    body = []
    for row in rows[start + 1 :]:
        if not "".join(row).strip():
            break
        body.append(dict(zip(rows[start], row, strict=True)))
    return body


@pytest.mark.fixtures
def test_real_2025_file_members_counted_by_hand() -> None:
    path = _real(IWM_2025)
    rows = _real_rows(path)
    # By hand from the file: 1944 holding rows, 1939 with Asset Class Equity. Of those, 5 have ticker '-'
    # (SCILEX HOLDING Prvt, PULSE BIOSCIENCE INC WARRANTS, NEXPOINT STRATEGIC CASH ACCRUAL and the two OMNIAB
    # VESTING Prvt lines) and 3 more are on 'NO MARKET (E.G. UNLISTED)' (ADRO twice: Chinook and its CVR; INH).
    # Members: 1939 - 5 - 3 = 1931. No listed ticker appears twice.
    equity = [r for r in rows if r["Asset Class"] == "Equity"]
    dash = [r for r in equity if r["Ticker"] == "-"]
    unlisted = [r for r in equity if r["Ticker"] != "-" and r["Exchange"] == "NO MARKET (E.G. UNLISTED)"]
    assert (len(rows), len(equity), len(dash), len(unlisted)) == (1944, 1939, 5, 3)
    assert [r["Name"] for r in dash if "CASH ACCRUAL" in r["Name"]] == ["NEXPOINT STRATEGIC CASH ACCRUAL"]

    holdings = read_holdings(path.read_bytes(), origin=path.name)
    assert holdings.as_of == date(2025, 5, 13)
    assert holdings.table.num_rows == 1939 - 5 - 3 == 1931
    # The NEXPOINT accrual (ticker '-') is counted as an accrual, the other four '-' lines as no ticker;
    # 1931 kept + 13 left out = 1944.
    assert holdings.left_out == {
        "Money Market": 1,
        "Cash": 2,
        "Cash Collateral and Margins": 1,
        "Futures": 1,
        CASH_ACCRUAL: 1,
        NO_TICKER: 4,
        UNLISTED: 3,
    }
    assert holdings.table.num_rows + sum(holdings.left_out.values()) == len(rows)


@pytest.mark.fixtures
def test_real_2025_file_with_an_injected_accrual_line_loads_the_same_members() -> None:
    path = _real(IWM_2025)
    payload = path.read_bytes()
    # The first holding is SFM (line 11); put an accrual line for SFM right after it, as iShares does for a
    # company with a declared special dividend.
    sfm = next(line for line in payload.split(b"\n") if line.startswith(b'"SFM",'))
    accrual = (
        b'"SFM","SPROUTS FARMERS MARKET INC CASH ACCRUAL","Consumer Staples","Equity","2,582,406.00","0.00",'
        b'"2,582,406.00","2,582,406.00","1.00","United States","NASDAQ","USD","1.00","USD","-"'
    )
    injected = payload.replace(sfm + b"\n", sfm + b"\n" + accrual + b"\n", 1)
    assert injected.count(b'"SFM",') == 2

    original = read_holdings(payload, origin=path.name)
    holdings = read_holdings(injected, origin="IWM_holdings-injected.csv")
    assert holdings.table.num_rows == 1931
    assert holdings.table.equals(original.table)
    assert holdings.left_out == {**original.left_out, CASH_ACCRUAL: 2}
