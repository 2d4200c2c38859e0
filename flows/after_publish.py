"""What a run does once its warehouse is published: files for people and tools that do not speak SQL.

Each step reads what was just published; a step that fails is logged and costs no data (the warehouse is already
published), and the run's result says what each step wrote.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from prefect import get_run_logger

from flows.runtime import RunContext


def _chart(ctx: RunContext) -> Path | None:
    from flows.chart import publish_headline

    if "eea" not in ctx.cache:
        return None
    # Which datasets are simulated was read from the published rows' source when the run published.
    synthetic = ctx.run.synthetic_datasets or ()
    return publish_headline(ctx.cache["eea"].index, ctx.settings.data_dir, ctx.as_of, synthetic)


def _export(ctx: RunContext) -> Path | None:
    from flows.export import after_publish_export

    return after_publish_export(ctx.settings.data_dir)


def _report(ctx: RunContext) -> Path | None:
    from flows.report import after_publish_report

    return after_publish_report(ctx.settings.data_dir)


# In order: the report embeds the chart.
STEPS: tuple[tuple[str, Callable[[RunContext], Path | None]], ...] = (
    ("chart", _chart),
    ("export", _export),
    ("report", _report),
)


def after_publish(ctx: RunContext) -> dict[str, str | None]:
    """Run every step; step name -> the path it wrote (None where it wrote nothing or failed)."""
    out: dict[str, str | None] = {}
    for name, step in STEPS:
        with ctx.timed(f"after publish: {name}"):
            try:
                path = step(ctx)
            except Exception as exc:  # the run has published: report and go on
                get_run_logger().warning("%s not written: %s: %s", name, type(exc).__name__, exc)
                path = None
        out[name] = str(path) if path else None
    return out
