"""Prefect flows: one per dataset, the nightly run and the backfill. Importing this package configures Prefect first."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from config.settings import ROOT, quiet_telemetry

quiet_telemetry()
# Prefect keeps its state (the temporary server's database) inside the data
# directory, never in the user's home; both must be set before prefect is imported.
_data_dir = Path(os.environ.get("EEA_DATA_DIR", ROOT / "data")).expanduser()
os.environ.setdefault("PREFECT_HOME", str(_data_dir / ".prefect"))
# An unwritable data directory is reported by the settings check, with what to do.
with contextlib.suppress(OSError):
    Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
# A fresh PREFECT_HOME needs ~20-26 s of migrations on 2 cores, over the 20 s default.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO")
