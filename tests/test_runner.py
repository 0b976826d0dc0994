"""Group commit on SQLite: turns queued together share a transaction, yet a failing one fails
alone and the others are still saved."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import Connection, event, text

from bot.store.runner import SqliteRunner


def create(conn: Connection) -> None:
    conn.exec_driver_sql("CREATE TABLE t (v TEXT)")


def add(conn: Connection, value: str) -> str:
    conn.execute(text("INSERT INTO t VALUES (:v)"), {"v": value})
    if value == "bad":
        raise ValueError("this turn fails")
    return value


def values(conn: Connection) -> list[str]:
    return sorted(conn.exec_driver_sql("SELECT v FROM t").scalars())


async def test_a_failing_turn_in_a_batch_fails_alone(tmp_path: Path) -> None:
    runner = SqliteRunner(f"sqlite+pysqlite:///{tmp_path / 'g.db'}")
    try:
        await runner.run(create)
        results = await asyncio.gather(
            *(runner.run(add, v) for v in ("a", "b", "bad", "c")), return_exceptions=True
        )
        assert results[:2] == ["a", "b"] and results[3] == "c"
        assert isinstance(results[2], ValueError)
        assert await runner.run(values) == ["a", "b", "c"]  # the failed turn left nothing
    finally:
        await runner.close()


async def test_many_turns_queue_into_few_transactions(tmp_path: Path) -> None:
    runner = SqliteRunner(f"sqlite+pysqlite:///{tmp_path / 'g.db'}")
    try:
        await runner.run(create)
        commits = 0

        def count(*_: object) -> None:
            nonlocal commits
            commits += 1

        event.listen(runner.engine, "commit", count)
        await asyncio.gather(*(runner.run(add, str(n)) for n in range(200)))
        assert len(await runner.run(values)) == 200
        assert commits < 200  # shared commits: the point of the queue
    finally:
        await runner.close()


async def test_closing_twice_is_harmless(tmp_path: Path) -> None:
    runner = SqliteRunner(f"sqlite+pysqlite:///{tmp_path / 'g.db'}")
    await runner.close()
    await runner.close()
