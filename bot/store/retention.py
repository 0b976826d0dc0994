"""Retention: journal entries older than the configured number of days are purged (the
scheduler does it, in small batches, with the ledger pruning). Off by default."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, select

from bot.store.schema import journal


def purge_journal(conn: Connection, before: datetime, limit: int) -> int:
    """Delete up to `limit` journal rows written before `before`; how many went."""
    old = select(journal.c.id).where(journal.c.created_at < before).limit(limit)
    ids = list(conn.execute(old).scalars())
    if ids:
        conn.execute(delete(journal).where(journal.c.id.in_(ids)))
    return len(ids)
