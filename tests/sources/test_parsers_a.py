"""Payload parsers for iShares, FRED, Stooq and Cboe prices on hand-written payloads and on the real recorded ones."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sources.base import SourceError
from sources.cboe_prices import parse_cboe_history
from sources.fred import parse_fred_csv, parse_fred_json
from sources.ishares import parse_holdings, read_holdings
from sources.stooq import parse_stooq_csv
from warehouse.ddl import raw_dataset

# The day the own Stooq and Cboe payloads are taken to be downloaded (their basis day).
DOWNLOADED = date(2026, 7, 25)

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"
IWM_2026 = "constituents/2026-05-05/IWM_holdings.csv"
IWM_2024 = "constituents/2024-10-24_stripped/IWM_holdings.csv"
FRED_CSV = "rates/fredgraph_2026-07-30/DGS10.csv"
FRED_JSON = "rates/fred_api/DGS10.observations.json"
STOOQ_IWM = "prices/stooq/iwm_us_d.csv"
CBOE_AAPL = "prices/cboe/delayed_quotes/charts/historical/AAPL.json"


def fixture(relative: str) -> Path:
    """The real payload at ../shared/fixtures/<relative>, or skip the test where that folder is absent."""
    path = FIXTURES / relative
    if not path.is_file():
        pytest.skip(f"{relative} not found at {path} (../shared/fixtures is absent)")
    return path


def contract(dataset: str) -> pa.Schema:
    return raw_dataset(dataset).arrow_schema(without_stamps=True)


# --- iShares ------------------------------------------------------------------------------------------------

ISHARES_HEADER = (
    "Ticker,Name,Sector,Asset Class,Market Value,Weight (%),Notional Value,{shares},Price,Location,Exchange,"
    "Currency,FX Rate,Market Currency,Accrual Date"
)
# Invented holdings in the iShares layout, with its quirks: every value quoted, thousands separators, '-' for
# missing, cash / money-market / futures rows, a '-' ticker, an unlisted CVR, two exchange spellings.
ISHARES_ROWS = [
    '"AAA","ALPHA CORP CLASS A","Industrials","Equity","1,532,594,919.50","1.93","1,532,594,919.50",'
    '"5,190,838.00","295.25","United States","New York Stock Exchange Inc.","USD","1.00","USD","-"',
    '"XTSLA","BLK CSH FND TREASURY SL AGENCY","Cash and/or Derivatives","Money Market","312,034,567.32","0.39",'
    '"312,034,567.32","312,034,567.00","1.00","United States","-","USD","1.00","USD","-"',
    '"bbb.a","BRAVO INC CLASS A","Information Technology","Equity","741,955,358.56","0.94","741,955,358.56",'
    '"3,833,008.00","193.57","United States","Nasdaq Global Select","USD","1.00","USD","-"',
    '"BBB.B","BRAVO INC CLASS B","Information Technology","Equity","1,000.00","0.00","1,000.00","10.00",'
    '"100.00","United States","NASDAQ","USD","1.00","USD","-"',
    '"USD","USD CASH","Cash and/or Derivatives","Cash","-151,604,687.06","-0.22","-151,604,687.06",'
    '"-151,604,687.00","100.00","United States","-","USD","1.00","USD","-"',
    '"CCC","CHARLIE HOLDINGS","-","Equity","12.00","0.00","12.00","4.00","-","United States","Nyse Mkt Llc",'
    '"USD","1.00","USD","-"',
    '"-","DELTA INC $12.50 VESTING Prvt","Health Care","Equity","1.31","0.00","1.31","130,676.00","0.00",'
    '"United States","NO MARKET (E.G. UNLISTED)","USD","1.00","USD","-"',
    '"EEE","ECHO THERAPEUTICS INC CVR","Health Care","Equity","138,892.89","0.00","138,892.89","272,339.00",'
    '"0.51","United States","NO MARKET (E.G. UNLISTED)","USD","1.00","USD","-"',
    '"RTYM6","RUSSELL 2000 EMINI CME JUN 26","Cash and/or Derivatives","Futures","0.00","0.00","285,004,710.00",'
    '"1,998.00","2,852.90","-","Chicago Mercantile Exchange","USD","1.00","USD","-"',
]
ISHARES_BANNER = [
    "iShares Russell 2000 ETF",
    'Fund Holdings as of,"May 05, 2026"',
    'Inception Date,"May 22, 2000"',
    'Shares Outstanding,"278,750,000.00"',
    'Stock,"-"',
    "\u00a0",
]
# A blank (no-break space) line, then a footer whose first paragraph is one quoted field spanning lines.
ISHARES_FOOTER = [
    "\u00a0",
    '"The content contained herein is owned or licensed by a provider, and is protected.',
    "Holdings subject to change, see the site for the most recent holdings.",
    'All rights reserved, 2026."',
]
ISHARES_EXPECTED = [
    ("AAA", "ALPHA CORP CLASS A", "Industrials", 1.93, 5190838.0, 1532594919.50, 295.25, "NYSE"),
    ("BBB.A", "BRAVO INC CLASS A", "Information Technology", 0.94, 3833008.0, 741955358.56, 193.57, "NASDAQ"),
    ("BBB.B", "BRAVO INC CLASS B", "Information Technology", 0.0, 10.0, 1000.0, 100.0, "NASDAQ"),
    ("CCC", "CHARLIE HOLDINGS", None, 0.0, 4.0, 12.0, None, "NYSE AMERICAN"),
]


def holdings_csv(
    rows: list[str] | None = None, *, banner: bool = True, shares: str = "Quantity", bom: bool = True
) -> bytes:
    """An iShares holdings file around `rows` (default ISHARES_ROWS), with or without banner, BOM and CRLF-free."""
    lines = [
        *(ISHARES_BANNER if banner else []),
        ISHARES_HEADER.format(shares=shares),
        *(ISHARES_ROWS if rows is None else rows),
        *ISHARES_FOOTER,
    ]
    return ("\ufeff" if bom else "").encode() + "\n".join(lines).encode()


def expected_holdings(as_of: date) -> list[dict[str, object]]:
    return [
        {
            "index_name": "russell_2000",
            "as_of": as_of,
            "ticker": ticker,
            "name": name,
            "sector": sector,
            "asset_class": "Equity",
            "weight": weight,
            "shares_held": shares,
            "market_value": value,
            "price": price,
            "cik": None,
            "exchange": exchange,
        }
        for ticker, name, sector, weight, shares, value, price, exchange in ISHARES_EXPECTED
    ]


def test_ishares_banner_bom_footer_and_rows_left_out() -> None:
    holdings = read_holdings(holdings_csv(), origin="IWM_holdings.csv")
    assert holdings.table.schema.equals(contract("constituents"))
    assert holdings.table.to_pylist() == expected_holdings(date(2026, 5, 5))
    assert holdings.as_of == holdings.file_as_of == date(2026, 5, 5)
    assert holdings.left_out == {"Money Market": 1, "Cash": 1, "Futures": 1, "no ticker": 1, "unlisted": 1}


def test_ishares_file_date_wins_over_the_callers() -> None:
    table, as_of = parse_holdings(holdings_csv(), origin="IWM_holdings.csv", as_of=date(2026, 5, 4))
    assert as_of == date(2026, 5, 5)
    assert set(table.column("as_of").to_pylist()) == {date(2026, 5, 5)}


def test_ishares_without_banner_needs_as_of_and_reads_shares_column() -> None:
    payload = holdings_csv(banner=False, shares="Shares")
    with pytest.raises(SourceError, match=r"ishares: stripped\.csv: .*no as_of"):
        parse_holdings(payload, origin="stripped.csv")
    table, as_of = parse_holdings(payload, origin="stripped.csv", as_of=date(2024, 10, 24), index_name="large_cap")
    assert as_of == date(2024, 10, 24)
    expected = [{**row, "index_name": "large_cap"} for row in expected_holdings(date(2024, 10, 24))]
    assert table.to_pylist() == expected


def test_ishares_without_bom_or_footer() -> None:
    payload = "\n".join([*ISHARES_BANNER, ISHARES_HEADER.format(shares="Quantity"), *ISHARES_ROWS, ""]).encode()
    table, _ = parse_holdings(payload, origin="plain.csv")
    assert table.column("ticker").to_pylist() == ["AAA", "BBB.A", "BBB.B", "CCC"]


@pytest.mark.parametrize(
    ("spelling", "short"),
    [
        ("NYSE", "NYSE"),
        ("New York Stock Exchange Inc.", "NYSE"),
        ("NASDAQ", "NASDAQ"),
        ("Nasdaq Global Select", "NASDAQ"),
        ("Nasdaq  Capital Market", "NASDAQ"),
        ("Nyse Mkt Llc", "NYSE AMERICAN"),
        ("Non-Nms Quotation Service (Nnqs)", "OTC"),
        ("Cboe BZX formerly known as BATS", "CBOE BZX"),
        ("Some New Venue", "Some New Venue"),
        ("-", None),
    ],
)
def test_ishares_exchange_spellings_normalised(spelling: str, short: str | None) -> None:
    row = (
        f'"AAA","ALPHA","Industrials","Equity","1.00","0.01","1.00","1.00","1.00","United States","{spelling}",'
        '"USD","1.00","USD","-"'
    )
    table, _ = parse_holdings(holdings_csv([row]), origin="x.csv")
    assert table.column("exchange").to_pylist() == [short]


def test_ishares_duplicated_ticker_with_different_data_is_refused_by_name() -> None:
    rows = [ISHARES_ROWS[0], ISHARES_ROWS[2], ISHARES_ROWS[0].replace('"1.93"', '"1.94"')]
    # Banner (6 lines) + header puts the data rows on lines 8, 9, 10.
    with pytest.raises(
        SourceError,
        match=r"ishares: dup\.csv: ticker\(s\) listed twice as shares with different data, cannot tell which is "
        r"right: AAA \(lines 8, 10 differ in weight \(%\)\)",
    ):
        parse_holdings(holdings_csv(rows), origin="dup.csv")


def test_ishares_malformed_rows_named_by_line() -> None:
    rows = [
        ISHARES_ROWS[0],
        ISHARES_ROWS[2].replace('"193.57"', '"19x.57"'),
        ISHARES_ROWS[3].replace('"0.00"', '"n/a"', 1),
        '"ZZZ","TOO SHORT","Equity"',
    ]
    with pytest.raises(SourceError) as raised:
        parse_holdings(holdings_csv(rows), origin="https://www.ishares.com/iwm.csv")
    assert str(raised.value) == (
        "ishares: https://www.ishares.com/iwm.csv: 3 malformed row(s), first: line 9 (price '19x.57'); "
        "line 10 (weight 'n/a'); line 11 (3 fields, header has 15)"
    )


def test_ishares_without_header_or_with_missing_columns() -> None:
    with pytest.raises(SourceError, match=r"ishares: a\.csv: no header row starting with 'Ticker'"):
        parse_holdings(b"Symbol,Name\nAAA,Alpha\n", origin="a.csv", as_of=date(2026, 1, 2))
    header = ISHARES_HEADER.format(shares="Quantity").replace(",Price,", ",Last,")
    with pytest.raises(SourceError, match=r"ishares: b\.csv: .*lacks column\(s\) for price"):
        parse_holdings(f"{header}\n".encode(), origin="b.csv", as_of=date(2026, 1, 2))


def test_ishares_unreadable_banner_date() -> None:
    payload = holdings_csv().replace(b"May 05, 2026", b"05/05/2026")
    with pytest.raises(SourceError, match=r"ishares: c\.csv: cannot read the 'Fund Holdings as of' date"):
        parse_holdings(payload, origin="c.csv")


def real_holdings(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """The header and the holding rows of a real file, read with the csv module: rows up to the first blank line."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    start = next(i for i, row in enumerate(rows) if row and row[0] == "Ticker")
    body = []
    for row in rows[start + 1 :]:
        if not "".join(row).strip():
            break
        body.append(dict(zip(rows[start], row, strict=True)))
    return rows[start], body


