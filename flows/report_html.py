"""The HTML report as a pure function: frames of the published marts in, one self-contained HTML page out.

No IO here: `flows/report.py` reads the warehouse and writes the file. Charts are PNGs embedded as data URIs and the
CSS is inline, so the page opens anywhere, offline, with no JavaScript.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from html import escape
from typing import Any

import numpy as np
import pandas as pd

from flows.chart import (
    HEADLINE_INDEX,
    LINES,
    SYNTHETIC_LABEL,
    TITLES,
    headline_table,
    render_png,
    synthetic_detail,
)
from flows.chart import figure_png as _figure_png

# Section id -> heading, in page order (tests look for these headings).
SECTIONS = {
    "headline": "Headline: what the price implies for the Russell 2000",
    "sentiment": "Earnings-call sentiment: small caps against large caps",
    "options": "IWM put/call ratio and hedging spikes",
    "sectors": "Sector exposure: tariff-exposed and reshoring-sensitive",
    "screen": "Screen: the lowest priced-in expectations (Russell 2000, top 15)",
    "exclusions": "Members the model could not use",
}
SCREEN_SIZE = 15
SMALL_UNDERLYING = "IWM"
GROUP_LABELS = {"tariff_exposed": "Tariff-exposed", "reshoring_sensitive": "Reshoring-sensitive"}
NO_VALUE = "–"

CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1d2430; margin: 0;
       background: #f6f7f9; line-height: 1.45; }
main { max-width: 1080px; margin: 0 auto; padding: 24px 28px 48px; background: #fff; }
h1 { font-size: 1.7em; margin: 0 0 4px; color: #1f3b73; }
h2 { font-size: 1.25em; margin: 0 0 10px; color: #1f3b73; border-bottom: 2px solid #e3e7ee; padding-bottom: 4px; }
h3 { font-size: 1.02em; margin: 16px 0 6px; }
section { margin-top: 30px; }
.meta { color: #5b6472; margin: 2px 0; }
.warn { background: #fff4e0; border-left: 4px solid #d98c1f; padding: 8px 12px; margin: 12px 0; }
.ok { background: #eef6ea; border-left: 4px solid #5a8f3c; padding: 8px 12px; margin: 12px 0; }
.nodata { color: #7a828f; font-style: italic; }
table { border-collapse: collapse; margin: 8px 0 4px; font-size: 0.92em; }
th, td { padding: 4px 8px; border-bottom: 1px solid #e3e7ee; text-align: right; white-space: nowrap; }
th { background: #f0f2f6; font-weight: 600; white-space: normal; vertical-align: bottom; }
td.text, th.text { text-align: left; white-space: normal; }
.scroll { overflow-x: auto; }
img.chart { display: block; max-width: 100%; height: auto; margin: 8px 0; }
.note { color: #5b6472; font-size: 0.9em; }
.synthetic { background: #b3262d; color: #fff; padding: 12px 16px; margin: 0 0 16px; font-size: 1.05em; }
.synthetic strong { font-size: 1.2em; letter-spacing: 0.03em; }
"""


@dataclass(frozen=True)
class ReportData:
    """What the report shows, as read from the published warehouse; a None or empty frame means no data yet."""

    as_of: date | None = None
    published_at: datetime | None = None
    run_id: str | None = None
    # From pipeline_runs of the published run: whether the warehouse holds demo (simulated) rows, and in which raw
    # datasets; None where it is not recorded (a warehouse published before this was kept).
    synthetic: bool | None = None
    synthetic_datasets: tuple[str, ...] = ()
    # One row per mart with an inputs_as_of column: table, inputs_as_of (the oldest in the table).
    inputs: pd.DataFrame | None = None
    eea_index: pd.DataFrame | None = None
    eea_sensitivity: pd.DataFrame | None = None
    sentiment_index: pd.DataFrame | None = None
    options_activity: pd.DataFrame | None = None
    options_small_vs_large: pd.DataFrame | None = None
    sector_exposure: pd.DataFrame | None = None
    eea_screen: pd.DataFrame | None = None
    eea_exclusions: pd.DataFrame | None = None


