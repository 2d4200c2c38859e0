"""The headline chart (EEA_MODEL.md, first paragraph): actual, analyst, own projection and market-implied index ROA.

Rendering is pure (rows of eea_index in, PNG bytes or markdown out); `publish_headline` is the edge that writes the
PNG into the data directory and hands it to Prefect as artifacts.
"""

from __future__ import annotations

import base64
import contextlib
import io
import logging
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from sources.base import DATASETS

log = logging.getLogger(__name__)

# Series drawn, in legend order, with how each is drawn: the solid line is history, dashed lines are forward.
LINES = {
    "actual": ("Actual (Uniform-style ROA)", "#1f3b73", "-", "o"),
    "analyst": ("Analyst consensus", "#d98c1f", "--", "s"),
    "projection": ("Own projection (mean reversion)", "#5a8f3c", "--", "^"),
    "market_implied": ("Market-implied", "#b3262d", "-", "D"),
}
HEADLINE_INDEX = "russell_2000"
TITLES = {"russell_2000": "Russell 2000 (small caps)", "large_cap": "Large-cap universe"}
# Years of actual history drawn before the forward years.
HISTORY_YEARS = 6
# Said on every output built on rows from the built-in demo market (pipeline_runs.synthetic_datasets).
SYNTHETIC_LABEL = "SYNTHETIC DEMO MARKET - not real data"
WATERMARK = "SIMULATED DATA"
# With simulated constituents the index is the demo's own, not the Russell 2000: the title says so.
SYNTHETIC_TITLES = {
    "russell_2000": "Demo small-cap index (simulated)",
    "large_cap": "Demo large-cap universe (simulated)",
}


def synthetic_detail(datasets: Sequence[str]) -> str | None:
    """Which datasets are simulated, as a sentence; None when none is (a warehouse of real providers only)."""
    if not datasets:
        return None
    if set(DATASETS) <= set(datasets):
        return (
            "Every dataset comes from the built-in demo market, a simulated market: no real company, price or filing."
        )
    return (
        "These datasets come from the built-in demo market, a simulated market, and everything built on them is "
        f"simulated: {', '.join(sorted(datasets))}."
    )


def headline_title(index_name: str, as_of: date, synthetic: Sequence[str] = ()) -> str:
    """The chart's title: the index and date; on demo data the synthetic label first, on its own line."""
    names = SYNTHETIC_TITLES if "constituents" in synthetic else TITLES
    title = f"{names.get(index_name, index_name)}: what the price implies, as of {as_of.isoformat()}"
    if not synthetic:
        return title
    # A mixed warehouse names its simulated datasets on the chart itself, so a crop of it still says which.
    partial = "" if set(DATASETS) <= set(synthetic) else f" (simulated: {', '.join(sorted(synthetic))})"
    return f"{SYNTHETIC_LABEL}{partial}\n{title}"


def headline_table(index: pd.DataFrame, index_name: str = HEADLINE_INDEX, min_share: float = 0.5) -> pd.DataFrame:
    """eea_index rows to a year x series table of ROA (fractions) for one index.

    A year of a series is shown only where it meets the coverage threshold (eea_index.coverage_ok: enough of the
    index's weight stands behind it), so a year carried by a handful of odd fiscal calendars is not drawn as if it
    were the index. A warehouse from before coverage_ok existed falls back to `min_share` of that series'
    best-covered year's members.
    """
    rows = index[(index["index_name"] == index_name) & index["series"].isin(list(LINES))].copy()
    if rows.empty:
        return pd.DataFrame(columns=list(LINES))
    if "coverage_ok" in rows.columns:
        rows = rows[rows["coverage_ok"].fillna(False).astype(bool)]
    else:
        best = rows.groupby("series")["members_used"].transform("max")
        rows = rows[rows["members_used"] >= min_share * best]
    if rows.empty:
        return pd.DataFrame(columns=list(LINES))
    table = rows.pivot_table(index="fiscal_year", columns="series", values="value", aggfunc="first")
    table = table.reindex(columns=[s for s in LINES if s in table.columns])
    if "actual" in table.columns:
        last_actual = table["actual"].last_valid_index()
        if last_actual is not None:
            table = table[table.index >= int(str(last_actual)) - HISTORY_YEARS + 1]
    return table.sort_index()


