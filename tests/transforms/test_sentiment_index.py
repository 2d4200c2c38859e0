"""sentiment_index on hand-written calls and spells: membership on the call date, spread, percentile, thin periods."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from transforms.sentiment_index import COLUMNS, sentiment_index

MEMBERSHIP = pd.DataFrame(
    [
        {"index_name": "russell_2000", "ticker": "AAA", "valid_from": date(2023, 6, 30), "valid_to": None},
        {"index_name": "russell_2000", "ticker": "CCC", "valid_from": date(2023, 6, 30), "valid_to": date(2024, 2, 15)},
        {"index_name": "large_cap", "ticker": "BBB", "valid_from": date(2023, 6, 30), "valid_to": None},
    ]
)


def calls(rows: list[tuple[str, date, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"ticker": t, "call_date": d, "net_tone": v, "lexicon": "lm", "lexicon_version": "1"} for t, d, v in rows]
    )


def test_members_on_the_call_date_spread_and_percentile() -> None:
    data = calls([
        ("AAA", date(2024, 1, 10), 0.5), ("CCC", date(2024, 1, 20), 0.1), ("BBB", date(2024, 1, 25), 0.2),
        ("AAA", date(2024, 2, 10), -0.2), ("CCC", date(2024, 2, 20), 0.9), ("BBB", date(2024, 2, 25), 0.4),
    ])  # fmt: skip
    out = sentiment_index(data, MEMBERSHIP, min_calls=2)
    assert list(out.columns) == COLUMNS
    months = out[out["period"] == "month"].set_index("period_start")
    jan, feb = months.loc[date(2024, 1, 1)], months.loc[date(2024, 2, 1)]
    assert jan["small_tone"] == pytest.approx(0.3) and jan["large_tone"] == pytest.approx(0.2)
    # CCC's February call came after it left the index, so only AAA counts
    assert feb["small_tone"] == pytest.approx(-0.2) and feb["small_calls"] == 1
    assert feb["spread"] == pytest.approx(-0.6) and jan["spread"] == pytest.approx(0.1)
    assert feb["spread_percentile"] == pytest.approx(0.5) and jan["spread_percentile"] == pytest.approx(1.0)
    assert bool(jan["thin"]) and bool(feb["thin"])  # one large-cap call each month, under the minimum of 2
    quarter = out[out["period"] == "quarter"].iloc[0]
    assert quarter["small_calls"] == 3 and quarter["small_tone"] == pytest.approx((0.5 + 0.1 - 0.2) / 3)


def test_a_period_with_no_large_cap_call_has_no_spread() -> None:
    out = sentiment_index(calls([("AAA", date(2024, 3, 1), 0.4)]), MEMBERSHIP, min_calls=1)
    month = out[out["period"] == "month"].iloc[0]
    assert pd.isna(month["spread"]) and pd.isna(month["spread_percentile"]) and bool(month["thin"])
