"""What dialogs look up while deciding: plain functions over a connection, run through
`Store.run`. Every query is scoped to one user."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, desc, func, select

from bot.store.schema import (
    journal,
    metadata,
    nudge_pauses,
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


# --- Insights: /mood, /progress and the weekly summary (bot/insights) -------------------------
# Days are the user's own calendar days (users.timezone, else DEFAULT_ZONE). Imported here so
# this section stays one block; bot.insights never imports the store.
from datetime import date, timedelta  # noqa: E402
from typing import Any  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

from sqlalchemy import Column, Table  # noqa: E402

from bot.insights import (  # noqa: E402
    MoodHistory,
    ProgressFacts,
    Rated,
    WeekFacts,
    local_day,
    local_midnight,
    streak,
    zone_of,
)
from bot.store.schema import moods  # noqa: E402

DEFAULT_ZONE = "UTC"  # for users who set no time zone


def _zone_and_locale(conn: Connection, user_id: int, default: str) -> tuple[ZoneInfo, str | None]:
    row = conn.execute(
        select(users.c.timezone, users.c.locale).where(users.c.id == user_id)
    ).first()
    return zone_of(row.timezone if row else None, default), row.locale if row else None


def paused_days(conn: Connection, user_id: int, zone: ZoneInfo) -> frozenset[date]:
    """The user's calendar days with nudges paused (/nudges "Pause", recorded by
    bot.scheduler.plans): they neither count toward nor break a check-in streak. Stored as
    the user's local dates, so `zone` is not needed to read them."""
    pauses = nudge_pauses
    query = select(pauses.c.first_day, pauses.c.until).where(pauses.c.user_id == user_id)
    days: set[date] = set()
    for first, until in conn.execute(query):
        days.update(first + timedelta(days=n) for n in range((until - first).days))
    return frozenset(days)


def _checkin_days(conn: Connection, user_id: int, zone: ZoneInfo) -> frozenset[date]:
    stamps = conn.execute(select(moods.c.created_at).where(moods.c.user_id == user_id))
    return frozenset(local_day(stamp, zone) for stamp in stamps.scalars())


def _moods_by_day(
    conn: Connection, user_id: int, zone: ZoneInfo, first: date, last: date
) -> dict[date, list[int]]:
    query = select(moods.c.mood, moods.c.created_at).where(
        moods.c.user_id == user_id,
        moods.c.created_at >= local_midnight(first, zone),
        moods.c.created_at < local_midnight(last + timedelta(days=1), zone),
    )
    found: dict[date, list[int]] = {}
    for row in conn.execute(query):
        found.setdefault(local_day(row.created_at, zone), []).append(row.mood)
    return found


def _between(column: Any, zone: ZoneInfo, first: date, last: date) -> tuple[Any, Any]:
    return (
        column >= local_midnight(first, zone),
        column < local_midnight(last + timedelta(days=1), zone),
    )


def mood_history(
    conn: Connection, user_id: int, now: datetime, days: int = 30, default_zone: str = DEFAULT_ZONE
) -> MoodHistory:
    """The check-ins of the last `days` days up to today (plus the six days before, for the
    7-day average), and the days a step was finished."""
    zone, locale = _zone_and_locale(conn, user_id, default_zone)
    last = local_day(now, zone)
    first = last - timedelta(days=days - 1)
    per_day = _moods_by_day(conn, user_id, zone, first - timedelta(days=6), last)
    done = conn.execute(
        select(steps.c.done_at).where(
            steps.c.user_id == user_id, *_between(steps.c.done_at, zone, first, last)
        )
    )
    return MoodHistory(
        first=first,
        last=last,
        checkins=sum(len(m) for day, m in per_day.items() if day >= first),
        by_day={day: sum(m) / len(m) for day, m in per_day.items()},
        step_days=frozenset(local_day(stamp, zone) for stamp in done.scalars()),
        locale=locale,
    )


def _rated(conn: Connection, user_id: int, limit: int) -> tuple[Rated, ...]:
    found = best_strategies(conn, user_id, limit)
    return tuple(Rated(b.strategy, b.before, b.after) for b in found)


def progress_facts(
    conn: Connection, user_id: int, now: datetime, default_zone: str = DEFAULT_ZONE
) -> ProgressFacts:
    """What /progress shows: check-in days, steps this week (since Monday) and in all,
    problems finished, the prediction ledger, the three best-rated strategies."""
    zone, locale = _zone_and_locale(conn, user_id, default_zone)
    today = local_day(now, zone)
    monday = today - timedelta(days=today.weekday())
    done = (steps.c.user_id == user_id, steps.c.done_at.is_not(None))
    count = select(func.count()).select_from(steps).where(*done)
    record = prediction_record(conn, user_id)
    problems_done = select(func.count()).where(
        problems.c.user_id == user_id, problems.c.done_at.is_not(None)
    )
    return ProgressFacts(
        today=today,
        checkin_days=_checkin_days(conn, user_id, zone),
        paused=paused_days(conn, user_id, zone),
        steps_this_week=conn.execute(
            count.where(*_between(steps.c.done_at, zone, monday, today))
        ).scalar_one(),
        steps_total=conn.execute(count).scalar_one(),
        problems_done=conn.execute(problems_done).scalar_one(),
        predictions_checked=record.checked,
        predictions_spared=record.did_not_happen,
        best=_rated(conn, user_id, 3),
        locale=locale,
    )


