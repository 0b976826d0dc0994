"""The sweep's SQL: claim due subscriptions with a lease, decide what each due slot sends and
write it into the delivery ledger, then record the outcome and the next slot. Plain functions
over a connection; the sweep runs each in one transaction.

Claiming is one statement: an UPDATE of the due rows' lease, choosing them with
`FOR UPDATE SKIP LOCKED` on PostgreSQL (workers never wait on each other's rows) and under
SQLite's single writer lock on SQLite (BEGIN IMMEDIATE: the conditional UPDATE is atomic).
A row whose lease has run out (its worker died) is due again; the ledger row it left says
whether that slot was already decided, so a slot is never decided twice."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, or_, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite

from bot.scheduler import plans
from bot.scheduler.plans import ASKED, OFF, ON, UNREACHABLE, aware, plan_of
from bot.scheduler.slots import (
    FOLLOWUP,
    NUDGE,
    PREDICTIONS,
    SNOOZE,
    STEPS,
    WEEKLY,
    Plan,
    Slot,
    local_midnight,
)
from bot.store.schema import goals, moods, predictions, users
from bot.store.schema import nudge_deliveries as ledger
from bot.store.schema import nudge_subscriptions as subs
from bot.types import ConversationKey

# What a slot sends (the ledger's `action`), and the flow each one starts.
CHECKIN, FATIGUE, EVENING, CHECKS = "checkin", "fatigue", "followup", "predictions"
SUMMARY, REMIND = "weekly", "steps"
NOTHING, HELD = "none", "held"  # nothing due to ask about; on hold after a crisis message
FLOWS = {
    CHECKIN: "checkin",
    FATIGUE: "nudges",
    EVENING: "evening",
    CHECKS: "predictions",
    SUMMARY: "weekly",
    REMIND: "steps",
}
PENDING, SENT, SKIPPED, FAILED = "pending", "sent", "skipped", "failed"


@dataclass(frozen=True)
class ClaimRequest:
    platforms: tuple[str, ...]  # only platforms this process can send to
    now: datetime
    limit: int
    token: str  # this claim's lease owner
    lease_until: datetime
    stale_before: datetime  # a slot due before this is not sent any more
    fatigue_after: int  # unanswered nudges before asking whether to nudge less


@dataclass(frozen=True)
class Job:
    """One claimed subscription and what its due slot needs."""

    user_id: int
    key: ConversationKey
    locale: str | None
    status: str  # the subscription's status after this claim
    plan: Plan  # as it will be once this slot went out (for the next slot)
    slot: Slot
    action: str | None  # what to send; None: nothing to send (decided before, or stale)
    arg: str  # the flow's argument
    attempts: int
    token: str
    lease_until: datetime
    stale: bool = False

    @property
    def flow(self) -> str:
        return FLOWS[self.action or ""]

    @property
    def update_id(self) -> str:
        """The turn's idempotency key: the ledger key, so a retried slot never runs twice."""
        return f"nudge:{self.slot.kind}:{self.slot.on.isoformat()}:{self.user_id}"


# --- claim --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Due:
    """A claimed row and the slot it is due for."""

    row: Any
    slot: Slot

    @property
    def key(self) -> tuple[int, date, str]:  # the ledger's
        return (self.row.user_id, self.slot.on, self.slot.kind)


def claim(conn: Connection, req: ClaimRequest) -> list[Job]:
    """Lease up to `req.limit` due subscriptions and decide each one's slot, once: a slot that
    already has a ledger row keeps what was decided then (and is sent again only if that
    row is still pending)."""
    ids = _lease(conn, req)
    if not ids:
        return []
    rows = conn.execute(
        select(
            subs,
            users.c.external_id,
            users.c.chat_id,
            users.c.locale,
            users.c.hold_nudges_until,
        )
        .join(users, users.c.id == subs.c.user_id)
        .where(subs.c.user_id.in_(ids))
    ).all()
    dues = [_Due(r, Slot(r.next_kind, r.next_on, aware(r.next_due_at))) for r in rows]
    decided = _decided(conn, dues)
    fresh = [
        d
        for d in dues
        if d.row.status == ON and d.key not in decided and d.slot.at >= req.stale_before
    ]
    context = _Context.load(conn, fresh)
    choices = {d.row.user_id: _decide(d, context, req.fatigue_after) for d in fresh}
    changes = {d.row.user_id: _changes(d, choices[d.row.user_id][0]) for d in fresh}
    _record(conn, [_entry(d, choices[d.row.user_id][0], req.now) for d in fresh], changes)
    checks = plans.first_checks(conn, ids)
    stepping = plans.with_open_steps(conn, ids)
    return [_job(d, req, decided, choices, changes, checks, stepping) for d in dues]


