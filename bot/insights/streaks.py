"""Days in the user's own calendar, and the check-in streak counted over them."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ONE_DAY = timedelta(days=1)


def zone_of(name: str | None, default: str = "UTC") -> ZoneInfo:
    """The user's IANA zone; the default (then UTC) when it is unset or unknown."""
    for candidate in (name, default):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    """The user's calendar day of a stored moment. A naive moment is UTC: SQLite keeps the
    UTC wall time without its zone."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone).date()


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """When `day` begins for the user, in UTC (the form the database compares)."""
    return datetime.combine(day, time(), zone).astimezone(UTC)


def streak(days: Collection[date], today: date, paused: Collection[date] = ()) -> int:
    """Check-in days in a row, up to today.

    - Today is not over: no check-in yet today does not break the streak (it counts from
      yesterday), a check-in today adds one.
    - A missed day breaks it.
    - A paused day (nudges paused) neither counts nor breaks it; a check-in on a paused day
      still counts.
    - Days after `today` are ignored.
    """
    if not days:
        return 0
    earliest = min(days)
    day = today if today in days else today - ONE_DAY
    count = 0
    while day >= earliest:
        if day in days:
            count += 1
        elif day not in paused:
            break
        day -= ONE_DAY
    return count
