"""Retention, run by the scheduler in small batches with the ledger pruning:
- journal entries older than JOURNAL_RETENTION_DAYS (off by default);
- processed update ids older than `INBOUND_KEEP`: platforms redeliver an update for a day at
  most (Telegram keeps unconfirmed updates 24 hours), so older ids only fill the disk.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, Table, delete, select, tuple_

from bot.store.schema import inbound, journal

INBOUND_KEEP = timedelta(days=7)


def purge_journal(conn: Connection, before: datetime, limit: int) -> int:
    """Delete up to `limit` journal rows written before `before`; how many went."""
    return _purge(conn, journal, before, limit)


def purge_inbound(conn: Connection, before: datetime, limit: int) -> int:
    """Forget up to `limit` update ids recorded before `before`; how many went."""
    return _purge(conn, inbound, before, limit)


def _purge(conn: Connection, table: Table, before: datetime, limit: int) -> int:
    key = list(table.primary_key.columns)
    old = conn.execute(select(*key).where(table.c.created_at < before).limit(limit)).all()
    if old:
        conn.execute(delete(table).where(tuple_(*key).in_([tuple(row) for row in old])))
    return len(old)
