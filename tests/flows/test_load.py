"""`eea load`: downloaded payloads through the same parser, warehouse path and marts; a bad payload changes nothing."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from flows.cli import main
from tests.flows.support import stooq_load
from warehouse.store import connect_readonly, published_path

pytestmark = pytest.mark.xdist_group("prefect")

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"


def fixture(rel: str) -> Path:
    path = FIXTURES / rel
    if not path.exists():
        pytest.skip(f"real payload not found at {path} (../shared/fixtures is absent)")
    return path


def own_stooq(tmp_path: Path) -> Path:
    path = tmp_path / "abc_us_d.csv"
    path.write_text(
        "Date,Open,High,Low,Close,Volume\n2024-01-02,10,11,9,10.5,1000\n2024-01-03,10.5,12,10,11.5,1500.5\n"
    )
    return path


def test_load_into_an_empty_data_dir_holds_only_what_was_loaded(demo_env: Path, tmp_path: Path, capsys) -> None:
    assert main(stooq_load(str(own_stooq(tmp_path)), "2024-01-05")) == 0
    assert "Published warehouse:" in capsys.readouterr().out
    con = connect_readonly(demo_env)
    try:
        assert con.execute("SELECT ticker, date, close, source FROM daily_prices ORDER BY date").fetchall() == [
            ("ABC", date(2024, 1, 2), 10.5, "stooq"),
            ("ABC", date(2024, 1, 3), 11.5, "stooq"),
        ]
        assert con.execute("SELECT count(*) FROM raw.constituents").fetchone() == (0,)
        assert con.execute("SELECT kind, state FROM pipeline_runs").fetchall() == [("load", "published")]
    finally:
        con.close()


def test_a_payload_it_cannot_accept_changes_nothing(demo_env: Path, tmp_path: Path, capsys) -> None:
    assert main(stooq_load(str(own_stooq(tmp_path)), "2024-01-05")) == 0
    before = published_path(demo_env).read_bytes()
    bad = tmp_path / "xyz_us_d.csv"
    bad.write_text("<!DOCTYPE html><html><title>Just a moment...</title></html>")
    capsys.readouterr()
    assert (
        main(["load", "prices", "--source", "stooq", "--as-of", "2024-01-05", "--downloaded", "2024-01-05", str(bad)])
        == 1
    )
    err = capsys.readouterr().err
    assert "nothing was loaded" in err and "stooq" in err and "xyz_us_d.csv" in err and "HTML" in err
    assert published_path(demo_env).read_bytes() == before


def test_real_payloads_load_and_build_their_marts(demo_env: Path, capsys) -> None:
    holdings = fixture("constituents/2026-05-05/IWM_holdings.csv")
    chart = fixture("prices/yahoo_chart/chart-AAPL-2020-08-31-to-2020-11-07.json")
    rates = fixture("rates/fredgraph_2026-07-30/DGS10.csv")
    facts = fixture("fundamentals/companyfacts/CIK0001835632.json")
    assert main(["load", "constituents", "--source", "ishares", "--as-of", "2026-05-05", str(holdings)]) == 0
    capsys.readouterr()
    # The chart ends 2020-11-06 but was downloaded 2025-02-19: refused, naming both days (before issue 15 it
    # landed silently, on an unknown basis).
    assert main(["load", "prices", "--source", "yahoo", "--as-of", "2026-05-05", str(chart)]) == 1
    err = capsys.readouterr().err
    # one line for the user (Prefect's own log lines may precede it)
    (line,) = [x for x in err.splitlines() if x.startswith("eea: nothing was loaded")]
    assert "yahoo" in line and "AAPL last bar 2020-11-06, downloaded 2025-02-19" in line
    assert main(["load", "rates", "--source", "fred", "--as-of", "2026-05-05", str(rates)]) == 0
    assert (
        main(["load", "fundamentals", "--source", "sec", "--ticker", "MRVL", "--as-of", "2026-05-05", str(facts)]) == 0
    )
    raw = json.loads(chart.read_bytes())["chart"]["result"][0]
    con = connect_readonly(demo_env)
    try:
        members = con.execute("SELECT count(*) FROM index_membership WHERE valid_to IS NULL").fetchone()[0]  # type: ignore[index]
        assert members > 1900
        assert raw["meta"]["regularMarketTime"] == 1739998801
        assert con.execute("SELECT count(*) FROM daily_prices WHERE ticker = 'AAPL'").fetchone() == (0,)
        # nothing dated after as_of landed from the FRED file, which runs to 2026-07-30
        assert con.execute("SELECT max(date) FROM risk_free").fetchone() == (date(2026, 5, 5),)
        assert con.execute("SELECT max(filed) FROM raw.fundamentals").fetchone()[0] <= date(2026, 5, 5)  # type: ignore[index]
        assert con.execute("SELECT count(*) FROM raw.shares_outstanding").fetchone()[0] > 0  # type: ignore[index]
    finally:
        con.close()


def test_an_option_chain_file_loads_into_options_activity(demo_env: Path) -> None:
    chain = fixture("options/cboe/delayed_quotes/options/AAPL.json")
    raw = json.loads(chain.read_bytes())["data"]["options"]
    assert main(["load", "options", "--source", "cboe", "--as-of", "2026-07-24", str(chain)]) == 0
    con = connect_readonly(demo_env)
    try:
        row = con.execute(
            "SELECT trade_date, put_volume + call_volume, put_oi + call_oi FROM options_activity WHERE underlying = 'AAPL'"
        ).fetchone()
        flags = con.execute(
            "SELECT count(*) FILTER (WHERE zero_iv), count(*) FROM staging.options WHERE underlying = 'AAPL'"
        ).fetchone()
    finally:
        con.close()
    assert row == (date(2026, 7, 24), sum(o["volume"] or 0 for o in raw), sum(o["open_interest"] or 0 for o in raw))
    assert flags == (sum(1 for o in raw if not o["iv"]), len(raw))  # zero-IV contracts kept and flagged


def test_stooq_file_needs_its_download_day_and_only_that_days_bar_is_as_traded(
    demo_env: Path, tmp_path: Path, capsys
) -> None:
    path = own_stooq(tmp_path)
    assert main(["load", "prices", "--source", "stooq", "--as-of", "2024-01-05", str(path)]) == 1
    err = capsys.readouterr().err
    assert "nothing was loaded" in err and "abc_us_d.csv" in err and "--downloaded" in err
    # downloaded on 2024-01-03, the file's last bar: that bar is as traded, 2024-01-02 stays Stooq's adjusted close
    assert (
        main(["load", "prices", "--source", "stooq", "--as-of", "2024-01-05", "--downloaded", "2024-01-03", str(path)])
        == 0
    )
    con = connect_readonly(demo_env)
    try:
        rows = con.execute("SELECT date, close, price_basis, basis_date FROM daily_prices ORDER BY date").fetchall()
        assert rows == [
            (date(2024, 1, 2), 10.5, "split_dividend", date(2024, 1, 3)),
            (date(2024, 1, 3), 11.5, "none", None),
        ]
        assert con.execute("SELECT DISTINCT basis_date FROM raw.prices").fetchall() == [(date(2024, 1, 3),)]
    finally:
        con.close()


def test_a_refused_yahoo_file_is_reported_and_the_others_land(demo_env: Path, tmp_path: Path, capsys) -> None:
    # Own payloads in Yahoo's format: NVDA downloaded on its last bar lands; a 2021 window of SMLC downloaded
    # 2025-02-21 is refused with both days, and the load still publishes NVDA.
    from tests.sources.test_parsers_b import NVDA_NEW, chart, stamp

    good, bad = tmp_path / "nvda.json", tmp_path / "smlc.json"
    good.write_bytes(NVDA_NEW)
    bad.write_bytes(chart([(stamp(date(2021, 12, 31)), 10.0, 10.0)], market_time=stamp(date(2025, 2, 21))))
    assert main(["load", "prices", "--source", "yahoo", "--as-of", "2025-02-21", str(good), str(bad)]) == 0
    err = capsys.readouterr().err
    assert "refused" in err and "SMLC last bar 2021-12-31, downloaded 2025-02-21" in err
    con = connect_readonly(demo_env)
    try:
        closes = con.execute("SELECT date, close FROM daily_prices WHERE ticker = 'NVDA' ORDER BY date").fetchall()
        assert closes[:3] == [(date(2022, 1, 3), pytest.approx(301.0)), (date(2024, 6, 7), pytest.approx(1209.0)),
                              (date(2024, 6, 10), pytest.approx(121.8))]  # fmt: skip
        assert con.execute("SELECT count(*) FROM daily_prices WHERE ticker = 'SMLC'").fetchone() == (0,)
    finally:
        con.close()


def test_holdings_with_a_cash_accrual_load_and_a_true_conflict_is_refused(
    demo_env: Path, tmp_path: Path, capsys
) -> None:
    from tests.sources.test_ishares_accruals import (
        ALPHA,
        SPECIAL,
        SPECIAL_ACCRUAL,
        SPECIAL_CONFLICT,
        USD_CASH,
        holdings_file,
    )

    conflict = tmp_path / "IWM_conflict.csv"
    conflict.write_bytes(holdings_file([ALPHA, SPECIAL, SPECIAL_CONFLICT, USD_CASH]))
    assert main(["load", "constituents", "--source", "ishares", "--as-of", "2025-12-15", str(conflict)]) == 1
    err = capsys.readouterr().err
    # One line for the user (Prefect may print its own warnings before it), naming source, file, ticker and lines.
    refusal = [line for line in err.splitlines() if line.startswith("eea: nothing was loaded:")]
    assert len(refusal) == 1 and refusal[0].startswith("eea: nothing was loaded: ishares: "), err
    assert "IWM_conflict.csv" in refusal[0] and "SPCL (lines 12, 13 differ in" in refusal[0]

    accrual = tmp_path / "IWM_accrual.csv"
    accrual.write_bytes(holdings_file([ALPHA, SPECIAL, SPECIAL_ACCRUAL, USD_CASH]))
    assert main(["load", "constituents", "--source", "ishares", "--as-of", "2025-12-15", str(accrual)]) == 0
    con = connect_readonly(demo_env)
    try:
        members = con.execute(
            "SELECT ticker, weight, valid_from FROM index_membership WHERE valid_to IS NULL ORDER BY ticker"
        ).fetchall()
        raw = con.execute("SELECT shares_held, market_value FROM raw.constituents WHERE ticker = 'SPCL'").fetchall()
    finally:
        con.close()
    assert members == [("ALPH", 0.41, date(2025, 12, 15)), ("SPCL", 0.14, date(2025, 12, 15))]
    assert raw == [(2205012.0, 84120335.04)]


def test_a_quarter_of_sec_financial_statement_data_sets_loads_into_raw_fundamentals(
    demo_env: Path, tmp_path: Path, capsys
) -> None:
    from tests.sources.fsds_zip import KA, K, Q, tiny_fsds_zip

    path = tmp_path / "2009q3.zip"
    path.write_bytes(tiny_fsds_zip())
    assert main(["load", "fundamentals", "--source", "sec_fsds", "--as-of", "2026-05-05", str(path)]) == 0
    assert "Published warehouse:" in capsys.readouterr().out
    con = connect_readonly(demo_env)
    try:
        rows = con.execute(
            "SELECT cik, concept, unit, period_start, period_end, value, form, accession, source FROM raw.fundamentals "
            "ORDER BY cik, concept, period_end, period_start"
        ).fetchall()
    finally:
        con.close()
    d = date
    assert rows == [
        (1234, "Assets", "USD", None, d(2009, 6, 30), 1001.0, "10-K/A", KA, "sec_fsds"),
        (1234, "EarningsPerShareBasic", "USD/shares", d(2008, 7, 1), d(2009, 6, 30), 1.25, "10-K", K, "sec_fsds"),
        (1234, "EntityCommonStockSharesOutstanding", "shares", None, d(2009, 7, 31), 5000.0, "10-K", K, "sec_fsds"),
        (1234, "Revenues", "USD", d(2008, 7, 1), d(2009, 6, 30), 500.0, "10-K", K, "sec_fsds"),
        (1234, "Revenues", "USD", d(2009, 4, 1), d(2009, 6, 30), 130.0, "10-K", K, "sec_fsds"),
        (5678, "Revenues", "USD", d(2008, 12, 1), d(2009, 2, 28), 40.0, "10-Q", Q, "sec_fsds"),
        (5678, "Revenues", "USD", d(2009, 1, 1), d(2009, 6, 30), 90.0, "10-Q", Q, "sec_fsds"),
    ]


def test_a_quarter_zip_refuses_a_single_ticker(demo_env: Path, tmp_path: Path, capsys) -> None:
    from tests.sources.fsds_zip import tiny_fsds_zip

    path = tmp_path / "2009q3.zip"
    path.write_bytes(tiny_fsds_zip())
    args = ["load", "fundamentals", "--source", "sec_fsds", "--ticker", "ALFA", "--as-of", "2026-05-05", str(path)]
    assert main(args) == 1
    (line,) = [x for x in capsys.readouterr().err.splitlines() if x.startswith("eea: nothing was loaded")]
    assert "sec_fsds" in line and "2009q3.zip" in line and "--ticker ALFA" in line
