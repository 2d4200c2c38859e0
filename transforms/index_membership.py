"""index_membership: holdings snapshots to spells of membership (valid_from, valid_to) per index and ticker, point in time."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

COLUMNS = ["index_name", "ticker", "valid_from", "valid_to", "weight", "sector", "name", "cik", "snapshots"]


def index_membership(constituents: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Snapshots (index_name, as_of, ticker, weight, sector, name, cik) dated <= as_of to one row per spell.

    A spell is a run of consecutive snapshots of an index that hold the
    ticker; it ends (valid_to, exclusive) on the first snapshot without it,
    and stays open (valid_to null) while the latest snapshot holds it.
    """
    snaps = constituents.loc[pd.to_datetime(constituents["as_of"]).dt.date <= as_of].copy()
    if snaps.empty:
        return pd.DataFrame(columns=COLUMNS)
    snaps["as_of"] = pd.to_datetime(snaps["as_of"]).dt.date
    out = []
    for index_name, grp in snaps.groupby("index_name", sort=True):
        dates = np.array(sorted(grp["as_of"].unique()))
        pos = {d: i for i, d in enumerate(dates)}
        g = grp.assign(_pos=grp["as_of"].map(pos)).sort_values(["ticker", "_pos"], kind="stable")
        ticker = g["ticker"].to_numpy()
        p = g["_pos"].to_numpy()
        new_spell = np.r_[True, (ticker[1:] != ticker[:-1]) | (p[1:] != p[:-1] + 1)]
        g["_spell"] = np.cumsum(new_spell)
        spells = g.groupby("_spell", sort=False).agg(
            ticker=("ticker", "first"),
            first=("_pos", "min"),
            last=("_pos", "max"),
            weight=("weight", "last"),
            sector=("sector", "last"),
            name=("name", "last"),
            cik=("cik", "last"),
            snapshots=("_pos", "size"),
        )
        nxt = spells["last"].to_numpy() + 1
        spells["valid_from"] = dates[spells["first"].to_numpy()]
        spells["valid_to"] = [dates[i] if i < len(dates) else None for i in nxt]
        spells["index_name"] = index_name
        out.append(spells)
    result = pd.concat(out, ignore_index=True)
    result["cik"] = result["cik"].astype("Int64")
    result["snapshots"] = result["snapshots"].astype("int32")
    return result.sort_values(["index_name", "ticker", "valid_from"]).reset_index(drop=True)[COLUMNS]
