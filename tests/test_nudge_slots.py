"""When nudges are due: local times in the user's zone across DST changes, quiet hours,
weekdays only, pauses, how often, the evening follow-up and the snooze."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from bot.scheduler.slots import (
    FOLLOWUP,
    NUDGE,
    PREDICTIONS,
    STEPS,
    WEEKLY,
    Plan,
    Quiet,
    Slot,
    after_sent,
    next_slot,
    snooze_slot,
)

BERLIN = "Europe/Berlin"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def run(plan: Plan, start: datetime, end: datetime) -> list[Slot]:
    """Every slot between start and end, as the sweep would take them one after the other."""
    found: list[Slot] = []
    after = start
    while (slot := next_slot(plan, after)) is not None and slot.at <= end:
        found.append(slot)
        plan, after = after_sent(plan, slot), slot.at
    return found


def walls(slots: list[Slot], zone: str = BERLIN) -> list[str]:
    return [f"{s.on} {s.at.astimezone(ZoneInfo(zone)):%H:%M%z}" for s in slots]


def test_0830_berlin_exactly_one_nudge_on_the_spring_forward_and_fall_back_days() -> None:
    plan = Plan(BERLIN, at=8 * 60 + 30)
    spring = run(plan, utc(2026, 3, 27, 12), utc(2026, 3, 31, 12))
    assert walls(spring) == [
        "2026-03-28 08:30+0100",
        "2026-03-29 08:30+0200",  # the clocks went forward at 02:00 that night
        "2026-03-30 08:30+0200",
        "2026-03-31 08:30+0200",
    ]
    autumn = run(plan, utc(2026, 10, 24, 12), utc(2026, 10, 27, 12))
    assert walls(autumn) == [
        "2026-10-25 08:30+0100",  # back at 03:00 that night
        "2026-10-26 08:30+0100",
        "2026-10-27 08:30+0100",
    ]
    assert spring[1].at == utc(2026, 3, 29, 6, 30) and autumn[0].at == utc(2026, 10, 25, 7, 30)


def test_0230_on_the_night_without_a_0230_still_gets_its_nudge_just_after_the_jump() -> None:
    slots = run(Plan(BERLIN, at=2 * 60 + 30), utc(2026, 3, 27, 12), utc(2026, 3, 30, 12))
    assert walls(slots) == [
        "2026-03-28 02:30+0100",
        "2026-03-29 03:30+0200",  # 02:30 never happened; the nudge comes right after 02:00
        "2026-03-30 02:30+0200",
    ]


def test_0230_on_the_night_with_two_0230s_gets_exactly_one() -> None:
    slots = run(Plan(BERLIN, at=2 * 60 + 30), utc(2026, 10, 24, 12), utc(2026, 10, 26, 12))
    assert walls(slots) == ["2026-10-25 02:30+0200", "2026-10-26 02:30+0100"]
    assert [s.on for s in slots] == [date(2026, 10, 25), date(2026, 10, 26)]


def test_new_york_and_a_zone_without_dst() -> None:
    ny = run(Plan("America/New_York", at=7 * 60), utc(2026, 3, 7), utc(2026, 3, 10))
    assert [s.at.hour for s in ny] == [12, 11, 11]  # EST, then EDT from 8 March
    kolkata = run(Plan("Asia/Kolkata", at=21 * 60), utc(2026, 3, 7), utc(2026, 3, 9))
    assert [s.at.strftime("%H:%M") for s in kolkata] == ["15:30", "15:30"]


def test_quiet_hours_hold_a_nudge_until_they_end_and_drop_an_evening_in_them() -> None:
    plan = Plan(BERLIN, at=6 * 60 + 30, evening=22 * 60 + 30, quiet=Quiet(22 * 60, 7 * 60))
    slots = run(plan, utc(2026, 6, 1), utc(2026, 6, 3))
    assert walls(slots) == ["2026-06-01 07:00+0200", "2026-06-02 07:00+0200"]
    late = Plan(BERLIN, at=23 * 60, quiet=Quiet(22 * 60, 7 * 60))  # wraps into the morning
    slots = run(late, utc(2026, 6, 1, 12), utc(2026, 6, 3, 12))
    # each day's nudge belongs to its day (the ledger key) and goes the next morning
    assert walls(slots) == ["2026-06-01 07:00+0200", "2026-06-02 07:00+0200"]
    assert [s.at.astimezone(ZoneInfo(BERLIN)).day for s in slots] == [2, 3]


def test_weekdays_only_pause_and_how_often() -> None:
    start, end = utc(2026, 6, 1), utc(2026, 6, 15)  # Monday 1 June to Monday 15 June
    weekdays = run(Plan(BERLIN, at=9 * 60, weekdays_only=True), start, end)
    assert all(s.on.weekday() < 5 for s in weekdays) and len(weekdays) == 10
    paused = run(Plan(BERLIN, at=9 * 60, paused_until=date(2026, 6, 10)), start, end)
    assert paused[0].on == date(2026, 6, 10) and len(paused) == 5
    every_other = run(Plan(BERLIN, at=9 * 60, every=2), start, end)
    assert [s.on.day for s in every_other] == [1, 3, 5, 7, 9, 11, 13]
    weekly = run(Plan(BERLIN, at=9 * 60, every=7), start, end)
    assert [s.on.day for s in weekly] == [1, 8]


def test_the_evening_follows_each_nudge_day_and_predictions_come_at_midday() -> None:
    plan = Plan(BERLIN, at=8 * 60, evening=20 * 60, every=2, check_from=utc(2026, 6, 2, 9))
    slots = run(plan, utc(2026, 6, 1), utc(2026, 6, 3, 23))
    assert [(s.kind, str(s.on)) for s in slots] == [
        (NUDGE, "2026-06-01"),
        (FOLLOWUP, "2026-06-01"),
        (PREDICTIONS, "2026-06-02"),  # the first midday after the check date
        (NUDGE, "2026-06-03"),
        (FOLLOWUP, "2026-06-03"),
    ]


def test_snooze_is_an_hour_later_unless_that_is_quiet() -> None:
    plan = Plan(BERLIN, at=8 * 60, last_nudge_on=date(2026, 6, 1), quiet=Quiet(22 * 60, 7 * 60))
    assert snooze_slot(plan, utc(2026, 6, 1, 6, 5)) == Slot(
        "snooze", date(2026, 6, 1), utc(2026, 6, 1, 7, 5)
    )
    assert snooze_slot(plan, utc(2026, 6, 1, 19, 30)) is None  # 22:30 in Berlin: quiet


def test_the_weekly_summary_comes_on_its_day_a_minute_after_the_message_it_shares_a_time_with():
    # 2026-06-07 is a Sunday; with the evening off it rides the check-in's time instead
    plan = Plan(BERLIN, at=8 * 60 + 30, evening=20 * 60, weekly_day=6, weekdays_only=True)
    weekly = [s for s in run(plan, utc(2026, 6, 1), utc(2026, 6, 15)) if s.kind == WEEKLY]
    assert walls(weekly) == ["2026-06-07 20:01+0200", "2026-06-14 20:01+0200"]
    plan = Plan(BERLIN, at=8 * 60 + 30, weekly_day=2, quiet=Quiet(8 * 60, 9 * 60))
    found = run(plan, utc(2026, 6, 1), utc(2026, 6, 4))
    assert [s.kind for s in found if s.on == date(2026, 6, 3)] == [NUDGE, WEEKLY]
    assert walls([s for s in found if s.kind == WEEKLY]) == ["2026-06-03 09:01+0200"]
    late = Plan(BERLIN, at=23 * 60 + 59, weekly_day=2)
    assert walls([s for s in run(late, utc(2026, 6, 1), utc(2026, 6, 4)) if s.kind == WEEKLY]) == [
        "2026-06-03 00:00+0200"
    ]
    assert [
        s
        for s in run(replace(plan, weekly_day=None), utc(2026, 6, 1), utc(2026, 6, 9))
        if s.kind == WEEKLY
    ] == []


def test_open_steps_are_recalled_on_wednesdays_after_the_check_in_and_a_summary():
    plan = Plan(BERLIN, at=8 * 60 + 30, weekly_day=2, open_steps=True)
    found = run(plan, utc(2026, 6, 1), utc(2026, 6, 11))
    assert walls([s for s in found if s.kind in (WEEKLY, STEPS)]) == [
        "2026-06-03 08:31+0200",
        "2026-06-03 08:32+0200",
        "2026-06-10 08:31+0200",
        "2026-06-10 08:32+0200",
    ]
    assert [
        s
        for s in run(replace(plan, open_steps=False), utc(2026, 6, 1), utc(2026, 6, 11))
        if s.kind == STEPS
    ] == []
