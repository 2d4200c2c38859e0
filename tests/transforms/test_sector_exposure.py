"""sector_exposure: the shipped mapping, hand-computed index weights, point-in-time SIC, the sector fallback, bad mapping lines, the demo market."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sources.base import Request
from sources.demo import DemoSource
from transforms.sector_exposure import COLUMNS, classify, load_sector_groups, sector_exposure

SHIPPED = Path(__file__).resolve().parents[2] / "config" / "sector_groups.csv"
S1, S2 = date(2024, 3, 28), date(2024, 6, 28)

MAPPING = """\
# a hand-written mapping for the tests
group,kind,from,to,comment
tariff,sic,3714,3714,auto parts
tariff,sector,Industrials,,fallback for members without SIC
reshoring,sic,3730,3731,ships
idle,sic,9000,9099,no member is ever here
"""


def groups_of(groups: pd.DataFrame, sic: int | None, sector: str | None = None) -> dict[str, str]:
    """The groups one member lands in, with the basis of each."""
    member = pd.DataFrame({"ticker": ["X"], "sic": pd.array([sic], dtype="Int64"), "sector": [sector]})
    out = classify(member, groups)
    return dict(zip(out["group"], out["basis"], strict=True))


@pytest.fixture(scope="module")
def shipped() -> pd.DataFrame:
    return load_sector_groups(SHIPPED.read_text())


# --- the shipped mapping -------------------------------------------------------------------------------------------


def test_the_shipped_mapping_loads_with_both_groups_of_the_research_note(shipped: pd.DataFrame) -> None:
    assert set(shipped["group"]) == {"tariff_exposed", "reshoring_sensitive"}
    assert (shipped["comment"].str.len() > 10).all()
    assert set(shipped["kind"]) == {"sic", "sector"}


@pytest.mark.parametrize(
    ("sic", "expected"),
    [
        (3714, {"tariff_exposed"}),  # motor vehicle parts
        (4213, {"tariff_exposed"}),  # trucking
        (3560, {"tariff_exposed"}),  # general industrial machinery
        (3678, {"tariff_exposed"}),  # electronic connectors
        (3731, {"reshoring_sensitive"}),  # shipbuilding
        (1623, {"reshoring_sensitive"}),  # power-line and pipeline construction
        (3812, {"reshoring_sensitive"}),  # defense electronics
        (3312, {"reshoring_sensitive"}),  # steel
        (3620, {"tariff_exposed", "reshoring_sensitive"}),  # electrical industrial apparatus
        (3728, {"tariff_exposed", "reshoring_sensitive"}),  # aircraft parts
        (7372, set()),  # software
        (2834, set()),  # pharmaceuticals: in SIC major group 28 beside chemicals, but not a specialty material
        (3674, set()),  # semiconductors: left out of components on purpose (see the file)
        (4512, set()),  # scheduled (passenger) airlines
        (3826, set()),  # laboratory analytical instruments: life-science tools
    ],
)
def test_codes_land_where_a_reader_expects(shipped: pd.DataFrame, sic: int, expected: set[str]) -> None:
    assert set(groups_of(shipped, sic, "Industrials")) == expected


def test_the_shipped_sector_fallback_applies_only_without_a_sic_code(shipped: pd.DataFrame) -> None:
    assert groups_of(shipped, None, "Industrials") == {"tariff_exposed": "sector"}
    assert groups_of(shipped, None, "  materials ") == {"reshoring_sensitive": "sector"}
    assert groups_of(shipped, None, "Information Technology") == {}
    assert groups_of(shipped, 7372, "Industrials") == {}


# --- classify ------------------------------------------------------------------------------------------------------


def test_classify_falls_back_to_the_sector_and_keeps_the_member_columns() -> None:
    groups = load_sector_groups(MAPPING)
    members = pd.DataFrame(
        {
            "ticker": ["AAA", "BBB", "CCC", "DDD", "EEE"],
            "sic": pd.array([3714, None, 3731, None, 6022], dtype="Int64"),
            "sector": ["Consumer Discretionary", "industrials", None, "", "Industrials"],
            "weight": [1.0, 2.0, 3.0, 4.0, 5.0],
        }
    )
    out = classify(members, groups)
    assert list(zip(out["ticker"], out["group"], out["basis"], strict=True)) == [
        ("AAA", "tariff", "sic"),
        ("BBB", "tariff", "sector"),
        ("CCC", "reshoring", "sic"),
    ]
    assert out["weight"].tolist() == [1.0, 2.0, 3.0]


# --- sector_exposure on a hand-built index -------------------------------------------------------------------------


def hand_built() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two snapshots of a small-cap index (weights summing to 50, then 100) and the reference data behind them.

    AAA: SIC 3714 until May, 7372 from then on. BBB: no SIC, sector Industrials (fallback).
    CCC: no CIK in the holdings file, found by ticker, SIC 3731. DDD: no reference row, no sector.
    EEE (second snapshot only): its reference rows are all dated after the snapshot; the earliest says SIC 3714.
    """
    constituents = pd.DataFrame(
        [
            ("russell_2000", S1, "AAA", 20.0, "Consumer Discretionary", 1),
            ("russell_2000", S1, "BBB", 10.0, "Industrials", 2),
            ("russell_2000", S1, "CCC", 15.0, "Industrials", None),
            ("russell_2000", S1, "DDD", 5.0, None, 4),
            ("russell_2000", S2, "AAA", 40.0, "Consumer Discretionary", 1),
            ("russell_2000", S2, "BBB", 30.0, "Industrials", 2),
            ("russell_2000", S2, "CCC", 20.0, "Industrials", None),
            ("russell_2000", S2, "EEE", 10.0, " ", 5),
        ],
        columns=["index_name", "as_of", "ticker", "weight", "sector", "cik"],
    ).astype({"cik": "Int64"})
    companies = pd.DataFrame(
        [
            (1, "AAA", date(2024, 1, 2), 3714),
            (1, "AAA", date(2024, 5, 1), 7372),
            (2, "BBB", date(2024, 1, 2), None),
            (3, "CCC", date(2024, 2, 1), 3731),
            (5, "EEE", date(2024, 9, 30), 3714),
            (5, "EEE", date(2024, 12, 31), 7372),
        ],
        columns=["cik", "ticker", "as_of", "sic"],
    ).astype({"sic": "Int64"})
    return constituents, companies


