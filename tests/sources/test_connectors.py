"""The real providers over real HTTP against a local server: real recorded payloads where present, own payloads always."""

from __future__ import annotations

import json
import logging
from datetime import date
from pathlib import Path

import pyarrow.compute as pc
import pytest

from config.settings import SettingsError, load_settings
from sources.base import Request
from sources.connectors import (
    CboeSource,
    FmpSource,
    FredSource,
    ISharesSource,
    SecSource,
    StooqSource,
    TranscriptFilesSource,
    YahooSource,
)
from tests.sources.httpserver import LocalServer, Reply

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"


def fixture(rel: str) -> Path:
    path = FIXTURES / rel
    if not path.exists():
        pytest.skip(f"real payload not found at {path} (../shared/fixtures is absent)")
    return path


def settings_for(server: LocalServer, tmp_path: Path, **extra: object):
    return load_settings(
        data_dir=tmp_path,
        yahoo_url=server.url,
        stooq_url=server.url,
        cboe_url=server.url,
        fred_url=server.url,
        fred_api_url=server.url,
        sec_data_url=server.url,
        sec_www_url=server.url,
        fmp_url=server.url,
        http_retries=2,
        http_backoff_seconds=(0.01, 0.02),
        http_timeout_seconds=2.0,
        **extra,
    )


def stooq_csv(rows: list[tuple[str, float]]) -> str:
    lines = ["Date,Open,High,Low,Close,Volume"] + [f"{d},{c},{c},{c},{c},1000" for d, c in rows]
    return "\n".join(lines) + "\n"


def test_yahoo_prices_real_payload_lands_as_traded_and_asks_through_today(tmp_path: Path) -> None:
    payload = fixture("prices/yahoo_chart/chart-AAPL-2020-08-31-to-2020-11-07.json")
    raw = json.loads(payload.read_bytes())["chart"]["result"][0]
    with LocalServer() as server:
        server.route("/v8/finance/chart/AAPL", Reply.file(payload))
        source = YahooSource(settings_for(server, tmp_path))
        table = source.fetch(Request("prices", date(2020, 9, 1), date(2020, 11, 6), tickers=("AAPL", "NOPE")))
        asked = server.requests_to("/v8/finance/chart/AAPL")[0]
    # The recorded payload ends 2020-11-06 but was downloaded 2025-02-19 (meta.regularMarketTime): a live answer
    # that does not reach its download day could hide a split, so the ticker is reported missing, with both days.
    assert raw["meta"]["regularMarketTime"] == 1739998801  # 2025-02-19 16:00:01 New York
    assert table.num_rows == 0
    assert "AAPL last bar 2020-11-06, downloaded 2025-02-19" in source.missing["prices"]["AAPL"]
    assert int(asked.param("period2") or 0) > 1_700_000_000  # through the download day, not the window's end
    assert asked.param("events") == "div|split"
    assert "NOPE" in source.missing["prices"] and "404" in source.missing["prices"]["NOPE"]


def test_a_split_inside_the_payload_is_undone_once(tmp_path: Path) -> None:
    payload = fixture("prices/yahoo_chart/chart-AAPL-2020-08-31-to-2020-11-07.json")
    body = json.loads(payload.read_bytes())
    # Prepend the Friday before the split, as Yahoo would send it: already divided by 4.
    res = body["chart"]["result"][0]
    prev = res["meta"]["chartPreviousClose"]
    res["timestamp"].insert(0, res["timestamp"][0] - 3 * 86400)
    for key in ("open", "high", "low", "close"):
        res["indicators"]["quote"][0][key].insert(0, prev)
    res["indicators"]["quote"][0]["volume"].insert(0, 1000)
    res["indicators"]["adjclose"][0]["adjclose"].insert(0, prev)
    # As if downloaded on the last bar's day, so the payload reaches its download day.
    res["meta"]["regularMarketTime"] = res["timestamp"][-1]
    with LocalServer() as server:
        server.route("/v8/finance/chart/AAPL", Reply.json(body))
        table = YahooSource(settings_for(server, tmp_path)).fetch(
            Request("prices", date(2020, 8, 1), date(2020, 11, 6), tickers=("AAPL",))
        )
    rows = {r["date"]: r for r in table.to_pylist()}
    assert rows[date(2020, 8, 28)]["close"] == pytest.approx(prev * 4)  # as traded before the split
    assert rows[date(2020, 8, 31)]["split_ratio"] == 4.0


