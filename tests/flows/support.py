"""Settings shared by the flow tests: a small demo market, and the environment for runs in another process."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from warehouse.store import connect_readonly

# Small demo market so each nightly takes seconds; sizes are settings, so this is the real code path.
SMALL = {
    "EEA_UNIVERSE_SMALL": "60",
    "EEA_UNIVERSE_LARGE": "15",
    "EEA_HISTORY_YEARS": "2",
    "EEA_OPTIONS_HISTORY_YEARS": "1",
    "EEA_TRANSCRIPT_QUARTERS": "4",
}


# A smaller market still, for tests that run the pipeline several times and need no more than that it runs.
TINY = {**SMALL, "EEA_UNIVERSE_SMALL": "30", "EEA_UNIVERSE_LARGE": "8", "EEA_HISTORY_YEARS": "1"}


def subprocess_env(data_dir: Path, prefect_api: str, **extra: str) -> dict[str, str]:
    """Environment for a pipeline run in another process, against the session's Prefect server.

    The market's size is the test's (demo_env or tiny_env set it in this process), else SMALL.
    """
    sizes = {key: os.environ.get(key, value) for key, value in SMALL.items()}
    env = {**os.environ, **sizes, "EEA_DATA_DIR": str(data_dir), "PREFECT_API_URL": prefect_api, **extra}
    return env


def stooq_load(path: Path | str, downloaded: str, as_of: str = "2024-01-05") -> list[str]:
    """`eea load` arguments for a Stooq file downloaded on `downloaded` (the day its bars are adjusted through)."""
    return ["load", "prices", "--source", "stooq", "--as-of", as_of, "--downloaded", downloaded, str(path)]


def frame(data_dir: Path, sql: str) -> pd.DataFrame:
    """One read-only query on the published warehouse of `data_dir`, as a frame."""
    con = connect_readonly(data_dir)
    try:
        return con.sql(sql).df()
    finally:
        con.close()
