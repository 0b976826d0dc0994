"""Alembic, driven from code: `coach` applies migrations on start."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
_PG_MIGRATION_LOCK = 7_142_001  # advisory lock id: workers starting together migrate once


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _upgrade(connection: Connection, url: str) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})"))
    config = alembic_config(url)
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def _pending(connection: Connection, url: str) -> list[str]:
    script = ScriptDirectory.from_config(alembic_config(url))
    applied: set[str] = set()
    for head in MigrationContext.configure(connection).get_current_heads():
        applied |= {rev.revision for rev in script.iterate_revisions(head, "base")}
    return [rev.revision for rev in script.walk_revisions() if rev.revision not in applied]


async def upgrade(engine: AsyncEngine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade, url)


async def pending(engine: AsyncEngine) -> list[str]:
    """Revisions not yet applied (for `coach db check`)."""
    url = engine.url.render_as_string(hide_password=False)
    async with engine.connect() as conn:
        return await conn.run_sync(_pending, url)