def figure_png(
    draw: Callable[[Any], None], size: tuple[float, float], dpi: int = 100, text: dict[str, str] | None = None
) -> bytes:
    """Run `draw(fig)` on a fresh Agg figure and return it as PNG bytes (with `text` as PNG text chunks); the
    figure is always closed."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig = plt.figure(figsize=size, dpi=dpi)
    try:
        draw(fig)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", metadata={"Software": None, **(text or {})})
        return buf.getvalue()
    finally:
        plt.close(fig)


def render_png(
    table: pd.DataFrame, as_of: date, synthetic: Sequence[str] = (), index_name: str = HEADLINE_INDEX
) -> bytes:
    """The chart as PNG bytes: one line per series, one point per fiscal year, ROA in percent.

    `synthetic`: the datasets of the warehouse that hold demo rows. With any, the title opens with SYNTHETIC_LABEL,
    a watermark crosses the plot, and the PNG's Title and Description text chunks say so too.
    """
    title = headline_title(index_name, as_of, synthetic)
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    def draw(fig: Any) -> None:
        ax = fig.add_subplot()
        for series, (label, color, style, marker) in LINES.items():
            if series in table.columns and table[series].notna().any():
                s = table[series].dropna()
                ax.plot(s.index, s.to_numpy() * 100, style, color=color, marker=marker, label=label, linewidth=2)
        ax.yaxis.set_major_formatter(PercentFormatter(decimals=1))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("Fiscal year")
        ax.set_ylabel("Return on assets")
        if synthetic:
            label, _, rest = title.partition("\n")
            ax.set_title(rest)
            fig.suptitle(label, color="#b3262d", fontweight="bold", fontsize=14)
            ax.text(
                0.5, 0.5, WATERMARK, transform=ax.transAxes, rotation=25, fontsize=44, fontweight="bold",
                color="#b3262d", alpha=0.13, ha="center", va="center", zorder=0,
            )  # fmt: skip
        else:
            ax.set_title(title)
        ax.grid(True, alpha=0.3)
        ax.legend(loc="best", frameon=False)

    text = {"Title": title.replace("\n", ": ")}
    detail = synthetic_detail(synthetic)
    if detail:
        text["Description"] = f"{SYNTHETIC_LABEL}. {detail}"
    return figure_png(draw, (9, 5), dpi=110, text=text)


def markdown_table(table: pd.DataFrame) -> str:
    """The same numbers as a markdown table (percent, one decimal), for the run's artifact."""
    header = "| fiscal year | " + " | ".join(LINES[s][0] for s in table.columns) + " |"
    rule = "|---|" + "---:|" * len(table.columns)
    body = [
        f"| {year} | " + " | ".join("" if pd.isna(v) else f"{v * 100:.1f}%" for v in row) + " |"
        for year, row in zip(table.index, table.to_numpy(), strict=True)
    ]
    return "\n".join([header, rule, *body])


def publish_headline(index: pd.DataFrame, data_dir: Path, as_of: date, synthetic: Sequence[str] = ()) -> Path | None:
    """Write reports/eea_headline_<as_of>.png (and eea_headline.png, the latest) and create the run's artifacts.

    `synthetic`: the raw datasets of the published warehouse holding demo rows (labelled on the chart).
    """
    table = headline_table(index)
    if table.empty:
        log.warning("headline chart: no %s rows in eea_index; no chart this run", HEADLINE_INDEX)
        return None
    png = render_png(table, as_of, synthetic)
    folder = data_dir / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"eea_headline_{as_of.isoformat()}.png"
    tmp = path.with_suffix(".png.tmp")
    tmp.write_bytes(png)
    tmp.replace(path)
    latest = folder / "eea_headline.png"
    tmp.write_bytes(png)
    tmp.replace(latest)
    data_url = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    names = SYNTHETIC_TITLES if "constituents" in synthetic else TITLES
    detail = synthetic_detail(synthetic)
    warning = [f"**{SYNTHETIC_LABEL}.** {detail}", ""] if detail else []
    markdown = "\n".join(
        [
            f"## {names[HEADLINE_INDEX]}: index ROA by fiscal year, as of {as_of.isoformat()}",
            "",
            *warning,
            f"![headline chart]({data_url})",
            "",
            markdown_table(table),
            "",
            f"Chart file: `{path}`",
        ]
    )
    from prefect.artifacts import create_image_artifact, create_markdown_artifact

    with contextlib.suppress(Exception):  # outside a flow run there is nowhere to put it
        create_image_artifact(image_url=data_url, key="eea-headline-chart", description="EEA headline chart")
        create_markdown_artifact(markdown=markdown, key="eea-headline", description="EEA headline: index ROA")
    return path