@pytest.mark.fixtures
def test_ishares_real_2026_file() -> None:
    path = fixture(IWM_2026)
    header, rows = real_holdings(path)
    equity = [r for r in rows if r["Asset Class"] == "Equity"]
    no_ticker = [r for r in equity if r["Ticker"] == "-"]
    unlisted = [r for r in equity if r["Ticker"] != "-" and r["Exchange"] == "NO MARKET (E.G. UNLISTED)"]
    assert (len(equity), len(no_ticker), len(unlisted)) == (1924, 3, 3)
    # The brief's 1924 - 3 = 1921 would keep both ADRO lines (Chinook and its CVR, both unlisted) under one key.
    assert sorted(r["Ticker"] for r in unlisted) == ["ADRO", "ADRO", "INH"]

    holdings = read_holdings(path.read_bytes(), origin=str(path), as_of=date(2026, 5, 1))
    table = holdings.table
    assert holdings.as_of == date(2026, 5, 5)
    assert table.schema.equals(contract("constituents"))
    assert table.num_rows == len(equity) - len(no_ticker) - len(unlisted) == 1918
    assert holdings.left_out == {
        "Money Market": 1,
        "Cash": 2,
        "Cash Collateral and Margins": 1,
        "Futures": 1,
        "no ticker": 3,
        "unlisted": 3,
    }
    fn = next(r for r in rows if r["Ticker"] == "FN")
    got = next(r for r in table.to_pylist() if r["ticker"] == "FN")
    assert got["weight"] == float(fn["Weight (%)"])
    assert got["shares_held"] == float(fn["Quantity"].replace(",", ""))
    assert got["market_value"] == float(fn["Market Value"].replace(",", ""))
    assert got["price"] == float(fn["Price"].replace(",", ""))
    assert (got["exchange"], got["cik"], got["as_of"]) == ("NYSE", None, date(2026, 5, 5))
    # The footer is left out: the last row is the last holding line, no footer text became a row.
    assert table.column("ticker")[-1].as_py() == [r for r in equity if r["Ticker"] != "-"][-1]["Ticker"]
    assert not any("BlackRock" in (name or "") for name in table.column("name").to_pylist())
    assert "Quantity" in header


