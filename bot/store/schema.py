"""Tables. Every table holding user data carries user_id (ON DELETE CASCADE), so export and
delete are complete by construction. Changes go through an Alembic migration as well."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

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
    UniqueConstraint("platform", "external_id"),
)

sessions = Table(
    "sessions",
    metadata,
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("dialog", String(32)),  # NULL: between flows
    Column("state", String(48)),
    Column("data", Text, nullable=False),  # JSON object
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
    Column("text", Text, nullable=False),
    Column("created_at", When, nullable=False),
    Index("ix_journal_user_id", "user_id", "created_at"),
)

problems = Table(
    "problems",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    _owner(),
    Column("title", Text, nullable=False),
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
    Column("text", Text, nullable=False),
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
)

moods = Table(
    "moods",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    _owner(),
    Column("mood", Integer, nullable=False),  # 1-5
    Column("note", Text),
    Column("created_at", When, nullable=False),
    Index("ix_moods_user_id", "user_id", "created_at"),
)

goals = Table(  # "one thing today" from a check-in
    "goals",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    _owner(),
    Column("text", Text, nullable=False),
    Column("created_at", When, nullable=False),
    Column("outcome", String(16)),  # done / partly / not, from the evening follow-up
    Index("ix_goals_user_id", "user_id", "created_at"),
)

predictions = Table(  # the prediction ledger: a feared outcome and when to check it
    "predictions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    _owner(),
    Column("fear", Text, nullable=False),
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
    Column("text", Text, nullable=False),
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
    Column("person", Text, nullable=False),
    Column("message", Text, nullable=False),
    Column("created_at", When, nullable=False),
    Column("outcome", String(16)),  # well / not_yet / hard
    Index("ix_outreach_user_id", "user_id"),
)

# Tables owned by adapters are declared on this metadata too, so the migration check sees them.
# Last, because that module imports Id, When and metadata from here.
import adapters.discord.tables  # noqa: E402, F401