def _job(
    due: _Due,
    req: ClaimRequest,
    decided: Mapping[tuple[int, date, str], tuple[str, str]],
    choices: Mapping[int, tuple[str, str]],
    changes: Mapping[int, dict[str, Any]],
    checks: Mapping[int, datetime],
    stepping: frozenset[int],
) -> Job:
    row, slot = due.row, due.slot
    uid = row.user_id
    action: str | None = None
    arg = ""
    if uid in choices:
        action, arg = choices[uid]
    elif due.key in decided and row.status != OFF:
        action, status = decided[due.key]
        action, arg = (action, _arg(action, slot)) if status == PENDING else (None, "")
    change = changes.get(uid, {})
    plan = plan_of(row._mapping, checks.get(uid), uid in stepping)
    if "last_nudge_on" in change:
        plan = replace(plan, last_nudge_on=change["last_nudge_on"])
    return Job(
        user_id=uid,
        key=ConversationKey(row.platform, row.chat_id, row.external_id),
        locale=row.locale,
        status=change.get("status", row.status),
        plan=plan,
        slot=slot,
        action=None if action in (NOTHING, HELD) else action,
        arg=arg,
        attempts=row.attempts,
        token=req.token,
        lease_until=req.lease_until,
        stale=slot.at < req.stale_before,
    )


def _lease(conn: Connection, req: ClaimRequest) -> list[int]:
    due = (
        select(subs.c.user_id)
        .where(
            subs.c.next_due_at <= req.now,
            or_(subs.c.lease_until.is_(None), subs.c.lease_until < req.now),
            subs.c.platform.in_(req.platforms),
        )
        .order_by(subs.c.next_due_at)
        .limit(req.limit)
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite holds the one write lock
    )
    stmt = (
        update(subs)
        .where(subs.c.user_id.in_(due))
        .values(lease_owner=req.token, lease_until=req.lease_until)
        .returning(subs.c.user_id)
    )
    return list(conn.execute(stmt).scalars())


def _decided(conn: Connection, dues: Sequence[_Due]) -> dict[tuple[int, date, str], tuple]:
    """Ledger rows already written for these slots (a retry, or a worker that died). Looked
    up by the whole primary key (an IN per column), so the cost stays flat as the day's
    deliveries pile up; the few extra combinations that matches are dropped here."""
    wanted = {d.key for d in dues}
    found = conn.execute(
        select(
            ledger.c.user_id, ledger.c.local_date, ledger.c.kind, ledger.c.action, ledger.c.status
        ).where(
            ledger.c.user_id.in_({k[0] for k in wanted}),
            ledger.c.local_date.in_({k[1] for k in wanted}),
            ledger.c.kind.in_({k[2] for k in wanted}),
        )
    )
    rows_found = {(r.user_id, r.local_date, r.kind): (r.action, r.status) for r in found}
    return {k: v for k, v in rows_found.items() if k in wanted}


@dataclass(frozen=True)
class _Context:
    """What deciding a batch needs, read in four queries for the whole batch."""

    checked_in: dict[int, datetime]  # latest mood
    goals: dict[int, list[tuple[int, datetime]]]  # open goals (id, set at), oldest first
    checks_due: frozenset[int]  # users with a prediction to check at this slot
    stepping: frozenset[int]  # users with open steps, of those due a steps reminder

    @classmethod
    def load(cls, conn: Connection, dues: Sequence[_Due]) -> _Context:
        kinds: dict[str, list[int]] = {}
        for due in dues:
            kinds.setdefault(due.slot.kind, []).append(due.row.user_id)
        nudged = kinds.get(NUDGE, []) + kinds.get(SNOOZE, [])
        return cls(
            _latest_moods(conn, nudged) if nudged else {},
            _open_goals(conn, kinds[FOLLOWUP], dues) if FOLLOWUP in kinds else {},
            _checks_due(conn, kinds[PREDICTIONS]) if PREDICTIONS in kinds else frozenset(),
            plans.with_open_steps(conn, kinds[STEPS]) if STEPS in kinds else frozenset(),
        )


