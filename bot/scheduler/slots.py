"""When the next message is due: pure functions over a subscription's plan, with zoneinfo.

Times of day are wall-clock minutes in the user's zone. DST, by PEP 495's fold=0:
- a time the clock skips (02:30 on a spring-forward night) is read with the offset in force
  before the jump, so it lands just after it (03:30): the user still gets that day's message;
- a time the clock repeats (02:30 on a fall-back night) means its first occurrence, and
  every slot is tied to its local date, so that day still has exactly one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

NUDGE = "nudge"  # the daily check-in
SNOOZE = "snooze"  # the check-in again, an hour after Snooze was pressed
FOLLOWUP = "followup"  # evening: how did the day's one thing go (only if one was set)
PREDICTIONS = "predictions"  # a feared outcome's check date has come
WEEKLY = "weekly"  # the weekly summary, on the user's chosen day (opt-in)
STEPS = "steps"  # once a week, while the user has open steps: tick one off?

MIDDAY = 12 * 60  # when prediction checks are asked
SNOOZE_FOR = timedelta(hours=1)
# The weekly summary rides a minute after the message it shares a time with (also when quiet
# hours move both): next_slot looks strictly after the slot just sent, so two slots at one
# instant would lose the second.
WEEKLY_AFTER = timedelta(minutes=1)
STEPS_AFTER = timedelta(minutes=2)  # the same, after the check-in and a summary at its time
STEPS_DAY = 2  # Wednesday: midweek, with days left to do one
SEARCH_DAYS = 400  # a pause is at most a year, so a slot always turns up within this


@dataclass(frozen=True)
class Quiet:
    """Minutes of the day when nothing is sent; may wrap midnight (22:00-07:00)."""

    start: int
    end: int

    def holds(self, minute: int) -> bool:
        if self.start <= self.end:
            return self.start <= minute < self.end
        return minute >= self.start or minute < self.end


@dataclass(frozen=True)
class Plan:
    """What the schedule depends on, as stored in the subscription row."""

    zone: str
    at: int  # minute of the day of the check-in nudge
    evening: int | None = None  # minute of the evening follow-up; None: no follow-up
    weekdays_only: bool = False
    every: int = 1  # days between nudges: 1 daily, 2 every other day, 7 weekly
    quiet: Quiet | None = None
    paused_until: date | None = None  # nothing is sent on days before this one
    last_nudge_on: date | None = None
    check_from: datetime | None = None  # earliest prediction check date not yet asked about
    weekly_day: int | None = None  # weekday of the weekly summary (0 Monday); None: off
    open_steps: bool = False  # the user has steps not done yet (the steps reminder)


@dataclass(frozen=True)
class Slot:
    kind: str
    on: date  # the user's local date the message belongs to (the delivery ledger's key)
    at: datetime  # when it is due, UTC


def local_instant(day: date, minute: int, zone: ZoneInfo) -> datetime:
    wall = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone)  # fold=0
    return wall.astimezone(UTC)


def local_date(instant: datetime, zone: str) -> date:
    return instant.astimezone(ZoneInfo(zone)).date()


def local_midnight(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def next_slot(plan: Plan, after: datetime) -> Slot | None:
    """The first slot strictly after `after`."""
    zone = ZoneInfo(plan.zone)
    day = after.astimezone(zone).date() - timedelta(days=1)  # yesterday's may be deferred
    if plan.paused_until and day < plan.paused_until:
        day = plan.paused_until
    best: Slot | None = None
    for _ in range(SEARCH_DAYS):
        found = [s for s in _slots_of(plan, day, zone) if s.at > after]
        if best is not None:  # a deferral moves a slot by at most a day: one more day to look
            return min([best, *found], key=lambda s: s.at)
        if found:
            best = min(found, key=lambda s: s.at)
        day += timedelta(days=1)
    return best


def snooze_slot(plan: Plan, now: datetime) -> Slot | None:
    """The check-in again in an hour; none if that falls in quiet hours (it was asked for)."""
    zone = ZoneInfo(plan.zone)
    due = now + SNOOZE_FOR
    wall = due.astimezone(zone)
    if plan.quiet and plan.quiet.holds(wall.hour * 60 + wall.minute):
        return None
    return Slot(SNOOZE, plan.last_nudge_on or now.astimezone(zone).date(), due)


def after_sent(plan: Plan, slot: Slot) -> Plan:
    """The plan once `slot` went out: a nudge moves the cadence on, a prediction check moves
    past the checks it asked about."""
    if slot.kind == NUDGE:
        return replace(plan, last_nudge_on=slot.on)
    if slot.kind == PREDICTIONS:
        return replace(plan, check_from=None)
    return plan


def _slots_of(plan: Plan, day: date, zone: ZoneInfo) -> list[Slot]:
    if plan.paused_until and day < plan.paused_until:
        return []
    found: list[Slot] = []
    if plan.weekly_day is not None and day.weekday() == plan.weekly_day:
        # (its day was chosen by the user: "weekdays only" is about the check-ins)
        base = plan.evening if plan.evening is not None else plan.at  # the day is done by then
        weekly = _deferred(WEEKLY, day, base, plan, zone)
        found.append(replace(weekly, at=weekly.at + WEEKLY_AFTER))
    if not _open(plan, day):
        return found
    nudge_day = plan.last_nudge_on is None or (day - plan.last_nudge_on).days >= plan.every
    if nudge_day:
        found.append(_deferred(NUDGE, day, plan.at, plan, zone))
    evening = plan.evening
    quiet_evening = evening is not None and plan.quiet and plan.quiet.holds(evening)
    if evening is not None and not quiet_evening and (nudge_day or day == plan.last_nudge_on):
        # (an evening in quiet hours is dropped: by their end the day is over)
        found.append(Slot(FOLLOWUP, day, local_instant(day, evening, zone)))
    if plan.open_steps and day.weekday() == STEPS_DAY:
        remind = _deferred(STEPS, day, plan.at, plan, zone)
        found.append(replace(remind, at=remind.at + STEPS_AFTER))
    if plan.check_from is not None:
        check = _deferred(PREDICTIONS, day, MIDDAY, plan, zone)
        if check.at >= plan.check_from:
            found.append(check)
    return found


def _open(plan: Plan, day: date) -> bool:
    if plan.paused_until and day < plan.paused_until:
        return False
    return not (plan.weekdays_only and day.weekday() >= 5)


def _deferred(kind: str, day: date, minute: int, plan: Plan, zone: ZoneInfo) -> Slot:
    """A slot in quiet hours waits for their end (it still belongs to `day`)."""
    quiet = plan.quiet
    if quiet is None or not quiet.holds(minute):
        return Slot(kind, day, local_instant(day, minute, zone))
    moved = day if minute < quiet.end else day + timedelta(days=1)
    return Slot(kind, day, local_instant(moved, quiet.end, zone))
