"""What dialogs look up while deciding: plain functions over a connection, run through
`Store.run`. Every query is scoped to one user."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, desc, func, select

from bot.store.schema import (
    journal,
    metadata,
    outreach,
    predictions,
    problems,
    ratings,
    steps,
    strengths,
    users,
)


@dataclass(frozen=True)
class StepRecord:
    id: int
    problem_id: int
    problem: str
    text: str


@dataclass(frozen=True)
class Due:
    """Something recorded earlier that is ready to be asked about."""

    id: int
    text: str


@dataclass(frozen=True)
class Record:
    """The prediction ledger: how many feared outcomes did not happen, of those checked."""

    checked: int
    did_not_happen: int
    open: int


@dataclass(frozen=True)
class BestStrategy:
    strategy: str
    before: int
    after: int


def open_steps(conn: Connection, user_id: int) -> list[StepRecord]:
    query = (
        select(steps.c.id, steps.c.problem_id, problems.c.title, steps.c.text)
        .join(problems, problems.c.id == steps.c.problem_id)
        .where(steps.c.user_id == user_id, steps.c.done_at.is_(None))
        .order_by(steps.c.problem_id, steps.c.position)
    )
    return [StepRecord(r.id, r.problem_id, r.title, r.text) for r in conn.execute(query)]


def due_predictions(conn: Connection, user_id: int, now: datetime) -> list[Due]:
    query = (
        select(predictions.c.id, predictions.c.fear)
        .where(
            predictions.c.user_id == user_id,
            predictions.c.resolved_at.is_(None),
            predictions.c.check_at <= now,
        )
        .order_by(predictions.c.check_at)
    )
    return [Due(r.id, r.fear) for r in conn.execute(query)]


def prediction_record(conn: Connection, user_id: int) -> Record:
    rows = conn.execute(
        select(predictions.c.outcome, func.count())
        .where(predictions.c.user_id == user_id)
        .group_by(predictions.c.outcome)
    ).all()
    counts = {outcome: n for outcome, n in rows}
    checked = sum(n for outcome, n in counts.items() if outcome is not None)
    return Record(checked, counts.get("not", 0), counts.get(None, 0))


def strengths_of(conn: Connection, user_id: int, limit: int = 5) -> list[str]:
    query = (
        select(strengths.c.text)
        .where(strengths.c.user_id == user_id)
        .order_by(desc(strengths.c.id))
        .limit(limit)
    )
    return list(conn.execute(query).scalars())


def best_strategies(conn: Connection, user_id: int, limit: int = 3) -> list[BestStrategy]:
    """The user's strategies by their best gain (after - before), best first."""
    gain = ratings.c.after - ratings.c.before
    query = (
        select(ratings.c.strategy, ratings.c.before, ratings.c.after)
        .where(ratings.c.user_id == user_id, gain > 0)
        .order_by(desc(gain), desc(ratings.c.id))
    )
    best: dict[str, BestStrategy] = {}
    for row in conn.execute(query):
        best.setdefault(row.strategy, BestStrategy(row.strategy, row.before, row.after))
    return list(best.values())[:limit]


def open_outreach(conn: Connection, user_id: int) -> Due | None:
    query = (
        select(outreach.c.id, outreach.c.person)
        .where(outreach.c.user_id == user_id, outreach.c.outcome.is_(None))
        .order_by(desc(outreach.c.id))
        .limit(1)
    )
    row = conn.execute(query).first()
    return Due(row.id, row.person) if row else None


def last_entry(conn: Connection, user_id: int, flow: str, field: str) -> str | None:
    query = (
        select(journal.c.text)
        .where(journal.c.user_id == user_id, journal.c.flow == flow, journal.c.field == field)
        .order_by(desc(journal.c.id))
        .limit(1)
    )
    return conn.execute(query).scalar()


def everything(conn: Connection, user_id: int) -> dict[str, list[dict[str, object]]]:
    """Every row the bot holds about the user, table by table (for the privacy export).
    Found through the schema, so a table added later is exported without a change here."""
    found: dict[str, list[dict[str, object]]] = {}
    for name, table in metadata.tables.items():
        if table is users:
            query = select(table).where(table.c.id == user_id)
        elif "user_id" in table.c:
            query = select(table).where(table.c.user_id == user_id)
        else:
            continue
        found[name] = [dict(row._mapping) for row in conn.execute(query)]
    return found
