"""Alembic, driven from code: every start applies pending migrations."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
_PG_MIGRATION_LOCK = 7_142_001  # advisory lock id: workers starting together migrate once


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})"))
    command.upgrade(alembic_config(connection), "head")


def pending(connection: Connection) -> list[str]:
    """Revisions not yet applied (for `coach db check`)."""
    script = ScriptDirectory.from_config(alembic_config())
    applied: set[str] = set()
    for head in MigrationContext.configure(connection).get_current_heads():
        applied |= {rev.revision for rev in script.iterate_revisions(head, "base")}
    return [rev.revision for rev in script.walk_revisions() if rev.revision not in applied]
