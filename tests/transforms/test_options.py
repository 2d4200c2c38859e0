"""parse_occ, flag_contracts, options_activity and compare_underlyings on hand-built chains and on the real CBOE AAPL chain."""

from __future__ import annotations

import json
import math
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.options import FLAG_COLUMNS, PARSED_COLUMNS, flag_contracts, parse_occ
from transforms.options_activity import BUCKET_COLUMNS, COLUMNS, COMPARE_COLUMNS, compare_underlyings, options_activity

CBOE_AAPL = (
    Path(__file__).resolve().parents[2].parent
    / "shared" / "fixtures" / "options" / "cboe" / "delayed_quotes" / "options" / "AAPL.json"
)  # fmt: skip
D0 = date(2026, 3, 2)


def leg(
    expiry_days: int,
    option_type: str,
    volume: float | None = 0.0,
    oi: float | None = 0.0,
    iv: float | None = 0.2,
    delta: float | None = None,
    underlying: str = "IWM",
    trade_date: date = D0,
) -> dict[str, object]:
    """One contract row of a chain, its expiry given as calendar days after the trade date."""
    return {
        "underlying": underlying,
        "trade_date": trade_date,
        "expiry": trade_date + timedelta(days=expiry_days),
        "option_type": option_type,
        "volume": volume,
        "open_interest": oi,
        "iv": iv,
        "delta": delta,
    }


def daily_chain(
    put_volumes: list[float], call_volumes: list[float] | None = None, underlying: str = "IWM"
) -> pd.DataFrame:
    """One put and one call a day, on consecutive days from D0, with the given volumes."""
    calls = call_volumes or [100.0] * len(put_volumes)
    rows = []
    for i, (p, c) in enumerate(zip(put_volumes, calls, strict=True)):
        day = D0 + timedelta(days=i)
        rows += [
            leg(20, "P", p, underlying=underlying, trade_date=day),
            leg(20, "C", c, underlying=underlying, trade_date=day),
        ]
    return pd.DataFrame(rows)


# --- OCC symbols -------------------------------------------------------------------------------------------------


def test_parse_occ_good_symbols() -> None:
    symbols = pd.Series(
        [
            "IWM261218P00200000",
            "AAPL260724C00110000",
            "SPY   261218C00012500",
            "BRKB1 270115P00450500",
            "X280121C00001000",
        ],
        index=[10, 11, 12, 13, 14],
    )
    out = parse_occ(symbols, strict=True)
    assert list(out.columns) == PARSED_COLUMNS
    assert list(out.index) == [10, 11, 12, 13, 14]
    assert out["root"].tolist() == ["IWM", "AAPL", "SPY", "BRKB1", "X"]
    assert out["expiry"].tolist() == [
        date(2026, 12, 18),
        date(2026, 7, 24),
        date(2026, 12, 18),
        date(2027, 1, 15),
        date(2028, 1, 21),
    ]
    assert out["option_type"].tolist() == ["P", "C", "C", "P", "C"]
    assert out["strike"].tolist() == [200.0, 110.0, 12.5, 450.5, 1.0]
    assert out["valid"].tolist() == [True] * 5
    assert out["error"].isna().all()


@settings(max_examples=60, deadline=None)
@given(
    root=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=6),
    padded=st.booleans(),
    expiry=st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
    option_type=st.sampled_from(["C", "P"]),
    strike_code=st.integers(min_value=0, max_value=99_999_999),
)
def test_parse_occ_round_trips_what_it_is_given(
    root: str, padded: bool, expiry: date, option_type: str, strike_code: int
) -> None:
    symbol = f"{root.ljust(6) if padded else root}{expiry:%y%m%d}{option_type}{strike_code:08d}"
    row = parse_occ([symbol], strict=True).iloc[0]
    assert (row["root"], row["expiry"], row["option_type"]) == (root, expiry, option_type)
    assert row["strike"] == strike_code / 1000


