"""The nightly and backfill flows on the demo market, under a real Prefect server: seeding, idempotence, point in time."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from flows.datasets import prices
from flows.nightly import backfill, nightly
from tests.flows.support import frame
from transforms.calendar import trading_days
from warehouse.ddl import STAMP_COLUMNS, load_layer

pytestmark = pytest.mark.xdist_group("prefect")

AS_OF = date(2025, 6, 30)
LATER = date(2025, 8, 29)
MARTS = [
    "daily_prices", "index_membership", "risk_free", "options_activity", "options_small_vs_large",
    "call_sentiment", "sentiment_index", "sector_exposure", "eea_company", "eea_index", "eea_sensitivity",
    "eea_exclusions", "eea_screen", "eea_explain",
]  # fmt: skip


def snapshot(data_dir: Path) -> dict[str, pd.DataFrame]:
    """Every data table, sorted by all columns: marts whole, raw without the per-run stamps."""
    out = {}
    for name in MARTS:
        df = frame(data_dir, f"SELECT * FROM {name}")
        out[name] = df.sort_values(list(df.columns)).reset_index(drop=True)
    for name, td in load_layer("raw").items():
        cols = [c for c in td.column_names if c not in STAMP_COLUMNS]
        df = frame(data_dir, f"SELECT {', '.join(cols)} FROM raw.{name}")
        out[f"raw.{name}"] = df.sort_values(cols).reset_index(drop=True)
    return out


def test_nightly_seeds_history_then_a_rerun_changes_nothing(demo_env: Path) -> None:
    first = nightly(as_of=AS_OF)
    assert first["as_of"] == AS_OF.isoformat()
    before = snapshot(demo_env)
    for name in [*MARTS, "raw.prices", "raw.constituents", "raw.fundamentals", "raw.options", "raw.transcripts"]:
        assert len(before[name]) > 0, f"{name} is empty after seeding"
    # seeded in bulk: one batch per dataset reaching back the configured history
    batches = frame(demo_env, "SELECT dataset, window_start, window_end, partitions FROM meta.batches")
    assert len(batches) == 9 and (batches["window_end"].dt.date == AS_OF).all()
    px = batches.set_index("dataset").loc["prices"]
    assert px["window_start"].date() == date(2023, 6, 30) and px["partitions"] > 400

    # options marts end to end: sums from the raw chain, z-score history rule, the IWM-SPY spread
    day = frame(demo_env, "SELECT max(trade_date) AS d FROM raw.options")["d"].iloc[0].date()
    raw_puts = frame(
        demo_env,
        f"SELECT sum(volume) AS v FROM raw.options WHERE underlying = 'IWM' AND option_type = 'P' "
        f"AND trade_date = DATE '{day}'",
    )["v"].iloc[0]
    iwm = frame(demo_env, "SELECT * FROM options_activity WHERE underlying = 'IWM' ORDER BY trade_date")
    assert iwm.loc[iwm["trade_date"].dt.date == day, "put_volume"].item() == raw_puts
    assert iwm["put_volume_z"].iloc[:20].isna().all() and iwm["put_volume_z"].iloc[20:].notna().all()
    spread = frame(demo_env, "SELECT * FROM options_small_vs_large")
    assert len(spread) == len(iwm)
    diff = spread["small_pc_volume_ratio"] - spread["large_pc_volume_ratio"]
    assert (abs(diff - spread["pc_volume_ratio_spread"]) < 1e-12).all()

    second = nightly(as_of=AS_OF)
    after = snapshot(demo_env)
    assert before.keys() == after.keys()
    for name in before:
        pd.testing.assert_frame_equal(before[name], after[name], check_exact=True, obj=name)
    # the rerun asked only for the day itself, and replaced it
    rerun = frame(demo_env, f"SELECT dataset, window_start FROM meta.batches WHERE run_id = '{second['run_id']}'")
    assert (rerun["window_start"].dt.date == AS_OF).all()
    runs = frame(demo_env, "SELECT state FROM pipeline_runs")
    assert runs["state"].tolist() == ["published", "published"]


def test_marts_never_see_data_dated_after_as_of(demo_env: Path) -> None:
    nightly(as_of=LATER)
    nightly(as_of=AS_OF)  # the lake now holds two months more than this run may use
    assert frame(demo_env, "SELECT max(date) AS d FROM raw.prices")["d"].iloc[0].date() == LATER
    assert frame(demo_env, "SELECT max(date) AS d FROM daily_prices")["d"].iloc[0].date() == AS_OF
    spells = frame(demo_env, "SELECT * FROM index_membership")
    assert (spells["valid_from"].dt.date <= AS_OF).all()
    assert (spells["valid_to"].dropna().dt.date <= AS_OF).all()
    # members now = the latest snapshot on or before as_of, not a later one
    latest = frame(
        demo_env,
        "SELECT index_name, ticker FROM raw.constituents WHERE as_of = "
        f"(SELECT max(as_of) FROM raw.constituents WHERE as_of <= DATE '{AS_OF}')",
    )
    open_spells = spells.loc[spells["valid_to"].isna(), ["index_name", "ticker"]]
    assert sorted(map(tuple, open_spells.to_numpy())) == sorted(map(tuple, latest.to_numpy()))
    # market cap on as_of uses only share counts filed on or before it
    check = frame(
        demo_env,
        f"""
        WITH known AS (
            SELECT ticker, arg_max(shares, filed) AS shares, max(filed) AS filed
            FROM raw.shares_outstanding WHERE filed <= DATE '{AS_OF}' GROUP BY ticker)
        SELECT d.ticker, d.shares_outstanding, k.shares, k.filed,
               (SELECT exp(sum(ln(p.split_ratio))) FROM raw.prices p
                 WHERE p.ticker = d.ticker AND p.date > k.filed AND p.date <= DATE '{AS_OF}') AS splits
        FROM daily_prices d JOIN known k USING (ticker) WHERE d.date = DATE '{AS_OF}'
        """,
    )
    assert len(check) > 30
    expected = check["shares"] * check["splits"].fillna(1.0)
    assert (abs(check["shares_outstanding"] / expected - 1) < 1e-9).all()


def test_backfill_lands_trading_days_in_bulk(demo_env: Path) -> None:
    result = backfill(start=date(2024, 12, 20), end=date(2025, 1, 5))
    sessions = trading_days(date(2024, 12, 20), date(2025, 1, 5))
    assert result["as_of"] == sessions[-1].isoformat() == "2025-01-03"
    days = frame(demo_env, "SELECT DISTINCT date FROM raw.prices ORDER BY 1")["date"].dt.date.tolist()
    assert days == sessions  # no Christmas, no New Year's Day, no weekend
    batches = frame(demo_env, "SELECT dataset, count(*) AS n FROM meta.batches GROUP BY dataset")
    assert (batches["n"] == 1).all()


def test_a_dataset_flow_alone_publishes_its_own_marts(demo_env: Path) -> None:
    result = prices(as_of=AS_OF)
    # Prices move every enterprise value, so the model's marts are rebuilt with daily_prices; nothing else is.
    model = {"eea_company", "eea_exclusions", "eea_explain", "eea_index", "eea_screen", "eea_sensitivity"}
    assert set(result["rows"]) == {"raw.prices", "daily_prices", "validation_results"} | model
    tables = frame(demo_env, "SELECT table_name FROM meta.table_builds ORDER BY 1")["table_name"].tolist()
    assert tables == sorted(["daily_prices", "validation_results", *model])


def test_calls_are_scored_once_and_all_again_when_the_lexicon_changes(
    demo_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nightly(as_of=AS_OF)
    first = frame(demo_env, "SELECT * FROM call_sentiment")
    calls = frame(demo_env, "SELECT count(*) AS n FROM raw.transcripts")["n"].iloc[0]
    assert first.loc[first["section"] == "call", ["ticker", "call_date"]].drop_duplicates().shape[0] == calls
    assert set(first["lexicon"]) == {"eea_default"}
    assert {"call", "prepared", "qa", "qa_executive", "qa_analyst"} <= set(first["section"])
    index = frame(demo_env, "SELECT * FROM sentiment_index WHERE period = 'month'")
    assert len(index) >= 6 and index["small_calls"].sum() > 0 and index["large_calls"].sum() > 0

    # the next day scores only what is new: the rows already scored are kept as they were
    nightly(as_of=date(2025, 7, 31))
    second = frame(demo_env, "SELECT * FROM call_sentiment WHERE call_date <= DATE '2025-06-27'")
    kept = first[first["call_date"].dt.date <= date(2025, 6, 27)].drop(columns="inputs_as_of")
    pd.testing.assert_frame_equal(
        kept.sort_values(["ticker", "call_date", "section"]).reset_index(drop=True),
        second.drop(columns="inputs_as_of").sort_values(["ticker", "call_date", "section"]).reset_index(drop=True),
    )
    # a new lexicon re-scores every call and keeps the old scores beside the new
    lexicon = tmp_path / "lexicon.csv"
    lexicon.write_text(
        "Word,Negative,Positive,Uncertainty,Litigious,Strong_Modal,Weak_Modal,Constraining\n"
        "STRONG,0,2009,0,0,0,0,0\nWEAK,2009,0,0,0,0,0,0\nDECLINE,2009,0,0,0,0,0,0\nGAINS,0,2009,0,0,0,0,0\n"
    )
    monkeypatch.setenv("EEA_LEXICON_PATH", str(lexicon))
    nightly(as_of=date(2025, 7, 31))
    both = frame(demo_env, "SELECT lexicon, count(DISTINCT (ticker, call_date)) AS n FROM call_sentiment "
                           "WHERE section = 'call' GROUP BY lexicon")  # fmt: skip
    counts = dict(zip(both["lexicon"], both["n"], strict=True))
    total = frame(demo_env, "SELECT count(*) AS n FROM raw.transcripts WHERE call_date <= DATE '2025-07-31'")["n"].iloc[
        0
    ]
    assert counts == {"eea_default": total, "loughran_mcdonald": total}
