"""A deterministic simulated US equity market (seeded): every raw dataset, with no network and no key."""

from sources.demo.source import DemoSource

__all__ = ["DemoSource"]
