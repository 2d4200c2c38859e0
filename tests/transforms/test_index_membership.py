"""index_membership on hand-written snapshots: spells, gaps, open spells, point in time."""

from __future__ import annotations

from datetime import date

import pandas as pd

from transforms.index_membership import index_membership

S1, S2, S3, S4 = date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 28), date(2024, 4, 30)


def snaps(rows: list[tuple[date, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"index_name": "russell_2000", "as_of": d, "ticker": t, "weight": 0.1 * i, "sector": "Industrials",
          "name": t + " Inc", "cik": 100 + i} for i, (d, t) in enumerate(rows)]
    )  # fmt: skip


SNAPSHOTS = snaps([(S1, "AAA"), (S2, "AAA"), (S4, "AAA"), (S1, "BBB"), (S2, "BBB"), (S3, "BBB"), (S4, "BBB"),
                   (S1, "CCC")])  # fmt: skip


def spells(frame: pd.DataFrame) -> list[tuple]:
    return [(r.ticker, r.valid_from, r.valid_to, r.snapshots) for r in frame.itertuples()]


def test_spells_with_a_gap_and_an_open_end() -> None:
    out = index_membership(SNAPSHOTS, S4)
    assert spells(out) == [("AAA", S1, S3, 2), ("AAA", S4, None, 1), ("BBB", S1, None, 4), ("CCC", S1, S2, 1)]
    assert out.loc[out["ticker"] == "BBB", "weight"].item() == 0.1 * 6  # from the last snapshot of the spell


def test_a_snapshot_after_as_of_never_counts() -> None:
    out = index_membership(SNAPSHOTS, S2)
    assert spells(out) == [("AAA", S1, None, 2), ("BBB", S1, None, 2), ("CCC", S1, S2, 1)]


def test_indexes_are_kept_apart() -> None:
    both = pd.concat([SNAPSHOTS, SNAPSHOTS.assign(index_name="large_cap").iloc[:1]])
    out = index_membership(both, S4)
    assert (out["index_name"] == "large_cap").sum() == 1
    assert out.loc[out["index_name"] == "large_cap", "valid_to"].isna().all()
