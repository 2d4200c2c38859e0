"""options_activity: option-chain snapshots (staging.options) in, one row per underlying and trade date of put/call activity, 25-delta skew and hedging spikes out."""

from __future__ import annotations

import numpy as np
import pandas as pd

KEYS: list[str] = ["underlying", "trade_date"]
# Days-to-expiry buckets (calendar days, expiry - trade_date) as (column suffix, lowest day, highest day); the
# first takes every day up to 7, so a snapshot dated after an expiry's last session still falls in a bucket and the
# buckets always add up to the totals.
BUCKETS: list[tuple[str, float, float]] = [
    ("0_7", -np.inf, 7),
    ("8_30", 8, 30),
    ("31_90", 31, 90),
    ("over_90", 91, np.inf),
]
_MEASURES = ["put_volume", "call_volume", "put_oi", "call_oi", "pc_volume_ratio", "pc_oi_ratio"]
BUCKET_COLUMNS: list[str] = [f"{m}_{b}" for b, _, _ in BUCKETS for m in _MEASURES]
COLUMNS: list[str] = [
    *KEYS, *_MEASURES, "skew_25d", "skew_days", "put_iv_25d", "call_iv_25d",
    "put_volume_z", "pc_volume_z", "hedging_spike", *BUCKET_COLUMNS,
]  # fmt: skip
COMPARE_COLUMNS: list[str] = [
    "trade_date", "small", "large", "small_pc_volume_ratio", "large_pc_volume_ratio",
    "small_pc_oi_ratio", "large_pc_oi_ratio", "pc_volume_ratio_spread",
]  # fmt: skip
REQUIRED: list[str] = [*KEYS, "expiry", "option_type", "volume", "open_interest", "iv", "delta"]
SKEW_DELTA = 0.25
SKEW_DAYS = 30


def options_activity(
    chain: pd.DataFrame, window: int = 60, min_history: int = 20, spike_z: float = 2.0
) -> pd.DataFrame:
    """Option chains (one row per underlying, trade_date and contract) to the options_activity mart, one row per underlying and trade_date.

    Columns (COLUMNS):
    - put_volume, call_volume, put_oi, call_oi: sums over the day's contracts of each type (contracts);
      a null volume or open interest is skipped, and a sum with no value at all is null.
    - pc_volume_ratio, pc_oi_ratio: put / call; null when the call side is 0 or null.
    - The same six per days-to-expiry bucket, suffixed _0_7, _8_30, _31_90, _over_90 (days = expiry - trade_date in
      calendar days; _0_7 also takes negative days, _over_90 is 91 days and more).
    - put_iv_25d, call_iv_25d, skew_25d = put_iv_25d - call_iv_25d (IV as a fraction) at about 30 days; skew_days is
      the days to expiry of the single expiry used, or 30 when two were interpolated. See _skew.
    - put_volume_z, pc_volume_z: (x - mean) / sample std of the previous `window` rows of that underlying (its
      snapshot days, the day itself excluded); null with fewer than `min_history` non-null prior values, or a
      zero std.
    - hedging_spike: put_volume_z >= spike_z; False (never null) where put_volume_z is null.
    """
    missing = [c for c in REQUIRED if c not in chain.columns]
    if missing:
        raise ValueError(f"options_activity: chain lacks column(s) {missing}")
    if window < 2 or not 2 <= min_history <= window:
        raise ValueError(f"options_activity: need 2 <= min_history <= window, got {min_history=} {window=}")
    df = _prepare(chain)
    if df.empty:
        return _empty()

    day = _sums(df, ["put_volume", "call_volume", "put_oi", "call_oi"])
    by_bucket = _sums(df.dropna(subset=["bucket"]), ["put_volume", "call_volume", "put_oi", "call_oi"], "bucket")
    out = day.join(by_bucket, how="left").join(_skew(df), how="left").reset_index()
    out = out.sort_values(KEYS, kind="stable").reset_index(drop=True)

    out["put_volume_z"] = _trailing_z(out, "put_volume", window, min_history)
    out["pc_volume_z"] = _trailing_z(out, "pc_volume_ratio", window, min_history)
    out["hedging_spike"] = (out["put_volume_z"] >= spike_z).to_numpy(dtype=bool)
    out["trade_date"] = out["trade_date"].dt.date
    return out[COLUMNS]