MALFORMED = [
    (None, "missing symbol"),
    ("IWM2612P0020", "too short: 12 characters"),
    ("IWM261218P00200000 ", "trailing whitespace"),
    ("iwm261218P00200000", "root 'iwm' must be 1-6 upper-case letters or digits"),
    ("TOOLONG261218P00200000", "root 'TOOLONG' must be 1-6"),
    ("IWM-X261218P00200000", "root 'IWM-X' must be"),
    ("IWM  261218P00200000", "root padded with spaces must fill 6 characters, got 'IWM  '"),
    ("IWM2612A8P00200000", "expiry must be 6 digits YYMMDD, got '2612A8'"),
    ("IWM261340P00200000", "bad expiry date '261340'"),
    ("IWM260230P00200000", "bad expiry date '260230'"),
    ("IWM261218X00200000", "type must be C or P, got 'X'"),
    ("IWM261218p00200000", "type must be C or P, got 'p'"),
    ("IWM261218P0020000A", "strike must be 8 digits, got '0020000A'"),
    ("IWM261218P-0200000", "strike must be 8 digits, got '-0200000'"),
]


@pytest.mark.parametrize(("symbol", "expected"), MALFORMED)
def test_parse_occ_rejects_malformed_by_name(symbol: str | None, expected: str) -> None:
    good = "IWM261218P00200000"
    out = parse_occ([good, symbol, good])
    assert out["valid"].tolist() == [True, False, True]
    assert expected in str(out.at[1, "error"])
    assert out.loc[1, ["root", "expiry", "option_type", "strike"]].isna().all()
    with pytest.raises(ValueError, match="1 malformed OCC symbol") as raised:
        parse_occ([good, symbol, good], strict=True)
    assert repr(symbol) in str(raised.value)
    assert expected in str(raised.value)


def test_parse_occ_names_every_fault_and_lists_at_most_ten() -> None:
    out = parse_occ(["IWM26121AX0020000Z"])
    assert out.at[0, "error"] == (
        "expiry must be 6 digits YYMMDD, got '26121A'; type must be C or P, got 'X'; strike must be 8 digits, got '0020000Z'"
    )
    bad = [f"IWM2613{i:02d}P00200000" for i in range(12)]
    with pytest.raises(ValueError) as raised:
        parse_occ(["IWM261218P00200000", *bad], strict=True)
    message = str(raised.value)
    assert message.startswith("12 malformed OCC symbol(s): ")
    assert all(repr(s) in message for s in bad[:10])
    assert not any(repr(s) in message for s in bad[10:])
    assert message.endswith("(and 2 more)")


def test_flag_contracts_flags_and_keeps_every_row() -> None:
    chain = pd.DataFrame(
        {
            "contract": ["A", "B", "C", "D", "E"],
            "iv": [0.2, 0.0, None, 0.3, 0.25],
            "last": [1.5, None, 0.0, 2.0, 0.1],
            "bid": [1.4, 0.0, None, 0.0, None],
            "ask": [1.6, 0.0, None, 0.05, 0.0],
        },
        index=[5, 6, 7, 8, 9],
    )
    out = flag_contracts(chain)
    assert len(out) == len(chain)
    assert list(out.index) == list(chain.index)
    pd.testing.assert_frame_equal(out[chain.columns], chain)
    assert all(out[c].dtype == bool for c in FLAG_COLUMNS)
    assert out["zero_iv"].tolist() == [False, True, True, False, False]
    assert out["no_last_trade"].tolist() == [False, True, True, False, False]
    assert out["no_quote"].tolist() == [False, True, True, False, True]


# --- aggregates ----------------------------------------------------------------------------------------------------


