"""Fixtures for source tests: small demo markets shared across a test session."""

from __future__ import annotations

import pytest

from sources.demo import DemoSource


@pytest.fixture(scope="session")
def demo() -> DemoSource:
    """A small demo market (60 small caps, 15 large): fast, still with every dataset populated."""
    return DemoSource(seed=7, n_small=60, n_large=15)


@pytest.fixture(scope="session")
def moderate() -> DemoSource:
    """A moderate demo market (300 + 80): large enough for rare events and cross-sectional statistics."""
    return DemoSource(seed=7, n_small=300, n_large=80)
