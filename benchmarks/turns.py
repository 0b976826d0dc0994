"""Turn benchmark: the engine on a SQLite file vs a floor measured in the same run.

Floor: raw aiosqlite doing the same writes per turn (insert the update id, version-checked
session update, one journal row) in one transaction, on the same kind of file and pragmas.

Two phases, both with 200 concurrent conversations:
  throughput  every conversation sends its next message as soon as it has the answer;
  latency     messages arrive at random (Poisson) at half the floor's throughput, so the
              figures show a turn's cost under a steady load rather than queueing at saturation.
Prints ratios; it asserts nothing (see the issue's targets: >= 0.8 x floor, p99 < 20 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiosqlite

from bot import safety
from bot.config import DATA_DIR
from bot.engine import Engine
from bot.store import Store
from bot.texts import Texts
from bot.types import ConversationKey, Inbound
from dialogs import catalog

Turn = Callable[[int, int], Awaitable[None]]
PRAGMAS = ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=10000")


async def floor_turns(path: Path, users: int) -> tuple[Turn, Callable[[], Awaitable[None]]]:
    db = await aiosqlite.connect(path)
    for pragma in PRAGMAS:
        await db.execute(f"PRAGMA {pragma}")
    await db.executescript(
        """
        CREATE TABLE inbound (platform TEXT, update_id TEXT, user_id INT, created_at TEXT,
                              PRIMARY KEY (platform, update_id));
        CREATE TABLE sessions (user_id INTEGER PRIMARY KEY, dialog TEXT, state TEXT, data TEXT,
                               version INT, updated_at TEXT);
        CREATE TABLE journal (id INTEGER PRIMARY KEY, user_id INT, flow TEXT, field TEXT,
                              text TEXT, created_at TEXT);
        """
    )
    await db.executemany(
        "INSERT INTO sessions VALUES (?, 'reframe', 'situation', '{}', 1, '')",
        [(u,) for u in range(users)],
    )
    await db.commit()
    lock = asyncio.Lock()  # one connection, one writer: the same shape as the store's pool
    versions = dict.fromkeys(range(users), 1)

    async def turn(user: int, n: int) -> None:
        stamp = time.time()
        async with lock:
            await db.execute(
                "INSERT INTO inbound VALUES ('bench', ?, ?, ?)", (f"{user}-{n}", user, stamp)
            )
            data = json.dumps({"situation": f"message {n}"})
            cursor = await db.execute(
                "UPDATE sessions SET state = ?, data = ?, version = ?, updated_at = ?"
                " WHERE user_id = ? AND version = ?",
                ("outside", data, versions[user] + 1, stamp, user, versions[user]),
            )
            assert cursor.rowcount == 1
            await db.execute(
                "INSERT INTO journal (user_id, flow, field, text, created_at)"
                " VALUES (?, 'reframe', 'situation', ?, ?)",
                (user, f"message {n}", stamp),
            )
            await db.commit()
            versions[user] += 1

    return turn, db.close


def engine_turns(check: bool) -> Callable[[Path, int], Awaitable[tuple[Turn, Callable]]]:
    """The engine's turn; with `check`, the crisis check runs on every message, as deployed."""

    async def make(path: Path, users: int) -> tuple[Turn, Callable[[], Awaitable[None]]]:
        return await _engine_turns(path, users, safety.assess if check else None)

    return make


async def _engine_turns(
    path: Path, users: int, crisis_check: Callable | None
) -> tuple[Turn, Callable[[], Awaitable[None]]]:
    store = await Store.open(f"sqlite+aiosqlite:///{path}")
    engine = Engine(store, Texts.load(DATA_DIR / "texts"), catalog(), safety=crisis_check)
    keys = [ConversationKey("bench", str(u), str(u)) for u in range(users)]
    for key in keys:  # everyone sits in a flow that stores each answer
        await engine.handle(Inbound.command(key, "steps"))
        await engine.handle(Inbound.text(key, "A big problem"))

    async def turn(user: int, n: int) -> None:
        replies = await engine.handle(Inbound.text(keys[user], f"step {n}", update_id=f"{n}"))
        assert replies

    return turn, store.close


async def saturate(turn: Turn, users: int, per_user: int) -> tuple[float, list[float]]:
    latencies: list[float] = []

    async def conversation(user: int) -> None:
        for n in range(per_user):
            start = time.perf_counter()
            await turn(user, user * per_user + n)
            latencies.append(time.perf_counter() - start)

    start = time.perf_counter()
    await asyncio.gather(*(conversation(u) for u in range(users)))
    return users * per_user / (time.perf_counter() - start), latencies


async def steady(turn: Turn, users: int, rate: float, count: int, offset: int) -> list[float]:
    """Open loop: `count` messages at `rate`/s from random users, one in flight per user."""
    rng = random.Random(7)
    latencies: list[float] = []
    busy: dict[int, asyncio.Task] = {}

    async def one(user: int, n: int) -> None:
        start = time.perf_counter()
        await turn(user, n)
        latencies.append(time.perf_counter() - start)

    for n in range(count):
        await asyncio.sleep(rng.expovariate(rate))
        user = rng.randrange(users)
        if user in busy and not busy[user].done():
            await busy[user]
        busy[user] = asyncio.create_task(one(user, offset + n))
    await asyncio.gather(*busy.values())
    return latencies


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] * 1000 if len(values) > 1 else 0.0


async def measure(
    name: str, make: Callable, folder: Path, users: int, per_user: int, rate: float | None
) -> tuple[float, list[float]]:
    turn, close = await make(folder / f"{name}.db", users)
    try:
        throughput, _ = await saturate(turn, users, per_user)
        rate = rate or throughput / 2
        latencies = await steady(turn, users, rate, users * per_user // 2, 10**6)
    finally:
        await close()
    return throughput, latencies


async def main(users: int, per_user: int) -> None:
    safety.detector()  # load the crisis patterns before anything is timed
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        floor_tp, floor_lat = await measure("floor", floor_turns, folder, users, per_user, None)
        rate = floor_tp / 2
        rows = [("floor", floor_tp, floor_lat)]
        for label, check in (("engine", False), ("+ crisis", True)):
            tp, lat = await measure(label, engine_turns(check), folder, users, per_user, rate)
            rows.append((label, tp, lat))
    print(f"conversations: {users}, turns each: {per_user}, steady load: {rate:.0f} turns/s")
    print(f"{'':10}{'turns/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'x floor':>9}")
    for label, tp, lat in rows:
        print(f"{label:10}{tp:10.0f}{pct(lat, 50):9.2f}{pct(lat, 99):9.2f}{tp / floor_tp:9.2f}")
    print("targets: engine >= 0.80 x floor, p99 < 20 ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--turns", type=int, default=15, help="turns per conversation")
    options = parser.parse_args()
    asyncio.run(main(options.users, options.turns))
