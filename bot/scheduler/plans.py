"""The subscription row: reading it as a `Plan`, and the changes a user's turn makes to it
(opt in/out, settings, snooze, skip, answered). Plain functions over a connection, run inside
the turn's transaction by the effect appliers in bot.store.writes.

A change that moves the schedule also drops any lease: a sweep that holds this row then finds
its lease gone and leaves the user's new schedule alone (see claims.finish)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from bot.scheduler.slots import SNOOZE, Plan, Quiet, Slot, local_date, next_slot, snooze_slot
from bot.store.schema import nudge_pauses as pauses
from bot.store.schema import nudge_subscriptions as subs
from bot.store.schema import predictions, steps, users

ON, OFF, ASKED, UNREACHABLE = "on", "off", "asked", "unreachable"
DEFAULT_AT = 9 * 60
DEFAULT_EVENING = 20 * 60
DEFAULT_WEEKLY_DAY = 6  # Sunday: the week is over
CHANGEABLE = frozenset(
    {
        "status",
        "zone",
        "at_minute",
        "evening_minute",
        "weekdays_only",
        "every",
        "quiet_start",
        "quiet_end",
        "paused_until",
        "weekly_summary",
        "weekly_day",
    }
)
_UNSCHEDULED = {"next_due_at": None, "next_kind": None, "next_on": None, "attempts": 0}
_UNLEASED = {"lease_owner": None, "lease_until": None}


def aware(stamp: datetime | None) -> datetime | None:
    """SQLite hands datetimes back without their zone; every stored time is UTC."""
    if stamp is not None and stamp.tzinfo is None:
        return stamp.replace(tzinfo=UTC)
    return stamp


def plan_of(
    row: Mapping[str, Any], check_from: datetime | None = None, open_steps: bool = False
) -> Plan:
    start, end = row["quiet_start"], row["quiet_end"]
    quiet = Quiet(start, end) if start is not None and end is not None and start != end else None
    return Plan(
        zone=row["zone"],
        at=row["at_minute"],
        evening=row["evening_minute"],
        weekdays_only=row["weekdays_only"],
        every=row["every"],
        quiet=quiet,
        paused_until=row["paused_until"],
        last_nudge_on=row["last_nudge_on"],
        check_from=check_from,
        weekly_day=row["weekly_day"] if row["weekly_summary"] else None,
        open_steps=open_steps,
    )


def scheduled(slot: Slot | None) -> dict[str, Any]:
    if slot is None:
        return dict(_UNSCHEDULED)
    return {"next_due_at": slot.at, "next_kind": slot.kind, "next_on": slot.on, "attempts": 0}


def first_checks(conn: Connection, user_ids: Iterable[int]) -> dict[int, datetime]:
    """Per user: the earliest open prediction whose check date has not been asked about."""
    query = (
        select(predictions.c.user_id, func.min(predictions.c.check_at))
        .join(subs, subs.c.user_id == predictions.c.user_id)
        .where(
            predictions.c.user_id.in_(list(user_ids)),
            predictions.c.resolved_at.is_(None),
            predictions.c.check_at > subs.c.checked_until,
        )
        .group_by(predictions.c.user_id)
    )
    return {uid: aware(first) for uid, first in conn.execute(query)}  # type: ignore[misc]


def with_open_steps(conn: Connection, user_ids: Iterable[int]) -> frozenset[int]:
    """The users with a step not done yet: only they get the weekly steps reminder."""
    query = (
        select(steps.c.user_id)
        .where(steps.c.user_id.in_(list(user_ids)), steps.c.done_at.is_(None))
        .distinct()
    )
    return frozenset(conn.execute(query).scalars())


def _plan(conn: Connection, user_id: int, row: Mapping[str, Any]) -> Plan:
    """The plan with what it needs from other tables: prediction checks and open steps."""
    checks = first_checks(conn, [user_id]).get(user_id)
    return plan_of(row, checks, user_id in with_open_steps(conn, [user_id]))


def row_of(conn: Connection, user_id: int) -> Mapping[str, Any] | None:
    row = conn.execute(select(subs).where(subs.c.user_id == user_id)).first()
    return row._mapping if row is not None else None


def change(conn: Connection, user_id: int, changes: dict[str, Any], now: datetime) -> None:
    if unknown := set(changes) - CHANGEABLE:
        raise ValueError(f"not a nudge setting: {sorted(unknown)}")
    row = row_of(conn, user_id) or _create(conn, user_id, changes.get("zone"), now)
    values = dict(changes)
    if values.get("status") == ON:
        values["unanswered"] = 0
    merged = {**row, **values}
    if merged["status"] == ON:
        plan = _plan(conn, user_id, merged)
        values |= scheduled(next_slot(plan, now))
    else:
        values |= _UNSCHEDULED
    _update(conn, user_id, values | _UNLEASED, now)
    if "paused_until" in changes:
        _record_pause(conn, user_id, merged["zone"], changes["paused_until"], now)
    if "zone" in changes:  # the user's zone, for everything that counts their days
        conn.execute(update(users).where(users.c.id == user_id).values(timezone=changes["zone"]))


def _record_pause(
    conn: Connection, user_id: int, zone: str, until: date | None, now: datetime
) -> None:
    """Keep the pause for check-in streaks (the subscription only knows the latest one's
    end). A new pause or a resume ends what is left of an earlier one today."""
    today = local_date(now, zone)
    open_ = (pauses.c.user_id == user_id, pauses.c.until > today)
    conn.execute(update(pauses).where(*open_).values(until=today))
    if until is not None and until > today:
        row = dict(user_id=user_id, first_day=today, until=until, created_at=now)
        conn.execute(insert(pauses).values(**row))


def snooze(conn: Connection, user_id: int, now: datetime) -> None:
    row = row_of(conn, user_id)
    if row is None or row["status"] != ON:
        return
    slot = snooze_slot(plan_of(row), now)
    values: dict[str, Any] = {"unanswered": 0}
    if slot is not None:
        values |= scheduled(slot) | _UNLEASED
    _update(conn, user_id, values, now)


def skip_today(conn: Connection, user_id: int, now: datetime) -> None:
    row = row_of(conn, user_id)
    if row is None:
        return
    values: dict[str, Any] = {"unanswered": 0}
    if row["status"] == ON and row["next_kind"] == SNOOZE:
        plan = _plan(conn, user_id, row)
        values |= scheduled(next_slot(plan, now)) | _UNLEASED
    _update(conn, user_id, values, now)


def answered(conn: Connection, user_id: int) -> None:
    conn.execute(
        update(subs).where(subs.c.user_id == user_id, subs.c.unanswered != 0).values(unanswered=0)
    )


def _create(conn: Connection, user_id: int, zone: str | None, now: datetime) -> dict[str, Any]:
    user = conn.execute(select(users.c.platform, users.c.timezone).where(users.c.id == user_id))
    platform, known_zone = user.one()
    row: dict[str, Any] = dict(
        user_id=user_id,
        platform=platform,
        status=OFF,
        zone=zone or known_zone or "UTC",
        at_minute=DEFAULT_AT,
        evening_minute=DEFAULT_EVENING,
        weekdays_only=False,
        every=1,
        quiet_start=None,
        quiet_end=None,
        paused_until=None,
        weekly_summary=False,
        weekly_day=DEFAULT_WEEKLY_DAY,
        last_nudge_on=None,
        checked_until=now,
        unanswered=0,
        created_at=now,
        updated_at=now,
        **_UNSCHEDULED,
        **_UNLEASED,
    )
    conn.execute(insert(subs).values(**row))
    return row


def _update(conn: Connection, user_id: int, values: dict[str, Any], now: datetime) -> None:
    conn.execute(update(subs).where(subs.c.user_id == user_id).values(**values, updated_at=now))
