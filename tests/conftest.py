"""Shared test set-up: telemetry off and Prefect's home in a temporary directory before anything imports Prefect."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="eea-prefect-home-"))
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")

ROOT = Path(__file__).resolve().parent.parent
SHARED_FIXTURES = ROOT.parent / "shared" / "fixtures"


@pytest.fixture
def shared_fixtures() -> Path:
    """The real recorded payloads; tests using them skip where the folder is absent."""
    if not SHARED_FIXTURES.is_dir():
        pytest.skip(f"real payloads not found at {SHARED_FIXTURES} (../shared/fixtures is absent on this machine)")
    return SHARED_FIXTURES