def _latest_moods(conn: Connection, ids: list[int]) -> dict[int, datetime]:
    query = (
        select(moods.c.user_id, func.max(moods.c.created_at))
        .where(moods.c.user_id.in_(ids))
        .group_by(moods.c.user_id)
    )
    return {uid: aware(at) for uid, at in conn.execute(query)}  # type: ignore[misc]


def _open_goals(conn: Connection, ids: list[int], dues: Sequence[_Due]) -> dict[int, list]:
    since = min(local_midnight(d.slot.on, d.row.zone) for d in dues if d.slot.kind == FOLLOWUP)
    query = (
        select(goals.c.user_id, goals.c.id, goals.c.created_at)
        .where(goals.c.user_id.in_(ids), goals.c.outcome.is_(None), goals.c.created_at >= since)
        .order_by(goals.c.id)
    )
    found: dict[int, list[tuple[int, datetime]]] = {}
    for uid, goal_id, at in conn.execute(query):
        found.setdefault(uid, []).append((goal_id, aware(at)))
    return found


def _checks_due(conn: Connection, ids: list[int]) -> frozenset[int]:
    query = (
        select(predictions.c.user_id)
        .join(subs, subs.c.user_id == predictions.c.user_id)
        .where(
            predictions.c.user_id.in_(ids),
            predictions.c.resolved_at.is_(None),
            predictions.c.check_at > subs.c.checked_until,
            predictions.c.check_at <= subs.c.next_due_at,
        )
        .distinct()
    )
    return frozenset(conn.execute(query).scalars())


def _decide(due: _Due, context: _Context, fatigue_after: int) -> tuple[str, str]:
    """What this slot sends, or NOTHING (already checked in today, no one thing to ask about,
    no prediction due), or HELD (a crisis message lately: bot.safety holds nudges)."""
    row, slot = due.row, due.slot
    held = aware(row.hold_nudges_until)
    if held is not None and held > slot.at:
        return HELD, ""
    midnight = local_midnight(slot.on, row.zone)
    if slot.kind in (NUDGE, SNOOZE):
        latest = context.checked_in.get(row.user_id)
        if latest is not None and latest >= midnight:
            return NOTHING, ""
        if slot.kind == NUDGE and row.unanswered >= fatigue_after:
            return FATIGUE, "fatigue"
        return CHECKIN, _arg(CHECKIN, slot)
    if slot.kind == FOLLOWUP:
        todays = [g for g, at in context.goals.get(row.user_id, []) if at >= midnight]
        return (EVENING, str(todays[-1])) if todays else (NOTHING, "")
    if slot.kind == PREDICTIONS:
        return (CHECKS, "") if row.user_id in context.checks_due else (NOTHING, "")
    if slot.kind == STEPS:  # all done since the slot was planned: nothing to remind of
        return (REMIND, _arg(REMIND, slot)) if row.user_id in context.stepping else (NOTHING, "")
    if slot.kind == WEEKLY:  # a quiet week still gets its (kind, short) summary
        return SUMMARY, _arg(SUMMARY, slot)
    return NOTHING, ""


def _arg(action: str, slot: Slot) -> str:
    """The flow's argument, from the slot alone (a resend does not know the goal's id: the
    evening flow then takes the day's latest one)."""
    if action == CHECKIN:
        return "snoozed" if slot.kind == SNOOZE else f"nudge:{slot.on.isoformat()}"
    if action == REMIND:
        return "reminder"
    if action == SUMMARY:  # the week that ends on the slot's day, even if sent after it
        return slot.on.isoformat()
    return "fatigue" if action == FATIGUE else ""


def _entry(due: _Due, action: str, now: datetime) -> dict[str, Any]:
    return dict(
        user_id=due.row.user_id,
        local_date=due.slot.on,
        kind=due.slot.kind,
        action=action,
        status=SKIPPED if action in (NOTHING, HELD) else PENDING,
        attempts=0,
        created_at=now,
        sent_at=None,
    )


def _changes(due: _Due, action: str) -> dict[str, Any]:
    """Made when the slot is decided, before anything is sent, so that an answer arriving
    right after the message can never be overwritten by this claim's bookkeeping."""
    slot = due.slot
    if slot.kind == NUDGE:
        changes: dict[str, Any] = {"last_nudge_on": slot.on}
        if action == CHECKIN:
            changes["unanswered"] = due.row.unanswered + 1
        elif action == FATIGUE:
            changes["status"] = ASKED
        return changes
    if slot.kind == PREDICTIONS:
        return {"checked_until": slot.at}
    return {}


