"""Analyst estimates: terminal CSV exports and FMP JSON to raw.estimates, FMP over real HTTP, and the files folder source.

There are no real FMP estimate payloads (nor terminal exports) in ../shared/fixtures, so the payloads here are
written from the documented field names: the v3 shape from FMP's own page for /api/v3/analyst-estimates, the
stable shape from client libraries of /stable/analyst-estimates (see sources/estimates.py).
"""

from __future__ import annotations

import json
import logging
from datetime import date
from pathlib import Path

import pytest

from config.settings import load_settings
from sources.base import Request, SourceError
from sources.connectors import FilesSource, FmpSource
from sources.estimates import parse_estimates_csv, parse_fmp_estimates
from sources.files import parse_payloads
from sources.payload import contract
from sources.registry import build_source
from tests.sources.httpserver import LocalServer, Reply

KEY = "SECRET-FMP-KEY-987"
MON = date(2026, 3, 2)

# What a terminal exports: its own headers, an accented company name, quoted numbers with thousands separators,
# accounting negatives, money in millions, fiscal years written FY2026, and N/A, NM and '-' for no estimate.
TERMINAL = (
    "Symbol,Company,Period,Revenue Mean (USD mm),Net Income Mean (USD mm),EPS Mean,# Est\r\n"
    'ACME,"Acmé Tools – Inc",FY2026,"1,234.5",(12.5),-0.41,7\r\n'
    'ACME,"Acmé Tools – Inc",FY2027,"1,400",N/A,0.10,NM\r\n'
    "\r\n"
    'BETA,Beta Corp,FY2026,-,"88.2","1.05",3\r\n'
)
MAPPING = {
    "fiscal_year": "Period",
    "revenue": "Revenue Mean (USD mm)",
    "earnings": "Net Income Mean (USD mm)",
    "eps": "EPS Mean",
    "analysts": "# Est",
}


def rows(table) -> dict[tuple[str, int], dict]:
    return {(r["ticker"], r["fiscal_year"]): r for r in table.to_pylist()}


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252"])
def test_terminal_export_with_mapping_scale_and_missing_values(encoding: str) -> None:
    payload = TERMINAL.encode(encoding)
    assert payload.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
    table = parse_estimates_csv(payload, origin="exports/consensus.csv", columns=MAPPING, scale=1e6, as_of=MON)
    assert table.schema == contract("estimates")
    got = rows(table)
    assert list(got) == [("ACME", 2026), ("ACME", 2027), ("BETA", 2026)]
    acme, later, beta = got[("ACME", 2026)], got[("ACME", 2027)], got[("BETA", 2026)]
    assert acme["revenue"] == pytest.approx(1_234_500_000.0) and acme["earnings"] == pytest.approx(-12_500_000.0)
    assert acme["eps"] == -0.41 and acme["analysts"] == 7  # EPS and the count are never scaled
    assert later["revenue"] == pytest.approx(1.4e9) and later["earnings"] is None and later["analysts"] is None
    assert beta["revenue"] is None and beta["earnings"] == pytest.approx(88.2e6) and beta["eps"] == 1.05
    assert {r["as_of"] for r in got.values()} == {MON}


def test_unmapped_columns_found_by_name_and_alias_with_an_as_of_column() -> None:
    payload = (
        b"symbol,Fiscal Year,Revenue,Net Income,EPS,Num Analysts,As Of\n"
        b"acme,2026,100,10,1.5,4,2026-03-09\n"
        b"acme,12/2027,120,12,1.8,3,03/09/2026\n"
        b"beta,FY 2026,50,,0.5,2,\n"
    )
    table = parse_estimates_csv(payload, origin="x.csv", columns={}, as_of=MON)
    got = rows(table)
    assert got[("ACME", 2026)] == {"ticker": "ACME", "fiscal_year": 2026, "as_of": date(2026, 3, 9),
                                   "revenue": 100.0, "earnings": 10.0, "eps": 1.5, "analysts": 4}  # fmt: skip
    assert got[("ACME", 2027)]["as_of"] == date(2026, 3, 9)  # a US-style day in the column
    assert got[("BETA", 2026)]["as_of"] == MON  # a blank cell falls back to the day given
    assert got[("BETA", 2026)]["earnings"] is None and got[("BETA", 2026)]["eps"] == 0.5