def test_aggregates_totals_buckets_and_ratios() -> None:
    rows = [
        leg(-1, "P", 1, 10),  # a snapshot dated after the expiry: counted in 0_7
        leg(0, "P", 2, 20),
        leg(7, "C", 4, 40),
        leg(8, "P", 8, 80),
        leg(30, "P", 16, 160),
        leg(30, "C", 32, 320),
        leg(31, "P", 64, 640),
        leg(90, "C", 0, 1280),  # 31_90 has call OI but no call volume: its volume ratio is null
        leg(91, "P", 256, None),
        leg(200, "P", None, 512),
        leg(5, "P", 1000, 1, underlying="SPY"),
    ]
    out = options_activity(pd.DataFrame(rows)).set_index("underlying")
    assert list(out.reset_index().columns) == COLUMNS
    iwm = out.loc["IWM"]
    assert iwm["trade_date"] == D0
    assert (iwm["put_volume"], iwm["call_volume"], iwm["put_oi"], iwm["call_oi"]) == (347, 36, 1422, 1640)
    assert iwm["pc_volume_ratio"] == pytest.approx(347 / 36)
    assert iwm["pc_oi_ratio"] == pytest.approx(1422 / 1640)
    expected = {
        "put_volume_0_7": 3, "call_volume_0_7": 4, "put_oi_0_7": 30, "call_oi_0_7": 40,
        "pc_volume_ratio_0_7": 0.75, "pc_oi_ratio_0_7": 0.75,
        "put_volume_8_30": 24, "call_volume_8_30": 32, "put_oi_8_30": 240, "call_oi_8_30": 320,
        "pc_volume_ratio_8_30": 0.75, "pc_oi_ratio_8_30": 0.75,
        "put_volume_31_90": 64, "call_volume_31_90": 0, "put_oi_31_90": 640, "call_oi_31_90": 1280,
        "pc_oi_ratio_31_90": 0.5,
        "put_volume_over_90": 256, "put_oi_over_90": 512,
    }  # fmt: skip
    for column, value in expected.items():
        assert iwm[column] == pytest.approx(value), column
    # Null, not 0 or inf: a zero call side, and a bucket with no calls at all.
    for column in ["pc_volume_ratio_31_90", "call_volume_over_90", "call_oi_over_90", "pc_volume_ratio_over_90"]:
        assert pd.isna(iwm[column]), column
    spy = out.loc["SPY"]
    assert spy["put_volume"] == 1000 and pd.isna(spy["call_volume"]) and pd.isna(spy["pc_volume_ratio"])
    assert spy[BUCKET_COLUMNS].notna().sum() == 2  # put volume and OI in 0_7, nothing else


def test_aggregates_accept_datetime_columns_and_sort_rows() -> None:
    chain = daily_chain([30.0, 10.0, 20.0])
    shuffled = chain.iloc[[5, 4, 1, 0, 3, 2]].copy()
    shuffled["trade_date"] = pd.to_datetime(shuffled["trade_date"])
    shuffled["expiry"] = pd.to_datetime(shuffled["expiry"]).astype("datetime64[us]")
    out = options_activity(shuffled)
    assert out["trade_date"].tolist() == [D0, D0 + timedelta(days=1), D0 + timedelta(days=2)]
    assert out["put_volume"].tolist() == [30.0, 10.0, 20.0]


def test_empty_chain_gives_the_columns_and_a_missing_column_is_named() -> None:
    out = options_activity(pd.DataFrame([leg(20, "P", 1)]).iloc[:0])
    assert out.empty and list(out.columns) == COLUMNS and out["hedging_spike"].dtype == bool
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['delta'\]"):
        options_activity(pd.DataFrame([leg(20, "P", 1)]).drop(columns="delta"))


def test_unknown_option_type_is_rejected() -> None:
    chain = pd.DataFrame([leg(20, "P", 1), leg(20, "X", 1)])
    with pytest.raises(ValueError, match=r"option_type not C or P: \['X'\]"):
        options_activity(chain)


# --- z-scores ------------------------------------------------------------------------------------------------------


def test_put_volume_z_leaves_the_day_out_and_looks_back_60_days() -> None:
    rng = np.random.default_rng(7)
    loud = [5000.0] * 10  # outside the 60-day window of the last day: must not count
    quiet = (100 + rng.integers(-10, 11, size=60)).astype(float).tolist()
    spike = 160.0
    out = options_activity(daily_chain([*loud, *quiet, spike]))
    history = np.array(quiet)
    expected = (spike - history.mean()) / history.std(ddof=1)
    with_day = np.array([*quiet[1:], spike])  # a 60-row window that wrongly includes the day
    included = (spike - with_day.mean()) / with_day.std(ddof=1)
    assert expected > 9 and included < 0.7 * expected
    last = out.iloc[-1]
    assert last["put_volume_z"] == pytest.approx(expected, rel=1e-9)
    assert bool(last["hedging_spike"]) is True


