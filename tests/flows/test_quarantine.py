"""The validation gate in a real run: a bad batch is quarantined whole, the rest lands and publishes, release and drop."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from flows.cli import main
from flows.nightly import nightly
from sources.base import SourceError
from sources.demo import DemoSource
from warehouse.store import connect_readonly, quarantined

pytestmark = pytest.mark.xdist_group("prefect")

FIRST, NEXT = date(2025, 6, 27), date(2025, 6, 30)


def query(data_dir: Path, sql: str) -> list[tuple]:
    con = connect_readonly(data_dir)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_a_bad_batch_is_quarantined_and_the_run_goes_on(
    demo_env: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    nightly(as_of=FIRST)
    real_fetch = DemoSource.fetch

    def corrupt(self, request):  # the provider sends a price of zero and a high below the low
        table = real_fetch(self, request)
        if request.dataset != "prices" or table.num_rows == 0:
            return table
        close = table.column("close").to_pylist()
        close[0] = 0.0
        high = table.column("high").to_pylist()
        high[1] = table.column("low")[1].as_py() / 2
        table = table.set_column(table.schema.get_field_index("close"), "close", pa.array(close))
        return table.set_column(table.schema.get_field_index("high"), "high", pa.array(high))

    monkeypatch.setattr(DemoSource, "fetch", corrupt)
    result = nightly(as_of=NEXT)
    monkeypatch.setattr(DemoSource, "fetch", real_fetch)

    assert set(result["quarantined"]) == {"prices"}
    batch = result["quarantined"]["prices"]
    # nothing of the bad batch landed; every other dataset did, and the marts published on the last good prices
    assert query(demo_env, "SELECT max(date) FROM raw.prices") == [(FIRST,)]
    assert query(demo_env, "SELECT max(date) FROM daily_prices") == [(FIRST,)]
    assert query(demo_env, "SELECT max(date) FROM raw.rates") == [(NEXT,)]
    assert query(demo_env, "SELECT max(as_of) FROM pipeline_runs WHERE state = 'published'") == [(NEXT,)]
    # and the marts say so: built on prices up to the day before, the rest up to today
    assert query(demo_env, "SELECT DISTINCT inputs_as_of FROM daily_prices") == [(FIRST,)]
    assert query(demo_env, "SELECT DISTINCT inputs_as_of FROM risk_free") == [(NEXT,)]
    failed = query(
        demo_env,
        f"SELECT expectation, severity, unexpected_count FROM validation_results "
        f"WHERE batch_id = '{batch}' AND NOT success AND severity = 'critical'",
    )
    assert failed, "the failures are in validation_results"
    assert query(demo_env, f"SELECT DISTINCT outcome FROM validation_results WHERE batch_id = '{batch}'") == [
        ("quarantined",)
    ]
    assert (demo_env / "validation" / "docs" / "index.html").is_file()  # Data Docs built by the run
    records = quarantined(demo_env)
    assert [r["batch_id"] for r in records] == [batch]
    assert pq.read_table(records[0]["_parquet"]).num_rows == records[0]["rows"] > 0

    assert main(["quarantine", "list"]) == 0
    listing = capsys.readouterr().out
    assert batch in listing and "prices" in listing

    # someone fixed the source: the batch flows on as if it had just landed
    assert main(["quarantine", "release", batch]) == 0
    assert query(demo_env, "SELECT max(date) FROM raw.prices") == [(NEXT,)]
    assert query(demo_env, "SELECT max(date) FROM daily_prices") == [(NEXT,)]
    assert query(demo_env, "SELECT DISTINCT inputs_as_of FROM daily_prices") == [(NEXT,)]
    assert quarantined(demo_env) == []
    released = query(
        demo_env, f"SELECT count(*) FROM validation_results WHERE batch_id = '{batch}' AND outcome = 'released'"
    )
    assert released[0][0] > 0
    assert main(["quarantine", "drop", "no-such-batch"]) == 1


def test_load_refuses_a_payload_that_fails_the_gate(demo_env: Path, tmp_path: Path, capsys) -> None:
    bad = tmp_path / "abc_us_d.csv"
    bad.write_text("Date,Open,High,Low,Close,Volume\n2024-01-02,10,9,11,-10.5,1000\n")
    assert main(["load", "prices", "--source", "stooq", "--as-of", "2024-01-05", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "nothing was loaded" in err and "prices" in err
    assert not (demo_env / "warehouse.duckdb").exists()


def test_a_provider_down_for_a_whole_dataset_does_not_stop_the_rest(
    demo_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nightly(as_of=FIRST)
    real_fetch = DemoSource.fetch

    def down(self, request):
        if request.dataset == "rates":
            raise SourceError("fred: GET https://fred.example/graph/fredgraph.csv: HTTP 503 after 5 attempts")
        return real_fetch(self, request)

    monkeypatch.setenv("EEA_EXTRACT_RETRIES", "0")
    monkeypatch.setattr(DemoSource, "fetch", down)
    result = nightly(as_of=NEXT)
    assert set(result["failed"]) == {"rates"} and "503" in result["failed"]["rates"]
    assert query(demo_env, "SELECT max(date) FROM raw.rates") == [(FIRST,)]
    assert query(demo_env, "SELECT max(date) FROM raw.prices") == [(NEXT,)]
    assert query(demo_env, "SELECT DISTINCT inputs_as_of FROM risk_free") == [(FIRST,)]
    assert query(demo_env, "SELECT DISTINCT inputs_as_of FROM daily_prices") == [(NEXT,)]