def test_a_missing_column_names_the_column_the_file_and_its_headers() -> None:
    payload = b"Ticker,Year,EPS\nACME,2026,1.0\n"
    with pytest.raises(SourceError) as failure:
        parse_estimates_csv(payload, origin="drop/consensus_2026-03-02.csv", columns={}, as_of=MON)
    text = str(failure.value)
    assert "drop/consensus_2026-03-02.csv" in text and "fiscal_year" in text and "'Year'" in text
    with pytest.raises(SourceError, match=r"'Net Income Mean'.*headers are 'Ticker', 'Year', 'EPS'"):
        parse_estimates_csv(payload, origin="x.csv", columns={"earnings": "Net Income Mean"}, as_of=MON)
    with pytest.raises(SourceError, match="no earnings or eps column"):
        parse_estimates_csv(b"Ticker,FY,Revenue\nACME,2026,5\n", origin="x.csv", columns={}, as_of=MON)
    with pytest.raises(SourceError, match=r"x\.csv: no as_of column and no as-of day"):
        parse_estimates_csv(b"Ticker,FY,EPS\nACME,2026,5\n", origin="x.csv", columns={})


def test_bad_rows_refuse_the_whole_file_naming_the_rows_and_why() -> None:
    payload = (
        b"Ticker,FY,Net Income,EPS\n"
        b"ACME,2026,10,1.0\n"  # row 1: good
        b"ACME,,11,1.1\n"  # row 2: no fiscal year
        b"BETA,2026,5,0.5\n"  # row 3: good
        b"BETA,2027,-,N/A\n"  # row 4: neither earnings nor eps
        b"GAMMA,2026,1,abc\n"  # row 5: not a number
        b"GAMMA,Next,1,1\n"  # row 6: not a year
    )
    with pytest.raises(SourceError) as failure:
        parse_estimates_csv(payload, origin="drop/bad.csv", columns={}, as_of=MON)
    text = str(failure.value)
    assert "drop/bad.csv" in text and "4 bad rows (2, 4, 5, 6)" in text
    assert "row 2: no fiscal year" in text and "row 4: neither earnings nor eps" in text
    assert "row 5: eps 'abc' is not a number" in text and "row 6: fiscal year 'Next'" in text
    assert "row 1:" not in text and "row 3:" not in text
    dup = b"Ticker,FY,EPS\nACME,2026,1\nBETA,2026,2\nACME,FY2026,3\n"
    with pytest.raises(SourceError, match=r"row 3: same ticker, fiscal year and as_of as row 1"):
        parse_estimates_csv(dup, origin="dup.csv", columns={}, as_of=MON)


def test_an_eps_only_file_is_fine_and_the_scale_leaves_eps_alone() -> None:
    table = parse_estimates_csv(b"TICKER,FY,EPS\nACME,2026,1.25\n", origin="eps.csv", columns={}, scale=1e6, as_of=MON)
    assert table.to_pylist() == [{"ticker": "ACME", "fiscal_year": 2026, "as_of": MON,
                                  "revenue": None, "earnings": None, "eps": 1.25, "analysts": None}]  # fmt: skip


# The v3 shape, field names as FMP documents /api/v3/analyst-estimates/{symbol}.
LEGACY = [
    {"symbol": "ACME", "date": "2026-12-31", "estimatedRevenueLow": 900.0, "estimatedRevenueHigh": 1100.0,
     "estimatedRevenueAvg": 1000.0, "estimatedEbitdaAvg": 300.0, "estimatedNetIncomeLow": 80.0,
     "estimatedNetIncomeHigh": 120.0, "estimatedNetIncomeAvg": 100.0, "estimatedEpsAvg": 2.5,
     "estimatedEpsHigh": 3.0, "estimatedEpsLow": 2.0, "numberAnalystEstimatedRevenue": 6,
     "numberAnalystsEstimatedEps": 5},
    {"symbol": "ACME", "date": "2027-12-31", "estimatedRevenueAvg": 1200.0, "estimatedNetIncomeAvg": None,
     "estimatedEpsAvg": 3.1, "numberAnalystEstimatedRevenue": 4, "numberAnalystsEstimatedEps": 0},
]  # fmt: skip
# The stable shape of /stable/analyst-estimates?symbol=...&period=annual.
STABLE = [
    {"symbol": "BETA", "date": "2027-01-31", "revenueLow": 40.0, "revenueHigh": 60.0, "revenueAvg": 50.0,
     "ebitdaAvg": 9.0, "ebitAvg": 7.0, "netIncomeLow": 3.0, "netIncomeHigh": 5.0, "netIncomeAvg": 4.0,
     "sgaExpenseAvg": 2.0, "epsAvg": 0.42, "epsHigh": 0.5, "epsLow": 0.3, "numAnalystsRevenue": 9,
     "numAnalystsEps": 8},
    {"symbol": "BETA", "date": "2028-01-31", "revenueAvg": 55.0, "netIncomeAvg": 4.5, "epsAvg": 0.47,
     "numAnalystsRevenue": 3},
]  # fmt: skip