@pytest.mark.fixtures
def test_ishares_real_2024_stripped_file() -> None:
    path = fixture(IWM_2024)
    header, rows = real_holdings(path)
    assert "Shares" in header and "Quantity" not in header
    with pytest.raises(SourceError, match="no as_of"):
        parse_holdings(path.read_bytes(), origin=str(path))
    table, as_of = parse_holdings(path.read_bytes(), origin=str(path), as_of=date(2024, 10, 24))
    assert as_of == date(2024, 10, 24)
    kept = [
        r
        for r in rows
        if r["Asset Class"] == "Equity" and r["Ticker"] != "-" and r["Exchange"] != "NO MARKET (E.G. UNLISTED)"
    ]
    assert table.num_rows == len(kept) == 1974
    assert table.column("ticker").to_pylist() == [r["Ticker"] for r in kept]
    assert table.column("shares_held").to_pylist() == [float(r["Shares"].replace(",", "")) for r in kept]
    assert set(table.column("exchange").to_pylist()) == {"NYSE", "NASDAQ", "NYSE AMERICAN", "OTC"}


# --- FRED ---------------------------------------------------------------------------------------------------

FRED_ROWS = "2024-01-01,\r\n2024-01-02,3.95\r\n2024-01-03,.\r\n2024-01-04,3.99\r\n"
FRED_EXPECTED = [
    {"series": "DGS10", "date": date(2024, 1, 1), "value": None},
    {"series": "DGS10", "date": date(2024, 1, 2), "value": 3.95},
    {"series": "DGS10", "date": date(2024, 1, 3), "value": None},
    {"series": "DGS10", "date": date(2024, 1, 4), "value": 3.99},
]