def test_z_is_null_under_min_history_and_spike_is_false_there() -> None:
    volumes = [100.0, 120.0] * 12 + [400.0]
    out = options_activity(daily_chain(volumes))
    z = out["put_volume_z"]
    assert z.iloc[:20].isna().all()  # rows 0..19 have 0..19 prior days
    assert z.iloc[20:].notna().all()
    assert not out["hedging_spike"].iloc[:20].any()
    assert out["hedging_spike"].dtype == bool
    prior = np.array(volumes[:24])
    assert z.iloc[24] == pytest.approx((400 - prior.mean()) / prior.std(ddof=1), rel=1e-9)
    # With min_history=25 the same day has too little history.
    assert options_activity(daily_chain(volumes), min_history=25)["put_volume_z"].isna().all()


def test_z_of_put_call_ratio_and_per_underlying_windows() -> None:
    puts = [100.0] * 22
    calls = [100.0, 200.0] * 11
    calls[-1] = 50.0
    iwm = daily_chain(puts, calls)
    spy = daily_chain([1e6] * 22, underlying="SPY")  # another underlying must not leak into IWM's window
    out = options_activity(pd.concat([spy, iwm], ignore_index=True), window=60, min_history=20)
    last = out.loc[out["underlying"] == "IWM"].iloc[-1]
    ratios = np.array(puts[:21]) / np.array(calls[:21])
    assert last["pc_volume_z"] == pytest.approx((2.0 - ratios.mean()) / ratios.std(ddof=1), rel=1e-9)
    assert math.isnan(last["put_volume_z"])  # constant history: std 0, z null rather than inf
    assert bool(last["hedging_spike"]) is False


def test_parameters_are_checked() -> None:
    with pytest.raises(ValueError, match="min_history"):
        options_activity(daily_chain([1.0]), window=10, min_history=20)


# --- skew ----------------------------------------------------------------------------------------------------------


def skew_legs(days: int, puts: list[tuple[float, float]], calls: list[tuple[float, float]]) -> list[dict[str, object]]:
    """Contracts of one expiry from (delta, iv) pairs."""
    return [leg(days, "P", 1, 1, iv, d) for d, iv in puts] + [leg(days, "C", 1, 1, iv, d) for d, iv in calls]


def test_skew_interpolates_in_delta_then_across_expiries_around_30_days() -> None:
    rows = [
        # 20 days: put at -0.25 halfway between -0.20 (0.30) and -0.30 (0.34) = 0.32; call halfway = 0.21; skew 0.11.
        *skew_legs(20, [(-0.20, 0.30), (-0.30, 0.34), (-0.60, 0.50)], [(0.20, 0.22), (0.30, 0.20), (0.05, 0.40)]),
        # 45 days: put 0.26 + (0.15 / 0.30) * 0.03 = 0.275; call 0.20 + 0.5 * (-0.03) = 0.185; skew 0.09.
        *skew_legs(45, [(-0.10, 0.26), (-0.40, 0.29)], [(0.10, 0.20), (0.40, 0.17)]),
        # Left out: no IV (even at exactly -0.25), no delta, and expiries farther from 30 days on either side.
        leg(20, "P", 1, 1, 0.0, -0.25),
        leg(20, "C", 1, 1, 0.9, None),
        *skew_legs(10, [(-0.1, 0.9), (-0.4, 0.9)], [(0.1, 0.1), (0.4, 0.1)]),
        *skew_legs(60, [(-0.1, 0.9), (-0.4, 0.9)], [(0.1, 0.1), (0.4, 0.1)]),
    ]
    row = options_activity(pd.DataFrame(rows)).iloc[0]
    weight = (30 - 20) / (45 - 20)
    assert row["put_iv_25d"] == pytest.approx(0.32 + weight * (0.275 - 0.32))
    assert row["call_iv_25d"] == pytest.approx(0.21 + weight * (0.185 - 0.21))
    assert row["skew_25d"] == pytest.approx(0.11 + weight * (0.09 - 0.11))
    assert row["skew_25d"] == pytest.approx(0.102)
    assert row["skew_days"] == 30