# -- formatting ---------------------------------------------------------------


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def pct(value: Any, decimals: int = 1) -> str:
    """A fraction as a percent (0.071 -> '7.1%'); a dash for a missing value."""
    return NO_VALUE if _missing(value) else f"{float(value) * 100:.{decimals}f}%"


def num(value: Any, decimals: int = 3) -> str:
    return NO_VALUE if _missing(value) else f"{float(value):.{decimals}f}"


def integer(value: Any) -> str:
    return NO_VALUE if _missing(value) else f"{int(value):,}"


def day(value: Any) -> str:
    return NO_VALUE if _missing(value) else pd.Timestamp(value).date().isoformat()


def text(value: Any) -> str:
    return NO_VALUE if _missing(value) else str(value)


def _empty(frame: pd.DataFrame | None) -> bool:
    return frame is None or frame.empty


def _no_data(what: str) -> str:
    return f'<p class="nodata">No data yet: {escape(what)}.</p>'


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]], text_columns: Sequence[int] = ()) -> str:
    """An HTML table; every header and cell is escaped here, so callers pass plain text."""

    def cell(tag: str, i: int, value: str) -> str:
        cls = ' class="text"' if i in text_columns else ""
        return f"<{tag}{cls}>{escape(value)}</{tag}>"

    head = "".join(cell("th", i, h) for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(cell("td", i, v) for i, v in enumerate(row)) + "</tr>" for row in rows)
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img class="chart" src="data:image/png;base64,{data}" alt="{escape(alt)}">'


# -- header -------------------------------------------------------------------


def synthetic_banner(data: ReportData) -> str:
    """The banner atop a page built on demo data; a note where that is not recorded; nothing for real data only."""
    if data.synthetic:
        detail = synthetic_detail(data.synthetic_datasets) or ""
        return (
            f'<div class="synthetic" id="synthetic" role="alert"><strong>{escape(SYNTHETIC_LABEL)}.</strong> '
            f"{escape(detail)} Tickers, companies and figures here are made up; this is not investment research.</div>"
        )
    if data.synthetic is None and data.run_id is not None:
        return (
            '<p class="warn">This warehouse does not record whether its data comes from the built-in demo market '
            "(it was published before that was kept); the next run records it.</p>"
        )
    return ""


def stale_inputs(inputs: pd.DataFrame | None, as_of: date | None) -> list[tuple[str, date]]:
    """(table, inputs_as_of) for each mart whose inputs are older than the run's as_of, by table name."""
    if _empty(inputs) or as_of is None:
        return []
    assert inputs is not None
    out = []
    for table, when in zip(inputs["table"], inputs["inputs_as_of"], strict=True):
        if not _missing(when) and pd.Timestamp(when).date() < as_of:
            out.append((str(table), pd.Timestamp(when).date()))
    return sorted(out)


def _header(data: ReportData) -> str:
    as_of = data.as_of.isoformat() if data.as_of else "unknown"
    parts = [
        f"<h1>EEA report: US small caps, as of {escape(as_of)}</h1>",
        f'<p class="meta">Published {escape(data.published_at.strftime("%Y-%m-%d %H:%M UTC") if data.published_at else "at an unknown time")}'
        + (f" by run {escape(data.run_id)}" if data.run_id else "")
        + ".</p>",
    ]
    stale = stale_inputs(data.inputs, data.as_of)
    if stale:
        rows = [(t, d.isoformat(), f"{(data.as_of - d).days} days" if data.as_of else NO_VALUE) for t, d in stale]
        parts.append(
            '<div class="warn"><strong>Stale inputs:</strong> these tables were built on inputs older than the '
            "run's as-of date (a batch was quarantined or missing)."
            + _table(["table", "inputs as of", "behind"], rows, text_columns=[0])
            + "</div>"
        )
    elif not _empty(data.inputs):
        parts.append(f'<p class="ok">Every table\'s inputs are current as of {escape(as_of)}.</p>')
    return "<header>" + "".join(parts) + "</header>"


# -- 1. headline ----------------------------------------------------------------