@pytest.mark.parametrize("date_column", ["observation_date", "DATE"])
def test_fred_csv_both_header_spellings_and_missing_days(date_column: str) -> None:
    table = parse_fred_csv(f"{date_column},DGS10\r\n{FRED_ROWS}".encode(), origin="fredgraph.csv")
    assert table.schema.equals(contract("rates"))
    assert table.to_pylist() == FRED_EXPECTED


def test_fred_csv_picks_its_series_from_a_multi_series_file() -> None:
    payload = b"observation_date,DGS2,DGS10\n2024-01-02,4.33,3.95\n2024-01-03,4.33,\n"
    table = parse_fred_csv(payload, origin="fredgraph.csv", series="dgs10")
    assert table.to_pylist() == [
        {"series": "DGS10", "date": date(2024, 1, 2), "value": 3.95},
        {"series": "DGS10", "date": date(2024, 1, 3), "value": None},
    ]


def test_fred_csv_for_another_series_is_refused() -> None:
    with pytest.raises(SourceError, match=r"fred: f\.csv: not a fredgraph CSV for DGS10"):
        parse_fred_csv(b"observation_date,DGS2\n2024-01-02,4.33\n", origin="f.csv")


def test_fred_csv_malformed_rows_named_by_line() -> None:
    payload = b"observation_date,DGS10\n2024-01-02,3.95\n2024-13-01,3.9\n2024-01-04,n/a\n2024-01-05,0\n2024-01-08\n"
    with pytest.raises(SourceError) as raised:
        parse_fred_csv(payload, origin="https://fred.stlouisfed.org/graph/fredgraph.csv?id=DGS10")
    assert str(raised.value) == (
        "fred: https://fred.stlouisfed.org/graph/fredgraph.csv?id=DGS10: 3 malformed row(s), first: "
        "line 3 (date '2024-13-01'); line 4 (value 'n/a'); line 6 (1 fields, header has 2)"
    )