GOOD_50 = skew_legs(50, [(-0.25, 0.31), (-0.5, 0.4)], [(0.25, 0.24), (0.5, 0.2)])  # exact hits at +-0.25: 0.07
GOOD_2 = skew_legs(2, [(-0.2, 0.6), (-0.3, 0.6)], [(0.2, 0.1), (0.3, 0.1)])  # 0.5, but far from 30 days
SHORT_PUTS = [(-0.10, 0.3), (-0.20, 0.3)]  # never reach -0.25: no value (no extrapolation)
CALLS = [(0.2, 0.1), (0.3, 0.1)]


@pytest.mark.parametrize(
    ("rows", "skew", "days"),
    [
        # Only expiries beyond 30 days: the nearest, 50, as it is.
        ([*GOOD_50, *skew_legs(80, [(-0.2, 0.5), (-0.3, 0.5)], CALLS)], 0.07, 50),
        # 23 and 50 bracket 30 but 23 has no value: 50 alone; the 2-day expiry, farther off, does not stand in.
        ([*GOOD_50, *skew_legs(23, SHORT_PUTS, CALLS), *GOOD_2], 0.07, 50),
        # Neither expiry around 30 days (23, 35) has a value: null, even though 2 and 50 have.
        ([*GOOD_50, *skew_legs(23, SHORT_PUTS, CALLS), *skew_legs(35, SHORT_PUTS, CALLS), *GOOD_2], None, None),
        # An expiry at exactly 30 days is used alone.
        ([*skew_legs(30, [(-0.2, 0.3), (-0.3, 0.4)], [(0.2, 0.2), (0.3, 0.1)]), *GOOD_50], 0.35 - 0.15, 30),
    ],
)
def test_skew_falls_back_only_to_the_expiries_around_30_days(
    rows: list[dict[str, object]], skew: float | None, days: int | None
) -> None:
    row = options_activity(pd.DataFrame(rows)).iloc[0]
    if skew is None:
        assert row[["skew_25d", "skew_days"]].isna().all()
    else:
        assert row["skew_25d"] == pytest.approx(skew)
        assert row["skew_days"] == days


def test_skew_is_null_where_not_computable() -> None:
    rows = [
        *skew_legs(20, [(-0.10, 0.3), (-0.20, 0.3)], [(0.2, 0.1), (0.3, 0.1)]),  # puts never reach -0.25
        *skew_legs(40, [(-0.20, 0.3), (-0.30, 0.3)], []),  # no calls
        *skew_legs(0, [(-0.2, 0.3), (-0.3, 0.3)], [(0.2, 0.1), (0.3, 0.1)]),  # expiring today
    ]
    row = options_activity(pd.DataFrame(rows)).iloc[0]
    assert row[["skew_25d", "skew_days", "put_iv_25d", "call_iv_25d"]].isna().all()
    assert row["put_volume"] == 6


# --- small versus large --------------------------------------------------------------------------------------------


def test_compare_underlyings_side_by_side() -> None:
    chain = pd.concat(
        [daily_chain([120.0, 90.0], [100.0, 100.0]), daily_chain([80.0, 50.0, 70.0], [100.0, 100.0, 100.0], "SPY")],
        ignore_index=True,
    )
    out = compare_underlyings(options_activity(chain))
    assert list(out.columns) == COMPARE_COLUMNS
    assert out["trade_date"].tolist() == [D0 + timedelta(days=i) for i in range(3)]
    assert (out["small"] == "IWM").all() and (out["large"] == "SPY").all()
    assert out["small_pc_volume_ratio"].tolist()[:2] == pytest.approx([1.2, 0.9])
    assert out["large_pc_volume_ratio"].tolist() == pytest.approx([0.8, 0.5, 0.7])
    assert out["pc_volume_ratio_spread"].tolist()[:2] == pytest.approx([0.4, 0.4])
    assert out.loc[2, ["small_pc_volume_ratio", "pc_volume_ratio_spread"]].isna().all()
    with pytest.raises(ValueError, match="'QQQ'"):
        compare_underlyings(options_activity(chain), small="QQQ")