def test_fmp_legacy_and_stable_shapes() -> None:
    legacy = rows(parse_fmp_estimates(json.dumps(LEGACY).encode(), origin="fmp/ACME.json", as_of=MON))
    assert legacy[("ACME", 2026)] == {"ticker": "ACME", "fiscal_year": 2026, "as_of": MON, "revenue": 1000.0,
                                      "earnings": 100.0, "eps": 2.5, "analysts": 5}  # fmt: skip
    assert legacy[("ACME", 2027)]["earnings"] is None and legacy[("ACME", 2027)]["analysts"] == 4  # 0 EPS analysts
    stable = rows(parse_fmp_estimates(json.dumps(STABLE).encode(), origin="fmp/BETA.json", as_of=MON))
    # a fiscal year ending in January is dated by the year of its end
    assert stable[("BETA", 2027)] == {"ticker": "BETA", "fiscal_year": 2027, "as_of": MON, "revenue": 50.0,
                                      "earnings": 4.0, "eps": 0.42, "analysts": 8}  # fmt: skip
    assert stable[("BETA", 2028)]["analysts"] == 3  # no EPS count: the revenue one
    empty = parse_fmp_estimates(b"[]", origin="fmp/NONE.json", as_of=MON)
    assert empty.num_rows == 0 and empty.schema == contract("estimates")


def test_fmp_error_object_html_and_a_quarterly_payload_are_refused() -> None:
    with pytest.raises(SourceError, match=r"Financial Modeling Prep: fmp/x\.json: Invalid API KEY"):
        parse_fmp_estimates(b'{"Error Message": "Invalid API KEY."}', origin="fmp/x.json", as_of=MON)
    with pytest.raises(SourceError, match=r"Financial Modeling Prep: fmp/y\.json: got an HTML page"):
        parse_fmp_estimates(b"<!DOCTYPE html><title>Just a moment</title>", origin="fmp/y.json", as_of=MON)
    quarters = [{"symbol": "A", "date": f"2026-{m:02d}-28", "epsAvg": 1.0} for m in (3, 6)]
    with pytest.raises(SourceError, match=r"two estimates of A for fiscal year 2026"):
        parse_fmp_estimates(json.dumps(quarters).encode(), origin="fmp/q.json", as_of=MON)


def settings_for(server: LocalServer | None, tmp_path: Path, **extra: object):
    urls = {"fmp_url": server.url} if server else {}
    return load_settings(
        data_dir=tmp_path / "data", http_retries=2, http_backoff_seconds=(0.01, 0.02), http_timeout_seconds=2.0,
        **urls, **extra,
    )  # fmt: skip