def _headline(data: ReportData) -> str:
    index = data.eea_index
    if _empty(index):
        return _no_data("eea_index is missing or empty")
    assert index is not None
    parts: list[str] = []
    table = headline_table(index)
    if table.empty:
        parts.append(_no_data(f"eea_index has no {HEADLINE_INDEX} rows"))
    else:
        as_of = data.as_of or pd.Timestamp(index["as_of"].max()).date()
        synthetic = data.synthetic_datasets if data.synthetic else ()
        parts.append(_img(render_png(table, as_of, synthetic), "EEA headline chart"))
        rows = [
            [str(int(year))] + [pct(v) for v in row] for year, row in zip(table.index, table.to_numpy(), strict=True)
        ]
        parts.append("<h3>Index ROA by fiscal year</h3>")
        parts.append(_table(["fiscal year", *(LINES[s][0] for s in table.columns)], rows))

    implied = index[index["series"] == "market_implied"]
    if not implied.empty:
        order = {HEADLINE_INDEX: 0, "large_cap": 1}
        firsts = (
            implied.sort_values("fiscal_year")
            .groupby("index_name", sort=False)
            .agg(
                roa_steady=("roa_steady", "first"),
                roa_steady_cap_weighted=("roa_steady_cap_weighted", "first"),
                roa_steady_median=("roa_steady_median", "first"),
                r=("r", "first"),
                g_terminal=("g_terminal", "first"),
                members_used=("members_used", "max"),
                members_excluded=("members_excluded", "max"),
            )
            .reset_index()
        )
        firsts = firsts.sort_values("index_name", key=lambda s: s.map(order).fillna(9))
        rows = [
            [
                TITLES.get(str(r["index_name"]), str(r["index_name"])),
                pct(r["roa_steady"], 2),
                pct(r["roa_steady_cap_weighted"], 2),
                pct(r["roa_steady_median"], 2),
                pct(r["r"], 2),
                pct(r["g_terminal"], 1),
                integer(r["members_used"]),
                integer(r["members_excluded"]),
            ]
            for _, r in firsts.iterrows()
        ]
        parts.append("<h3>R*: the steady ROA the price implies</h3>")
        parts.append(
            _table(
                ["index", "R*_index", "cap-weighted mean", "median", "r", "g terminal", "members used", "excluded"],
                rows,
                text_columns=[0],
            )
        )
    parts.append("<h3>Sensitivity of R*_index</h3>")
    parts.append(_sensitivity(data.eea_sensitivity))
    return "".join(parts)


def _sensitivity(frame: pd.DataFrame | None) -> str:
    if _empty(frame):
        return _no_data("eea_sensitivity is missing or empty")
    assert frame is not None
    names = {"r": "cost of capital r", "g_terminal": "terminal growth g"}
    rows = []
    for (index_name, parameter), group in frame.groupby(["index_name", "parameter"], sort=False):
        by_shift = {round(float(s), 6): v for s, v in zip(group["shift"], group["roa_steady"], strict=True)}
        rows.append(
            (
                0 if index_name == HEADLINE_INDEX else 1,
                [
                    TITLES.get(str(index_name), str(index_name)),
                    names.get(str(parameter), str(parameter)),
                    pct(by_shift.get(-0.01), 2),
                    pct(by_shift.get(0.0), 2),
                    pct(by_shift.get(0.01), 2),
                ],
            )
        )
    rows.sort(key=lambda r: r[0])
    return _table(
        ["index", "parameter moved", "R* at -1 point", "R* as run", "R* at +1 point"],
        [r[1] for r in rows],
        text_columns=[0, 1],
    )


# -- 2. sentiment ---------------------------------------------------------------


def monthly_sentiment(frame: pd.DataFrame) -> pd.DataFrame:
    """Monthly rows of one lexicon (the one covering the latest month; the newest version on a tie), by month."""
    months = frame[frame["period"] == "month"] if "period" in frame.columns else frame
    if months.empty:
        return months
    cover = (
        months.groupby(["lexicon", "lexicon_version"])["period_start"]
        .agg(["max", "count"])
        .reset_index()
        .sort_values(["max", "count", "lexicon_version"], ascending=False)
    )
    best = cover.iloc[0]
    rows = months[(months["lexicon"] == best["lexicon"]) & (months["lexicon_version"] == best["lexicon_version"])]
    return rows.sort_values("period_start").reset_index(drop=True)