def compare_underlyings(activity: pd.DataFrame, small: str = "IWM", large: str = "SPY") -> pd.DataFrame:
    """The options_activity mart to one row per trade_date: the small- and large-cap underlyings' put/call ratios side by side.

    pc_volume_ratio_spread = small minus large pc_volume_ratio. Days where only one underlying has a row are kept,
    with the other side and the spread null. The small underlying is required: its absence raises ValueError.
    """
    if not (activity["underlying"] == small).any():
        raise ValueError(f"compare_underlyings: no rows for the small-cap underlying {small!r}")
    sides = []
    for label, name in (("small", small), ("large", large)):
        part = activity.loc[activity["underlying"] == name, ["trade_date", "pc_volume_ratio", "pc_oi_ratio"]]
        sides.append(part.set_index("trade_date").add_prefix(f"{label}_"))
    out = sides[0].join(sides[1], how="outer").reset_index()
    out["small"] = small
    out["large"] = large
    out["pc_volume_ratio_spread"] = out["small_pc_volume_ratio"] - out["large_pc_volume_ratio"]
    return out.sort_values("trade_date", kind="stable").reset_index(drop=True)[COMPARE_COLUMNS]


def _prepare(chain: pd.DataFrame) -> pd.DataFrame:
    """The chain's needed columns, typed (dates as datetime64), with days to expiry, bucket and per-type volume and OI."""
    df = pd.DataFrame(
        {
            "underlying": chain["underlying"].astype(str),
            "trade_date": pd.to_datetime(chain["trade_date"]).astype("datetime64[s]"),
            "expiry": pd.to_datetime(chain["expiry"]).astype("datetime64[s]"),
            "option_type": chain["option_type"].astype(str),
            "volume": pd.to_numeric(chain["volume"], errors="coerce").astype(float),
            "open_interest": pd.to_numeric(chain["open_interest"], errors="coerce").astype(float),
            "iv": pd.to_numeric(chain["iv"], errors="coerce").astype(float),
            "delta": pd.to_numeric(chain["delta"], errors="coerce").astype(float),
        }
    ).reset_index(drop=True)
    bad_type = ~df["option_type"].isin(["C", "P"])
    if bad_type.any():
        examples = sorted(df.loc[bad_type, "option_type"].unique().tolist())[:10]
        raise ValueError(f"options_activity: {int(bad_type.sum())} contract(s) with option_type not C or P: {examples}")
    df["days"] = (df["expiry"] - df["trade_date"]).dt.days
    df["bucket"] = None
    for name, low, high in BUCKETS:
        df.loc[df["days"].between(low, high), "bucket"] = name
    is_put = df["option_type"] == "P"
    df["put_volume"] = df["volume"].where(is_put)
    df["call_volume"] = df["volume"].where(~is_put)
    df["put_oi"] = df["open_interest"].where(is_put)
    df["call_oi"] = df["open_interest"].where(~is_put)
    return df


def _sums(df: pd.DataFrame, columns: list[str], by: str | None = None) -> pd.DataFrame:
    """Sums of `columns` per underlying and trade_date (and `by`, spread into suffixed columns), with the two ratios."""
    keys = [*KEYS, by] if by else KEYS
    sums = df.groupby(keys, sort=True)[columns].sum(min_count=1)
    sums["pc_volume_ratio"] = _ratio(sums["put_volume"], sums["call_volume"])
    sums["pc_oi_ratio"] = _ratio(sums["put_oi"], sums["call_oi"])
    if by is None:
        return sums
    wide = pd.DataFrame(sums.unstack(by))
    wide.columns = [f"{pair[0]}_{pair[1]}" for pair in wide.columns]
    return wide.reindex(columns=BUCKET_COLUMNS)


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    return numerator / denominator.where(denominator != 0)


