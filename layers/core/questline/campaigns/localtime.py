"""A person's own calendar: local days and ISO weeks in an IANA timezone (`zoneinfo`, with the `tzdata`
package in the layer whether or not the runtime ships zone data).

A local window is named by its period key: the local date (`2026-12-03`) for a day, the ISO week (`2026-W49`,
weeks start on Monday) for a week, `2026-12` for a month (leaderboards only). Keys of one kind sort as their
periods do, so "a later period" is a string comparison, whatever timezone each key was taken in: a person who
moves west sees the day they were credited for again and is not credited twice; one who moves east reaches the
next day sooner and loses none.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC_NAME = "UTC"


@lru_cache(maxsize=1024)
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def known_zone(name: str) -> bool:
    return bool(name) and len(name) <= 64 and _zone(name) is not None


def zone(*names: object) -> ZoneInfo:
    """The first of `names` that is a known timezone (a person's, then their campaign's), else UTC."""
    for name in names:
        if isinstance(name, str) and known_zone(name):
            found = _zone(name)
            if found is not None:
                return found
    return ZoneInfo(UTC_NAME)


def local_date(at: float, tz: ZoneInfo) -> date:
    return datetime.fromtimestamp(at, tz).date()


def key_of_date(period: str, day: date) -> str:
    """The key of the local day, ISO week or month (`month`/`monthly`: `2026-12`) holding `day`."""
    if period in ("day", "daily"):
        return day.isoformat()
    if period in ("month", "monthly"):
        return f"{day.year:04d}-{day.month:02d}"
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def period_key(period: str, at: float, tz: ZoneInfo) -> str:
    """The key of the local day (`day`/`daily`) or ISO week (`week`/`weekly`) that `at` falls in."""
    return key_of_date(period, local_date(at, tz))


def first_day(period: str, key: str) -> date:
    if period in ("day", "daily"):
        return date.fromisoformat(key)
    year, week = key.split("-W")
    return date.fromisocalendar(int(year), int(week), 1)


def start_of_day(day: date, tz: ZoneInfo) -> float:
    """When the local day begins. A midnight that a DST change skips maps (fold 0, the offset before
    the change) to the first instant that exists; a midnight that exists twice, to the first."""
    return datetime.combine(day, time(0), tz).astimezone(UTC).timestamp()


def next_period_start(period: str, key: str, tz: ZoneInfo) -> float:
    """When the period after `key` begins in `tz`."""
    days = 1 if period in ("day", "daily") else 7
    return start_of_day(first_day(period, key) + timedelta(days=days), tz)


def shift(period: str, key: str, periods: int) -> str:
    """The key `periods` periods after (or before, when negative) `key`."""
    days = 1 if period in ("day", "daily") else 7
    return key_of_date(period, first_day(period, key) + timedelta(days=days * periods))


def periods_between(period: str, earlier: str, later: str) -> int:
    """How many periods `later` is after `earlier` (0 for the same period)."""
    delta = (first_day(period, later) - first_day(period, earlier)).days
    return delta if period in ("day", "daily") else delta // 7