def lowest_spread(months: pd.DataFrame) -> int | None:
    """Position of the month with the lowest spread (the first on a tie), None when no month has one."""
    spread = months["spread"].to_numpy(dtype=float, na_value=np.nan)
    return None if np.isnan(spread).all() else int(np.nanargmin(spread))


def sentiment_png(months: pd.DataFrame) -> bytes:
    """Small-cap and large-cap mean tone (top) and their spread (bottom) per month, the lowest spread marked."""
    x = pd.to_datetime(months["period_start"])

    def draw(fig: Any) -> None:
        top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 2]})
        top.plot(x, months["small_tone"], "-o", color="#1f3b73", label="Small caps (Russell 2000)", markersize=4)
        top.plot(x, months["large_tone"], "-s", color="#d98c1f", label="Large caps", markersize=4)
        top.set_ylabel("Mean net tone")
        top.legend(loc="best", frameon=False)
        top.grid(True, alpha=0.3)
        top.set_title("Earnings-call tone by month")
        bottom.axhline(0, color="#888", linewidth=0.8)
        bottom.plot(x, months["spread"], "-o", color="#5a8f3c", markersize=4, label="Spread (small - large)")
        thin = months["thin"].fillna(False).astype(bool) if "thin" in months.columns else pd.Series(False, months.index)
        if thin.any():
            bottom.plot(x[thin], months.loc[thin, "spread"], "o", mfc="white", color="#5a8f3c", label="Thin month")
        low = lowest_spread(months)
        if low is not None:
            lx, ly = x.iloc[low], float(months["spread"].iloc[low])
            bottom.plot([lx], [ly], "v", color="#b3262d", markersize=11, label="Lowest spread")
            bottom.annotate(
                f"lowest {ly:+.3f}",
                (lx, ly),
                textcoords="offset points",
                xytext=(8, -4),
                color="#b3262d",
            )
        bottom.set_ylabel("Spread")
        bottom.legend(loc="best", frameon=False, fontsize="small")
        bottom.grid(True, alpha=0.3)

    return _figure_png(draw, (10, 6))


def _sentiment(data: ReportData) -> str:
    if _empty(data.sentiment_index):
        return _no_data("sentiment_index is missing or empty")
    assert data.sentiment_index is not None
    months = monthly_sentiment(data.sentiment_index)
    if months.empty:
        return _no_data("sentiment_index has no monthly rows")
    parts = [_img(sentiment_png(months), "Small-cap and large-cap earnings-call tone by month, and their spread")]
    lexicon = f"{months['lexicon'].iloc[0]} {months['lexicon_version'].iloc[0]}"
    lowest = lowest_spread(months)
    if lowest is not None:
        low = months.iloc[lowest]
        last = months.iloc[-1]
        parts.append(
            f'<p class="note">Lowest spread on record: {escape(day(low["period_start"])[:7])} at '
            f"{escape(num(low['spread'], 3))}. Latest month {escape(day(last['period_start'])[:7])}: spread "
            f"{escape(num(last['spread'], 3))}, percentile {escape(pct(last['spread_percentile'], 0))} (share of months "
            f"at or below it). Lexicon {escape(lexicon)}; hollow markers are months with too few calls.</p>"
        )
    recent = months.tail(6).iloc[::-1]
    rows = [
        [
            day(r["period_start"])[:7],
            num(r["small_tone"]),
            integer(r["small_calls"]),
            num(r["large_tone"]),
            integer(r["large_calls"]),
            num(r["spread"]),
            pct(r["spread_percentile"], 0),
            "yes" if not _missing(r.get("thin")) and bool(r.get("thin")) else "",
        ]
        for _, r in recent.iterrows()
    ]
    parts.append("<h3>Latest months</h3>")
    parts.append(
        _table(
            ["month", "small tone", "small calls", "large tone", "large calls", "spread", "percentile", "thin"], rows
        )
    )
    return "".join(parts)


