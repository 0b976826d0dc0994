"""Turn benchmark on PostgreSQL: the engine in one process vs a floor measured in the same run.

The same two phases as benchmarks/turns.py (200 concurrent conversations; throughput with each
conversation sending its next message as soon as it has the answer; latency under a steady
random load at half the floor's throughput), on a fresh database on the server at --url
(default: $TEST_POSTGRES_URL, else the local server's `test` database).

Floor: raw asyncpg (a pool of 10 connections, like the store's) doing the same writes per turn
in one transaction: insert the update id, version-checked session update, one journal row.
Prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from turns import measure, pct

from bot import safety
from bot.config import DATA_DIR
from bot.engine import Engine
from bot.store import Store
from bot.texts import Texts
from bot.types import ConversationKey, Inbound
from dialogs import catalog

Turn = Callable[[int, int], Awaitable[None]]
DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def plain(url: str) -> str:
    return url.replace("+asyncpg", "")


async def floor_turns(url: str, users: int) -> tuple[Turn, Callable[[], Awaitable[None]]]:
    pool = await asyncpg.create_pool(plain(url), min_size=10, max_size=10)
    await pool.execute(
        """
        CREATE TABLE inbound (platform TEXT, update_id TEXT, user_id INT, created_at FLOAT8,
                              PRIMARY KEY (platform, update_id));
        CREATE TABLE sessions (user_id INTEGER PRIMARY KEY, dialog TEXT, state TEXT, data TEXT,
                               version INT, updated_at FLOAT8);
        CREATE TABLE journal (id SERIAL PRIMARY KEY, user_id INT, flow TEXT, field TEXT,
                              text TEXT, created_at FLOAT8);
        """
    )
    await pool.executemany(
        "INSERT INTO sessions VALUES ($1, 'reframe', 'situation', '{}', 1, 0)",
        [(u,) for u in range(users)],
    )
    versions = dict.fromkeys(range(users), 1)

    async def turn(user: int, n: int) -> None:
        stamp = time.time()
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "INSERT INTO inbound VALUES ('bench', $1, $2, $3)", f"{user}-{n}", user, stamp
            )
            data = json.dumps({"situation": f"message {n}"})
            status = await conn.execute(
                "UPDATE sessions SET state = $1, data = $2, version = $3, updated_at = $4"
                " WHERE user_id = $5 AND version = $6",
                "outside",
                data,
                versions[user] + 1,
                stamp,
                user,
                versions[user],
            )
            assert status == "UPDATE 1"
            await conn.execute(
                "INSERT INTO journal (user_id, flow, field, text, created_at)"
                " VALUES ($1, 'reframe', 'situation', $2, $3)",
                user,
                f"message {n}",
                stamp,
            )
        versions[user] += 1

    return turn, pool.close


async def engine_turns(url: str, users: int) -> tuple[Turn, Callable[[], Awaitable[None]]]:
    store = await Store.open(url)
    # The whole turn path as deployed: the crisis check runs on every message.
    engine = Engine(store, Texts.load(DATA_DIR / "texts"), catalog(), safety=safety.assess)
    keys = [ConversationKey("bench", str(u), str(u)) for u in range(users)]
    for key in keys:  # everyone sits in a flow that stores each answer
        await engine.handle(Inbound.command(key, "steps"))
        await engine.handle(Inbound.text(key, "A big problem"))

    async def turn(user: int, n: int) -> None:
        replies = await engine.handle(Inbound.text(keys[user], f"step {n}", update_id=f"{n}"))
        assert replies

    return turn, store.close


async def fresh_database(server: str) -> tuple[str, Callable[[], Awaitable[None]]]:
    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(plain(server))
    await admin.execute(f'CREATE DATABASE "{name}"')

    async def drop() -> None:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()

    return server.rsplit("/", 1)[0] + "/" + name, drop


async def main(server: str, users: int, per_user: int) -> None:
    results = {}
    rate = None
    for label, make in (("floor", floor_turns), ("engine", engine_turns)):
        url, drop = await fresh_database(server)
        try:
            results[label] = await measure_url(label, make, url, users, per_user, rate)
        finally:
            await drop()
        rate = rate or results["floor"][0] / 2
    print(f"PostgreSQL, conversations: {users}, turns each: {per_user}, steady: {rate:.0f}/s")
    print(f"{'':8}{'turns/s':>10}{'p50 ms':>9}{'p99 ms':>9}")
    for label, (tp, lat) in results.items():
        print(f"{label:8}{tp:10.0f}{pct(lat, 50):9.2f}{pct(lat, 99):9.2f}")
    ratio = results["engine"][0] / results["floor"][0]
    print(f"engine / floor throughput: {ratio:.2f}")


async def measure_url(
    label: str, make: Callable, url: str, users: int, per_user: int, rate: float | None
) -> tuple[float, list[float]]:
    class Folder:  # measure() asks for folder / f"{name}.db"; hand it the URL instead
        def __truediv__(self, _name: str) -> str:
            return url

    return await measure(label, make, Folder(), users, per_user, rate)  # type: ignore[arg-type]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("TEST_POSTGRES_URL", DEFAULT_URL))
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--turns", type=int, default=15, help="turns per conversation")
    options = parser.parse_args()
    asyncio.run(main(options.url, options.users, options.turns))
