"""Reads and writes on the adapter's own tables (see tables.py), run through the core
store's runner: plain functions over a Connection, one transaction each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from adapters.discord.tables import command_syncs, tally_channels, tally_members
from bot.store import Store
from bot.store.schema import moods, steps, users

WEEK = timedelta(days=7)


def now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Tally:
    members: int  # opted-in members of the server
    steps: int  # small steps they finished in the week
    checkins: int | None = None


def _insert(conn: Connection) -> Any:
    return (sqlite if conn.dialect.name == "sqlite" else postgresql).insert


class Records:
    def __init__(self, store: Store) -> None:
        self.store = store

    # --- command sync ---------------------------------------------------------------------

    async def synced_digest(self, scope: str) -> str | None:
        query = select(command_syncs.c.digest).where(command_syncs.c.scope == scope)
        return await self.store.run(lambda conn: conn.execute(query).scalar())

    async def save_digest(self, scope: str, digest: str) -> None:
        await self.store.run(_save_digest, scope, digest, now())

    # --- server tally ---------------------------------------------------------------------

    async def set_tally_channel(self, guild_id: str, channel_id: str) -> None:
        await self.store.run(_set_tally_channel, guild_id, channel_id, now())

    async def stop_tally(self, guild_id: str) -> bool:
        stmt = delete(tally_channels).where(tally_channels.c.guild_id == guild_id)
        return await self.store.run(lambda conn: conn.execute(stmt).rowcount > 0)

    async def tally_channel(self, guild_id: str) -> str | None:
        query = select(tally_channels.c.channel_id).where(tally_channels.c.guild_id == guild_id)
        return await self.store.run(lambda conn: conn.execute(query).scalar())

    async def claim_due_tallies(self, at: datetime | None = None) -> list[str]:
        """Servers whose tally is a week old (or a week since it was set up), claimed
        atomically: of several workers sweeping at once, one posts each tally."""
        return await self.store.run(_claim_due, at or now())

    async def mark_posted(self, guild_id: str) -> None:
        stmt = (
            update(tally_channels)
            .where(tally_channels.c.guild_id == guild_id)
            .values(posted_at=now())
        )
        await self.store.run(lambda conn: conn.execute(stmt))

    async def join_tally(self, guild_id: str, user_id: int) -> bool:
        """Count this member in the server's tally; False if they already were."""
        return await self.store.run(_join_tally, guild_id, user_id, now())

    async def leave_tally(self, guild_id: str, user_id: int) -> bool:
        stmt = delete(tally_members).where(
            tally_members.c.guild_id == guild_id, tally_members.c.user_id == user_id
        )
        return await self.store.run(lambda conn: conn.execute(stmt).rowcount > 0)

    async def tally_members(self, guild_id: str) -> list[tuple[int, str]]:
        """Who is counted in the server's tally: (our user id, their Discord id)."""
        query = (
            select(users.c.id, users.c.external_id)
            .join(tally_members, tally_members.c.user_id == users.c.id)
            .where(tally_members.c.guild_id == guild_id)
        )
        return await self.store.run(lambda conn: [tuple(r) for r in conn.execute(query)])

    async def tally(self, guild_id: str, until: datetime | None = None) -> Tally:
        """Opted-in members and the steps they finished in the week up to `until`."""
        return await self.store.run(_tally, guild_id, until or now())

    # --- reachability ---------------------------------------------------------------------


def _save_digest(conn: Connection, scope: str, digest: str, stamp: datetime) -> None:
    stmt = _insert(conn)(command_syncs).values(scope=scope, digest=digest, synced_at=stamp)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[command_syncs.c.scope], set_=dict(digest=digest, synced_at=stamp)
        )
    )


def _set_tally_channel(conn: Connection, guild_id: str, channel_id: str, stamp: datetime) -> None:
    stmt = _insert(conn)(tally_channels).values(
        guild_id=guild_id, channel_id=channel_id, created_at=stamp
    )
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[tally_channels.c.guild_id], set_=dict(channel_id=channel_id)
        )
    )


def _claim_due(conn: Connection, at: datetime) -> list[str]:
    last = func.coalesce(tally_channels.c.posted_at, tally_channels.c.created_at)
    due = list(conn.execute(select(tally_channels.c.guild_id).where(last <= at - WEEK)).scalars())
    claimed = []
    for guild_id in due:
        # conditional, so a worker that read the same row a moment earlier claims nothing
        stmt = (
            update(tally_channels)
            .where(tally_channels.c.guild_id == guild_id, last <= at - WEEK)
            .values(posted_at=at)
        )
        if conn.execute(stmt).rowcount:
            claimed.append(guild_id)
    return claimed


def _join_tally(conn: Connection, guild_id: str, user_id: int, stamp: datetime) -> bool:
    stmt = _insert(conn)(tally_members).values(guild_id=guild_id, user_id=user_id, joined_at=stamp)
    return conn.execute(stmt.on_conflict_do_nothing()).rowcount > 0


def _tally(conn: Connection, guild_id: str, until: datetime) -> Tally:
    members = select(tally_members.c.user_id).where(tally_members.c.guild_id == guild_id)
    n_members = conn.execute(select(func.count()).select_from(members.subquery())).scalar_one()
    done = (
        select(func.count(steps.c.id))
        .join(users, users.c.id == steps.c.user_id)
        .where(
            users.c.platform == "discord",
            steps.c.user_id.in_(members),
            steps.c.done_at > until - WEEK,
            steps.c.done_at <= until,
        )
    )
    checkins = select(func.count(moods.c.id)).where(
        moods.c.user_id.in_(members),
        moods.c.created_at > until - WEEK,
        moods.c.created_at <= until,
    )
    return Tally(n_members, conn.execute(done).scalar_one(), conn.execute(checkins).scalar_one())