# -- 3. options -----------------------------------------------------------------


def options_png(iwm: pd.DataFrame, versus: pd.DataFrame | None) -> bytes:
    """IWM put/call volume ratio with hedging-spike days marked; below, the IWM - SPY ratio spread if there is one."""
    x = pd.to_datetime(iwm["trade_date"])
    spike = iwm["hedging_spike"].fillna(False).astype(bool)
    has_versus = versus is not None and not versus.empty and versus["pc_volume_ratio_spread"].notna().any()

    def draw(fig: Any) -> None:
        if has_versus:
            top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 2]})
        else:
            top, bottom = fig.subplots(1, 1), None
        ratio = iwm["pc_volume_ratio"]
        top.plot(x, ratio, "-", color="#9fb3d9", linewidth=0.7, label=f"{SMALL_UNDERLYING} put/call volume, daily")
        top.plot(x, ratio.rolling(20, min_periods=5).mean(), "-", color="#1f3b73", linewidth=1.8, label="20-day mean")
        top.plot(x[spike], iwm.loc[spike, "pc_volume_ratio"], "^", color="#b3262d", markersize=7, label="Hedging spike")
        top.set_ylabel("Put/call volume ratio")
        top.set_title(f"{SMALL_UNDERLYING} options: put/call volume and hedging spikes (put volume z >= 2)")
        top.legend(loc="upper left", frameon=False)
        top.grid(True, alpha=0.3)
        if bottom is not None and versus is not None:
            vx = pd.to_datetime(versus["trade_date"])
            bottom.axhline(0, color="#888", linewidth=0.8)
            vs = versus["pc_volume_ratio_spread"]
            bottom.plot(vx, vs, "-", color="#b9d4a8", linewidth=0.7, label="daily")
            bottom.plot(
                vx, vs.rolling(20, min_periods=5).mean(), "-", color="#5a8f3c", linewidth=1.8, label="20-day mean"
            )
            bottom.legend(loc="upper left", frameon=False, fontsize="small")
            bottom.set_ylabel("Small - large P/C")
            bottom.set_title("Put/call volume ratio spread, small caps minus large caps", fontsize="medium")
            bottom.grid(True, alpha=0.3)

    return _figure_png(draw, (10, 6 if has_versus else 4))


def _options(data: ReportData) -> str:
    frame = data.options_activity
    if _empty(frame):
        return _no_data("options_activity is missing or empty")
    assert frame is not None
    iwm = frame[frame["underlying"] == SMALL_UNDERLYING] if "underlying" in frame.columns else frame
    iwm = iwm.sort_values("trade_date").reset_index(drop=True)
    if iwm.empty:
        return _no_data(f"options_activity has no {SMALL_UNDERLYING} rows")
    versus = data.options_small_vs_large
    if versus is not None and not versus.empty:
        versus = versus.sort_values("trade_date").reset_index(drop=True)
    parts = [_img(options_png(iwm, versus), f"{SMALL_UNDERLYING} put/call volume ratio with hedging spikes")]
    spike = iwm["hedging_spike"].fillna(False).astype(bool)
    last = iwm.iloc[-1]
    recent = iwm.tail(60)
    note = (
        f"Latest day {day(last['trade_date'])}: put/call volume {num(last['pc_volume_ratio'], 2)}, "
        f"put volume z {num(last['put_volume_z'], 2)}. Hedging spikes: {int(spike.sum())} days on record, "
        f"{int(recent['hedging_spike'].fillna(False).astype(bool).sum())} in the last {len(recent)} trading days."
    )
    if versus is not None and not versus.empty and versus["pc_volume_ratio_spread"].notna().any():
        lv = versus.dropna(subset=["pc_volume_ratio_spread"]).iloc[-1]
        note += (
            f" Small minus large put/call spread on {day(lv['trade_date'])}: {num(lv['pc_volume_ratio_spread'], 2)}."
        )
    parts.append(f'<p class="note">{escape(note)}</p>')
    spikes = iwm[spike].tail(8).iloc[::-1]
    if spikes.empty:
        parts.append('<p class="note">No hedging spike on record.</p>')
    else:
        rows = [
            [day(r["trade_date"]), integer(r["put_volume"]), num(r["put_volume_z"], 2), num(r["pc_volume_ratio"], 2)]
            for _, r in spikes.iterrows()
        ]
        parts.append("<h3>Latest hedging spikes</h3>")
        parts.append(_table(["day", "put volume", "put volume z", "put/call volume"], rows))
    return "".join(parts)


