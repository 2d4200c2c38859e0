"""The HTML report: written by every nightly from the file it just published, self-contained, rendered by a real
browser; the pure renderer on hand-built frames (no data, escaping, stale inputs)."""

from __future__ import annotations

import base64
import io
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from PIL import Image

from flows.chart import SYNTHETIC_LABEL, headline_title, render_png
from flows.report import after_publish_report, write_report
from flows.report_html import SECTIONS, ReportData, render_report, stale_inputs
from sources.base import DATASETS
from tests.flows.support import SMALL
from transforms.calendar import last_trading_day
from warehouse.ddl import mart
from warehouse.store import WarehouseError, connect_readonly

AS_OF = date(2025, 6, 30)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
CHART_SECTIONS = ("headline", "sentiment", "options", "sectors")
prefect = pytest.mark.xdist_group("prefect")


class Page(HTMLParser):
    """What the tests look at in a report: headings and images per section, table cells, every src/href, tags."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.section: str | None = None
        self.headings: dict[str, str] = {}
        self.images: dict[str, list[str]] = {}
        self.cells: dict[str, list[list[str]]] = {}
        self.links: list[str] = []
        self.tags: set[str] = set()
        self.meta: dict[str, str] = {}
        self.text: dict[str, list[str]] = {}
        self._in: str | None = None
        self._row: list[str] | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.tags.add(tag)
        self.links += [v for k, v in a.items() if k in ("src", "href", "srcset", "action", "data")]
        if tag == "meta" and "name" in a:
            self.meta[a["name"]] = a.get("content", "")
        if tag == "section":
            self.section = a.get("id")
        if tag == "img" and self.section:
            self.images.setdefault(self.section, []).append(a.get("src", ""))
        if tag == "tr":
            self._row = []
        if tag in ("h2", "td", "th"):
            self._in = tag
            if self._row is not None and tag in ("td", "th"):
                self._row.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self.section = None
        if tag == "tr" and self._row is not None and self.section:
            self.cells.setdefault(self.section, []).append(self._row)
            self._row = None
        if tag in ("h2", "td", "th"):
            self._in = None

    def handle_data(self, data: str) -> None:
        if self.section:
            self.text.setdefault(self.section, []).append(data)
        if self._in == "h2" and self.section:
            self.headings[self.section] = self.headings.get(self.section, "") + data
        elif self._in in ("td", "th") and self._row is not None:
            self._row[-1] += data

    def section_text(self, section: str) -> str:
        return "".join(self.text.get(section, []))


def decode_png(src: str) -> Image.Image:
    prefix = "data:image/png;base64,"
    assert src.startswith(prefix), src[:40]
    raw = base64.b64decode(src[len(prefix) :], validate=True)
    assert raw.startswith(PNG_MAGIC)
    image = Image.open(io.BytesIO(raw))
    image.load()  # decodes every pixel: a truncated or corrupt PNG raises here
    return image


# -- the report of a real nightly ---------------------------------------------------


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, prefect_api: str) -> Iterator[dict]:
    data_dir = tmp_path_factory.mktemp("report") / "data"
    # The settings stay in force for the module's tests: the last test runs the pipeline again.
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("EEA_DATA_DIR", str(data_dir))
        for key, value in SMALL.items():
            mp.setenv(key, value)
        from flows.nightly import nightly

        yield {"data_dir": data_dir, "result": nightly(as_of=AS_OF)}


def scalar(data_dir: Path, sql: str) -> Any:
    con = connect_readonly(data_dir)
    try:
        row = con.execute(sql).fetchone()
    finally:
        con.close()
    assert row is not None
    return row[0]


@prefect
def test_each_nightly_writes_the_dated_report_and_the_latest(run: dict) -> None:
    reports = run["data_dir"] / "reports"
    dated = reports / f"report_{AS_OF.isoformat()}.html"
    assert run["result"]["written"]["report"] == str(dated)
    assert (reports / "report.html").read_bytes() == dated.read_bytes()
    assert not list(reports.glob("*.tmp"))


@prefect
def test_report_has_every_section_its_charts_and_the_screen(run: dict) -> None:
    data_dir = run["data_dir"]
    page = Page((data_dir / "reports" / "report.html").read_text(encoding="utf-8"))
    assert page.meta["eea-as-of"] == AS_OF.isoformat()
    assert page.headings == SECTIONS
    for section in CHART_SECTIONS:
        assert len(page.images.get(section, [])) == 1, section
        image = decode_png(page.images[section][0])
        assert image.width >= 400 and image.height >= 200, section
    assert set(page.images) == set(CHART_SECTIONS)
    # A full nightly fills every section.
    for section in SECTIONS:
        assert "No data yet" not in page.section_text(section), section

    screen = page.cells["screen"]
    header, body = screen[0], screen[1:]
    assert header[:4] == ["rank", "ticker", "name", "sector"]
    first = scalar(data_dir, "SELECT ticker FROM eea_screen WHERE index_name = 'russell_2000' AND rank = 1")
    assert body[0][1] == first
    assert len(body) == min(15, scalar(data_dir, "SELECT count(*) FROM eea_screen WHERE index_name = 'russell_2000'"))
    assert all(cell.endswith("%") or cell == "–" for row in body for cell in row[4:])

    # R*_index as published, and the exclusions add up to the model's count.
    r_star = scalar(
        data_dir,
        "SELECT any_value(roa_steady) FROM eea_index WHERE index_name = 'russell_2000' AND series = 'market_implied'",
    )
    assert f"{float(r_star) * 100:.2f}%" in page.section_text("headline")
    excluded = int(scalar(data_dir, "SELECT count(*) FROM eea_exclusions"))
    assert sum(int(row[3]) for row in page.cells.get("exclusions", [])[1:]) == excluded


@prefect
def test_report_is_self_contained(run: dict) -> None:
    html = (run["data_dir"] / "reports" / "report.html").read_text(encoding="utf-8")
    page = Page(html)
    assert page.links, "the page has images"
    assert all(link.startswith("data:image/png;base64,") for link in page.links), [x[:60] for x in page.links]
    assert not [x for x in page.links if "http://" in x or "https://" in x]
    assert not page.tags & {"script", "link", "iframe", "object", "embed"}
    assert "url(" not in html and "@import" not in html


def chromium(*args: str, user_data: Path, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("chromium")
    assert binary is not None
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={user_data}",
    ]
    return subprocess.run(
        [binary, *flags, *args], capture_output=True, text=True, timeout=timeout, check=True, env={**os.environ}
    )


@prefect
@pytest.mark.skipif(shutil.which("chromium") is None, reason="no chromium binary on PATH (scripts/ensure_chromium.sh)")
def test_headless_chromium_renders_the_report_with_every_image(run: dict, tmp_path: Path) -> None:
    report = run["data_dir"] / "reports" / "report.html"
    html = report.read_text(encoding="utf-8")
    started = time.perf_counter()

    shot = tmp_path / "shot.png"
    chromium("--screenshot=" + str(shot), "--window-size=1280,4000", report.as_uri(), user_data=tmp_path / "profile1")
    image = Image.open(shot)
    assert image.format == "PNG" and image.size == (1280, 4000)
    rgb = image.convert("RGB")
    colors = rgb.getcolors(maxcolors=1 << 20) or []
    assert len(colors) > 500, f"the screenshot looks blank: {len(colors)} colours"
    # The market-implied line of the headline chart (#b3262d) is on screen: the chart was drawn, not just the text.
    assert any(rgb_value == (0xB3, 0x26, 0x2D) for _, rgb_value in colors)

    dom = chromium("--dump-dom", report.as_uri(), user_data=tmp_path / "profile2").stdout
    rendered = Page(dom)
    assert rendered.headings == SECTIONS
    assert dom.count("<img") == len(CHART_SECTIONS) == html.count("<img")

    # Whether Chromium decoded each image is only visible from script; the report has none, so a copy gets one that
    # writes each image's (complete, naturalWidth, naturalHeight) into the DOM once the page has loaded.
    probe = tmp_path / "probe.html"
    script = (
        "<script>window.addEventListener('load', () => { const p = document.createElement('pre'); p.id = 'probe';"
        " p.textContent = JSON.stringify(Array.from(document.images, i => [i.complete, i.naturalWidth,"
        " i.naturalHeight])); document.body.appendChild(p); });</script>"
    )
    probe.write_text(html.replace("</body>", script + "</body>"), encoding="utf-8")
    probed = chromium("--dump-dom", probe.as_uri(), user_data=tmp_path / "profile3").stdout
    found = re.search(r'<pre id="probe">(.*?)</pre>', probed)
    assert found, "the probe did not run"
    loaded = json.loads(found.group(1))
    expected = [decode_png(src).size for section in CHART_SECTIONS for src in Page(html).images[section]]
    assert [(w, h) for _, w, h in loaded] == expected
    assert all(complete for complete, _, _ in loaded)
    assert time.perf_counter() - started < 60


# -- the pure renderer on hand-built frames ------------------------------------------


def hand_built(**overrides: Any) -> ReportData:
    as_of = date(2025, 6, 30)
    years = [2022, 2023, 2024, 2025, 2026]
    index_rows = []
    for name in ("russell_2000", "large_cap"):
        for year in years:
            series = ["actual"] if year <= 2024 else ["analyst", "projection", "market_implied"]
            for s in series:
                index_rows.append(
                    {
                        "as_of": as_of,
                        "index_name": name,
                        "fiscal_year": year,
                        "series": s,
                        "value": 0.05 + 0.001 * (year - 2022),
                        "members_used": 90 if s != "market_implied" or year == 2025 else 95,
                        "members_excluded": 5,
                        "roa_steady": 0.0612 if s == "market_implied" else None,
                        "roa_steady_cap_weighted": 0.0701 if s == "market_implied" else None,
                        "roa_steady_median": 0.0555 if s == "market_implied" else None,
                        "r": 0.0872,
                        "g_terminal": 0.04,
                        "k": 0.3,
                    }
                )
    sensitivity = pd.DataFrame(
        [
            {"index_name": "russell_2000", "parameter": p, "shift": s, "roa_steady": 0.0612 + s / 2}
            for p in ("r", "g_terminal")
            for s in (-0.01, 0.0, 0.01)
        ]
    )
    months = pd.date_range("2024-01-01", periods=6, freq="MS")
    spreads = [-0.02, -0.05, -0.11, -0.03, 0.01, -0.04]
    sentiment = pd.DataFrame(
        {
            "period": "month",
            "period_start": months,
            "small_tone": [0.2 + s for s in spreads],
            "small_calls": 30,
            "large_tone": 0.2,
            "large_calls": 25,
            "spread": spreads,
            "spread_percentile": [0.67, 0.33, 0.17, 0.5, 1.0, 0.42],
            "thin": [False, False, False, True, False, False],
            "lexicon": "eea_default",
            "lexicon_version": "v1",
        }
    )
    days = pd.bdate_range("2025-03-03", periods=80)
    options = pd.DataFrame(
        {
            "underlying": "IWM",
            "trade_date": days,
            "put_volume": 1000.0,
            "call_volume": 600.0,
            "pc_volume_ratio": [1.6 + (0.9 if i in (40, 70) else 0.0) for i in range(80)],
            "put_volume_z": [2.5 if i in (40, 70) else 0.1 for i in range(80)],
            "hedging_spike": [i in (40, 70) for i in range(80)],
        }
    )
    versus = pd.DataFrame({"trade_date": days, "small": "IWM", "pc_volume_ratio_spread": 0.2})
    exposure = pd.DataFrame(
        [
            {
                "index_name": i,
                "as_of": d,
                "sector_group": g,
                "weight": w,
                "members": 10,
                "members_total": 100,
                "weight_by_sector_fallback": 0.0,
                "unclassified_weight": 0.0,
            }
            for d in (date(2025, 6, 27), date(2025, 7, 3))  # the later snapshot is after as_of: not shown
            for i, g, w in (
                ("russell_2000", "tariff_exposed", 15.2),
                ("russell_2000", "reshoring_sensitive", 11.0),
                ("large_cap", "tariff_exposed", 9.1),
                ("large_cap", "reshoring_sensitive", 8.0 if d < as_of else 88.0),
            )
        ]
    )
    screen = pd.DataFrame(
        {
            "index_name": "russell_2000",
            "rank": [2, 1],
            "ticker": ["ZZZ", "ABC"],
            "name": ["Zed Co", "A&B <Corp>"],
            "sector": ["Industrials", "Tech & <b>Things</b>"],
            "gap": [0.05, 0.1234],
            "roa_analyst_fy1": [0.04, 0.08],
            "roa_implied_fy1": [-0.01, -0.0434],
            "leverage": [0.2, 0.35],
            "floating_rate_debt_share": [None, 0.5],
            "operating_margin": [0.1, -0.2],
        }
    )
    exclusions = pd.DataFrame(
        {
            "index_name": ["russell_2000"] * 3 + ["large_cap"],
            "ticker": ["AAA", "BBB", "CCC", "DDD"],
            "reason": ["ev <= 0", "ev <= 0", "no price on or before as_of", "ev <= 0"],
            "stage": ["model", "model", "inputs", "model"],
        }
    )
    inputs = pd.DataFrame({"table": ["eea_index", "options_activity"], "inputs_as_of": [as_of, date(2025, 6, 26)]})
    fields: dict[str, Any] = {
        "as_of": as_of,
        "published_at": datetime(2025, 6, 30, 23, 15),
        "run_id": "20250630T230000-abcdef",
        "inputs": inputs,
        "eea_index": pd.DataFrame(index_rows),
        "eea_sensitivity": sensitivity,
        "sentiment_index": sentiment,
        "options_activity": options,
        "options_small_vs_large": versus,
        "sector_exposure": exposure,
        "eea_screen": screen,
        "eea_exclusions": exclusions,
    }
    fields.update(overrides)
    return ReportData(**fields)


def test_an_empty_warehouse_says_no_data_in_every_section() -> None:
    frames: dict[str, Any] = {
        f: pd.DataFrame()
        for f in ReportData.__dataclass_fields__
        if f not in ("as_of", "published_at", "run_id", "synthetic", "synthetic_datasets")
    }
    for data in (ReportData(), ReportData(**frames)):
        page = Page(render_report(data))
        assert page.headings == SECTIONS
        for section in SECTIONS:
            assert "No data yet" in page.section_text(section), section
        assert not page.images and "img" not in page.tags
        assert page.meta["eea-as-of"] == "unknown"


def test_hand_built_frames_fill_every_section() -> None:
    html = render_report(hand_built())
    page = Page(html)
    assert page.headings == SECTIONS
    for section in CHART_SECTIONS:
        assert len(page.images[section]) == 1
        decode_png(page.images[section][0])
    for section in SECTIONS:
        assert "No data yet" not in page.section_text(section), section

    # Header: when it published, and the one mart whose inputs are older than as_of.
    assert "2025-06-30 23:15 UTC" in html and "Stale inputs" in html
    assert "options_activity" in html and "2025-06-26" in html
    # R*_index with its companions; members used is the model's count, not a thin year's.
    headline = page.section_text("headline")
    assert "6.12%" in headline and "7.01%" in headline and "5.55%" in headline and "95" in headline
    # Sentiment: the lowest spread named.
    assert "Lowest spread on record: 2024-03 at -0.110" in page.section_text("sentiment")
    # Options: both spikes counted, the latest listed first.
    assert "Hedging spikes: 2 days on record" in page.section_text("options")
    spikes = page.cells["options"]
    assert [row[0] for row in spikes[1:]] == [
        d.date().isoformat() for d in pd.bdate_range("2025-03-03", periods=80)[[70, 40]]
    ]
    # Sectors: the snapshot on or before as_of only.
    sectors = page.cells["sectors"]
    assert {row[2] for row in sectors[1:]} == {"2025-06-27"} and "88.0%" not in html
    # Screen: ranked, as percents, missing values as a dash.
    screen = page.cells["screen"]
    assert [row[1] for row in screen[1:]] == ["ABC", "ZZZ"]
    assert screen[1][4:] == ["12.3%", "8.0%", "-4.3%", "35.0%", "50.0%", "-20.0%"]
    assert screen[2][8] == "–"
    # Exclusions by reason.
    assert page.cells["exclusions"][1][:4] == ["Russell 2000 (small caps)", "ev <= 0", "model", "2"]


def test_text_from_data_is_escaped() -> None:
    html = render_report(hand_built())
    assert "A&amp;B &lt;Corp&gt;" in html and "<Corp>" not in html
    assert "Tech &amp; &lt;b&gt;Things&lt;/b&gt;" in html and "<b>" not in html
    page = Page(html)
    assert page.cells["screen"][1][2:4] == ["A&B <Corp>", "Tech & <b>Things</b>"]
    evil = hand_built(run_id='"><script>alert(1)</script>')
    assert "<script>" not in render_report(evil)


def test_only_inputs_older_than_as_of_are_stale() -> None:
    inputs = pd.DataFrame(
        {"table": ["b", "a", "c"], "inputs_as_of": pd.to_datetime(["2025-06-27", "2025-06-30", "2025-06-01"])}
    )
    assert stale_inputs(inputs, date(2025, 6, 30)) == [("b", date(2025, 6, 27)), ("c", date(2025, 6, 1))]
    assert stale_inputs(inputs, None) == [] and stale_inputs(None, date(2025, 6, 30)) == []


# -- reading the published file -------------------------------------------------------


def publish_file(
    data_dir: Path, as_of: date, screen_ticker: str | None = None, synthetic: tuple[str, ...] = ()
) -> None:
    """Publish a warehouse holding only pipeline_runs (and eea_screen), swapped in by rename as the writer does."""
    data_dir.mkdir(parents=True, exist_ok=True)
    work = data_dir / "work.duckdb"
    con = duckdb.connect(str(work))
    try:
        for statement in mart("pipeline_runs").statements:
            con.execute(statement)
        con.execute(
            "INSERT INTO pipeline_runs (run_id, kind, as_of, started_at, ended_at, state, rows, error, synthetic, "
            "synthetic_datasets) VALUES (?, 'nightly', ?, ?, ?, 'published', '{}', NULL, ?, ?)",
            [
                f"run-{as_of}",
                as_of,
                datetime(2025, 7, 1, 1, 0),
                datetime(2025, 7, 1, 1, 5),
                bool(synthetic),
                list(synthetic),
            ],
        )
        if screen_ticker:
            for statement in mart("eea_screen").statements:
                con.execute(statement)
            con.execute(
                "INSERT INTO eea_screen (as_of, index_name, rank, ticker, name, gap, inputs_as_of) "
                "VALUES (?, 'russell_2000', 1, ?, 'A&B <Corp>', 0.1, ?)",
                [as_of, screen_ticker, as_of - timedelta(days=3)],
            )
    finally:
        con.close()
    os.replace(work, data_dir / "warehouse.duckdb")


def test_a_partial_warehouse_gives_a_partial_report(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    publish_file(data_dir, date(2025, 6, 30), screen_ticker="XYZ")
    path = write_report(data_dir)
    assert path == data_dir / "reports" / "report_2025-06-30.html"
    page = Page(path.read_text(encoding="utf-8"))
    assert page.cells["screen"][1][1] == "XYZ" and page.cells["screen"][1][2] == "A&B <Corp>"
    for section in set(SECTIONS) - {"screen"}:
        assert "No data yet" in page.section_text(section), section
    assert "Stale inputs" in path.read_text(encoding="utf-8")  # eea_screen's inputs are three days old


def test_no_warehouse_no_report(tmp_path: Path) -> None:
    assert after_publish_report(tmp_path) is None
    assert not (tmp_path / "reports").exists()
    with pytest.raises(WarehouseError, match="no published warehouse"):
        write_report(tmp_path)


def test_the_report_reads_the_file_published_now_not_a_cached_instance(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    publish_file(data_dir, date(2025, 6, 27))
    held = connect_readonly(data_dir)  # a reader in this process keeps DuckDB's instance of the old file alive
    try:
        publish_file(data_dir, date(2025, 6, 30))
        # What a plain second connection would see: the replaced file (why the report does not read that way).
        stale = connect_readonly(data_dir)
        try:
            assert stale.execute("SELECT max(as_of) FROM pipeline_runs").fetchone() == (date(2025, 6, 27),)
        finally:
            stale.close()
        page = Page(write_report(data_dir).read_text(encoding="utf-8"))
        assert page.meta["eea-as-of"] == "2025-06-30"
    finally:
        held.close()


# -- synthetic data is labelled: the demo market on every output, nothing on real data ------------------------


def banner(html: str) -> bool:
    return 'class="synthetic"' in html and SYNTHETIC_LABEL in html


@prefect
def test_a_demo_nightly_is_labelled_synthetic_in_pipeline_runs_chart_and_report(run: dict) -> None:
    data_dir = run["data_dir"]
    assert scalar(data_dir, "SELECT bool_and(synthetic) FROM pipeline_runs WHERE state = 'published'") is True
    recorded = scalar(data_dir, "SELECT synthetic_datasets FROM pipeline_runs WHERE state = 'published'")
    assert sorted(recorded) == sorted(DATASETS)  # every dataset of `make run` comes from the demo market

    chart = Image.open(data_dir / "reports" / "eea_headline.png")
    assert chart.text["Title"].startswith(SYNTHETIC_LABEL) and "Russell 2000" not in chart.text["Title"]
    assert "demo market" in chart.text["Description"]

    html = (data_dir / "reports" / "report.html").read_text(encoding="utf-8")
    assert banner(html) and html.index('class="synthetic"') < html.index("<header>")  # atop the page
    page = Page(html)
    assert sorted(page.meta["eea-synthetic"].split(",")) == sorted(DATASETS)
    embedded = decode_png(page.images["headline"][0])
    assert embedded.text["Title"].startswith(SYNTHETIC_LABEL)


def test_the_chart_title_and_png_text_say_synthetic_only_on_demo_data() -> None:
    as_of = date(2025, 6, 30)
    assert (
        headline_title("russell_2000", as_of) == "Russell 2000 (small caps): what the price implies, as of 2025-06-30"
    )
    full = headline_title("russell_2000", as_of, DATASETS)
    assert full.splitlines()[0] == SYNTHETIC_LABEL and "Russell 2000" not in full and "simulated" in full
    mixed = headline_title("russell_2000", as_of, ("rates", "prices"))
    assert mixed.splitlines()[0] == f"{SYNTHETIC_LABEL} (simulated: prices, rates)"

    table = pd.DataFrame({"actual": [0.05, 0.06], "market_implied": [0.04, 0.045]}, index=[2023, 2024])
    real = Image.open(io.BytesIO(render_png(table, as_of)))
    assert "SYNTHETIC" not in json.dumps(real.text) and "Description" not in real.text
    demo = Image.open(io.BytesIO(render_png(table, as_of, ("prices", "rates"))))
    assert demo.text["Title"].startswith(SYNTHETIC_LABEL) and "prices, rates" in demo.text["Description"]


def test_the_banner_is_on_demo_data_only_and_names_the_simulated_datasets() -> None:
    assert not banner(render_report(hand_built(synthetic=False)))
    full = render_report(hand_built(synthetic=True, synthetic_datasets=DATASETS))
    assert banner(full) and "Every dataset comes from the built-in demo market" in full
    assert "<title>SYNTHETIC DEMO" in full
    mixed = render_report(hand_built(synthetic=True, synthetic_datasets=("options", "rates")))
    assert banner(mixed) and "simulated: options, rates." in mixed
    # Not recorded (a warehouse published before it was kept): said so, never guessed either way.
    unknown = render_report(hand_built(synthetic=None))
    assert not banner(unknown) and "does not record whether its data comes from the built-in demo market" in unknown


def test_the_report_of_a_published_file_has_the_banner_only_when_its_run_read_demo_rows(tmp_path: Path) -> None:
    real_dir, mixed_dir = tmp_path / "real", tmp_path / "mixed"
    publish_file(real_dir, date(2025, 6, 30))
    publish_file(mixed_dir, date(2025, 6, 30), synthetic=("prices",))
    assert not banner(write_report(real_dir).read_text(encoding="utf-8"))
    html = write_report(mixed_dir).read_text(encoding="utf-8")
    assert banner(html) and "simulated: prices." in html and Page(html).meta["eea-synthetic"] == "prices"


# -- last: runs the pipeline again in the module's data directory ------------------------


@prefect
def test_after_a_second_nightly_the_report_is_of_the_run_just_published(run: dict) -> None:
    from flows.nightly import nightly

    data_dir = run["data_dir"]
    earlier = last_trading_day(AS_OF - timedelta(days=10))
    # A reader in the writer's own process holding the published file open across the run: the report must still
    # read the file the run publishes, not the instance DuckDB caches for the path.
    held = connect_readonly(data_dir)
    try:
        result = nightly(as_of=earlier)
    finally:
        held.close()
    assert result["as_of"] == earlier.isoformat()
    reports = data_dir / "reports"
    assert result["written"]["report"] == str(reports / f"report_{earlier.isoformat()}.html")
    page = Page((reports / "report.html").read_text(encoding="utf-8"))
    assert page.meta["eea-as-of"] == earlier.isoformat() == result["as_of"]
    assert scalar(data_dir, "SELECT max(as_of) FROM eea_index") == earlier
    first = scalar(data_dir, "SELECT ticker FROM eea_screen WHERE index_name = 'russell_2000' AND rank = 1")
    assert page.cells["screen"][1][1] == first
    # The first run's dated report stays.
    assert Page((reports / f"report_{AS_OF.isoformat()}.html").read_text(encoding="utf-8")).meta["eea-as-of"] == (
        AS_OF.isoformat()
    )
