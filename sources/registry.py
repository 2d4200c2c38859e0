"""Which providers exist for which dataset, and how to build one from settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sources.base import DATASETS, Source

if TYPE_CHECKING:
    from config.settings import Settings

# Providers the product knows by name (ARCHITECTURE.md, "Sources"), per dataset.
KNOWN: dict[str, frozenset[str]] = {
    "rates": frozenset({"demo", "fred", "files"}),
    "prices": frozenset({"demo", "yahoo", "stooq", "cboe", "files"}),
    "constituents": frozenset({"demo", "ishares", "files"}),
    "companies": frozenset({"demo", "sec", "files"}),
    "shares_outstanding": frozenset({"demo", "sec", "files"}),
    "fundamentals": frozenset({"demo", "sec", "files"}),
    "estimates": frozenset({"demo", "fmp", "files"}),
    "transcripts": frozenset({"demo", "fmp", "files"}),
    "options": frozenset({"demo", "cboe", "yahoo", "files"}),
}
assert set(KNOWN) == set(DATASETS)

# Providers this build can actually run; the rest are known but not built yet.
AVAILABLE: dict[str, frozenset[str]] = {
    "rates": frozenset({"demo", "fred"}),
    "prices": frozenset({"demo", "yahoo", "stooq", "cboe"}),
    "constituents": frozenset({"demo", "ishares"}),
    "companies": frozenset({"demo", "sec"}),
    "shares_outstanding": frozenset({"demo", "sec"}),
    "fundamentals": frozenset({"demo", "sec"}),
    "estimates": frozenset({"demo", "fmp", "files"}),
    "transcripts": frozenset({"demo", "files", "fmp"}),
    "options": frozenset({"demo", "cboe", "yahoo"}),
}


def build_source(name: str, settings: Settings, secrets: dict[str, str] | None = None) -> Source:
    """The provider `name`, configured from settings (and secrets resolved by the caller at run time)."""
    secrets = secrets or {}
    if name == "demo":
        from sources.demo import DemoSource

        return DemoSource(seed=settings.demo_seed, n_small=settings.universe_small, n_large=settings.universe_large)
    from sources import connectors

    if name == "yahoo":
        return connectors.YahooSource(settings)
    if name == "stooq":
        return connectors.StooqSource(settings)
    if name == "cboe":
        return connectors.CboeSource(settings)
    if name == "fred":
        return connectors.FredSource(settings, api_key=secrets.get("fred_api_key"))
    if name == "ishares":
        return connectors.ISharesSource(settings)
    if name == "sec":
        return connectors.SecSource(settings)
    if name == "files":
        # One source serves every folder dataset (transcripts, estimates): runs cache one source per name.
        return connectors.FilesSource(settings)
    if name == "fmp":
        return connectors.FmpSource(settings, api_key=secrets.get("fmp_api_key"))
    raise ValueError(f"provider {name!r} is not available in this build")
