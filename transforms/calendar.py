"""The US equity trading calendar (NYSE, from exchange_calendars): trading days in a window, the last one on or before a date."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import exchange_calendars as xcals
import pandas as pd

# Earliest day the calendar answers for; the demo market starts after it.
CALENDAR_START = date(2000, 1, 3)


@lru_cache(maxsize=1)
def _xnys() -> xcals.ExchangeCalendar:
    # The library's default window starts 20 years back; ask for more so
    # backfills and the demo market's origin are always covered.
    return xcals.get_calendar("XNYS", start=pd.Timestamp(CALENDAR_START))


def _bounds() -> tuple[date, date]:
    cal = _xnys()
    return cal.first_session.date(), cal.last_session.date()


def trading_days(start: date, end: date) -> list[date]:
    """NYSE sessions in [start, end], oldest first; empty when start > end."""
    if start > end:
        return []
    first, last = _bounds()
    lo, hi = max(start, first), min(end, last)
    if lo > hi:
        return []
    sessions = _xnys().sessions_in_range(pd.Timestamp(lo), pd.Timestamp(hi))
    return [ts.date() for ts in sessions]


def is_trading_day(day: date) -> bool:
    """True when NYSE is open on `day`."""
    return bool(trading_days(day, day))


def last_trading_day(on_or_before: date) -> date:
    """The latest NYSE session on or before the given date."""
    first, last = _bounds()
    if on_or_before < first:
        raise ValueError(f"{on_or_before} is before the trading calendar starts ({first})")
    day = min(on_or_before, last)
    return _xnys().date_to_session(pd.Timestamp(day), direction="previous").date()
