"""sector_exposure: per index snapshot and sector group, the share of index weight in the group, from point-in-time SIC codes with the provider's sector as fallback."""

from __future__ import annotations

import csv
import re

import numpy as np
import pandas as pd

COLUMNS = [
    "index_name", "as_of", "group", "weight", "members", "members_total",
    "weight_by_sector_fallback", "unclassified_weight",
]  # fmt: skip

# Columns of a parsed mapping (load_sector_groups); sic_* are null on sector rows, sector is null on sic rows.
GROUP_COLUMNS = ["group", "kind", "sic_from", "sic_to", "sector", "comment", "line"]

_HEADER = ["group", "kind", "from", "to", "comment"]
_KINDS = ("sic", "sector")
_GROUP_NAME = re.compile(r"[a-z][a-z0-9_]*")
_SIC = re.compile(r"\d{1,4}")


def load_sector_groups(text: str) -> pd.DataFrame:
    """The text of a sector-groups file (config/sector_groups.csv) to one row per mapping line (GROUP_COLUMNS).

    Lines starting with '#' and blank lines are skipped; the first other line
    must be the header `group,kind,from,to,comment`. A malformed line (wrong
    number of fields, empty or badly named group, unknown kind, a SIC bound
    that is not an integer 0-9999, from > to, a sector row without a name or
    with a `to`, a missing comment) raises ValueError naming its line number.
    """
    rows: list[dict[str, object]] = []
    header_seen = False
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        fields = [f.strip() for f in next(csv.reader([raw]))]
        if not header_seen:
            if [f.lower() for f in fields] != _HEADER:
                raise ValueError(f"sector groups line {number}: expected the header {','.join(_HEADER)!r}, got {raw!r}")
            header_seen = True
            continue
        rows.append(_parse_row(fields, number, raw))
    if not header_seen:
        raise ValueError(f"sector groups: no header line {','.join(_HEADER)!r}")
    if not rows:
        raise ValueError("sector groups: the file maps nothing (no rows after the header)")
    out = pd.DataFrame(rows, columns=GROUP_COLUMNS)
    out["sic_from"] = out["sic_from"].astype("Int64")
    out["sic_to"] = out["sic_to"].astype("Int64")
    out["line"] = out["line"].astype("int64")
    return out


def _parse_row(fields: list[str], number: int, raw: str) -> dict[str, object]:
    def bad(why: str) -> ValueError:
        return ValueError(f"sector groups line {number}: {why}: {raw!r}")

    if len(fields) != len(_HEADER):
        raise bad(
            f"expected {len(_HEADER)} fields (group,kind,from,to,comment; quote a comment with commas), got {len(fields)}"
        )
    group, kind, lo, hi, comment = fields
    if not group:
        raise bad("empty group")
    if not _GROUP_NAME.fullmatch(group):
        raise bad(f"group {group!r} is not a lower-case name (letters, digits, underscore)")
    if kind not in _KINDS:
        raise bad(f"unknown kind {kind!r} (expected 'sic' or 'sector')")
    if not comment:
        raise bad("no comment: every range says why it is in its group")
    row: dict[str, object] = {"group": group, "kind": kind, "sic_from": None, "sic_to": None, "sector": None}
    if kind == "sic":
        for bound in (lo, hi):
            if not _SIC.fullmatch(bound):
                raise bad(f"SIC bound {bound!r} is not an integer code 0-9999")
        if int(lo) > int(hi):
            raise bad(f"from {lo} is greater than to {hi}")
        row.update(sic_from=int(lo), sic_to=int(hi))
    else:
        if not lo:
            raise bad("sector row without a sector name in `from`")
        if hi:
            raise bad(f"sector row with a `to` ({hi!r}); leave it empty")
        row["sector"] = lo
    row.update(comment=comment, line=number)
    return row


def _sector_key(values: pd.Series) -> pd.Series:
    """Sector names folded for matching: case and runs of spaces ignored; blank means unknown (null)."""
    # A few distinct names over many rows: fold the distinct ones only.
    codes, names = pd.factorize(values.astype("string"))
    folded = pd.Series(names, dtype="string").str.strip().str.replace(r"\s+", " ", regex=True).str.casefold()
    folded = folded.mask(folded == "")
    key = folded.reindex(codes).to_numpy() if len(folded) else np.full(len(codes), pd.NA, dtype=object)
    return pd.Series(pd.array(key, dtype="string"), index=values.index)


