"""The storage interface the engine needs, on SQLAlchemy 2 async (SQLite or PostgreSQL)."""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import singledispatchmethod
from typing import Any

from sqlalchemy import event, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from bot.effects import Effect, Journal, NewProblem, ProblemDone, StepDone
from bot.store import migrate
from bot.store.schema import inbound, journal, problems, sessions, steps, users
from bot.types import ConversationKey


def now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class UserRecord:
    id: int
    locale: str | None
    timezone: str | None


@dataclass(frozen=True)
class SessionRecord:
    """Where a conversation stands: dialog and state by name, JSON-only data."""

    dialog: str | None
    state: str | None
    data: dict[str, Any] = field(default_factory=dict)
    version: int = 0  # 0: never stored


@dataclass(frozen=True)
class StepRecord:
    id: int
    problem_id: int
    problem: str
    text: str


class Commit(enum.Enum):
    SAVED = "saved"
    CONFLICT = "conflict"  # another worker advanced the session first: reload and retry
    DUPLICATE = "duplicate"  # this platform update was handled before


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL + NORMAL survives a killed process without losing a committed turn
    for pragma in (
        "journal_mode=WAL",
        "synchronous=NORMAL",
        "foreign_keys=ON",
        "busy_timeout=10000",
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def create_engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        # One connection per process: SQLite has one writer, and queueing in the pool is fairer
        # and faster than SQLITE_BUSY back-off between our own connections.
        engine = create_async_engine(url, pool_size=1, max_overflow=0, pool_timeout=60)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)