def _skew(df: pd.DataFrame) -> pd.DataFrame:
    """Per underlying and trade_date: put_iv_25d, call_iv_25d, skew_25d and skew_days at about 30 days.

    Within an expiry, IV is interpolated linearly in delta between the two contracts of the type whose deltas
    bracket the target (-0.25 for puts, +0.25 for calls), using contracts with iv > 0 and a delta (several
    contracts at one delta count as their mean IV); no extrapolation, so an expiry whose deltas do not reach the
    target on both sides has no value. Across expiries (those at least 1 day out), the candidates are the nearest
    listed expiry at or under 30 days and the nearest at or over 30: when both have values they are interpolated
    linearly in days to expiry (plain linear, not in variance) and skew_days = 30; when only one has, it is used as
    it is and skew_days is its days to expiry; when neither has, all four are null. An expiry farther from 30 days
    never stands in for a candidate without values, so the skew is never read off a far-away expiry.
    """
    target_cols = ["put_iv_25d", "call_iv_25d", "skew_25d", "skew_days"]
    point = [*KEYS, "days"]
    ok = (df["iv"] > 0) & df["delta"].notna() & (df["days"] >= 1)
    legs = df.loc[ok, [*point, "option_type", "delta", "iv"]]
    group = [*point, "option_type"]
    legs = legs.groupby([*group, "delta"], sort=False)["iv"].mean().reset_index()
    legs["target"] = np.where(legs["option_type"] == "P", -SKEW_DELTA, SKEW_DELTA)
    legs = legs.sort_values([*group, "delta"], kind="stable")
    below = legs.loc[legs["delta"] <= legs["target"]].drop_duplicates(group, keep="last")
    above = legs.loc[legs["delta"] >= legs["target"]].drop_duplicates(group, keep="first")
    pair = below.merge(above[[*group, "delta", "iv"]], on=group, suffixes=("_lo", "_hi"))
    span = pair["delta_hi"] - pair["delta_lo"]
    weight = ((pair["target"] - pair["delta_lo"]) / span.where(span != 0)).fillna(0.0)
    pair["iv25"] = pair["iv_lo"] + weight * (pair["iv_hi"] - pair["iv_lo"])
    # One trade date's expiries and days to expiry are one-to-one, so (underlying, trade_date, days) names an expiry.
    is_put = pair["option_type"] == "P"
    put = pair.loc[is_put, [*point, "iv25"]].rename(columns={"iv25": "put"})
    call = pair.loc[~is_put, [*point, "iv25"]].rename(columns={"iv25": "call"})
    values = put.merge(call, on=point)

    listed = df.loc[df["days"] >= 1, point].drop_duplicates().sort_values(point, kind="stable")
    near = listed.loc[listed["days"] <= SKEW_DAYS].drop_duplicates(KEYS, keep="last")
    far = listed.loc[listed["days"] >= SKEW_DAYS].drop_duplicates(KEYS, keep="first")
    near = near.merge(values, on=point, how="left").set_index(KEYS).add_suffix("_near")
    far = far.merge(values, on=point, how="left").set_index(KEYS).add_suffix("_far")
    both = near.join(far, how="outer")
    has_near = both["put_near"].notna().to_numpy()
    has_far = both["put_far"].notna().to_numpy()
    interpolated = has_near & has_far
    span = both["days_far"] - both["days_near"]
    weight = ((SKEW_DAYS - both["days_near"]) / span.where(span != 0)).fillna(0.0)
    out = pd.DataFrame(index=both.index)
    for side in ("put", "call"):
        low, high = both[f"{side}_near"], both[f"{side}_far"]
        out[f"{side}_iv_25d"] = np.where(interpolated, low + weight * (high - low), low.fillna(high))
    out["skew_25d"] = out["put_iv_25d"] - out["call_iv_25d"]
    single_days = np.where(has_near, both["days_near"], np.where(has_far, both["days_far"], np.nan))
    out["skew_days"] = np.where(interpolated, float(SKEW_DAYS), single_days)
    return out[target_cols]


def _trailing_z(out: pd.DataFrame, column: str, window: int, min_history: int) -> pd.Series:
    """Per underlying (rows sorted by trade_date): z of each row against the previous `window` rows, the row left out."""
    grouped = out.groupby("underlying", sort=False)[column]
    prior = grouped.shift(1)
    stats = prior.groupby(out["underlying"], sort=False).rolling(window, min_periods=min_history)
    mean = stats.mean().reset_index(level=0, drop=True)
    std = stats.std(ddof=1).reset_index(level=0, drop=True)
    z = (out[column] - mean) / std.where(std > 0)
    return z.astype(float)


def _empty() -> pd.DataFrame:
    out = pd.DataFrame({c: pd.Series(dtype=float) for c in COLUMNS})
    out["underlying"] = pd.Series(dtype=str)
    out["trade_date"] = pd.Series(dtype=object)
    out["hedging_spike"] = pd.Series(dtype=bool)
    return out
