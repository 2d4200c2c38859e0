"""`eea status` and `eea doctor` against a real published warehouse, a real quarantine record and real HTTP."""

from __future__ import annotations

import json
import socket
from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest

from flows.cli import main
from tests.flows.support import stooq_load
from tests.sources.httpserver import LocalServer, Reply
from warehouse.store import WarehouseRun

pytestmark = pytest.mark.xdist_group("prefect")


def own_stooq(tmp_path: Path) -> Path:
    path = tmp_path / "abc_us_d.csv"
    path.write_text("Date,Open,High,Low,Close,Volume\n2024-01-02,10,11,9,10.5,1000\n2024-01-03,10.5,12,10,11.5,1200\n")
    return path


def test_status_lists_runs_freshness_marts_and_quarantine(demo_env: Path, tmp_path: Path, capsys) -> None:
    assert main(["status"]) == 1  # nothing published yet
    assert "no published warehouse" in capsys.readouterr().out
    assert main(stooq_load(str(own_stooq(tmp_path)), "2024-01-03")) == 0
    # A batch that failed its gate, kept whole by the store as a nightly would.
    with WarehouseRun(demo_env, kind="rates", as_of=date(2024, 1, 5)) as run:
        table = pa.table({"series": ["DGS10"], "date": [date(2024, 1, 5)], "value": [-999.0]})
        report = {"results": [{"expectation": "value between -1 and 25", "success": False, "severity": "critical"}]}
        batch = run.quarantine(
            "rates", table, source="fred", window=(date(2024, 1, 5), date(2024, 1, 5)), report=report
        )
        run.abort("test: nothing to publish")
    capsys.readouterr()
    assert main(["status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["published_as_of"] == "2024-01-05"
    assert [r["kind"] for r in status["runs"]][-1] == "load"
    fresh = {d["dataset"]: d for d in status["datasets"]}
    # The file holds bars through 2024-01-03; as of Friday 2024-01-05 that is two sessions behind.
    assert fresh["prices"]["landed_through"] == "2024-01-03" and fresh["prices"]["trading_days_behind"] == 2
    assert fresh["prices"]["source"] == "stooq"
    assert fresh["options"]["landed_through"] is None
    marts = {m["table_name"]: m for m in status["marts"]}
    assert marts["daily_prices"]["rows"] == 2
    assert [q["batch_id"] for q in status["quarantined"]] == [batch]
    assert status["quarantined"][0]["failed"] == ["value between -1 and 25"]
    assert status["running"] is None

    assert main(["status"]) == 0
    text = capsys.readouterr().out
    assert "never landed" in text and "Quarantined batches: 1" in text and batch in text


def test_status_says_whether_the_published_data_comes_from_the_demo_market(
    demo_env: Path, tmp_path: Path, capsys
) -> None:
    assert main(stooq_load(str(own_stooq(tmp_path)), "2024-01-03")) == 0
    capsys.readouterr()
    assert main(["status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["synthetic"] is False and status["synthetic_datasets"] == []
    assert main(["status"]) == 0
    text = capsys.readouterr().out
    assert "SYNTHETIC" not in text and "no dataset comes from the demo market" in text

    # Demo rates beside the real prices: a mixed warehouse, and status names the simulated dataset.
    with WarehouseRun(demo_env, kind="rates", as_of=date(2024, 1, 5)) as run:
        table = pa.table({"series": ["DGS10"], "date": [date(2024, 1, 5)], "value": [4.0]})
        run.land("rates", table, source="demo", window=(date(2024, 1, 5), date(2024, 1, 5)))
        run.publish()
    assert main(["status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["synthetic"] is True and status["synthetic_datasets"] == ["rates"]
    assert [r["synthetic"] for r in status["runs"]] == [True, False]
    assert main(["status"]) == 0
    text = capsys.readouterr().out
    assert "SYNTHETIC DEMO MARKET - not real data" in text and "simulated: rates." in text


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_doctor_checks_each_configured_provider(demo_env: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    with LocalServer() as server:
        server.route("/", Reply.text("ok"))
        monkeypatch.setenv("EEA_SOURCE_PRICES", "yahoo")
        monkeypatch.setenv("EEA_YAHOO_URL", server.url)
        assert main(["doctor", "--timeout", "2"]) == 0
        out = capsys.readouterr().out
        assert "ok    provider yahoo" in out and "HTTP 200" in out
        assert "provider demo" in out and "disk" in out

        # A provider that does not answer, and one whose key is missing: each named, exit 1.
        monkeypatch.setenv("EEA_SOURCE_OPTIONS", "cboe")
        monkeypatch.setenv("EEA_CBOE_URL", f"http://127.0.0.1:{_closed_port()}")
        monkeypatch.setenv("EEA_SOURCE_ESTIMATES", "fmp")
        monkeypatch.setenv("EEA_FMP_URL", server.url)
        monkeypatch.delenv("EEA_FMP_API_KEY", raising=False)
        assert main(["doctor", "--timeout", "2"]) == 1
        out = capsys.readouterr().out
        assert "FAIL  provider cboe" in out and "unreachable" in out
        assert "FAIL  key fmp" in out and "EEA_FMP_API_KEY" in out
        assert "5 of 7 checks passed; failed: provider cboe, key fmp" in out

        monkeypatch.setenv("EEA_FMP_API_KEY", "sekret-123")
        monkeypatch.setenv("EEA_SOURCE_OPTIONS", "demo")
        assert main(["doctor", "--timeout", "2"]) == 0
        out = capsys.readouterr().out
        assert "sekret-123" not in out and "ok    key fmp" in out


def test_doctor_reports_bad_settings(demo_env: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("EEA_SOURCE_PRICES", "nosuch")
    assert main(["doctor"]) == 1
    assert "FAIL  settings" in capsys.readouterr().out


def test_status_query_and_doctor_with_the_lake_on_s3(
    demo_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, s3_lake
) -> None:
    for key, value in {
        "EEA_LAKE_URL": s3_lake.url,
        "EEA_S3_ENDPOINT_URL": s3_lake.endpoint_url,
        "EEA_S3_ACCESS_KEY_ID": s3_lake.access_key_id,
        "EEA_S3_SECRET_ACCESS_KEY": s3_lake.secret_access_key,
    }.items():
        monkeypatch.setenv(key, value)
    assert main(stooq_load(str(own_stooq(tmp_path)), "2024-01-03")) == 0
    capsys.readouterr()
    assert main(["query", "SELECT ticker, count(*) AS n, max(close) AS c FROM raw.prices GROUP BY ticker"]) == 0
    out = capsys.readouterr().out
    assert "ABC" in out and "11.5" in out  # read from the bucket with the settings' credentials
    assert main(["status"]) == 0
    assert f"lake: {s3_lake.url} at {s3_lake.endpoint_url}" in capsys.readouterr().out
    assert main(["doctor", "--timeout", "2"]) == 0
    out = capsys.readouterr().out
    assert "ok    lake" in out and "bucket reachable" in out
    assert s3_lake.secret_access_key not in out

    monkeypatch.setenv("EEA_LAKE_URL", "s3://no-such-bucket/eea")
    assert main(["doctor", "--timeout", "2"]) == 1
    assert "FAIL  lake" in (out := capsys.readouterr().out) and "bucket 'no-such-bucket' does not exist" in out