class Store:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        dialect = sqlite if engine.dialect.name == "sqlite" else postgresql
        self._upsert = dialect.insert

    @classmethod
    async def open(cls, url: str) -> Store:
        engine = create_engine(url)
        await migrate.upgrade(engine)
        return cls(engine)

    async def close(self) -> None:
        await self.engine.dispose()

    async def user(self, key: ConversationKey, locale: str | None = None) -> UserRecord:
        """The user behind a platform identity, created on first contact."""
        async with self.engine.begin() as conn:
            row = await self._find_user(conn, key)
            if row is None:
                await conn.execute(
                    self._upsert(users)
                    .values(
                        platform=key.platform,
                        external_id=key.user_id,
                        chat_id=key.chat_id,
                        locale=locale,
                        created_at=now(),
                    )
                    .on_conflict_do_nothing()
                )
                row = await self._find_user(conn, key)
            elif row.chat_id != key.chat_id:
                await conn.execute(
                    update(users).where(users.c.id == row.id).values(chat_id=key.chat_id)
                )
        assert row is not None
        return UserRecord(row.id, row.locale, row.timezone)

    @staticmethod
    async def _find_user(conn: AsyncConnection, key: ConversationKey) -> Any:
        query = select(users.c.id, users.c.chat_id, users.c.locale, users.c.timezone).where(
            users.c.platform == key.platform, users.c.external_id == key.user_id
        )
        return (await conn.execute(query)).first()

    async def mark_unreachable(self, platform: str, external_id: str) -> None:
        """The platform refused delivery (user blocked the bot, DMs closed)."""
        async with self.engine.begin() as conn:
            await conn.execute(
                update(users)
                .where(users.c.platform == platform, users.c.external_id == external_id)
                .values(unreachable_at=now())
            )

    async def unreachable(self, platform: str, external_id: str) -> bool:
        async with self.engine.connect() as conn:
            query = select(users.c.unreachable_at).where(
                users.c.platform == platform, users.c.external_id == external_id
            )
            return (await conn.execute(query)).scalar() is not None

    async def session(self, user_id: int) -> SessionRecord:
        async with self.engine.connect() as conn:
            query = select(sessions).where(sessions.c.user_id == user_id)
            row = (await conn.execute(query)).first()
        if row is None:
            return SessionRecord(None, None)
        return SessionRecord(row.dialog, row.state, json.loads(row.data), row.version)

    async def seen(self, platform: str, update_id: str) -> bool:
        async with self.engine.connect() as conn:
            query = select(inbound.c.user_id).where(
                inbound.c.platform == platform, inbound.c.update_id == update_id
            )
            return (await conn.execute(query)).first() is not None

    async def open_steps(self, user_id: int) -> list[StepRecord]:
        query = (
            select(steps.c.id, steps.c.problem_id, problems.c.title, steps.c.text)
            .join(problems, problems.c.id == steps.c.problem_id)
            .where(steps.c.user_id == user_id, steps.c.done_at.is_(None))
            .order_by(steps.c.problem_id, steps.c.position)
        )
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [StepRecord(r.id, r.problem_id, r.title, r.text) for r in rows]

    async def commit(
        self,
        user_id: int,
        expected_version: int,
        new: SessionRecord,
        effects: list[Effect],
        update: tuple[str, str] | None = None,
    ) -> Commit:
        """Save one turn atomically: the processed update id, the session and its effects."""
        async with self.engine.connect() as conn:
            try:
                if update is not None:
                    await conn.execute(
                        insert(inbound).values(
                            platform=update[0],
                            update_id=update[1],
                            user_id=user_id,
                            created_at=now(),
                        )
                    )
            except IntegrityError:
                await conn.rollback()
                return Commit.DUPLICATE
            if not await self._save_session(conn, user_id, expected_version, new):
                await conn.rollback()
                return Commit.CONFLICT
            for effect in effects:
                await self._apply(effect, conn, user_id)
            await conn.commit()
        return Commit.SAVED

    async def _save_session(
        self, conn: AsyncConnection, user_id: int, expected: int, new: SessionRecord
    ) -> bool:
        values = dict(
            dialog=new.dialog,
            state=new.state,
            data=json.dumps(new.data),
            version=expected + 1,
            updated_at=now(),
        )
        if expected == 0:
            result = await conn.execute(
                self._upsert(sessions).values(user_id=user_id, **values).on_conflict_do_nothing()
            )
        else:
            result = await conn.execute(
                update(sessions)
                .where(sessions.c.user_id == user_id, sessions.c.version == expected)
                .values(**values)
            )
        return result.rowcount == 1

    @singledispatchmethod
    async def _apply(self, effect: Effect, conn: AsyncConnection, user_id: int) -> None:
        raise TypeError(f"unknown effect {effect!r}")

    @_apply.register
    async def _(self, effect: Journal, conn: AsyncConnection, user_id: int) -> None:
        await conn.execute(
            insert(journal).values(
                user_id=user_id,
                flow=effect.flow,
                field=effect.field,
                text=effect.text,
                created_at=now(),
            )
        )

    @_apply.register
    async def _(self, effect: NewProblem, conn: AsyncConnection, user_id: int) -> None:
        stamp = now()
        result = await conn.execute(
            insert(problems)
            .values(user_id=user_id, title=effect.title, created_at=stamp)
            .returning(problems.c.id)
        )
        problem_id = result.scalar_one()
        await conn.execute(
            insert(steps),
            [
                dict(
                    user_id=user_id, problem_id=problem_id, position=i, text=text, created_at=stamp
                )
                for i, text in enumerate(effect.steps)
            ],
        )

    @_apply.register
    async def _(self, effect: StepDone, conn: AsyncConnection, user_id: int) -> None:
        await conn.execute(
            update(steps)
            .where(
                steps.c.id == effect.step_id, steps.c.user_id == user_id, steps.c.done_at.is_(None)
            )
            .values(done_at=now())
        )

    @_apply.register
    async def _(self, effect: ProblemDone, conn: AsyncConnection, user_id: int) -> None:
        await conn.execute(
            update(problems)
            .where(problems.c.id == effect.problem_id, problems.c.user_id == user_id)
            .values(done_at=now())
        )
