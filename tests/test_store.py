"""The schema the migrations build matches the tables the code declares."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from bot.store.schema import metadata


def _diff(connection) -> list:
    return compare_metadata(MigrationContext.configure(connection), metadata)


async def test_migrations_match_the_declared_schema(store) -> None:
    assert await store.run(_diff) == []


async def test_migrations_match_on_postgres(pg_url) -> None:
    from bot.store import Store

    store = await Store.open(pg_url)
    try:
        assert await store.run(_diff) == []
    finally:
        await store.close()
