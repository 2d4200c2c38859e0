"""The model's inputs and results on a hand-built index of four members, each number checked from its definition."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from models.eea import implied_roa, index_implied_roa, value_at
from models.series import IndexPolicy, Results, run_model
from transforms.eea_inputs import ModelParams, company_inputs, cost_of_capital, latest_estimates, members_on

AS_OF = date(2025, 6, 30)
PARAMS = ModelParams(horizon=5, g_terminal=0.04, beta=1.0, erp=0.05)


def _statements() -> pd.DataFrame:
    # cik 1..3 have FY2023 and FY2024; cik 4 is a member without statements (excluded at the inputs stage).
    rows = []
    for cik, (assets, earnings, net, revenue) in {
        1: ((1000.0, 1100.0), (70.0, 88.0), (60.0, 75.0), (500.0, 550.0)),
        2: ((2000.0, 2000.0), (100.0, 120.0), (90.0, 100.0), (900.0, 900.0)),
        3: ((300.0, 330.0), (10.0, 12.0), (8.0, 9.0), (200.0, 240.0)),
    }.items():
        for j, fy in enumerate((2023, 2024)):
            rows.append(
                {
                    "cik": cik,
                    "fiscal_year": fy,
                    "period_end": date(fy, 12, 31),
                    "filed": date(fy + 1, 2, 20),
                    "adj_assets": assets[j],
                    "assets": assets[j] * 1.2,
                    "adj_earnings": earnings[j],
                    "net_income": net[j],
                    "revenue": revenue[j],
                    "operating_income": earnings[j] / 0.75,
                    "debt": 100.0 * cik,
                    "preferred": 0.0,
                    "minority_interest": 0.0,
                    "excess_cash": 1000.0 if cik == 3 else 10.0,  # CCC: more spare cash than it is worth
                    "variable_rate_debt_share": 0.4 if cik == 1 else np.nan,
                    "revenue_concept": "Revenues",
                    "operating_income_concept": "OperatingIncomeLoss",
                    "assets_concept": "Assets",
                    "debt_concept": "LongTermDebt",
                    "borrowings": 100.0 * cik,
                    "lease_liabilities": np.nan,
                    "debt_flag": None,
                    "interest": 8.0 * cik,  # after the 25% tax: 6, 12, 18
                    "tax_rate": 0.25,
                    "adjusted_reason": None,
                }
            )
    st = pd.DataFrame(rows)
    prev = st.groupby("cik")["adj_assets"].shift()
    st["roa_adjusted"] = st["adj_earnings"] / np.where(prev.notna(), (prev + st["adj_assets"]) / 2, st["adj_assets"])
    prev_t = st.groupby("cik")["assets"].shift()
    st["roa_asreported"] = st["net_income"] / np.where(prev_t.notna(), (prev_t + st["assets"]) / 2, st["assets"])
    return st


def _frames() -> dict[str, pd.DataFrame]:
    membership = pd.DataFrame(
        {
            "index_name": ["russell_2000"] * 5,
            "ticker": ["AAA", "BBB", "CCC", "DDD", "OLD"],
            "valid_from": [date(2020, 6, 26)] * 5,
            "valid_to": [None, None, None, None, date(2024, 6, 28)],
            "weight": [0.4, 0.3, 0.2, 0.1, 0.5],
            "sector": ["Industrials", "Industrials", "Health Care", "Industrials", "Energy"],
            "name": ["A Co", "B Co", "C Co", "D Co", "Old Co"],
            "cik": [1, 2, 3, 4, 9],
        }
    )
    market = pd.DataFrame(
        {
            "ticker": ["AAA", "BBB", "CCC", "DDD"],
            "date": [AS_OF] * 4,
            "close": [10.0, 20.0, 1.0, 5.0],
            "shares_outstanding": [150.0, 100.0, 1.0, 10.0],
            "market_cap": [1500.0, 2000.0, 1.0, 50.0],
        }
    )
    estimates = pd.DataFrame(
        {
            "ticker": ["AAA", "AAA", "AAA", "BBB"],
            "fiscal_year": [2025, 2026, 2025, 2025],
            "as_of": [date(2025, 6, 1), date(2025, 6, 1), date(2025, 3, 1), date(2025, 7, 15)],
            "revenue": [605.0, 665.5, 1.0, 999.0],
            "earnings": [95.0, np.nan, 1.0, 999.0],
            "eps": [np.nan, 0.7, np.nan, np.nan],
            "analysts": [5, 4, 5, 3],
            "source": ["demo"] * 4,
        }
    )
    companies = pd.DataFrame(
        {"cik": [1, 2, 3, 4], "ticker": ["AAA", "BBB", "CCC", "DDD"], "sic": [3714, 3731, 2834, 7372]}
    )
    return {"membership": membership, "market": market, "estimates": estimates, "companies": companies}


@pytest.fixture(scope="module")
def model() -> dict:
    f = _frames()
    st = _statements()
    members = members_on(f["membership"], AS_OF)
    est = latest_estimates(f["estimates"], AS_OF)
    r = 0.045 + 0.05
    inputs, exclusions = company_inputs(members, st, f["market"], est, f["companies"], r, AS_OF, PARAMS)
    sectors = pd.Series({1: "Industrials", 2: "Industrials", 3: "Health Care"})
    results = run_model(inputs, exclusions, st, sectors, AS_OF, r, PARAMS.g_terminal, PARAMS.horizon, screen_size=10)
    return {"inputs": inputs, "exclusions": exclusions, "results": results, "st": st, "r": r}


def test_members_on_as_of_leave_out_a_spell_that_ended() -> None:
    members = members_on(_frames()["membership"], AS_OF)
    assert list(members["ticker"]) == ["AAA", "BBB", "CCC", "DDD"]


def test_latest_estimates_ignore_a_consensus_read_after_as_of() -> None:
    est = latest_estimates(_frames()["estimates"], AS_OF)
    assert set(est["ticker"]) == {"AAA"}  # BBB's consensus was read on 2025-07-15, after as_of
    aaa_2025 = est[(est["ticker"] == "AAA") & (est["fiscal_year"] == 2025)].iloc[0]
    assert aaa_2025["revenue"] == 605.0  # the June read, not the March one


def test_cost_of_capital_is_the_last_treasury_plus_beta_times_erp() -> None:
    rf = pd.DataFrame(
        {
            "series": ["DGS10"] * 3,
            "date": [date(2025, 6, 27), date(2025, 6, 30), date(2025, 7, 1)],
            "value": [4.3, np.nan, 9.9],
        }
    )
    r, day = cost_of_capital(rf, AS_OF, PARAMS)
    assert day == date(2025, 6, 27)
    assert r == pytest.approx(0.043 + 0.05)


def test_ev_and_growth_follow_the_spec(model: dict) -> None:
    aaa = model["inputs"].set_index("ticker").loc["AAA"]
    assert aaa["ev"] == pytest.approx(1500 + 100 - 10)
    assert aaa["assets_0"] == 1100.0 and aaa["fy0"] == 2024
    # Analyst revenue 605 then 665.5: growth 10% twice, then a straight fade to g_terminal at year 5.
    assert aaa["growth_1"] == pytest.approx(0.10) and aaa["growth_2"] == pytest.approx(0.10)
    assert aaa["growth_3"] == pytest.approx(0.10 + (1 / 3) * (0.04 - 0.10))
    assert aaa["growth_5"] == pytest.approx(0.04)
    assert aaa["growth_source"] == "analyst revenue"
    # BBB has no usable consensus: fade from last year's revenue growth (0%) to 4%.
    bbb = model["inputs"].set_index("ticker").loc["BBB"]
    assert bbb["growth_1"] == pytest.approx(0.0 + (1 / 5) * 0.04)
    assert bbb["growth_source"] == "last year's revenue"


def test_every_member_is_used_or_excluded_with_a_reason(model: dict) -> None:
    res = model["results"]
    excl = res.exclusions
    # CCC's EV is 1 + 300 debt - 1000 excess cash = -699: it has no R* of its own (its company rows say why), but a
    # net-cash company is a real member, so it stays in the index sums (issue 15, point 4).
    assert dict(zip(excl["ticker"], excl["stage"], strict=True)) == {"DDD": "inputs"}
    ccc = res.company[(res.company["ticker"] == "CCC") & (res.company["period"] == "FY0+1")].iloc[0]
    assert ccc["reason"] == "ev <= 0" and np.isnan(ccc["roa_steady"])
    mi = res.index[res.index["series"] == "market_implied"]
    assert (mi["members_used"].max() + mi["members_excluded"].iloc[0]) == 4
    assert mi["members_used"].max() == 3


def test_index_market_implied_reaches_r_star_at_h_and_values_the_index(model: dict) -> None:
    res, inputs = model["results"], model["inputs"]
    mi = res.index[res.index["series"] == "market_implied"].set_index("fiscal_year")
    steady = mi["roa_steady"].iloc[0]
    # At t = H every member earns R*_index, so the index ROA of FY0+H is R*_index itself.
    assert mi.loc[2024 + 5, "value"] == pytest.approx(steady, rel=1e-12)
    used = inputs[inputs["ticker"].isin(["AAA", "BBB", "CCC"])].assign(r=model["r"], g_terminal=0.04)
    # Valued as one firm: the members' values at R*_index add up to their enterprise values (CCC's negative one too).
    total = value_at(used, np.full(len(used), steady)).sum()
    assert total == pytest.approx(used["ev"].sum(), rel=1e-9)
    # FY0+1 by hand: sum of (roa_0 + (R* - roa_0)/H) A_0 over sum of A_0.
    roa0, a0 = used["roa_0"].to_numpy(), used["assets_0"].to_numpy()
    expected = ((roa0 + (steady - roa0) / 5) * a0).sum() / a0.sum()
    assert mi.loc[2025, "value"] == pytest.approx(expected, rel=1e-12)


def test_actual_index_roa_is_a_sum_over_a_sum(model: dict) -> None:
    actual = model["results"].index.query("series == 'actual'").set_index("fiscal_year")
    # FY2024 over AAA, BBB, CCC (DDD has no statements): earnings / mean assets, summed separately.
    num = 88 + 120 + 12
    den = (1000 + 1100) / 2 + 2000 + (300 + 330) / 2
    assert actual.loc[2024, "value"] == pytest.approx(num / den)
    assert actual.loc[2024, "members_used"] == 3


def test_analyst_roa_is_consensus_on_the_uniform_basis_over_opening_assets(model: dict) -> None:
    company = model["results"].company.set_index(["ticker", "fiscal_year"])
    fy1 = company.loc[("AAA", 2025)]
    # Net income 95 plus FY0's recurring bridge only, over A_0 = 1100: interest 8 after 25% tax = 6, and the R&D
    # adjustment 88 - (88 / 0.75) x 0.75 = 0. The rest of FY0's gap (88 - 75 - 6 = 7, one-offs below operating
    # income) is not carried forward (issue 15, point 7; on main the bridge was 13).
    assert fy1["roa_analyst"] == pytest.approx((95 + 6) / 1100)
    assert fy1["roa_analyst_reported"] == pytest.approx(95 / 1100)
    fy2 = company.loc[("AAA", 2026)]
    a1 = 1100 * 1.10
    assert fy2["roa_analyst"] == pytest.approx((0.7 * 150 + 6 * a1 / 1100) / a1)  # EPS x shares
    assert np.isnan(company.loc[("AAA", 2027), "roa_analyst"])


def test_company_rows_match_the_contract_function(model: dict) -> None:
    company = model["results"].company
    solved = implied_roa(model["inputs"]).set_index("ticker")
    aaa = company[(company["ticker"] == "AAA") & (company["period"] == "FY0+3")].iloc[0]
    assert aaa["roa_market_implied"] == pytest.approx(solved.loc["AAA", "roa_implied_3"])
    assert aaa["roa_steady"] == pytest.approx(solved.loc["AAA", "roa_steady"])
    hist = company[(company["ticker"] == "AAA") & (company["period"] == "actual")]
    assert list(hist["fiscal_year"]) == [2023, 2024]


def test_projection_reverts_toward_the_sector_median(model: dict) -> None:
    res = model["results"]
    company = res.company.set_index(["ticker", "fiscal_year"])
    k = res.index["k"].iloc[0]
    assert k == pytest.approx(0.3)  # two years of history: too short to estimate, the spec's default
    st = model["st"]
    median_2024 = st[(st["fiscal_year"] == 2024) & st["cik"].isin([1, 2])]["roa_adjusted"].median()
    roa0 = model["inputs"].set_index("ticker").loc["AAA", "roa_0"]
    assert company.loc[("AAA", 2025), "roa_projection"] == pytest.approx(roa0 + k * (median_2024 - roa0))


def test_screen_ranks_by_the_gap_and_carries_what_a_picker_checks(model: dict) -> None:
    screen = model["results"].screen
    assert list(screen["ticker"]) == ["AAA"]  # the only member with a consensus and a solve
    row = screen.iloc[0]
    assert row["rank"] == 1
    assert row["gap"] == pytest.approx(
        np.mean([row["roa_analyst_fy1"] - row["roa_implied_fy1"], row["roa_analyst_fy2"] - row["roa_implied_fy2"]])
    )
    assert row["leverage"] == pytest.approx(100 / 1320)
    assert row["floating_rate_debt_share"] == pytest.approx(0.4)
    assert row["operating_margin"] == pytest.approx((88 / 0.75) / 550)


def test_sensitivity_moves_r_star_the_right_way(model: dict) -> None:
    sens = model["results"].sensitivity.set_index(["parameter", "shift"])["roa_steady"]
    assert sens[("r", 0.01)] > sens[("r", 0.0)] > sens[("r", -0.01)]
    assert sens[("g_terminal", 0.01)] != sens[("g_terminal", 0.0)]


def test_a_warehouse_with_members_but_no_filings_excludes_everyone_and_builds_empty_marts() -> None:
    # A first `eea load` of holdings alone: members, no statements, no prices, no estimates, no rates.
    f = _frames()
    st = _statements().iloc[0:0]
    members = members_on(f["membership"], AS_OF)
    inputs, exclusions = company_inputs(
        members, st, f["market"].iloc[0:0], latest_estimates(f["estimates"].iloc[0:0], AS_OF), f["companies"],
        float("nan"), AS_OF, PARAMS,
    )  # fmt: skip
    assert inputs.empty
    assert sorted(exclusions["ticker"]) == ["AAA", "BBB", "CCC", "DDD"]
    assert set(exclusions["reason"]) == {"no annual statements filed on or before as_of"}
    res = run_model(inputs, exclusions, st, pd.Series(dtype=object), AS_OF, float("nan"), 0.04, 5)
    assert res.company.empty and res.screen.empty and res.sensitivity.empty
    assert set(res.exclusions["stage"]) == {"inputs"}
    assert len(res.exclusions) == 4


def test_coverage_says_how_much_of_the_index_each_year_stands_on(model: dict) -> None:
    idx = model["results"].index.set_index(["series", "fiscal_year"])
    # Members on as_of: AAA 0.4, BBB 0.3, CCC 0.2, DDD 0.1 (no statements). FY2024 actual: AAA, BBB, CCC.
    row = idx.loc[("actual", 2024)]
    assert row["members_total"] == 4
    assert row["members_coverage"] == pytest.approx(3 / 4)
    assert row["weight_coverage"] == pytest.approx(0.9)
    assert bool(row["coverage_ok"])
    # FY2026 analyst: only AAA has a consensus: weight 0.4 of 1.0, under the two-thirds default.
    thin = idx.loc[("analyst", 2026)]
    assert thin["members_used"] == 1 and thin["weight_coverage"] == pytest.approx(0.4)
    assert not bool(thin["coverage_ok"])


def _with_a_bank(policy: IndexPolicy) -> tuple[pd.DataFrame, pd.DataFrame, Results]:
    f = _frames()
    f["companies"].loc[f["companies"]["ticker"] == "BBB", "sic"] = 6022  # a state commercial bank
    st = _statements()
    members = members_on(f["membership"], AS_OF)
    r = 0.045 + 0.05
    inputs, exclusions = company_inputs(
        members, st, f["market"], latest_estimates(f["estimates"], AS_OF), f["companies"], r, AS_OF, PARAMS
    )
    sectors = pd.Series({1: "Industrials", 2: "Industrials", 3: "Health Care"})
    res = run_model(inputs, exclusions, st, sectors, AS_OF, r, 0.04, 5, policy=policy)
    return inputs, exclusions, res


def test_financials_are_out_of_the_index_by_default_with_the_reason_and_in_a_variant() -> None:
    inputs, _, res = _with_a_bank(IndexPolicy())
    excl = res.exclusions.set_index("ticker")
    assert excl.loc["BBB", "stage"] == "policy"
    assert excl.loc["BBB", "reason"].startswith("financial (SIC 6022)")
    assert "BBB" not in set(res.company["ticker"])
    mi = res.index[res.index["series"] == "market_implied"]
    assert mi["members_used"].max() == 2  # AAA and CCC
    used = inputs[inputs["ticker"].isin(["AAA", "CCC"])]
    r = 0.045 + 0.05
    expected = index_implied_roa(used, r, 0.04)["roa_steady"]
    assert mi["roa_steady"].iloc[0] == pytest.approx(expected, rel=1e-12)
    variants = res.sensitivity.set_index(["parameter", "variant"])["roa_steady"]
    assert variants[("financials", "excluded")] == pytest.approx(expected, rel=1e-12)
    with_bank = index_implied_roa(inputs[inputs["ticker"].isin(["AAA", "BBB", "CCC"])], r, 0.04)["roa_steady"]
    assert variants[("financials", "included")] == pytest.approx(with_bank, rel=1e-12)
    # The flow parameter puts them back.
    _, _, included = _with_a_bank(IndexPolicy(include_financials=True))
    mi_in = included.index[included.index["series"] == "market_implied"]
    assert mi_in["roa_steady"].iloc[0] == pytest.approx(with_bank, rel=1e-12)


def test_negative_ev_variant_leaves_the_net_cash_member_out(model: dict) -> None:
    res, inputs = model["results"], model["inputs"]
    variants = res.sensitivity.set_index(["parameter", "variant"])
    r = model["r"]
    without = index_implied_roa(inputs[inputs["ticker"].isin(["AAA", "BBB"])], r, 0.04)["roa_steady"]
    assert variants.loc[("negative_ev", "excluded"), "roa_steady"] == pytest.approx(without, rel=1e-12)
    assert variants.loc[("negative_ev", "excluded"), "members_used"] == 2
    assert variants.loc[("negative_ev", "included"), "members_used"] == 3
    # Leaving the net-cash member out moves R*_index: the defect on main.
    assert variants.loc[("negative_ev", "included"), "roa_steady"] != pytest.approx(without, rel=1e-6)


@pytest.mark.fixtures
def test_an_ifrs_small_cap_is_excluded_saying_so() -> None:
    """LPA (Logistic Properties of the Americas) files a 20-F in IFRS: its real companyfacts give no us-gaap statements,
    and the member is excluded with that reason, not a bare 'no annual statements'."""
    from pathlib import Path

    from sources.sec import parse_companyfacts
    from transforms.statements import annual_statements

    path = Path(__file__).resolve().parents[2].parent / "shared/fixtures/fundamentals/companyfacts/CIK0001997711.json"
    if not path.is_file():
        pytest.skip(f"needs ../shared/fixtures: {path} not found")
    facts = parse_companyfacts(path.read_bytes(), origin=path.name, ticker="LPA")[0].to_pandas()
    assert set(facts["taxonomy"]) >= {"ifrs-full"} and "us-gaap" not in set(facts["taxonomy"])
    st = annual_statements(facts, AS_OF)
    members = pd.DataFrame(
        {"index_name": ["russell_2000"], "ticker": ["LPA"], "cik": [1997711], "sector": ["Real Estate"],
         "name": ["Logistic Properties"], "weight": [0.01]}
    )  # fmt: skip
    foreign = frozenset(int(c) for c in facts.loc[facts["taxonomy"] == "ifrs-full", "cik"].unique())
    inputs, exclusions = company_inputs(
        members, st, _frames()["market"], latest_estimates(_frames()["estimates"].iloc[0:0], AS_OF),
        pd.DataFrame({"cik": [1997711], "ticker": ["LPA"], "sic": [6500]}), 0.09, AS_OF, PARAMS, foreign_ciks=foreign,
    )  # fmt: skip
    assert inputs.empty
    assert exclusions["reason"].tolist() == [
        "files its statements in IFRS (ifrs-full), not us-gaap: no Uniform adjustments"
    ]


def test_no_members_at_all_builds_empty_marts() -> None:
    """A first `eea load` of prices alone: no members, no statements; every model mart is empty, nothing raises."""
    f = _frames()
    members = members_on(f["membership"].iloc[0:0], AS_OF)
    inputs, exclusions = company_inputs(
        members, _statements().iloc[0:0], f["market"], latest_estimates(f["estimates"], AS_OF), f["companies"],
        0.09, AS_OF, PARAMS,
    )  # fmt: skip
    assert inputs.empty and exclusions.empty
    res = run_model(inputs, exclusions, _statements().iloc[0:0], pd.Series(dtype=object), AS_OF, 0.09, 0.04, 5)
    assert res.company.empty and res.index.empty and res.exclusions.empty and res.sensitivity.empty
    assert list(res.exclusions.columns) == ["as_of", "index_name", "ticker", "reason", "stage"]


def test_a_close_on_an_unproven_basis_excludes_the_member_with_the_reason() -> None:
    """BBB's last close is a Stooq bar adjusted through a later download day: daily_prices leaves its market cap
    null, and the member is excluded saying why, not priced on an adjusted close."""
    f = _frames()
    market = f["market"].assign(price_basis="none", basis_date=pd.NaT)
    bbb = market["ticker"] == "BBB"
    market.loc[bbb, ["price_basis", "basis_date"]] = ["split_dividend", pd.Timestamp("2025-07-15")]
    market.loc[bbb, ["shares_outstanding", "market_cap"]] = np.nan
    members = members_on(f["membership"], AS_OF)
    inputs, exclusions = company_inputs(
        members, _statements(), market, latest_estimates(f["estimates"], AS_OF), f["companies"], 0.095, AS_OF, PARAMS
    )
    assert "BBB" not in set(inputs["ticker"])
    reason = exclusions.set_index("ticker").loc["BBB", "reason"]
    assert reason == (
        "price basis unknown: the close of 2025-06-30 is split_dividend-adjusted as of 2025-07-15 and its as-traded "
        "value cannot be proven, so no market cap"
    )