# -- 4. sectors -----------------------------------------------------------------


def latest_exposure(frame: pd.DataFrame, as_of: date | None) -> pd.DataFrame:
    """Each index's latest snapshot on or before as_of (all snapshots when as_of is unknown)."""
    snaps = frame.copy()
    snaps["as_of"] = pd.to_datetime(snaps["as_of"])
    if as_of is not None:
        snaps = snaps[snaps["as_of"] <= pd.Timestamp(as_of)]
    if snaps.empty:
        return snaps
    latest = snaps.groupby("index_name")["as_of"].transform("max")
    return snaps[snaps["as_of"] == latest].reset_index(drop=True)


def sector_png(latest: pd.DataFrame) -> bytes:
    """Grouped horizontal bars: each sector group's weight in the small-cap index and the large-cap universe."""
    groups = [g for g in GROUP_LABELS if g in set(latest["sector_group"])] + sorted(
        set(latest["sector_group"]) - set(GROUP_LABELS)
    )
    indexes = [i for i in (HEADLINE_INDEX, "large_cap") if i in set(latest["index_name"])]
    colors = {HEADLINE_INDEX: "#1f3b73", "large_cap": "#d98c1f"}
    height = 0.8 / max(len(indexes), 1)

    def draw(fig: Any) -> None:
        ax = fig.subplots(1, 1)
        for k, index_name in enumerate(indexes):
            rows = latest[latest["index_name"] == index_name].set_index("sector_group")["weight"]
            values = [float(rows.get(g, 0.0)) for g in groups]
            ys = [i + k * height for i in range(len(groups))]
            ax.barh(ys, values, height=height, color=colors.get(index_name, "#5a8f3c"), label=TITLES.get(index_name))
            for y, v in zip(ys, values, strict=True):
                ax.text(v, y, f" {v:.1f}%", va="center", fontsize="small")
        ax.set_yticks([i + height * (len(indexes) - 1) / 2 for i in range(len(groups))])
        ax.set_yticklabels([GROUP_LABELS.get(g, g) for g in groups])
        ax.invert_yaxis()
        ax.set_xlabel("Index weight, percent")
        ax.set_xlim(0, max(float(latest["weight"].max()) * 1.2, 1.0))
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        ax.grid(True, axis="x", alpha=0.3)

    return _figure_png(draw, (8, 2.8))


def _sectors(data: ReportData) -> str:
    if _empty(data.sector_exposure):
        return _no_data("sector_exposure is missing or empty")
    assert data.sector_exposure is not None
    latest = latest_exposure(data.sector_exposure, data.as_of)
    if latest.empty:
        return _no_data("sector_exposure has no snapshot on or before the as-of date")
    parts = [_img(sector_png(latest), "Sector-group weights, small caps against large caps")]
    order = {HEADLINE_INDEX: 0, "large_cap": 1}
    latest = latest.assign(
        _i=latest["index_name"].map(order).fillna(9),
        _g=latest["sector_group"].map({g: i for i, g in enumerate(GROUP_LABELS)}).fillna(9),
    ).sort_values(["_g", "_i"])
    rows = [
        [
            GROUP_LABELS.get(str(r["sector_group"]), str(r["sector_group"])),
            TITLES.get(str(r["index_name"]), str(r["index_name"])),
            day(r["as_of"]),
            f"{float(r['weight']):.1f}%",
            f"{integer(r['members'])} of {integer(r['members_total'])}",
            f"{float(r['weight_by_sector_fallback']):.1f}%",
        ]
        for _, r in latest.iterrows()
    ]
    parts.append(
        _table(
            ["group", "index", "snapshot", "weight", "members", "of which by sector name"], rows, text_columns=[0, 1]
        )
    )
    return "".join(parts)


