"""daily_prices on hand-written bars: backward adjustment, total return, split-adjusted providers, point-in-time shares."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from transforms.daily_prices import COLUMNS, daily_prices

D1, D2, D3, D4 = date(2024, 3, 4), date(2024, 3, 5), date(2024, 3, 6), date(2024, 3, 7)


def bar(ticker: str, day: date, close: float, dividend: float = 0.0, split: float = 1.0, adjusted: str = "none"):
    return {"ticker": ticker, "date": day, "open": close, "high": close, "low": close, "close": close,
            "volume": 100.0, "dividend": dividend, "split_ratio": split, "adjusted": adjusted, "source": "test"}  # fmt: skip


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
    # As traded: 100 then 50 after a 2:1 split; the provider sends 50, 50 plus the split event.
    bars = pd.DataFrame([bar("BBB", D1, 50.0, adjusted="split"), bar("BBB", D2, 50.0, split=2.0, adjusted="split")])
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
