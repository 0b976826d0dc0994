"""Where the store's SQL runs. Every store operation is a plain function over a SQLAlchemy
`Connection`, executed inside one transaction by a runner:

- SQLite: the stdlib driver on one dedicated thread, one hop per transaction. (SQLAlchemy's
  aiosqlite adapter makes three or four thread hops per statement; measured, a turn cost ten
  times a raw aiosqlite transaction.) One thread is also SQLite's one writer, so turns queue
  here instead of spinning on SQLITE_BUSY.
- PostgreSQL: asyncpg through SQLAlchemy's async engine, the same function via `run_sync`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.store.sealed import Sealer, attach

T = TypeVar("T")
Work = Callable[..., T]


class Runner(Protocol):
    dialect: str

    async def run(self, work: Work[T], *args: Any) -> T: ...

    async def close(self) -> None: ...


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (savepoints need it)
    cursor = dbapi_connection.cursor()
    # WAL + NORMAL: a killed process never loses a committed turn; readers never block.
    for pragma in (
        "journal_mode=WAL",
        "synchronous=NORMAL",
        "foreign_keys=ON",
        "busy_timeout=10000",
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


class SqliteRunner:
    """Group commit: work that queues up while a transaction runs goes into the next one.

    At low load every call gets its own transaction; under load one COMMIT serves many turns,
    and each caller still gets its result only after that COMMIT. If any work in a batch
    raises, the batch rolls back and each call is retried alone, so one failure stays its own.
    """

    dialect = "sqlite"

    def __init__(self, url: str) -> None:
        self.engine: Engine = create_engine(url, pool_size=1, max_overflow=0)
        event.listen(self.engine, "connect", _sqlite_connect)
        # IMMEDIATE takes the write lock up front, so a second process waits (busy_timeout)
        # instead of failing when a read turns into a write.
        event.listen(self.engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="sqlite")
        self._queue: list[tuple[Work[Any], tuple[Any, ...], asyncio.Future[Any]]] = []
        self._drainer: asyncio.Task[None] | None = None
        self._closed = False

    async def run(self, work: Work[T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[T] = loop.create_future()
        self._queue.append((work, args, done))
        if self._drainer is None:
            self._drainer = loop.create_task(self._drain())
        return await done

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._queue:
                batch, self._queue = self._queue, []
                try:
                    results = await loop.run_in_executor(self._thread, self._batch, batch)
                except Exception as exc:
                    results = [exc] * len(batch)
                for (_, _, done), result in zip(batch, results, strict=True):
                    if done.done():  # the caller was cancelled
                        continue
                    if isinstance(result, Exception):
                        done.set_exception(result)
                    else:
                        done.set_result(result)
        finally:
            self._drainer = None

    def _batch(self, batch: list[tuple[Work[Any], tuple[Any, ...], Any]]) -> list[Any]:
        try:
            with self.engine.begin() as conn:
                return [work(conn, *args) for work, args, _ in batch]
        except Exception:
            if len(batch) == 1:
                raise
        return [self._alone(work, args) for work, args, _ in batch]

    def _alone(self, work: Work[Any], args: tuple[Any, ...]) -> Any:
        try:
            with self.engine.begin() as conn:
                return work(conn, *args)
        except Exception as exc:
            return exc

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            await asyncio.get_running_loop().run_in_executor(self._thread, self.engine.dispose)
            self._thread.shutdown(wait=True)


class PostgresRunner:
    dialect = "postgresql"

    def __init__(self, url: str) -> None:
        self.engine: AsyncEngine = create_async_engine(
            url, pool_size=10, max_overflow=10, pool_pre_ping=True
        )

    async def run(self, work: Work[T], *args: Any) -> T:
        async with self.engine.begin() as conn:
            return await conn.run_sync(work, *args)

    async def close(self) -> None:
        await self.engine.dispose()


def runner_for(url: str, sealer: Sealer | None = None) -> Runner:
    """A runner for `url`; with a sealer, free-text columns are encrypted at rest."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        runner: Runner = SqliteRunner(str(parsed.set(drivername="sqlite+pysqlite")))
        attach(runner.engine.dialect, sealer)  # type: ignore[attr-defined]
        return runner
    runner = PostgresRunner(url)
    attach(runner.engine.sync_engine.dialect, sealer)  # type: ignore[attr-defined]
    return runner


__all__ = ["Connection", "PostgresRunner", "Runner", "SqliteRunner", "runner_for"]
