"""The EEA model inside the nightly run on the demo market: plausible small-cap numbers, nobody dropped, point in
time on FY0, the headline chart as a file and as Prefect artifacts."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from flows.nightly import nightly
from tests.flows.support import SMALL, frame
from transforms.calendar import last_trading_day

pytestmark = pytest.mark.xdist_group("prefect")

AS_OF = date(2025, 6, 30)


def members_on(data_dir: Path, index_name: str, day: date) -> set[str]:
    rows = frame(
        data_dir,
        f"SELECT ticker FROM index_membership WHERE index_name = '{index_name}' AND valid_from <= DATE '{day}' "
        f"AND (valid_to IS NULL OR valid_to > DATE '{day}')",
    )
    return set(rows["ticker"])


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, prefect_api: str) -> Iterator[dict]:
    data_dir = tmp_path_factory.mktemp("model") / "data"
    # The settings stay in force for the module's tests: the point-in-time test runs the pipeline again.
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("EEA_DATA_DIR", str(data_dir))
        for key, value in {**SMALL, "EEA_HISTORY_YEARS": "4"}.items():
            mp.setenv(key, value)
        yield {"data_dir": data_dir, "result": nightly(as_of=AS_OF)}


def test_index_series_look_like_small_caps(run: dict) -> None:
    index = frame(run["data_dir"], "SELECT * FROM eea_index WHERE index_name = 'russell_2000'")
    assert set(index["series"]) == {"actual", "actual_asreported", "analyst", "projection", "market_implied"}
    # Years carried by most members (not the odd fiscal calendar that alone reaches a year).
    main = index[index["members_used"] >= 0.5 * index.groupby("series")["members_used"].transform("max")]
    for series in ("actual", "analyst", "projection", "market_implied"):
        values = main.loc[main["series"] == series, "value"]
        assert len(values) >= 2, series
        assert values.between(0.0, 0.10).all(), (series, values.tolist())  # single-digit ROA
    mi = index[index["series"] == "market_implied"]
    assert mi["roa_steady"].nunique() == 1 and 0.0 < mi["roa_steady"].iloc[0] < 0.10
    # Beside R*_index: the cap-weighted mean and the median of members' own R*.
    assert mi["roa_steady_cap_weighted"].notna().all() and mi["roa_steady_median"].notna().all()


def test_members_used_plus_excluded_equals_the_members_on_as_of(run: dict) -> None:
    data_dir = run["data_dir"]
    for index_name in ("russell_2000", "large_cap"):
        members = members_on(data_dir, index_name, AS_OF)
        company = frame(data_dir, f"SELECT DISTINCT ticker, reason FROM eea_company WHERE index_name = '{index_name}'")
        solved = set(company.loc[company["reason"].isna(), "ticker"])
        excluded = frame(data_dir, f"SELECT ticker, reason FROM eea_exclusions WHERE index_name = '{index_name}'")
        assert excluded["reason"].notna().all()
        assert solved.isdisjoint(set(excluded["ticker"]))
        assert solved | set(excluded["ticker"]) == members
        mi = frame(
            data_dir,
            f"SELECT max(members_used) AS used, max(members_excluded) AS excl FROM eea_index "
            f"WHERE index_name = '{index_name}' AND series = 'market_implied'",
        ).iloc[0]
        assert mi["used"] == len(solved) and mi["used"] + mi["excl"] == len(members)


def test_company_rows_carry_their_provenance(run: dict) -> None:
    company = frame(run["data_dir"], "SELECT * FROM eea_company WHERE reason IS NULL")
    assert (pd.to_datetime(company["fy0_filed"]).dt.date <= AS_OF).all()
    assert (pd.to_datetime(company["price_date"]).dt.date <= AS_OF).all()
    assert company["revenue_concept"].notna().mean() > 0.95
    assert set(company["revenue_concept"].dropna()) <= {
        "Revenues", "RevenueFromContractWithCustomerExcludingAssessedTax", "SalesRevenueNet",
    }  # fmt: skip
    forward = company[company["period"] != "actual"]
    assert forward["roa_market_implied"].notna().all()
    last = forward[forward["period"] == "FY0+5"]
    assert (last["roa_market_implied"] - last["roa_steady"]).abs().max() < 1e-12


def test_sector_exposure_has_both_groups_for_both_indexes(run: dict) -> None:
    exposure = frame(run["data_dir"], f"SELECT * FROM sector_exposure WHERE as_of <= DATE '{AS_OF}'")
    latest = exposure[exposure["as_of"] == exposure["as_of"].max()]
    assert set(zip(latest["index_name"], latest["sector_group"], strict=True)) == {
        (i, g) for i in ("russell_2000", "large_cap") for g in ("tariff_exposed", "reshoring_sensitive")
    }
    assert latest["weight"].between(0, 100).all() and (latest["weight"] > 0).any()


def test_headline_chart_is_a_png_and_a_prefect_artifact(run: dict) -> None:
    path = run["data_dir"] / "reports" / f"eea_headline_{AS_OF.isoformat()}.png"
    assert run["result"]["chart"] == str(path)
    png = path.read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
    assert (run["data_dir"] / "reports" / "eea_headline.png").read_bytes() == png

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    async def artifacts() -> list:
        async with get_client() as client:
            keys = ArtifactFilterKey(any_=["eea-headline-chart", "eea-headline"])
            return await client.read_artifacts(artifact_filter=ArtifactFilter(key=keys))

    # Other runs on the session's server make artifacts under the same keys: this run's carry this chart.
    found = asyncio.run(artifacts())
    images = [str(a.data) for a in found if a.key == "eea-headline-chart"]
    data_url = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    assert data_url in images
    markdowns = [str(a.data) for a in found if a.key == "eea-headline" and data_url in str(a.data)]
    assert len(markdowns) == 1
    assert "| fiscal year |" in markdowns[0] and "Market-implied" in markdowns[0]


def test_moving_as_of_before_a_10k_filed_date_moves_fy0_back(run: dict) -> None:
    data_dir = run["data_dir"]
    company = frame(
        data_dir,
        "SELECT DISTINCT ticker, fy0, fy0_filed FROM eea_company WHERE index_name = 'russell_2000' "
        "AND reason IS NULL ORDER BY fy0_filed DESC, ticker",
    )
    # The most recent 10-K before as_of: the day before it was filed, its year is not known yet.
    pick = company.iloc[0]
    filed = pd.Timestamp(pick["fy0_filed"]).date()
    before = last_trading_day(filed - timedelta(days=1))
    assert before < filed <= AS_OF
    nightly(as_of=before)
    earlier = frame(
        data_dir, f"SELECT DISTINCT fy0, as_of FROM eea_company WHERE ticker = '{pick['ticker']}'"
    )  # the published warehouse is now as of `before`
    assert list(earlier["as_of"].dt.date) == [before]
    assert list(earlier["fy0"]) == [pick["fy0"] - 1]


def test_explain_lets_a_reader_redo_every_number(run: dict) -> None:
    """eea_explain: for every modelled member, EV, the Uniform ROA and R* follow from the rows before them, and each
    filed fact names its concept, accession and filing date, and is the fact raw.fundamentals holds."""
    data_dir = run["data_dir"]
    rows = frame(data_dir, "SELECT * FROM eea_explain WHERE index_name = 'russell_2000'")
    company = frame(data_dir, "SELECT * FROM eea_company WHERE index_name = 'russell_2000' AND period = 'FY0+1'")
    assert set(rows["ticker"]) == set(company["ticker"])
    wide = rows[rows["section"] != "filings FY0"].pivot_table(
        index="ticker", columns="item", values="value", aggfunc="first"
    )
    ev = wide["market_cap"] + wide["debt"] + wide["preferred"] + wide["minority_interest"] - wide["excess_cash"]
    pd.testing.assert_series_equal(ev, wide["ev"], check_names=False, rtol=1e-12)
    by_ticker = company.set_index("ticker")
    pd.testing.assert_series_equal(wide["ev"], by_ticker["ev"].reindex(wide.index), check_names=False, rtol=1e-12)
    solved = wide["roa_steady"].notna()
    assert solved.sum() >= 10
    redo = (wide["ev"] - wide["a"]) / wide["b"]
    pd.testing.assert_series_equal(redo[solved], wide.loc[solved, "roa_steady"], check_names=False, rtol=1e-12)
    pd.testing.assert_series_equal(
        wide.loc[solved, "roa_steady"], by_ticker["roa_steady"].reindex(wide.index)[solved], check_names=False
    )
    mean_assets = (wide["adj_assets_opening"] + wide["adj_assets"]) / 2
    pd.testing.assert_series_equal(
        (wide["adj_earnings"] / mean_assets).dropna(), wide["roa_0"].reindex(mean_assets.dropna().index).dropna(),
        check_names=False, rtol=1e-12,
    )  # fmt: skip
    # Filed facts: the very fact of raw.fundamentals, by accession.
    filed = rows[(rows["section"] == "filings FY0") & rows["concept"].notna()]
    assert filed["accession"].notna().all() and filed["filed"].notna().all()
    raw = frame(data_dir, "SELECT concept, accession, period_end, value FROM raw.fundamentals")
    joined = filed.merge(raw, on=["concept", "accession", "period_end"], suffixes=("", "_raw"))
    assert len(joined) >= len(filed)
    assert (joined.groupby(["ticker", "concept"])["value"].first() == joined.groupby(["ticker", "concept"])[
        "value_raw"].apply(lambda v: v.iloc[0])).mean() > 0.99  # fmt: skip


def test_eea_explain_prints_the_derivation_says_synthetic_and_recomputes_an_earlier_date(run: dict, capsys) -> None:
    from flows.cli import main

    # Another test of this module publishes other as-of dates: read what is published now.
    rows = frame(
        run["data_dir"], "SELECT as_of, ticker, accession FROM eea_explain WHERE accession IS NOT NULL LIMIT 1"
    )
    published = pd.Timestamp(rows.iloc[0]["as_of"]).date()
    ticker, accession = rows.iloc[0]["ticker"], rows.iloc[0]["accession"]
    assert main(["explain", ticker]) == 0
    out = capsys.readouterr().out
    assert out.startswith("SYNTHETIC DEMO MARKET - not real data")
    assert f"{ticker} as of {published}" in out and accession in out and "R* = (ev - a) / b" in out
    # An earlier date is recomputed read-only from the published warehouse, point in time.
    earlier = last_trading_day(published - timedelta(days=60))
    assert main(["explain", ticker, "--as-of", earlier.isoformat()]) == 0
    assert f"{ticker} as of {earlier}" in capsys.readouterr().out
    assert main(["explain", "NOT-A-MEMBER"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a member the model used" in err
