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