# -- 5. screen ------------------------------------------------------------------


def _screen(data: ReportData) -> str:
    frame = data.eea_screen
    if _empty(frame):
        return _no_data("eea_screen is missing or empty")
    assert frame is not None
    top = frame[frame["index_name"] == HEADLINE_INDEX] if "index_name" in frame.columns else frame
    top = top.sort_values("rank").head(SCREEN_SIZE)
    if top.empty:
        return _no_data(f"eea_screen has no {HEADLINE_INDEX} rows")
    rows = [
        [
            integer(r["rank"]),
            text(r["ticker"]),
            text(r["name"]),
            text(r["sector"]),
            pct(r["gap"]),
            pct(r["roa_analyst_fy1"]),
            pct(r["roa_implied_fy1"]),
            pct(r["leverage"]),
            pct(r["floating_rate_debt_share"]),
            pct(r["operating_margin"]),
        ]
        for _, r in top.iterrows()
    ]
    headers = [
        "rank",
        "ticker",
        "name",
        "sector",
        "gap",
        "analyst ROA FY1",
        "implied ROA FY1",
        "leverage",
        "floating-rate debt",
        "operating margin",
    ]
    note = (
        '<p class="note">Gap: analyst ROA minus market-implied ROA, mean over FY1 and FY2. Leverage: debt / assets. '
        "Floating-rate debt: share of long-term debt at variable rates, where reported.</p>"
    )
    return _table(headers, rows, text_columns=[1, 2, 3]) + note


# -- 6. exclusions --------------------------------------------------------------


def exclusion_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """Members excluded per index, reason and stage, largest first: index_name, reason, stage, members, examples."""
    grouped = (
        frame.sort_values("ticker")
        .groupby(["index_name", "reason", "stage"], sort=False)["ticker"]
        .agg(members="count", examples=lambda s: ", ".join(map(str, list(s)[:5])) + (", ..." if len(s) > 5 else ""))
        .reset_index()
    )
    order = grouped["index_name"].map({HEADLINE_INDEX: 0, "large_cap": 1}).fillna(9)
    return (
        grouped.assign(_i=order)
        .sort_values(["_i", "members", "reason"], ascending=[True, False, True])
        .drop(columns="_i")
        .reset_index(drop=True)
    )


def _exclusions(data: ReportData) -> str:
    if _empty(data.eea_exclusions):
        return _no_data("eea_exclusions is missing or empty (nobody excluded, or the model has not run)")
    assert data.eea_exclusions is not None
    counts = exclusion_counts(data.eea_exclusions)
    rows = [
        [
            TITLES.get(str(r["index_name"]), str(r["index_name"])),
            text(r["reason"]),
            text(r["stage"]),
            integer(r["members"]),
            text(r["examples"]),
        ]
        for _, r in counts.iterrows()
    ]
    return _table(["index", "reason", "stage", "members", "e.g."], rows, text_columns=[0, 1, 2, 4])


# -- the page ---------------------------------------------------------------------

_BODIES: dict[str, Callable[[ReportData], str]] = {
    "headline": _headline,
    "sentiment": _sentiment,
    "options": _options,
    "sectors": _sectors,
    "screen": _screen,
    "exclusions": _exclusions,
}


def render_report(data: ReportData) -> str:
    """The whole page as one HTML string: header, then one section per SECTIONS entry."""
    as_of = data.as_of.isoformat() if data.as_of else "unknown"
    sections = "".join(
        f'<section id="{sid}"><h2>{escape(heading)}</h2>{_BODIES[sid](data)}</section>'
        for sid, heading in SECTIONS.items()
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="eea-as-of" content="{escape(as_of)}">'
        + (
            f'<meta name="eea-synthetic" content="{escape(",".join(data.synthetic_datasets))}">'
            if data.synthetic
            else ""
        )
        + f"<title>{'SYNTHETIC DEMO - ' if data.synthetic else ''}EEA report {escape(as_of)}</title>"
        f"<style>{CSS}</style></head>"
        f"<body><main>{synthetic_banner(data)}{_header(data)}{sections}</main></body></html>\n"
    )