def classify(members: pd.DataFrame, groups: pd.DataFrame) -> pd.DataFrame:
    """Members (ticker, sic nullable int, sector; one row each) to one row per member row and group it belongs to.

    The member's columns are kept and `group` and `basis` added: basis 'sic'
    when the SIC code put the member in the group, 'sector' when it has no SIC
    code and its sector name did (the fallback). A member with a SIC code that
    no range holds is in no group, whatever its sector. Rows come in member
    order, then in the order groups first appear in the mapping.
    """
    m = members.reset_index(drop=True)
    sic = pd.to_numeric(m["sic"]).astype("Int64")
    has_sic = sic.notna().to_numpy()
    order = pd.unique(groups["group"])

    ranges = groups.loc[groups["kind"] == "sic"]
    codes = np.unique(sic[has_sic].to_numpy(dtype=np.int64))
    lo = ranges["sic_from"].to_numpy(dtype=np.int64)
    hi = ranges["sic_to"].to_numpy(dtype=np.int64)
    ci, ri = np.nonzero((codes[:, None] >= lo[None, :]) & (codes[:, None] <= hi[None, :]))
    code_groups = pd.DataFrame({"_sic": codes[ci], "group": ranges["group"].to_numpy()[ri]}).drop_duplicates()
    by_sic = (
        pd.DataFrame({"_row": np.flatnonzero(has_sic), "_sic": sic[has_sic].to_numpy(dtype=np.int64)})
        .merge(code_groups, on="_sic")
        .assign(basis="sic")
    )

    key = _sector_key(m["sector"])
    fallback = ~has_sic & key.notna().to_numpy()
    sectors = groups.loc[groups["kind"] == "sector"]
    sector_groups = pd.DataFrame(
        {"_key": _sector_key(sectors["sector"]).to_numpy(), "group": sectors["group"].to_numpy()}
    ).drop_duplicates()
    by_sector = (
        pd.DataFrame({"_row": np.flatnonzero(fallback), "_key": key[fallback].to_numpy()})
        .merge(sector_groups, on="_key")
        .assign(basis="sector")
    )

    hits = pd.concat([by_sic[["_row", "group", "basis"]], by_sector[["_row", "group", "basis"]]], ignore_index=True)
    hits["_rank"] = pd.Categorical(hits["group"], categories=order).codes
    hits = hits.sort_values(["_row", "_rank"], kind="stable")
    out = m.iloc[hits["_row"].to_numpy()].reset_index(drop=True)
    out["group"] = hits["group"].to_numpy()
    out["basis"] = hits["basis"].to_numpy()
    return out


def _point_in_time_sic(snaps: pd.DataFrame, companies: pd.DataFrame) -> pd.Series:
    """SIC of each snapshot row (_row, _day, cik, ticker) as known on its day; see sector_exposure for the rule."""
    comp = pd.DataFrame(
        {
            "cik": pd.to_numeric(companies["cik"]).astype("Int64"),
            "ticker": _ticker_key(companies["ticker"]),
            "_day": pd.to_datetime(companies["as_of"]).astype("datetime64[ns]"),
            "sic": pd.to_numeric(companies["sic"]).astype("Int64"),
        }
    ).dropna(subset=["_day"])
    sic = pd.Series(pd.NA, index=snaps["_row"].to_numpy(), dtype="Int64")
    by_cik = snaps["cik"].notna()
    for key, rows in (("cik", snaps.loc[by_cik]), ("ticker", snaps.loc[~by_cik])):
        ref = comp.dropna(subset=[key])
        if rows.empty or ref.empty:
            continue
        # Nulls are gone on both sides, so the keys can be plain numpy / str columns, as merge_asof wants them.
        plain = "int64" if key == "cik" else "str"
        left = rows[["_row", "_day", key]].astype({key: plain}).sort_values("_day", kind="stable")
        right = ref[[key, "_day", "sic"]].astype({key: plain}).assign(_found=True).sort_values("_day", kind="stable")
        known = pd.merge_asof(left, right, on="_day", by=key, direction="backward")
        # No reference row that old: SIC codes rarely change, so the earliest row stands in.
        missing = known["_found"].isna().to_numpy()
        earliest = right.drop_duplicates(key, keep="first")[[key, "sic"]]
        early = known.loc[missing, ["_row", key]].merge(earliest, on=key, how="left")
        sic.loc[known.loc[~missing, "_row"].to_numpy()] = known.loc[~missing, "sic"].to_numpy()
        sic.loc[early["_row"].to_numpy()] = early["sic"].to_numpy()
    return sic


