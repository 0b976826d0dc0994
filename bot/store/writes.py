"""How each effect is written. Every write is scoped to the turn's user."""

from __future__ import annotations

from datetime import datetime
from functools import singledispatch

from sqlalchemy import Connection, delete, func, insert, select, update

from bot.effects import (
    CrisisNoted,
    Effect,
    ForgetUser,
    Goal,
    Journal,
    Mood,
    MoodNote,
    NewProblem,
    Outreach,
    Prediction,
    ProblemDone,
    Rating,
    Resolve,
    SafeNow,
    SetCountry,
    StepDone,
    Strength,
)
from bot.store.schema import (
    goals,
    journal,
    moods,
    outreach,
    predictions,
    problems,
    ratings,
    safety_events,
    steps,
    strengths,
    users,
)

# Built once, run with parameters: SQLAlchemy reuses the compiled SQL (the hot path).
_INSERT_JOURNAL = insert(journal)
_INSERT_STEPS = insert(steps)
_RESOLVABLE = {"predictions": predictions, "goals": goals, "outreach": outreach}


@singledispatch
def apply(effect: Effect, conn: Connection, user_id: int, stamp: datetime) -> None:
    raise TypeError(f"unknown effect {effect!r}")


@apply.register
def _(effect: Journal, conn: Connection, user_id: int, stamp: datetime) -> None:
    values = dict(flow=effect.flow, field=effect.field, text=effect.text)
    conn.execute(_INSERT_JOURNAL, {"user_id": user_id, "created_at": stamp, **values})


@apply.register
def _(effect: NewProblem, conn: Connection, user_id: int, stamp: datetime) -> None:
    problem_id = conn.execute(
        insert(problems)
        .values(user_id=user_id, title=effect.title, created_at=stamp)
        .returning(problems.c.id)
    ).scalar_one()
    rows = [
        dict(user_id=user_id, problem_id=problem_id, position=i, text=text, created_at=stamp)
        for i, text in enumerate(effect.steps)
    ]
    conn.execute(_INSERT_STEPS, rows)


@apply.register
def _(effect: StepDone, conn: Connection, user_id: int, stamp: datetime) -> None:
    mine = (steps.c.id == effect.step_id, steps.c.user_id == user_id, steps.c.done_at.is_(None))
    conn.execute(update(steps).where(*mine).values(done_at=stamp))


@apply.register
def _(effect: ProblemDone, conn: Connection, user_id: int, stamp: datetime) -> None:
    mine = (problems.c.id == effect.problem_id, problems.c.user_id == user_id)
    conn.execute(update(problems).where(*mine).values(done_at=stamp))


@apply.register
def _(effect: Mood, conn: Connection, user_id: int, stamp: datetime) -> None:
    conn.execute(
        insert(moods).values(user_id=user_id, mood=effect.mood, note=effect.note, created_at=stamp)
    )


@apply.register
def _(effect: MoodNote, conn: Connection, user_id: int, stamp: datetime) -> None:
    latest = select(func.max(moods.c.id)).where(moods.c.user_id == user_id).scalar_subquery()
    conn.execute(update(moods).where(moods.c.id == latest).values(note=effect.note))


@apply.register
def _(effect: Goal, conn: Connection, user_id: int, stamp: datetime) -> None:
    conn.execute(insert(goals).values(user_id=user_id, text=effect.text, created_at=stamp))


@apply.register
def _(effect: Prediction, conn: Connection, user_id: int, stamp: datetime) -> None:
    values = dict(user_id=user_id, fear=effect.fear, check_at=effect.check_at, created_at=stamp)
    conn.execute(insert(predictions).values(**values))


@apply.register
def _(effect: Resolve, conn: Connection, user_id: int, stamp: datetime) -> None:
    table = _RESOLVABLE[effect.table]
    values = {"outcome": effect.outcome}
    if "resolved_at" in table.c:
        values["resolved_at"] = stamp
    mine = (table.c.id == effect.row_id, table.c.user_id == user_id)
    conn.execute(update(table).where(*mine).values(**values))


@apply.register
def _(effect: Strength, conn: Connection, user_id: int, stamp: datetime) -> None:
    conn.execute(insert(strengths).values(user_id=user_id, text=effect.text, created_at=stamp))


@apply.register
def _(effect: Rating, conn: Connection, user_id: int, stamp: datetime) -> None:
    values = dict(strategy=effect.strategy, before=effect.before, after=effect.after)
    conn.execute(insert(ratings).values(user_id=user_id, created_at=stamp, **values))


@apply.register
def _(effect: Outreach, conn: Connection, user_id: int, stamp: datetime) -> None:
    values = dict(person=effect.person, message=effect.message)
    conn.execute(insert(outreach).values(user_id=user_id, created_at=stamp, **values))


@apply.register
def _(effect: ForgetUser, conn: Connection, user_id: int, stamp: datetime) -> None:
    conn.execute(delete(users).where(users.c.id == user_id))  # cascades to every user table


# --- Scheduled nudges: the subscription lives in bot.scheduler.plans; these only route to it.
from bot.effects import ChangeNudges, NudgeAnswered, SkipToday, SnoozeNudge  # noqa: E402
from bot.scheduler import plans  # noqa: E402


@apply.register
def _(effect: ChangeNudges, conn: Connection, user_id: int, stamp: datetime) -> None:
    plans.change(conn, user_id, dict(effect.changes), effect.now)


@apply.register
def _(effect: SnoozeNudge, conn: Connection, user_id: int, stamp: datetime) -> None:
    plans.snooze(conn, user_id, effect.now)


@apply.register
def _(effect: SkipToday, conn: Connection, user_id: int, stamp: datetime) -> None:
    plans.skip_today(conn, user_id, effect.now)


@apply.register
def _(effect: NudgeAnswered, conn: Connection, user_id: int, stamp: datetime) -> None:
    plans.answered(conn, user_id)


@apply.register
def _(effect: CrisisNoted, conn: Connection, user_id: int, stamp: datetime) -> None:
    count_safety_event(conn, effect.platform, effect.category, stamp)
    if effect.hold_until is not None:
        until = effect.hold_until
        conn.execute(update(users).where(users.c.id == user_id).values(hold_nudges_until=until))


def count_safety_event(conn: Connection, platform: str, category: str, stamp: datetime) -> None:
    """For audit: a crisis seen, by kind and platform; never the text or who said it."""
    values = dict(platform=platform, category=category, created_at=stamp)
    conn.execute(insert(safety_events).values(**values))


@apply.register
def _(effect: SafeNow, conn: Connection, user_id: int, stamp: datetime) -> None:
    conn.execute(update(users).where(users.c.id == user_id).values(hold_nudges_until=None))


@apply.register
def _(effect: SetCountry, conn: Connection, user_id: int, stamp: datetime) -> None:
    conn.execute(update(users).where(users.c.id == user_id).values(country=effect.code))
