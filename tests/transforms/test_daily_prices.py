"""daily_prices on hand-written bars: backward adjustment, total return, split-adjusted providers, point-in-time shares."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from transforms.daily_prices import COLUMNS, daily_prices

D1, D2, D3, D4 = date(2024, 3, 4), date(2024, 3, 5), date(2024, 3, 6), date(2024, 3, 7)


def bar(
    ticker: str,
    day: date,
    close: float,
    dividend: float = 0.0,
    split: float = 1.0,
    adjusted: str = "none",
    basis: date | None = None,
):
    return {"ticker": ticker, "date": day, "open": close, "high": close, "low": close, "close": close,
            "volume": 100.0, "dividend": dividend, "split_ratio": split, "adjusted": adjusted, "basis_date": basis,
            "source": "test"}  # fmt: skip


NO_SHARES = pd.DataFrame({"ticker": pd.Series(dtype=str), "filed": pd.Series(dtype="datetime64[s]"),
                          "shares": pd.Series(dtype=float)})  # fmt: skip


def test_dividend_and_split_adjust_backwards_and_returns_are_total() -> None:
    bars = pd.DataFrame([bar("AAA", D1, 100.0), bar("AAA", D2, 102.0, dividend=1.0),
                         bar("AAA", D3, 51.0, split=2.0), bar("AAA", D4, 52.0)])  # fmt: skip
    out = daily_prices(bars, NO_SHARES, D4)
    assert list(out.columns) == COLUMNS
    out = out.set_index("date")
    # factors: D2 dividend 1 - 1/100 = 0.99, D3 split 1/2
    assert out["adj_close"].tolist() == pytest.approx([100 * 0.99 * 0.5, 102 * 0.5, 51.0, 52.0])
    assert out["close"].tolist() == [100.0, 102.0, 51.0, 52.0]  # as traded
    assert pd.isna(out.loc[D1, "return_1d"])
    assert out.loc[D2, "return_1d"] == pytest.approx((102 + 1) / 100 - 1)
    assert out.loc[D3, "return_1d"] == pytest.approx(51 * 2 / 102 - 1)
    assert out.loc[D4, "return_1d"] == pytest.approx(52 / 51 - 1)


def test_split_adjusted_provider_is_not_split_twice() -> None:
    # As traded: 100 then 50 after a 2:1 split; the provider sent D1 as 50 (adjusted through D2), and D2 is an
    # as-traded row that carries the split event.
    bars = pd.DataFrame([bar("BBB", D1, 50.0, adjusted="split", basis=D2), bar("BBB", D2, 50.0, split=2.0)])
    out = daily_prices(bars, NO_SHARES, D2)
    assert out["close"].tolist() == [100.0, 50.0]
    assert out["adj_close"].tolist() == pytest.approx([50.0, 50.0])
    assert out["return_1d"].iloc[1] == pytest.approx(0.0)
    assert out["volume"].tolist() == pytest.approx([50.0, 100.0])  # 100 post-split shares were 50 before it


def test_shares_are_point_in_time_and_follow_splits() -> None:
    bars = pd.DataFrame([bar("AAA", D1, 10.0), bar("AAA", D2, 10.0), bar("AAA", D3, 5.0, split=2.0),
                         bar("AAA", D4, 5.0), bar("ZZZ", D4, 7.0)])  # fmt: skip
    shares = pd.DataFrame({"ticker": ["AAA", "AAA"], "filed": [D2, D4], "shares": [1000.0, 2100.0]})
    out = daily_prices(bars, shares, D4).set_index(["ticker", "date"])
    got = out["shares_outstanding"]
    assert pd.isna(got[("AAA", D1)])  # nothing filed yet
    assert got[("AAA", D2)] == 1000.0
    assert got[("AAA", D3)] == 2000.0  # the 2:1 split after the filing
    assert got[("AAA", D4)] == 2100.0  # the newer filing wins
    assert out.loc[("AAA", D3), "market_cap"] == pytest.approx(5.0 * 2000.0)
    assert pd.isna(out.loc[("ZZZ", D4), "market_cap"])


def test_nothing_after_as_of_is_used() -> None:
    bars = pd.DataFrame([bar("AAA", D1, 10.0), bar("AAA", D2, 10.0, dividend=0.5), bar("AAA", D3, 20.0, split=0.5)])
    shares = pd.DataFrame({"ticker": ["AAA", "AAA"], "filed": [D1, D3], "shares": [10.0, 5.0]})
    out = daily_prices(bars, shares, D2)
    assert out["date"].tolist() == [D1, D2]
    # the reverse split on D3 is after as_of, so it does not scale earlier prices
    assert out["adj_close"].tolist() == pytest.approx([10.0 * 0.95, 10.0])
    assert out["shares_outstanding"].tolist() == [10.0, 10.0]


# Sessions of March 2024 (NYSE): Mon 4 .. Fri 8, Mon 11 .. Fri 15.
M = {d: date(2024, 3, d) for d in (4, 5, 6, 7, 8, 11, 12, 13, 14, 15)}
SHARES_1000 = pd.DataFrame({"ticker": ["CCC"], "filed": [pd.Timestamp("2024-03-01")], "shares": [1000.0]})


def test_split_bars_of_two_downloads_use_only_the_splits_up_to_their_own_basis_day() -> None:
    # Two split-adjusted downloads of CCC, one made on Mar 6 (its bar of Mar 5) and one on Mar 14 (its bar of
    # Mar 12), and as-traded rows (with their split events) for every other session: a 2:1 split on Mar 7 and a
    # 3:1 split on Mar 13. As traded CCC closed 60 through Mar 6, 30 on Mar 7-12 and 10 from Mar 13.
    bars = pd.DataFrame([
        bar("CCC", M[4], 60.0),
        bar("CCC", M[5], 60.0, adjusted="split", basis=M[6]),   # no split in (Mar 5, Mar 6]: x1 = 60
        bar("CCC", M[6], 60.0),
        bar("CCC", M[7], 30.0, split=2.0),
        bar("CCC", M[8], 30.0),
        bar("CCC", M[11], 30.0),
        bar("CCC", M[12], 10.0, adjusted="split", basis=M[14]),  # the Mar 13 3:1 in (Mar 12, Mar 14]: x3 = 30
        bar("CCC", M[13], 10.0, split=3.0),
        bar("CCC", M[14], 10.0),
    ])  # fmt: skip
    out = daily_prices(bars, SHARES_1000, M[14]).set_index("date")
    # Before the fix every later split multiplied a 'split' bar: Mar 5 would be 60 x 2 x 3 = 360, Mar 12 30.
    assert out["close"].tolist() == pytest.approx([60.0, 60.0, 60.0, 30.0, 30.0, 30.0, 30.0, 10.0, 10.0], rel=1e-12)
    assert out["volume"].tolist() == pytest.approx([100.0] * 6 + [100 / 3] + [100.0] * 2)
    assert set(out["price_basis"]) == {"none"}
    assert out["basis_date"].isna().all()
    # shares: 1000 filed Mar 1, x2 from Mar 7, x6 from Mar 13; close x shares = 60,000 on every day
    assert out["market_cap"].tolist() == pytest.approx([60e3] * 9)


def test_adjusted_bars_that_cannot_be_proven_keep_the_providers_prices_and_have_no_market_cap() -> None:
    bars = pd.DataFrame([
        # split-adjusted through Mar 8 with no as-traded rows in (Mar 4, Mar 8]: a split there would be unknown
        bar("CCC", M[4], 20.0, adjusted="split", basis=M[8]),
        bar("CCC", M[5], 21.0, adjusted="split", basis=M[8]),
        bar("CCC", M[8], 22.0, adjusted="split", basis=M[8]),  # the basis day's own bar is as traded
        # split+dividend adjusted (Stooq-like): only the bar on the basis session is as traded
        bar("DDD", M[7], 5.0, adjusted="split_dividend", basis=M[8]),
        bar("DDD", M[8], 6.0, adjusted="split_dividend", basis=M[8]),
        # adjusted with no basis day at all (landed before basis_date existed)
        bar("EEE", M[8], 7.0, adjusted="split"),
    ])  # fmt: skip
    shares = pd.DataFrame({"ticker": ["CCC", "DDD", "EEE"], "filed": [pd.Timestamp("2024-03-01")] * 3,
                           "shares": [100.0, 100.0, 100.0]})  # fmt: skip
    out = daily_prices(bars, shares, M[8]).set_index(["ticker", "date"])
    assert out["close"].tolist() == [20.0, 21.0, 22.0, 5.0, 6.0, 7.0]  # nothing guessed
    assert out["price_basis"].tolist() == ["split", "split", "none", "split_dividend", "none", "split"]
    assert out["basis_date"].tolist()[:2] == [M[8], M[8]] and out["basis_date"].iloc[3] == M[8]
    assert pd.isna(out["basis_date"].iloc[2]) and pd.isna(out["basis_date"].iloc[5])
    assert out["market_cap"].isna().tolist() == [True, True, False, True, False, True]
    assert out.loc[("CCC", M[8]), "market_cap"] == 2200.0 and out.loc[("DDD", M[8]), "market_cap"] == 600.0
    assert out["shares_outstanding"].isna().tolist() == [True, True, False, True, False, True]