def _ticker_key(values: pd.Series) -> pd.Series:
    return values.astype("string").str.strip().str.upper()


def sector_exposure(constituents: pd.DataFrame, companies: pd.DataFrame, groups: pd.DataFrame) -> pd.DataFrame:
    """Snapshots (index_name, as_of, ticker, weight, sector, cik) and companies (cik, ticker, as_of, sic) to one row per index, snapshot and group.

    SIC is point in time: a member on snapshot date d takes the SIC of the
    latest companies row dated on or before d for its cik (for its ticker where
    the holdings row has no cik). Where no row is that old, the earliest row for
    the cik (or ticker) is used: reference data rarely changes, and the
    warehouse often starts reading it after the first holdings snapshots.
    Members are put in groups by `classify` (SIC, else the sector fallback).

    Every group of the mapping gets a row for every snapshot (weight 0 where no
    member is in it). Percentages (0-100) are of the snapshot's total member
    weight, so they stay comparable when a holdings file does not sum to
    exactly 100 (a missing weight counts as 0): weight is the group's share;
    weight_by_sector_fallback the part of it carried by members put in the
    group by their sector name; unclassified_weight (the same on every group
    row of a snapshot) the share of members with neither a SIC code nor a
    sector. members counts the group's members, members_total the snapshot's.
    A code may be in several groups, so the groups' weights need not sum to 100.
    """
    group_names = list(pd.unique(groups["group"]))
    if constituents.empty:
        return pd.DataFrame(columns=COLUMNS)
    con = constituents.reset_index(drop=True)
    snaps = pd.DataFrame(
        {
            "index_name": con["index_name"],
            "_day": pd.to_datetime(con["as_of"]).astype("datetime64[ns]"),
            "ticker": _ticker_key(con["ticker"]),
            "cik": pd.to_numeric(con["cik"]).astype("Int64"),
            "sector": con["sector"],
            "weight": pd.to_numeric(con["weight"]).astype("float64").fillna(0.0),
        }
    )
    snaps["_row"] = np.arange(len(snaps))
    snaps["_snap"] = snaps.groupby(["index_name", "_day"], sort=True).ngroup().to_numpy()
    snaps["sic"] = _point_in_time_sic(snaps, companies).sort_index().array

    n_snaps = int(snaps["_snap"].max()) + 1
    snap_id = snaps["_snap"].to_numpy()
    weight = snaps["weight"].to_numpy()
    total = np.bincount(snap_id, weights=weight, minlength=n_snaps)
    count = np.bincount(snap_id, minlength=n_snaps)
    unclassified = (snaps["sic"].isna() & _sector_key(snaps["sector"]).isna()).to_numpy()
    unclassified_w = np.bincount(snap_id, weights=np.where(unclassified, weight, 0.0), minlength=n_snaps)

    hits = classify(snaps[["_snap", "ticker", "sic", "sector", "weight"]], groups)
    hits["_g"] = pd.Categorical(hits["group"], categories=group_names).codes
    hits["_fallback"] = np.where(hits["basis"] == "sector", hits["weight"], 0.0)
    n_groups = len(group_names)
    cell = hits["_snap"].to_numpy(dtype=np.int64) * n_groups + hits["_g"].to_numpy(dtype=np.int64)
    size = n_snaps * n_groups
    g_weight = np.bincount(cell, weights=hits["weight"].to_numpy(), minlength=size)
    g_fallback = np.bincount(cell, weights=hits["_fallback"].to_numpy(), minlength=size)
    g_members = np.bincount(cell, minlength=size)

    first = snaps.drop_duplicates("_snap").sort_values("_snap")
    s = np.repeat(np.arange(n_snaps), n_groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(total > 0, 100.0 / total, np.nan)[s]
    out = pd.DataFrame(
        {
            "index_name": first["index_name"].to_numpy()[s],
            "as_of": pd.DatetimeIndex(first["_day"].to_numpy()[s]).date,
            "group": np.tile(np.array(group_names, dtype=object), n_snaps),
            "weight": g_weight * scale,
            "members": g_members.astype(np.int32),
            "members_total": count[s].astype(np.int32),
            "weight_by_sector_fallback": g_fallback * scale,
            "unclassified_weight": unclassified_w[s] * scale,
        }
    )
    return out[COLUMNS]