def test_fred_csv_duplicated_date_is_refused() -> None:
    with pytest.raises(SourceError, match=r"duplicated date\(s\) 2024-01-02 \(line 2 and line 3\)"):
        parse_fred_csv(b"DATE,DGS10\n2024-01-02,3.95\n2024-01-02,3.96\n", origin="f.csv")


def observation(day: str, value: str) -> dict[str, str]:
    return {"realtime_start": "2026-06-02", "realtime_end": "2026-06-02", "date": day, "value": value}


def test_fred_json_observations_with_dot_for_missing() -> None:
    body = {
        "realtime_start": "2026-06-02",
        "count": 4,
        "observations": [
            observation("2024-01-01", "."),
            observation("2024-01-02", "3.95"),
            observation("2024-01-03", "."),
            observation("2024-01-04", "3.99"),
        ],
    }
    table = parse_fred_json(json.dumps(body).encode(), origin="api.stlouisfed.org/fred/series/observations")
    assert table.schema.equals(contract("rates"))
    assert table.to_pylist() == FRED_EXPECTED


def test_fred_json_malformed_observations_and_api_errors() -> None:
    body = {"observations": [observation("2024-01-02", "3.95"), observation("Jan 3", "3.9"), {"value": "1"}]}
    with pytest.raises(SourceError, match=r"fred: o\.json: 2 malformed row\(s\), first: observation 2 .*observation 3"):
        parse_fred_json(json.dumps(body).encode(), origin="o.json")
    error = b'{"error_code":400,"error_message":"Bad Request.  The series does not exist."}'
    with pytest.raises(SourceError, match=r"fred: o\.json: API error 400: Bad Request"):
        parse_fred_json(error, origin="o.json")
    with pytest.raises(SourceError, match=r"fred: o\.json: JSON has no 'observations' list"):
        parse_fred_json(b'{"seriess": []}', origin="o.json")
    with pytest.raises(SourceError, match=r"fred: o\.json: payload is not JSON"):
        parse_fred_json(b'<?xml version="1.0"?><observations/>', origin="o.json")


@given(
    start=st.dates(min_value=date(1962, 1, 1), max_value=date(2030, 1, 1)),
    values=st.lists(
        st.one_of(st.none(), st.floats(min_value=-5, max_value=25, allow_nan=False).map(lambda v: round(v, 2))),
        max_size=40,
    ),
    date_column=st.sampled_from(["observation_date", "DATE"]),
    missing=st.sampled_from(["", "."]),
)
def test_fred_csv_round_trip(start: date, values: list[float | None], date_column: str, missing: str) -> None:
    days = [start + timedelta(days=i) for i in range(len(values))]
    lines = [f"{date_column},DGS10"] + [
        f"{d.isoformat()},{missing if v is None else v}" for d, v in zip(days, values, strict=True)
    ]
    table = parse_fred_csv("\n".join(lines).encode(), origin="h.csv")
    assert table.column("date").to_pylist() == days
    # Missing days come back null, never zero; every other value exactly.
    assert table.column("value").to_pylist() == values


