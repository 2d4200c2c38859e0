"""Random draws keyed by (seed, stream, block), never by a request: a value is the same in any window."""

from __future__ import annotations

import numpy as np

# One stream per kind of draw: changing how one kind is drawn leaves the others as they were.
ATTRIBUTES = 1
IPOS = 2
MARKET = 3
IDIOSYNCRATIC = 4
DECISIONS = 5
SHARES = 6
RATES = 7
ECONOMICS = 8
ESTIMATES = 10
TRANSCRIPTS = 11
OPTIONS = 12
OHLC = 13
NAMES = 14
TICKERS = 15

# Rows drawn per calendar-year block: more than any year has sessions, so the draws of a
# session never depend on how many sessions of its year the calendar already knows.
BLOCK_ROWS = 262

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def generator(seed: int, stream: int, *block: int) -> np.random.Generator:
    """A numpy generator for one (seed, stream, block...) key."""
    return np.random.default_rng([seed, stream, *block])


def _mix(x: np.ndarray) -> np.ndarray:
    # splitmix64 finaliser: a cheap bijective scramble of 64-bit keys.
    x = x ^ (x >> np.uint64(30))
    x = x * _MIX1
    x = x ^ (x >> np.uint64(27))
    x = x * _MIX2
    return x ^ (x >> np.uint64(31))


def hashed_uniform(seed: int, stream: int, *keys: np.ndarray | int) -> np.ndarray:
    """Uniforms in (0, 1), one per element of the broadcast keys, a pure function of (seed, stream, keys)."""
    arrays = [np.asarray(k).astype(np.int64).astype(np.uint64) for k in keys]
    shape = np.broadcast_shapes(*(a.shape for a in arrays)) if arrays else ()
    with np.errstate(over="ignore"):
        h = _mix(np.full(shape, np.uint64(seed) * _GOLDEN + np.uint64(stream), dtype=np.uint64))
        for a in arrays:
            h = _mix(h ^ (a + _GOLDEN))
    return ((h >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0**-53
