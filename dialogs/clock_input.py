"""Reading times, time ranges and dates as people type them: "8:30", "7pm", "22-7",
"2026-12-24", "24.12.", or a number of days. Digits and am/pm only, so no language's words
live in code."""

from __future__ import annotations

import re
from datetime import date, timedelta

_TIME = re.compile(r"^(\d{1,2})(?:[:.h](\d{2})?)?\s*([ap])?\.?\s*m?\.?$")
_RANGE = re.compile(r"^(.+?)\s*(?:-|–|—|\.\.|\s)\s*(.+)$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{2,4})?$")
MAX_AHEAD = timedelta(days=366)


def parse_time(text: str) -> int | None:
    """Minutes after midnight, or None."""
    found = _TIME.match(text.strip().casefold())
    if not found:
        return None
    hour, minute = int(found[1]), int(found[2] or 0)
    if found[3]:  # am / pm
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if found[3] == "p" else 0)
    if hour > 23 or minute > 59:
        return None
    return hour * 60 + minute


def parse_range(text: str) -> tuple[int, int] | None:
    """Two times, start and end, e.g. "22-7" or "22:30 – 06:45"; the range may wrap midnight."""
    found = _RANGE.match(text.strip())
    if not found:
        return None
    start, end = parse_time(found[1]), parse_time(found[2])
    if start is None or end is None or start == end:
        return None
    return start, end


def parse_date(text: str, today: date) -> date | None:
    """A future date within a year: ISO, day.month.(year), or a number of days from today."""
    plain = text.strip()
    found: date | None = None
    try:
        if plain.isdigit():
            found = today + timedelta(days=int(plain))
        elif m := _ISO.match(plain):
            found = date(int(m[1]), int(m[2]), int(m[3]))
        elif m := _DOTTED.match(plain):
            year = int(m[3]) if m[3] else today.year
            found = date(year + 2000 if year < 100 else year, int(m[2]), int(m[1]))
            if not m[3] and found <= today:
                found = found.replace(year=year + 1)
    except (ValueError, OverflowError):
        return None
    if found is None or not today < found <= today + MAX_AHEAD:
        return None
    return found


def clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"