def test_faults_429_500_html_keep_every_good_row(tmp_path: Path) -> None:
    good = stooq_csv([("2024-01-02", 10.0), ("2024-01-03", 11.0)])
    with LocalServer() as server:
        server.route(
            "/q/d/l/", Reply(429, headers={"Retry-After": "0"}), Reply.text(good, "text/csv"), query={"s": "aaa.us"}
        )
        server.route("/q/d/l/", Reply(500), query={"s": "bbb.us"})
        server.route(
            "/q/d/l/", Reply.text("<!DOCTYPE html><title>Just a moment</title>", "text/html"), query={"s": "ccc.us"}
        )
        server.route("/q/d/l/", Reply.text("", "text/csv"), query={"s": "ddd.us"})
        server.route("/q/d/l/", Reply.text(good, "text/csv"), query={"s": "eee.us"})
        source = StooqSource(settings_for(server, tmp_path))
        table = source.fetch(
            Request("prices", date(2024, 1, 1), date(2024, 1, 5), tickers=("AAA", "BBB", "CCC", "DDD", "EEE"))
        )
        bbb_tries = sum(1 for r in server.requests_to("/q/d/l/") if r.param("s") == "bbb.us")
    assert sorted(set(table.column("ticker").to_pylist())) == ["AAA", "EEE"]
    assert table.num_rows == 4
    missing = source.missing["prices"]
    assert set(missing) == {"BBB", "CCC"}  # DDD answered with no data: nothing missing, nothing landed
    assert "500" in missing["BBB"] and "3 attempts" in missing["BBB"]
    assert "HTML" in missing["CCC"] and "stooq" in missing["CCC"] and "ccc.us" in missing["CCC"]
    assert bbb_tries == 3  # the first try and two retries, then the provider gives up on that ticker


def test_a_slow_response_is_a_timeout_and_the_rest_goes_on(tmp_path: Path) -> None:
    good = stooq_csv([("2024-01-02", 10.0)])
    with LocalServer() as server:
        server.route("/q/d/l/", Reply.text(good, "text/csv", delay=1.5), query={"s": "slow.us"})
        server.route("/q/d/l/", Reply.text(good, "text/csv"), query={"s": "fast.us"})
        settings = settings_for(server, tmp_path).model_copy(update={"http_timeout_seconds": 0.3, "http_retries": 0})
        source = StooqSource(settings)
        table = source.fetch(Request("prices", date(2024, 1, 1), date(2024, 1, 5), tickers=("SLOW", "FAST")))
    assert table.column("ticker").to_pylist() == ["FAST"]
    assert "SLOW" in source.missing["prices"]


