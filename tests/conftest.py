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


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A local S3 server (moto's server mode) for the session."""
    from tests.s3server import S3Server

    server = S3Server(tmp_path_factory.mktemp("moto") / "moto.log")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3_lake(s3_server):  # type: ignore[no-untyped-def]
    """A lake on the local S3 server, in a bucket of its own, with the server's credentials."""
    from tests.s3server import KEY, REGION, SECRET
    from warehouse.lake import S3Lake

    bucket = s3_server.new_bucket()
    return S3Lake(
        f"s3://{bucket}/eea", endpoint_url=s3_server.url, region=REGION, access_key_id=KEY, secret_access_key=SECRET
    )
