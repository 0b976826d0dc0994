"""Tables. Every table holding user data carries user_id (ON DELETE CASCADE), so export and
delete are complete by construction. Changes go through an Alembic migration as well."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    UniqueConstraint,
    false,
)

from bot.store.sealed import SealedText

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Id = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrements only INTEGER
When = DateTime(timezone=True)


def _owner() -> Column:
    return Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)


users = Table(
    "users",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("platform", String(16), nullable=False),
    Column("external_id", String(64), nullable=False),
    Column("chat_id", String(64), nullable=False),  # where proactive messages go
    Column("locale", String(16)),
    Column("timezone", String(64)),
    Column("created_at", When, nullable=False),
    Column("unreachable_at", When),  # the platform refused delivery; cleared on next contact
    Column("country", String(8)),  # ISO code, for helplines; asked only when needed
    Column("hold_nudges_until", When),  # after a crisis message, unless the user says they're ok
    UniqueConstraint("platform", "external_id"),
)

# Crisis messages, counted for audit: no user, no text.
safety_events = Table(
    "safety_events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("platform", String(16), nullable=False),
    Column("category", String(24), nullable=False),
    Column("created_at", When, nullable=False),
)

sessions = Table(
    "sessions",
    metadata,
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("dialog", String(32)),  # NULL: between flows
    Column("state", String(48)),
    Column("data", SealedText, nullable=False),  # JSON object; holds user words too
    Column("version", Integer, nullable=False),  # optimistic lock across processes
    Column("updated_at", When, nullable=False),
)

journal = Table(
    "journal",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    _owner(),
    Column("flow", String(32), nullable=False),
    Column("field", String(48), nullable=False),
    Column("text", SealedText, nullable=False),
    Column("created_at", When, nullable=False),
    Index("ix_journal_user_id", "user_id", "created_at"),
)

problems = Table(
    "problems",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    _owner(),
    Column("title", SealedText, nullable=False),
    Column("created_at", When, nullable=False),
    Column("done_at", When),
    Index("ix_problems_user_id", "user_id"),
)

steps = Table(
    "steps",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    _owner(),
    Column("problem_id", Id, ForeignKey("problems.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("text", SealedText, nullable=False),
    Column("created_at", When, nullable=False),
    Column("done_at", When),
    Index("ix_steps_user_id", "user_id", "done_at"),
)

inbound = Table(
    "inbound",
    metadata,
    Column("platform", String(16), primary_key=True),
    Column("update_id", String(64), primary_key=True),
    _owner(),
    Column("created_at", When, nullable=False),
    Index("ix_inbound_user_id", "user_id"),
    Index("ix_inbound_created_at", "created_at"),  # pruned by age (retention.py)
)

moods = Table(
    "moods",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    _owner(),
    Column("mood", Integer, nullable=False),  # 1-5
    Column("note", SealedText),
    Column("created_at", When, nullable=False),
    Index("ix_moods_user_id", "user_id", "created_at"),
)

goals = Table(  # "one thing today" from a check-in
    "goals",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    _owner(),
    Column("text", SealedText, nullable=False),
    Column("created_at", When, nullable=False),
    Column("outcome", String(16)),  # done / partly / not, from the evening follow-up
    Index("ix_goals_user_id", "user_id", "created_at"),
)

predictions = Table(  # the prediction ledger: a feared outcome and when to check it
    "predictions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    _owner(),
    Column("fear", SealedText, nullable=False),
    Column("check_at", When, nullable=False),
    Column("created_at", When, nullable=False),
    Column("outcome", String(16)),  # happened / partly / not
    Column("resolved_at", When),
    Index("ix_predictions_user_id", "user_id", "check_at"),
)

strengths = Table(
    "strengths",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    _owner(),
    Column("text", SealedText, nullable=False),
    Column("created_at", When, nullable=False),
    Index("ix_strengths_user_id", "user_id"),
)

ratings = Table(  # how a strategy felt: 0-10 before and after
    "ratings",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    _owner(),
    Column("strategy", String(32), nullable=False),
    Column("before", Integer, nullable=False),
    Column("after", Integer, nullable=False),
    Column("created_at", When, nullable=False),
    Index("ix_ratings_user_id", "user_id"),
)

outreach = Table(  # connect: the person the user meant to contact, and how it went
    "outreach",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    _owner(),
    Column("person", SealedText, nullable=False),
    Column("message", SealedText, nullable=False),
    Column("created_at", When, nullable=False),
    Column("outcome", String(16)),  # well / not_yet / hard
    Index("ix_outreach_user_id", "user_id"),
)

# --- Scheduled nudges (bot/scheduler) ------------------------------------------------------
# One subscription per user: the plan (zone, local times, options) and the next slot due, with
# a lease so that one worker at a time handles it. Times of day are minutes after local midnight.
nudge_subscriptions = Table(
    "nudge_subscriptions",
    metadata,
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("platform", String(16), nullable=False),  # only workers with its sender claim it
    Column("status", String(12), nullable=False),  # on / off / asked / unreachable
    Column("zone", String(64), nullable=False),  # IANA
    Column("at_minute", SmallInteger, nullable=False),  # the check-in nudge
    Column("evening_minute", SmallInteger),  # the follow-up of the day's one thing; NULL: off
    Column("weekdays_only", Boolean, nullable=False),
    Column("every", SmallInteger, nullable=False),  # days between nudges: 1, 2 or 7
    Column("quiet_start", SmallInteger),
    Column("quiet_end", SmallInteger),
    Column("paused_until", Date),  # nothing is sent on days before this one
    Column("weekly_summary", Boolean, nullable=False, server_default=false()),  # opted in
    Column("weekly_day", SmallInteger, nullable=False, server_default="6"),  # 0 Monday
    Column("last_nudge_on", Date),
    Column("checked_until", When, nullable=False),  # prediction checks asked about up to here
    Column("unanswered", SmallInteger, nullable=False),  # nudges in a row without an answer
    Column("next_due_at", When),  # UTC; NULL: nothing scheduled
    Column("next_kind", String(12)),
    Column("next_on", Date),  # the user's local date the next slot belongs to
    Column("attempts", SmallInteger, nullable=False),  # tries of the next slot so far
    Column("lease_owner", String(32)),
    Column("lease_until", When),
    Column("created_at", When, nullable=False),
    Column("updated_at", When, nullable=False),
    Index("ix_nudge_subscriptions_next_due_at", "next_due_at"),
)

# The delivery ledger: at most one row per (user, local date, kind), so nothing goes twice.
nudge_deliveries = Table(
    "nudge_deliveries",
    metadata,
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("local_date", Date, primary_key=True),
    Column("kind", String(12), primary_key=True),  # a slot kind: nudge, weekly, steps... (slots.py)
    Column("action", String(12), nullable=False),  # what was sent: checkin / fatigue / ...
    Column("status", String(12), nullable=False),  # pending / sent / skipped / failed / ...
    Column("attempts", SmallInteger, nullable=False),
    Column("created_at", When, nullable=False),
    Column("sent_at", When),
    Index("ix_nudge_deliveries_local_date", "local_date"),
)

# Periods with nudges paused (/nudges "Pause"), kept after they end: those days neither count
# toward nor break a check-in streak. `until` is the first day not paused (as paused_until).
nudge_pauses = Table(
    "nudge_pauses",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    _owner(),
    Column("first_day", Date, nullable=False),
    Column("until", Date, nullable=False),
    Column("created_at", When, nullable=False),
    Index("ix_nudge_pauses_user_id", "user_id"),
)

# Tables owned by adapters are declared on this metadata too, so the migration check sees them.
# Last, because that module imports Id, When and metadata from here.
import adapters.discord.tables  # noqa: E402, F401