# --- the real CBOE chain -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cboe_payload() -> dict:
    if not CBOE_AAPL.is_file():
        pytest.skip(f"real CBOE chain not found at {CBOE_AAPL} (../shared/fixtures is absent on this machine)")
    return json.loads(CBOE_AAPL.read_text())


@pytest.mark.fixtures
def test_real_cboe_chain_parses_and_totals_match(cboe_payload: dict) -> None:
    contracts = cboe_payload["data"]["options"]
    assert len(contracts) == 3576
    parsed = parse_occ([c["option"] for c in contracts], strict=True)
    assert parsed["valid"].all() and (parsed["root"] == "AAPL").all()
    trade_date = date.fromisoformat(cboe_payload["timestamp"][:10])
    chain = pd.DataFrame(
        {
            "underlying": cboe_payload["symbol"],
            "trade_date": trade_date,
            "contract": [c["option"] for c in contracts],
            "expiry": parsed["expiry"],
            "option_type": parsed["option_type"],
            "strike": parsed["strike"],
            "volume": [c["volume"] for c in contracts],
            "open_interest": [c["open_interest"] for c in contracts],
            "iv": [c["iv"] for c in contracts],
            "delta": [c["delta"] for c in contracts],
            "bid": [c["bid"] for c in contracts],
            "ask": [c["ask"] for c in contracts],
            "last": [c["last_trade_price"] for c in contracts],
        }
    )
    flagged = flag_contracts(chain)
    assert len(flagged) == 3576 and flagged["zero_iv"].sum() == sum(c["iv"] == 0 for c in contracts)

    out = options_activity(flagged)
    assert len(out) == 1
    row = out.iloc[0]
    assert (row["underlying"], row["trade_date"]) == ("AAPL", trade_date)

    def total(kind: str, field: str) -> float:
        # The type read straight from the symbol's 10th character from the end (strike 8 digits + type).
        return sum(c[field] for c in contracts if c["option"][-9] == kind)

    assert row["put_volume"] == total("P", "volume")
    assert row["call_volume"] == total("C", "volume")
    assert row["put_oi"] == total("P", "open_interest")
    assert row["call_oi"] == total("C", "open_interest")
    assert row["pc_volume_ratio"] == pytest.approx(total("P", "volume") / total("C", "volume"))
    for measure in ["put_volume", "call_volume", "put_oi", "call_oi"]:
        assert sum(row[f"{measure}_{b}"] for b in ["0_7", "8_30", "31_90", "over_90"]) == row[measure]

    # Skew against a plain reference: np.interp per expiry, then linear in days between the expiries around 30.
    per_expiry: dict[int, float] = {}
    for expiry, group in flagged.loc[(flagged["iv"] > 0) & flagged["delta"].notna()].groupby("expiry"):
        days = (pd.Timestamp(str(expiry)).date() - trade_date).days
        values: list[float] = []
        for kind, target in (("P", -0.25), ("C", 0.25)):
            legs = group.loc[group["option_type"] == kind].groupby("delta")["iv"].mean()
            if days >= 1 and len(legs) and legs.index.min() <= target <= legs.index.max():
                values.append(float(np.interp(target, legs.index.to_numpy(), legs.to_numpy())))
        if len(values) == 2:
            per_expiry[days] = values[0] - values[1]
    listed = sorted({(pd.Timestamp(str(e)).date() - trade_date).days for e in flagged["expiry"]})
    near = max(d for d in listed if 1 <= d <= 30)
    far = min(d for d in listed if d >= 30)
    assert near in per_expiry and far in per_expiry and near < 30 < far
    expected = per_expiry[near] + (30 - near) / (far - near) * (per_expiry[far] - per_expiry[near])
    assert row["skew_days"] == 30
    assert row["skew_25d"] == pytest.approx(expected, rel=1e-9)
    assert 0 < row["skew_25d"] < 0.2
