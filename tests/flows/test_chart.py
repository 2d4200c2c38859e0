"""The headline table shows only years that stand on enough of the index (eea_index.coverage_ok)."""

from __future__ import annotations

import pandas as pd

from flows.chart import headline_table


def test_a_year_carried_by_a_fraction_of_the_index_is_not_drawn() -> None:
    # FY2026 actual stands on 343 of 1,950 members (issue 15, point 6): coverage_ok false, so not on the chart.
    rows = pd.DataFrame(
        {
            "index_name": ["russell_2000"] * 4,
            "fiscal_year": [2024, 2025, 2026, 2026],
            "series": ["actual", "actual", "actual", "market_implied"],
            "value": [0.06, 0.065, 0.09, 0.07],
            "members_used": [1900, 1880, 343, 1900],
            "coverage_ok": [True, True, False, True],
        }
    )
    table = headline_table(rows)
    assert list(table.index) == [2024, 2025, 2026]
    assert table.loc[2026, "actual"] != table.loc[2026, "actual"]  # NaN: the thin year is left out
    assert table.loc[2026, "market_implied"] == 0.07
    assert table.loc[2025, "actual"] == 0.065