def test_fmp_connector_one_failing_ticker_is_missing_and_the_key_never_shows(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with LocalServer() as server:
        server.route("/stable/analyst-estimates", Reply.json(STABLE), query={"symbol": "BETA"})
        server.route("/stable/analyst-estimates", Reply(500), query={"symbol": "DOWN"})
        server.route(
            "/stable/analyst-estimates", Reply.json({"Error Message": "Limit Reach ."}), query={"symbol": "LIM"}
        )
        source = FmpSource(settings_for(server, tmp_path), api_key=KEY, today=lambda: date(2026, 3, 3))
        table = source.fetch(Request("estimates", date(2026, 2, 24), MON, tickers=("BETA", "DOWN", "LIM")))
        seen = server.requests_to("/stable/analyst-estimates")
    assert sorted(set(table.column("ticker").to_pylist())) == ["BETA"] and table.num_rows == 2
    assert set(table.column("as_of").to_pylist()) == {MON}  # today's consensus, dated the window's end
    missing = source.missing["estimates"]
    assert set(missing) == {"DOWN", "LIM"}
    assert "500" in missing["DOWN"] and "3 attempts" in missing["DOWN"] and "Limit Reach" in missing["LIM"]
    assert sum(1 for r in seen if r.param("symbol") == "DOWN") == 3
    assert {(r.param("period"), r.param("apikey")) for r in seen} == {("annual", KEY)}  # the key was sent ...
    assert all(KEY not in why for why in missing.values())  # ... and never shown
    assert KEY not in caplog.text and "DOWN" in caplog.text


def test_fmp_serves_no_past_window_from_todays_consensus(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with LocalServer() as server:
        server.route("/stable/analyst-estimates", Reply.json(STABLE))
        source = FmpSource(settings_for(server, tmp_path), api_key=KEY, today=lambda: date(2026, 3, 3))
        past = source.fetch(Request("estimates", date(2026, 2, 1), date(2026, 2, 27), tickers=("BETA",)))
        # Saturday's run for Friday's close: no session between, so today's consensus stands for Friday.
        source.today = lambda: date(2026, 3, 7)
        friday = source.fetch(Request("estimates", date(2026, 3, 6), date(2026, 3, 6), tickers=("BETA",)))
        asked = len(server.requests)
    assert past.num_rows == 0 and "nothing is fetched" in caplog.text
    assert friday.num_rows == 2 and asked == 1
    assert FmpSource.scope["estimates"] == "ticker"  # flows ask per-ticker sources for tickers, and land per ticker


def write_csv(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body.encode("cp1252"))
    return path


def test_files_source_filters_on_as_of_and_still_serves_transcripts(tmp_path: Path) -> None:
    drop = tmp_path / "estimates"
    write_csv(drop / "consensus_2026-03-02.csv", 'Ticker,FY,Net Income Mean,EPS\nACME,FY2026,"1,000",1.0\n')
    write_csv(drop / "weekly" / "consensus_2026-03-09.csv", "Ticker,FY,Net Income Mean,EPS\nACME,FY2026,1100,1.1\n")
    write_csv(drop / "notes.txt", "not an export")
    calls = tmp_path / "calls"
    calls.mkdir()
    (calls / "CT_ACME_2026_q1.txt").write_text(
        "ACME Corp (ACME) Q1 2026 Earnings Call\nMarch 4, 2026\n\nOperator\nHi.\n"
    )
    settings = settings_for(
        None, tmp_path, estimates_dir=drop, transcripts_dir=calls, estimates_columns={"earnings": "Net Income Mean"},
        estimates_scale=1e6, source_estimates="files", source_transcripts="files",
    )  # fmt: skip
    source = build_source("files", settings)
    assert isinstance(source, FilesSource) and source.datasets() == {"estimates", "transcripts"}
    later = source.fetch(Request("estimates", date(2026, 3, 5), date(2026, 3, 13)))
    both = source.fetch(Request("estimates", date(2026, 3, 1), date(2026, 3, 31)))
    assert later.to_pylist() == [{"ticker": "ACME", "fiscal_year": 2026, "as_of": date(2026, 3, 9),
                                  "revenue": None, "earnings": 1.1e9, "eps": 1.1, "analysts": None}]  # fmt: skip
    assert sorted(zip(both.column("as_of").to_pylist(), both.column("earnings").to_pylist(), strict=True)) == [
        (date(2026, 3, 2), 1e9), (date(2026, 3, 9), 1.1e9)
    ]  # fmt: skip
    calls_table = source.fetch(Request("transcripts", date(2026, 3, 1), date(2026, 3, 31)))
    assert calls_table.column("call_date").to_pylist() == [date(2026, 3, 4)]


def test_files_source_needs_only_the_folder_of_the_dataset_asked_for(tmp_path: Path) -> None:
    calls = tmp_path / "calls"
    calls.mkdir()
    source = FilesSource(settings_for(None, tmp_path, transcripts_dir=calls))
    assert source.fetch(Request("transcripts", date(2026, 3, 1), date(2026, 3, 31))).num_rows == 0
    with pytest.raises(SourceError, match="EEA_ESTIMATES_DIR is not set"):
        source.fetch(Request("estimates", date(2026, 3, 1), date(2026, 3, 31)))
    undated = tmp_path / "undated"
    write_csv(undated / "consensus.csv", "Ticker,FY,EPS\nACME,2026,1\n")
    with pytest.raises(SourceError, match=r"consensus\.csv: no as_of column"):
        FilesSource(settings_for(None, tmp_path, estimates_dir=undated)).fetch(
            Request("estimates", date(2026, 3, 1), date(2026, 3, 31))
        )


def test_eea_load_parses_estimate_files_dated_by_their_names(tmp_path: Path) -> None:
    csv = ("drop/consensus_2026-03-02.csv", b'Symbol,FY,EPS,Revenue\nACME,2026,1.5,"2.5"\n')
    got = parse_payloads("estimates", "files", [csv], as_of=date(2026, 3, 6), estimate_columns={}, estimate_scale=1e6)
    assert got["estimates"].to_pylist() == [{"ticker": "ACME", "fiscal_year": 2026, "as_of": MON,
                                             "revenue": 2.5e6, "earnings": None, "eps": 1.5, "analysts": None}]  # fmt: skip
    fmp = parse_payloads("estimates", "fmp", [("BETA.json", json.dumps(STABLE).encode())], as_of=date(2026, 3, 6))
    assert set(fmp["estimates"].column("as_of").to_pylist()) == {date(2026, 3, 6)}  # no day in the name: the run's
