"""Flow tests run under Prefect's test harness (a real temporary server), started once per test session.

With `pytest -n 2 --dist loadgroup` the flow tests are in two xdist groups, "prefect" and "prefect-b", so each
worker runs one group against its own harness and the two halves run side by side.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import flows  # noqa: F401  (Prefect settings before prefect is imported)
from tests.flows.support import SMALL, TINY


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[str]:
    """A real Prefect server for the whole session; yields its API URL for subprocess runs."""
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield str(PREFECT_API_URL.value())


def _market(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sizes: dict[str, str]) -> Path:
    data_dir = tmp_path / "data"
    monkeypatch.setenv("EEA_DATA_DIR", str(data_dir))
    for key, value in sizes.items():
        monkeypatch.setenv(key, value)
    return data_dir


@pytest.fixture
def demo_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prefect_api: str) -> Path:
    """Settings for a small demo market in a fresh data directory; returns the data directory."""
    return _market(tmp_path, monkeypatch, SMALL)


@pytest.fixture
def tiny_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prefect_api: str) -> Path:
    """demo_env with the TINY market (38 members, a year of history); returns the data directory."""
    return _market(tmp_path, monkeypatch, TINY)