def test_fred_csv_and_api_key_never_shown(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    csv = fixture("rates/fredgraph_2026-07-30/DGS10.csv")
    with LocalServer() as server:
        server.route("/graph/fredgraph.csv", Reply.file(csv, "text/csv"))
        server.route("/fred/series/observations", Reply(500))
        settings = settings_for(server, tmp_path)
        table = FredSource(settings).fetch(Request("rates", date(2026, 7, 1), date(2026, 7, 30)))
        caplog.set_level(logging.DEBUG)
        keyed = FredSource(settings, api_key="SECRET-KEY-123")
        with pytest.raises(Exception) as failure:
            keyed.fetch(Request("rates", date(2026, 7, 1), date(2026, 7, 30)))
    expected = {}
    for line in csv.read_text().splitlines()[1:]:
        day, value = line.split(",")
        if "2026-07-01" <= day <= "2026-07-30":
            expected[date.fromisoformat(day)] = float(value) if value not in ("", ".") else None
    assert dict(zip(table.column("date").to_pylist(), table.column("value").to_pylist(), strict=True)) == expected
    assert "SECRET-KEY-123" not in str(failure.value) and "SECRET-KEY-123" not in caplog.text
    assert "fred" in str(failure.value)


def test_ishares_holdings_file_is_todays_snapshot(tmp_path: Path) -> None:
    holdings = fixture("constituents/2026-05-05/IWM_holdings.csv")
    with LocalServer() as server:
        server.route("/us/products/239710/x.ajax", Reply.file(holdings, "text/csv"), query={"fileType": "csv"})
        settings = settings_for(
            server, tmp_path, ishares_small_cap_url=f"{server.url}/us/products/239710/x.ajax?fileType=csv"
        )
        inside = ISharesSource(settings).fetch(Request("constituents", date(2026, 5, 1), date(2026, 5, 5)))
        before = ISharesSource(settings).fetch(Request("constituents", date(2026, 4, 1), date(2026, 4, 30)))
    assert inside.num_rows > 1900 and set(inside.column("as_of").to_pylist()) == {date(2026, 5, 5)}
    assert before.num_rows == 0  # a past window cannot be served from today's file
    assert pc.sum(inside.column("weight")).as_py() == pytest.approx(100, abs=2)


def test_sec_needs_a_contact_and_stays_under_ten_requests_a_second(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="EEA_SEC_USER_AGENT must name a contact"):
        load_settings(
            data_dir=tmp_path, source_fundamentals="sec", source_companies="sec", source_shares_outstanding="sec"
        )
    tickers = [f"T{i:02d}" for i in range(25)]
    mapping = {str(i): {"cik_str": 1000 + i, "ticker": t, "title": f"{t} Corp"} for i, t in enumerate(tickers)}

    def submissions(seen) -> Reply:
        cik = int(seen.path.split("CIK")[1].split(".")[0])
        return Reply.json({"cik": f"{cik:010d}", "name": f"Co {cik}", "tickers": [f"T{cik - 1000:02d}"],
                           "exchanges": ["NYSE"], "sic": "3714", "sicDescription": "Motor Vehicle Parts",
                           "fiscalYearEnd": "1231"})  # fmt: skip

    with LocalServer() as server:
        server.route("/files/company_tickers.json", Reply.json(mapping))
        for i in range(25):
            server.route(f"/submissions/CIK{1000 + i:010d}.json", submissions)
        settings = settings_for(
            server, tmp_path, sec_user_agent="Jane Analyst jane@example.com",
            source_fundamentals="sec", source_companies="sec", source_shares_outstanding="sec",
        )  # fmt: skip
        table = SecSource(settings).fetch(
            Request("companies", date(2026, 1, 1), date(2026, 1, 2), tickers=tuple(tickers))
        )
        seen = server.requests
    assert table.num_rows == 25 and set(table.column("sic").to_pylist()) == {3714}
    agents = [{k.lower(): v for k, v in r.headers.items()}.get("user-agent", "") for r in seen]
    assert all("jane@example.com" in agent for agent in agents)
    times = sorted(r.time for r in seen)
    busiest = max(sum(1 for t in times if start <= t < start + 0.99) for start in times)
    assert len(times) == 26 and busiest <= 10
    assert times[-1] - times[0] >= 2.0  # 26 requests at 10 a second take more than two seconds


def test_cboe_option_chain_real_payload(tmp_path: Path) -> None:
    chain = fixture("options/cboe/delayed_quotes/options/AAPL.json")
    raw = json.loads(chain.read_bytes())["data"]["options"]
    with LocalServer() as server:
        server.route("/api/global/delayed_quotes/options/AAPL.json", Reply.file(chain))
        table = CboeSource(settings_for(server, tmp_path)).fetch(
            Request("options", date(2026, 7, 20), date(2026, 7, 24), tickers=("AAPL",))
        )
    assert table.num_rows == len(raw) == 3576
    assert pc.sum(table.column("volume")).as_py() == pytest.approx(sum(o["volume"] or 0 for o in raw))
    assert set(table.column("trade_date").to_pylist()) == {date(2026, 7, 24)}


def test_transcript_folder_and_fmp_api(tmp_path: Path) -> None:
    folder = tmp_path / "calls"
    folder.mkdir()
    (folder / "CT_ACME_2024_q1.txt").write_bytes(
        "ACME Corp (ACME) Q1 2024 Earnings Call\r\nApril 20, 2024\r\n\r\nOperator\r\nWelcome \u2013 thanks.\r\n\r\n"
        "Jane Roe\r\nDemand was strong.\r\n".encode("cp1252")
    )
    fmp = [{"symbol": "ACME", "quarter": 2, "year": 2024, "date": "2024-07-20 17:00:00",
            "content": "Operator: Welcome.\nJane Roe: Demand was strong.\nSam Lee: Margins?"}]  # fmt: skip
    with LocalServer() as server:
        server.route("/api/v3/earning_call_transcript/ACME", Reply.json(fmp), query={"quarter": "2", "year": "2024"})
        server.route("/api/v3/earning_call_transcript/ACME", Reply.json([]))
        settings = settings_for(server, tmp_path, transcripts_dir=folder)
        files = TranscriptFilesSource(settings).fetch(Request("transcripts", date(2024, 1, 1), date(2024, 12, 31)))
        api = FmpSource(settings, api_key="FMPKEY").fetch(
            Request("transcripts", date(2024, 7, 1), date(2024, 7, 31), tickers=("ACME",))
        )
        keys = {r.param("apikey") for r in server.requests}
    assert files.column("ticker").to_pylist() == ["ACME"] and files.column("call_date").to_pylist() == [
        date(2024, 4, 20)
    ]
    assert "–" in files.column("text")[0].as_py()  # cp1252 en dash decoded
    assert api.column("call_date").to_pylist() == [date(2024, 7, 20)]
    assert keys == {"FMPKEY"}