def row(out: pd.DataFrame, as_of: date, group: str) -> pd.Series:
    hit = out.loc[(out["as_of"] == as_of) & (out["group"] == group)]
    assert len(hit) == 1
    return hit.iloc[0]


def test_hand_built_index_weights_members_and_fallback_share() -> None:
    constituents, companies = hand_built()
    out = sector_exposure(constituents, companies, load_sector_groups(MAPPING))
    assert list(out.columns) == COLUMNS
    assert len(out) == 2 * 3  # every group on every snapshot
    # S1: total weight 50. tariff = AAA (sic) 20 + BBB (sector) 10; reshoring = CCC 15; DDD 5 has nothing.
    s1 = row(out, S1, "tariff")
    assert s1["weight"] == pytest.approx(60.0)
    assert s1["members"] == 2
    assert s1["weight_by_sector_fallback"] == pytest.approx(20.0)
    assert s1["members_total"] == 4
    assert s1["unclassified_weight"] == pytest.approx(10.0)
    assert row(out, S1, "reshoring")["weight"] == pytest.approx(30.0)
    assert row(out, S1, "reshoring")["weight_by_sector_fallback"] == 0.0
    assert row(out, S1, "idle")["weight"] == 0.0
    assert row(out, S1, "idle")["members"] == 0
    # S2: total 100. tariff = BBB (sector) 30 + EEE (earliest reference row) 10; AAA is software by now.
    s2 = row(out, S2, "tariff")
    assert s2["weight"] == pytest.approx(40.0)
    assert s2["members"] == 2
    assert s2["weight_by_sector_fallback"] == pytest.approx(30.0)
    assert s2["unclassified_weight"] == 0.0
    assert row(out, S2, "reshoring")["weight"] == pytest.approx(20.0)


def test_sic_is_taken_as_known_on_each_snapshot() -> None:
    constituents, companies = hand_built()
    only_aaa = constituents.loc[constituents["ticker"] == "AAA"]
    out = sector_exposure(only_aaa, companies, load_sector_groups(MAPPING))
    assert row(out, S1, "tariff")["weight"] == pytest.approx(100.0)  # 3714 on 2024-01-02
    assert row(out, S2, "tariff")["weight"] == 0.0  # 7372 from 2024-05-01


def test_the_holdings_cik_beats_the_ticker() -> None:
    constituents, companies = hand_built()
    # The ticker AAA is reused by another company (cik 9, a shipbuilder); AAA's holdings rows carry cik 1.
    reused = pd.concat([companies, pd.DataFrame([(9, "AAA", date(2024, 1, 2), 3731)], columns=companies.columns)])
    out = sector_exposure(constituents.loc[constituents["ticker"] == "AAA"], reused, load_sector_groups(MAPPING))
    assert row(out, S1, "reshoring")["weight"] == 0.0
    assert row(out, S1, "tariff")["weight"] == pytest.approx(100.0)


def test_no_sic_falls_back_to_sector_and_neither_is_unclassified() -> None:
    constituents = pd.DataFrame(
        [
            ("large_cap", S1, "BBB", 30.0, "Industrials", 2),
            ("large_cap", S1, "DDD", 60.0, None, 4),
            ("large_cap", S1, "FFF", 10.0, "Health Care", 6),
        ],
        columns=["index_name", "as_of", "ticker", "weight", "sector", "cik"],
    )
    companies = pd.DataFrame({"cik": [2], "ticker": ["BBB"], "as_of": [S1], "sic": pd.array([None], dtype="Int64")})
    out = sector_exposure(constituents, companies, load_sector_groups(MAPPING))
    tariff = row(out, S1, "tariff")
    assert tariff["weight"] == pytest.approx(30.0)
    assert tariff["weight_by_sector_fallback"] == pytest.approx(30.0)
    assert tariff["unclassified_weight"] == pytest.approx(60.0)  # FFF has a sector, so it is not unclassified
    assert (out["index_name"] == "large_cap").all()