@pytest.mark.fixtures
def test_fred_real_csv() -> None:
    path = fixture(FRED_CSV)
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["observation_date", "DGS10"]
    empty = sum(1 for row in rows[1:] if row[1].strip() in ("", "."))
    assert empty == 719
    table = parse_fred_csv(path.read_bytes(), origin=str(path))
    assert table.num_rows == len(rows) - 1
    assert table.column("value").null_count == empty
    by_date = dict(zip(table.column("date").to_pylist(), table.column("value").to_pylist(), strict=True))
    for day, value in (rows[1], rows[len(rows) // 2], rows[-1]):
        assert by_date[date.fromisoformat(day)] == (float(value) if value else None)
    missing_day = next(row[0] for row in rows[1:] if row[1] == "")
    assert by_date[date.fromisoformat(missing_day)] is None


@pytest.mark.fixtures
def test_fred_real_json() -> None:
    path = fixture(FRED_JSON)
    observations = json.loads(path.read_text())["observations"]
    dots = sum(1 for o in observations if o["value"] == ".")
    assert dots == 717
    table = parse_fred_json(path.read_bytes(), origin=str(path))
    assert table.num_rows == len(observations)
    assert table.column("value").null_count == dots
    by_date = dict(zip(table.column("date").to_pylist(), table.column("value").to_pylist(), strict=True))
    sample = observations[len(observations) // 3]
    assert by_date[date.fromisoformat(sample["date"])] == float(sample["value"])


# --- Stooq --------------------------------------------------------------------------------------------------

STOOQ = (
    b"Date,Open,High,Low,Close,Volume\r\n"
    b"2005-02-25,53.0208,53.9971,53.0208,53.9803,27937545.35362\r\n"
    b"2005-02-28,53.9147,54.0685,53.252,53.6468,21400726.679482\r\n"
    b"2026-05-05,280.13,282.34,280,282.145,10074800\r\n"
)


def test_stooq_rows_fractional_volume_and_adjustment() -> None:
    table = parse_stooq_csv(
        downloaded=DOWNLOADED, payload=STOOQ, origin="https://stooq.com/q/d/l/?s=iwm.us&i=d", ticker="iwm.us"
    )
    assert table.schema.equals(contract("prices"))
    assert table.to_pylist()[0] == {
        "ticker": "IWM",
        "date": date(2005, 2, 25),
        "open": 53.0208,
        "high": 53.9971,
        "low": 53.0208,
        "close": 53.9803,
        "volume": 27937545.35362,
        "dividend": 0.0,
        "split_ratio": 1.0,
        "adjusted": "split_dividend",
        "basis_date": DOWNLOADED,
    }
    assert table.column("volume").to_pylist() == [27937545.35362, 21400726.679482, 10074800.0]
    assert table.column("date").to_pylist()[-1] == date(2026, 5, 5)


@pytest.mark.parametrize(
    "body", [b"", b"No data", b"No data\r\n", b"\xef\xbb\xbfNo data\n", b"Date,Open,High,Low,Close,Volume\r\n"]
)
def test_stooq_no_data_or_empty_body_is_an_empty_table(body: bytes) -> None:
    table = parse_stooq_csv(downloaded=DOWNLOADED, payload=body, origin="s", ticker="IWM")
    assert table.num_rows == 0
    assert table.schema.equals(contract("prices"))


def test_stooq_malformed_rows_named_by_line() -> None:
    payload = STOOQ + b"2026-05-06,1,2,0.5,,100\r\n2026/05/07,1,2,0.5,1.5,100\r\n2026-05-08,1,2,0.5,1.5x,100\r\n"
    with pytest.raises(SourceError) as raised:
        parse_stooq_csv(downloaded=DOWNLOADED, payload=payload, origin="iwm_us_d.csv", ticker="IWM")
    assert str(raised.value) == (
        "stooq: iwm_us_d.csv: 3 malformed row(s), first: line 5 (no close); line 6 (date '2026/05/07'); "
        "line 7 (close '1.5x')"
    )


def test_stooq_other_bodies_and_duplicates_are_refused() -> None:
    with pytest.raises(SourceError, match=r"stooq: s: not a Stooq daily CSV: first line 'Exceeded the daily hits"):
        parse_stooq_csv(downloaded=DOWNLOADED, payload=b"Exceeded the daily hits limit", origin="s", ticker="IWM")
    with pytest.raises(SourceError, match=r"stooq: s: duplicated date\(s\) 2005-02-25 \(lines 2 and 5\)"):
        parse_stooq_csv(downloaded=DOWNLOADED, payload=STOOQ + b"2005-02-25,1,1,1,1,1\r\n", origin="s", ticker="IWM")


@pytest.mark.fixtures
def test_stooq_real_iwm() -> None:
    path = fixture(STOOQ_IWM)
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    table = parse_stooq_csv(downloaded=DOWNLOADED, payload=path.read_bytes(), origin=str(path), ticker="IWM")
    assert table.num_rows == len(rows) == 5330
    sample = rows[len(rows) // 2]
    got = table.filter(pc.equal(table.column("date"), date.fromisoformat(sample["Date"]))).to_pylist()
    assert [r["close"] for r in got] == [float(sample["Close"])]
    fractional = [float(r["Volume"]) for r in rows if not float(r["Volume"]).is_integer()]
    assert len(fractional) == 4425
    assert [v for v in table.column("volume").to_pylist() if not v.is_integer()] == fractional
    assert set(table.column("adjusted").to_pylist()) == {"split_dividend"}


# --- Cboe daily history -------------------------------------------------------------------------------------

CBOE = {
    "timestamp": "11:00:17",
    "data": [
        {"date": "2020-08-28", "volume": 187629916, "open": 126.01, "high": 126.44, "low": 124.58, "close": 124.81},
        {"date": "2020-08-31", "volume": 113408637, "open": 127.67, "high": 131.0, "low": 126.34, "close": 129.04},
    ],
    "symbol": "aapl",
}


def test_cboe_rows_and_ticker_from_symbol() -> None:
    table = parse_cboe_history(
        downloaded=DOWNLOADED, payload=json.dumps(CBOE).encode(), origin="cdn.cboe.com/.../AAPL.json"
    )
    assert table.schema.equals(contract("prices"))
    assert table.to_pylist() == [
        {
            "ticker": "AAPL",
            "date": date(2020, 8, 28),
            "open": 126.01,
            "high": 126.44,
            "low": 124.58,
            "close": 124.81,
            "volume": 187629916.0,
            "dividend": 0.0,
            "split_ratio": 1.0,
            "adjusted": "split",
            "basis_date": DOWNLOADED,
        },
        {
            "ticker": "AAPL",
            "date": date(2020, 8, 31),
            "open": 127.67,
            "high": 131.0,
            "low": 126.34,
            "close": 129.04,
            "volume": 113408637.0,
            "dividend": 0.0,
            "split_ratio": 1.0,
            "adjusted": "split",
            "basis_date": DOWNLOADED,
        },
    ]


def test_cboe_given_ticker_wins_and_a_missing_one_is_refused() -> None:
    table = parse_cboe_history(downloaded=DOWNLOADED, payload=json.dumps(CBOE).encode(), origin="c", ticker="appl2")
    assert set(table.column("ticker").to_pylist()) == {"APPL2"}
    nameless = json.dumps({"timestamp": "x", "data": CBOE["data"]}).encode()
    with pytest.raises(SourceError, match=r"cboe: c: no ticker"):
        parse_cboe_history(downloaded=DOWNLOADED, payload=nameless, origin="c")
    empty = parse_cboe_history(
        downloaded=DOWNLOADED, payload=b'{"timestamp": "x", "data": [], "symbol": "IWM"}', origin="c"
    )
    assert empty.num_rows == 0 and empty.schema.equals(contract("prices"))


def test_cboe_malformed_records_named_by_position() -> None:
    data = [
        *CBOE["data"],  # type: ignore[misc]
        {"date": "2020-09-01", "volume": 1, "open": 1, "high": 1, "low": 1, "close": None},
        {"date": "09/02/2020", "volume": 1, "open": 1, "high": 1, "low": 1, "close": 1},
        {"date": "2020-09-03", "volume": 1, "open": "1.0", "high": 1, "low": 1, "close": 1},
    ]
    with pytest.raises(SourceError) as raised:
        parse_cboe_history(
            downloaded=DOWNLOADED, payload=json.dumps({"data": data, "symbol": "AAPL"}).encode(), origin="AAPL.json"
        )
    message = str(raised.value)
    assert message.startswith("cboe: AAPL.json: 3 malformed record(s) in data")
    assert (
        "record 3 (no close)" in message and "record 4 (date '09/02/2020')" in message and "record 5 (open" in message
    )
    with pytest.raises(SourceError, match=r"cboe: AAPL\.json: not a Cboe history: no 'data' list"):
        parse_cboe_history(downloaded=DOWNLOADED, payload=b'{"error": "not found"}', origin="AAPL.json")
    with pytest.raises(SourceError, match=r"cboe: AAPL\.json: payload is not JSON"):
        parse_cboe_history(downloaded=DOWNLOADED, payload=b"Access Denied", origin="AAPL.json")


@pytest.mark.fixtures
def test_cboe_real_aapl_is_split_adjusted() -> None:
    path = fixture(CBOE_AAPL)
    body = json.loads(path.read_text())
    table = parse_cboe_history(downloaded=DOWNLOADED, payload=path.read_bytes(), origin=str(path))
    assert table.num_rows == len(body["data"]) == 5675
    assert set(table.column("ticker").to_pylist()) == {body["symbol"]} == {"AAPL"}
    closes = dict(zip(table.column("date").to_pylist(), table.column("close").to_pylist(), strict=True))
    sample = body["data"][len(body["data"]) // 2]
    assert closes[date.fromisoformat(sample["date"])] == sample["close"]
    # AAPL traded near $500 on 2020-08-28 and split 4:1 on 2020-08-31: an as-traded series drops 4x there.
    assert closes[date(2020, 8, 28)] < 130
    assert 0.9 < closes[date(2020, 8, 31)] / closes[date(2020, 8, 28)] < 1.1
    assert set(table.column("adjusted").to_pylist()) == {"split"}


# --- every parser -------------------------------------------------------------------------------------------

PARSERS: dict[str, Callable[[bytes, str], object]] = {
    "ishares": lambda body, origin: parse_holdings(body, origin=origin, as_of=date(2026, 5, 5)),
    "fred": lambda body, origin: parse_fred_csv(body, origin=origin),
    "fred-json": lambda body, origin: parse_fred_json(body, origin=origin),
    "stooq": lambda body, origin: parse_stooq_csv(downloaded=DOWNLOADED, payload=body, origin=origin, ticker="IWM"),
    "cboe": lambda body, origin: parse_cboe_history(downloaded=DOWNLOADED, payload=body, origin=origin),
}


@pytest.mark.parametrize("parser", sorted(PARSERS))
@pytest.mark.parametrize(
    "body",
    [
        b"<!DOCTYPE html>\n<html><head><title>Access Denied</title></head></html>",
        b"\xef\xbb\xbf  \n<HTML><body>Too many requests</body></HTML>",
    ],
)
def test_html_instead_of_data_is_refused(parser: str, body: bytes) -> None:
    provider = parser.split("-")[0]
    with pytest.raises(SourceError, match=rf"^{provider}: https://example\.test/data: got an HTML page"):
        PARSERS[parser](body, "https://example.test/data")


@pytest.mark.parametrize("parser", sorted(PARSERS))
def test_non_utf8_payload_is_refused(parser: str) -> None:
    provider = parser.split("-")[0]
    with pytest.raises(SourceError, match=rf"^{provider}: o: payload is not UTF-8"):
        PARSERS[parser](b"Ticker,Name\n\xff\xfe\x00", "o")


def test_stooq_real_daily_file_only_the_download_days_bar_is_proven_as_traded() -> None:
    from sources.files import parse_payloads
    from transforms.daily_prices import daily_prices

    path = FIXTURES / "prices" / "stooq_daily" / "aan.us.txt"
    if not path.is_file():
        pytest.skip(f"real payload {path} absent (../shared/fixtures is not checked out next to this repository)")
    payload = [(str(path), path.read_bytes())]
    with pytest.raises(SourceError, match=r"stooq: .*aan\.us\.txt: .*basis is unknown.*--downloaded"):
        parse_payloads("prices", "stooq", payload, as_of=date(2030, 1, 1), ticker="AAN")
    refused: list[str] = []
    assert parse_payloads("prices", "stooq", payload, as_of=date(2030, 1, 1), ticker="AAN", refused=refused) == {
        "prices": raw_dataset("prices").arrow_schema(without_stamps=True).empty_table()
    }
    assert len(refused) == 1 and "aan.us.txt" in refused[0]
    # Taken as downloaded on the file's last day: only that bar is as traded; every earlier one keeps Stooq's
    # adjusted close, flagged, with no market cap.
    table = parse_payloads(
        "prices", "stooq", payload, as_of=date(2030, 1, 1), ticker="AAN", downloaded=date(2030, 1, 1)
    )
    last = pc.max(table["prices"].column("date")).as_py()
    table = parse_payloads("prices", "stooq", payload, as_of=date(2030, 1, 1), ticker="AAN", downloaded=last)["prices"]
    frame = table.to_pandas()
    frame["source"] = "stooq"
    shares = pd.DataFrame({"ticker": ["AAN"], "filed": [pd.Timestamp("2000-01-01")], "shares": [1e6]})
    out = daily_prices(frame, shares, last)
    assert out["price_basis"].iloc[-1] == "none" and out["market_cap"].iloc[-1] == out["close"].iloc[-1] * 1e6
    assert set(out["price_basis"].iloc[:-1]) == {"split_dividend"} and out["market_cap"].iloc[:-1].isna().all()
    assert out["close"].tolist() == table.column("close").to_pylist()  # nothing guessed