def _record(
    conn: Connection, entries: list[dict[str, Any]], changes: Mapping[int, dict[str, Any]]
) -> None:
    if entries:
        conn.execute(_insert(conn)(ledger).on_conflict_do_nothing(), entries)
    shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for uid, change in changes.items():  # one executemany per kind of change, not per row
        if change:
            values = {f"b_{k}": v for k, v in change.items()}
            shapes.setdefault(tuple(sorted(change)), []).append({"b_uid": uid, **values})
    for shape, rows in shapes.items():
        stmt = (
            update(subs)
            .where(subs.c.user_id == bindparam("b_uid"))
            .values({k: bindparam(f"b_{k}") for k in shape})
        )
        conn.execute(stmt, rows)


# --- finish -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finish:
    """What became of a job: the ledger status to record and the subscription's next state."""

    user_id: int
    token: str
    slot: Slot
    ledger_status: str | None  # None: leave the ledger row as it is (still pending, or none)
    next_due_at: datetime | None
    next_kind: str | None
    next_on: date | None
    attempts: int
    status: str
    now: datetime

    @property
    def unreachable(self) -> bool:
        return self.status == UNREACHABLE


_MARK = (
    update(ledger)
    .where(
        ledger.c.user_id == bindparam("b_uid"),
        ledger.c.local_date == bindparam("b_on"),
        ledger.c.kind == bindparam("b_kind"),
        ledger.c.status == PENDING,
    )
    .values(status=bindparam("b_status"), attempts=ledger.c.attempts + 1, sent_at=bindparam("b_at"))
)
_RESCHEDULE = (
    update(subs)
    .where(subs.c.user_id == bindparam("b_uid"), subs.c.lease_owner == bindparam("b_token"))
    .values(
        next_due_at=bindparam("b_due"),
        next_kind=bindparam("b_next_kind"),
        next_on=bindparam("b_next_on"),
        attempts=bindparam("b_attempts"),
        status=bindparam("b_status"),
        lease_owner=None,
        lease_until=None,
        updated_at=bindparam("b_at"),
    )
)


def finish(conn: Connection, outcomes: Sequence[Finish]) -> int:
    """Record outcomes; returns how many kept their lease. A lost lease means the user changed
    their schedule meanwhile (that change stands) or the lease ran out and another worker
    took the row. One executemany per statement: the sweep's hot path."""
    marks = [
        {
            "b_uid": d.user_id,
            "b_on": d.slot.on,
            "b_kind": d.slot.kind,
            "b_status": d.ledger_status,
            "b_at": d.now if d.ledger_status == SENT else None,
        }
        for d in outcomes
        if d.ledger_status is not None
    ]
    if marks:
        conn.execute(_MARK, marks)
    for done in outcomes:
        if done.unreachable:
            stmt = update(users).where(users.c.id == done.user_id).values(unreachable_at=done.now)
            conn.execute(stmt)
    rows = [
        {
            "b_uid": d.user_id,
            "b_token": d.token,
            "b_due": d.next_due_at,
            "b_next_kind": d.next_kind,
            "b_next_on": d.next_on,
            "b_attempts": d.attempts,
            "b_status": d.status,
            "b_at": d.now,
        }
        for d in outcomes
    ]
    return conn.execute(_RESCHEDULE, rows).rowcount if rows else 0


def prune(conn: Connection, before: date, limit: int) -> int:
    """Drop ledger rows older than `before`, at most `limit` at a time (short transactions)."""
    key = tuple_(ledger.c.user_id, ledger.c.local_date, ledger.c.kind)
    oldest = select(ledger.c.user_id, ledger.c.local_date, ledger.c.kind).where(
        ledger.c.local_date < before
    )
    return conn.execute(delete(ledger).where(key.in_(oldest.limit(limit)))).rowcount


def _insert(conn: Connection) -> Any:
    return (sqlite if conn.dialect.name == "sqlite" else postgresql).insert


def due_count(conn: Connection, now: datetime) -> int:
    """Slots due and not yet done (for the pending-nudges gauge)."""
    return conn.execute(select(func.count()).where(subs.c.next_due_at <= now)).scalar_one()