def test_indexes_are_kept_apart() -> None:
    constituents, companies = hand_built()
    large = constituents.loc[(constituents["as_of"] == S1) & (constituents["ticker"] == "CCC")]
    both = pd.concat([constituents, large.assign(index_name="large_cap", weight=3.0)])
    out = sector_exposure(both, companies, load_sector_groups(MAPPING))
    assert len(out) == 3 * 3
    lc = out.loc[out["index_name"] == "large_cap"]
    assert dict(zip(lc["group"], lc["weight"], strict=True)) == {"tariff": 0.0, "reshoring": 100.0, "idle": 0.0}
    assert row(out.loc[out["index_name"] == "russell_2000"], S1, "reshoring")["weight"] == pytest.approx(30.0)


def test_2500_members_by_100_snapshots_give_every_group_on_every_snapshot() -> None:
    members, snapshots = 2_500, 100
    rng = np.random.default_rng(0)
    days = pd.date_range("2017-01-31", periods=snapshots, freq="ME")
    sics = rng.choice(np.array([3714, 3731, 7372, 6022, 3620, 2834]), size=members)
    constituents = pd.DataFrame(
        {
            "index_name": "russell_2000",
            "as_of": np.repeat(days.date, members),
            "ticker": np.tile([f"T{i:04d}" for i in range(members)], snapshots),
            "weight": rng.random(members * snapshots),
            "sector": np.tile(rng.choice(["Industrials", "Financials", "Materials"], size=members), snapshots),
            "cik": np.tile(np.arange(members), snapshots),
        }
    )
    companies = pd.DataFrame(
        {
            "cik": np.tile(np.arange(members), snapshots),
            "ticker": np.tile([f"T{i:04d}" for i in range(members)], snapshots),
            "as_of": np.repeat(days.date, members),
            "sic": np.tile(sics, snapshots),
        }
    )
    groups = load_sector_groups(SHIPPED.read_text())
    out = sector_exposure(constituents, companies, groups)
    assert len(out) == snapshots * 2
    assert (out["members_total"] == members).all()
    # 3714 is tariff-exposed only, 3731 reshoring only, 3620 both: members counted per group add up to that.
    tariff = out[out["group"] == "tariff_exposed"]
    assert (tariff["members"] == int(np.isin(sics, [3714, 3620]).sum())).all()


# --- malformed mapping lines ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("tariff,naics,3714,3714,wrong kind", "unknown kind"),
        ("tariff,sic,3716,3711,backwards", "greater than"),
        ("tariff,sic,37x4,3714,a typo", "not an integer"),
        ("tariff,sic,3714.5,3715,a fraction", "not an integer"),
        (",sic,3714,3714,no group", "empty group"),
        ("tariff,sic,3714,3714,", "no comment"),
        ("tariff,sector,Industrials,Materials,sector with a to", "leave it empty"),
        ("tariff,sic,3714,3714,a, comment with an unquoted comma", "expected 5 fields"),
    ],
)
def test_a_malformed_line_is_named(line: str, why: str) -> None:
    text = "# header comment\n\ngroup,kind,from,to,comment\ntariff,sic,3714,3714,fine\n" + line + "\n"
    with pytest.raises(ValueError, match=rf"line 5\b.*{why}"):
        load_sector_groups(text)


def test_a_file_without_the_header_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"line 2\b.*header"):
        load_sector_groups("# no header below\ntariff,sic,3714,3714,auto parts\n")


# --- the demo market -----------------------------------------------------------------------------------------------


def test_demo_market_tariff_exposure_is_sensible(shipped: pd.DataFrame) -> None:
    on = date(2025, 6, 30)
    source = DemoSource(n_small=200, n_large=50)
    constituents = source.fetch(Request("constituents", on, on)).to_pandas()
    companies = source.fetch(Request("companies", on, on)).to_pandas()
    out = sector_exposure(constituents, companies, shipped)
    tariff = out.loc[out["group"] == "tariff_exposed"].set_index("index_name")["weight"]
    assert 5.0 <= tariff["russell_2000"] <= 40.0
    assert tariff["large_cap"] > 0.0
    assert out.loc[out["group"] == "reshoring_sensitive", "weight"].gt(0.0).all()
    # The demo gives every company a SIC code: nothing rests on the sector fallback.
    assert (out["weight_by_sector_fallback"] == 0.0).all()
    assert (out["unclassified_weight"] == 0.0).all()
    assert set(out["as_of"]) == {on}
