"""The HTML report of the published warehouse: one self-contained page an analyst can open anywhere."""

from __future__ import annotations

from pathlib import Path


def after_publish_report(data_dir: Path) -> Path | None:
    """Write the report of what was just published; the file written, None if nothing was."""
    return None