def week_facts(
    conn: Connection,
    user_id: int,
    now: datetime,
    default_zone: str = DEFAULT_ZONE,
    last: date | None = None,
) -> WeekFacts:
    """The inputs of `bot.insights.weekly_summary`: the seven days up to and including
    today (the user's calendar), or up to `last` (the scheduled summary's day: quiet hours
    may send it after midnight), and the check-in streak up to that day."""
    zone, locale = _zone_and_locale(conn, user_id, default_zone)
    last = min(last, local_day(now, zone)) if last else local_day(now, zone)
    first = last - timedelta(days=6)
    per_day = _moods_by_day(conn, user_id, zone, first, last)

    def texts(table: Table, text: Column, stamp: Column) -> tuple[str, ...]:
        query = (
            select(text)
            .where(table.c.user_id == user_id, *_between(stamp, zone, first, last))
            .order_by(desc(stamp), desc(table.c.id))
        )
        return tuple(conn.execute(query).scalars())

    gain = ratings.c.after - ratings.c.before
    best = conn.execute(
        select(ratings.c.strategy, ratings.c.before, ratings.c.after)
        .where(
            ratings.c.user_id == user_id,
            gain > 0,
            *_between(ratings.c.created_at, zone, first, last),
        )
        .order_by(desc(gain), desc(ratings.c.id))
        .limit(1)
    ).first()
    return WeekFacts(
        first=first,
        last=last,
        checkins=sum(len(m) for m in per_day.values()),
        mood_by_day={day: sum(m) / len(m) for day, m in per_day.items()},
        steps_done=texts(steps, steps.c.text, steps.c.done_at),
        problems_done=texts(problems, problems.c.title, problems.c.done_at),
        strengths=texts(strengths, strengths.c.text, strengths.c.created_at),
        best_rating=Rated(best.strategy, best.before, best.after) if best else None,
        streak=streak(_checkin_days(conn, user_id, zone), last, paused_days(conn, user_id, zone)),
        locale=locale,
    )


# --- Scheduled nudges: the /nudges settings and the evening follow-up -------------------------
from datetime import date as _date  # noqa: E402
from typing import Any as _Any  # noqa: E402

from bot.store.schema import goals, nudge_subscriptions  # noqa: E402


@dataclass(frozen=True)
class NudgeSettings:
    """What /nudges shows; `zone` falls back to the user's zone (None if never set)."""

    status: str  # on / off / asked / unreachable
    zone: str | None
    at: int  # minutes after local midnight
    evening: int | None
    weekdays: bool
    every: int
    quiet_start: int | None
    quiet_end: int | None
    paused_until: _date | None
    weekly: bool = False  # the weekly summary
    weekly_day: int = 6  # 0 Monday

    def as_data(self) -> dict[str, _Any]:
        """JSON-only, for a flow's data."""
        fields = dict(self.__dict__)
        fields["paused_until"] = self.paused_until.isoformat() if self.paused_until else None
        return fields


def nudge_settings(conn: Connection, user_id: int) -> NudgeSettings:
    from bot.scheduler.plans import DEFAULT_AT, DEFAULT_EVENING  # the subscription's defaults

    row = conn.execute(
        select(nudge_subscriptions).where(nudge_subscriptions.c.user_id == user_id)
    ).first()
    if row is None:
        zone = conn.execute(select(users.c.timezone).where(users.c.id == user_id)).scalar()
        return NudgeSettings("off", zone, DEFAULT_AT, DEFAULT_EVENING, False, 1, None, None, None)
    return NudgeSettings(
        row.status,
        row.zone,
        row.at_minute,
        row.evening_minute,
        row.weekdays_only,
        row.every,
        row.quiet_start,
        row.quiet_end,
        row.paused_until,
        row.weekly_summary,
        row.weekly_day,
    )


def goal_to_follow_up(
    conn: Connection, user_id: int, goal_id: int | None, since: datetime
) -> Due | None:
    """The day's "one thing" still without an outcome: `goal_id` if given, else the latest
    set since `since`."""
    query = select(goals.c.id, goals.c.text).where(
        goals.c.user_id == user_id, goals.c.outcome.is_(None)
    )
    if goal_id is not None:
        query = query.where(goals.c.id == goal_id)
    else:
        query = query.where(goals.c.created_at >= since).order_by(desc(goals.c.id)).limit(1)
    row = conn.execute(query).first()
    return Due(row.id, row.text) if row else None


def country_of(conn: Connection, user_id: int) -> str | None:
    """The country the user told us, for helplines."""
    return conn.execute(select(users.c.country).where(users.c.id == user_id)).scalar()
