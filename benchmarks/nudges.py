"""Nudge benchmark: the scheduler's sweep on a SQLite file. Prints figures; asserts nothing.

Phases (each in its own process, so peak RSS is the phase's own):
  dispatch   100,000 subscriptions due at once: claim + engine turn + send to a null sender +
             record, in messages per second (target >= 2,000/s);
  floor      the same 100,000 engine turns with no scheduler around them (the ceiling);
  telegram   the same path through the Telegram rate limiter (30 msg/s overall, 1/s per chat)
             into a stand-in that answers 429 to anything over those limits: the sustained
             rate as a share of 30 msg/s (target >= 95 %, zero 429s);
  memory     1,000,000 subscriptions in the table, all due: peak RSS of a process sweeping
             them (target < 150 MB; batches stream, so it stays flat), sampled as it goes.

    .venv/bin/python benchmarks/nudges.py [--due 100000] [--table 1000000] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app import build_engine
from bot.config import load_settings
from bot.delivery import NullSender, Outcome, PacedSender
from bot.ratelimit import TELEGRAM, RateLimiter
from bot.scheduler.sweep import Sweep, SweepConfig
from bot.scheduler.worker import settle_heap
from bot.store import Store
from bot.types import ConversationKey, Inbound, Reply

PLATFORM = "bench"
SEED_CHUNK = 50_000


def _rows(first: int, count: int, due: datetime) -> Iterator[tuple[tuple, tuple]]:
    stamp = due.strftime("%Y-%m-%d %H:%M:%S.%f")
    day = due.date().isoformat()
    for uid in range(first, first + count):
        user = (uid, PLATFORM, f"u{uid}", f"c{uid}", stamp)  # + a session: they used /nudges
        sub = (uid, PLATFORM, "UTC", due.hour * 60 + due.minute, stamp, stamp, day, stamp, stamp)
        yield user, sub


def _seed_chunk(conn, first: int, count: int, due: datetime) -> None:  # type: ignore[no-untyped-def]
    pairs = list(_rows(first, count, due))
    conn.exec_driver_sql(
        "INSERT INTO users (id, platform, external_id, chat_id, created_at) VALUES (?,?,?,?,?)",
        [u for u, _ in pairs],
    )
    conn.exec_driver_sql(
        "INSERT INTO nudge_subscriptions (user_id, platform, status, zone, at_minute,"
        " evening_minute, weekdays_only, every, checked_until, unanswered, next_due_at,"
        " next_kind, next_on, attempts, created_at, updated_at)"
        " VALUES (?, ?, 'on', ?, ?, NULL, 0, 1, ?, 0, ?, 'nudge', ?, 0, ?, ?)",
        [s for _, s in pairs],
    )
    conn.exec_driver_sql(
        "INSERT INTO sessions (user_id, dialog, state, data, version, updated_at)"
        " VALUES (?, NULL, NULL, '{}', 1, ?)",
        [(u[0], u[4]) for u, _ in pairs],
    )


async def seed(url: str, count: int, due: datetime) -> None:
    store = await Store.open(url)
    try:
        for first in range(1, count + 1, SEED_CHUNK):
            await store.run(_seed_chunk, first, min(SEED_CHUNK, count - first + 1), due)
    finally:
        await store.close()


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _sweeper(url: str, senders: dict, config: SweepConfig, now: datetime) -> tuple:
    settings = load_settings(database_url=url)
    store = await Store.open(url)
    engine = build_engine(settings, store)
    settle_heap()  # as `coach run --worker` does before its first sweep
    return store, Sweep(store, engine, senders, config, clock=lambda: now + timedelta(seconds=1))


# --- phases -------------------------------------------------------------------------------


async def dispatch(url: str, due: datetime) -> dict:
    sender = NullSender(PLATFORM)
    store, sweep = await _sweeper(url, {PLATFORM: sender}, SweepConfig(), due)
    started = time.perf_counter()
    stats = await sweep.run()
    elapsed = time.perf_counter() - started
    await store.close()
    return {
        "messages": sender.messages,
        "seconds": round(elapsed, 2),
        "per_second": round(sender.messages / elapsed),
        "stats": stats.__dict__,
        "peak_rss_mb": round(rss_mb(), 1),
    }


async def floor(url: str, due: datetime) -> dict:
    """The same engine turns with no scheduler around them: what a sweep cannot beat."""
    store = await Store.open(url)
    engine = build_engine(load_settings(database_url=url), store)
    settle_heap()
    users = iter(range(1, 10**9))
    count = await store.run(
        lambda conn: conn.exec_driver_sql("SELECT count(*) FROM users").scalar()
    )

    async def turns() -> None:
        for uid in users:
            if uid > count:
                return
            key = ConversationKey(PLATFORM, f"c{uid}", f"u{uid}")
            arg = f"nudge:{due.date().isoformat()}"
            await engine.handle(
                Inbound.command(key, "checkin", arg, interrupt=True, update_id=f"f{uid}")
            )

    started = time.perf_counter()
    await asyncio.gather(*(turns() for _ in range(SweepConfig().concurrency)))
    elapsed = time.perf_counter() - started
    await store.close()
    return {"turns": count, "seconds": round(elapsed, 2), "per_second": round(count / elapsed)}


class FakeTelegram:
    """Answers 429 when a message would exceed 30 in any 1 s window, or 1 per chat per s."""

    def __init__(self) -> None:
        self.times: collections.deque[float] = collections.deque()
        self.last: dict[str, float] = {}
        self.accepted = 0
        self.too_many = 0

    async def send_one(self, key: ConversationKey, reply: Reply) -> Outcome:
        now = time.monotonic()
        while self.times and self.times[0] <= now - 1.0:
            self.times.popleft()
        if len(self.times) >= 30 or now - self.last.get(key.chat_id, -9.0) < 1.0:
            self.too_many += 1
            return Outcome.RETRY
        self.times.append(now)
        self.last[key.chat_id] = now
        self.accepted += 1
        return Outcome.SENT


async def telegram(url: str, due: datetime, seconds: float) -> dict:
    api = FakeTelegram()
    sender = PacedSender(PLATFORM, api.send_one, RateLimiter(TELEGRAM))
    config = SweepConfig(batch=100, concurrency=100)
    store, sweep = await _sweeper(url, {PLATFORM: sender}, config, due)
    stop = asyncio.Event()
    started = time.monotonic()
    run = asyncio.create_task(sweep.run(stop))
    await asyncio.sleep(seconds)
    elapsed = time.monotonic() - started
    accepted = api.accepted  # counted at the deadline; the batch in hand is then let finish
    stop.set()
    await run
    await store.close()
    rate = accepted / elapsed
    return {
        "seconds": round(elapsed, 2),
        "accepted": accepted,
        "per_second": round(rate, 2),
        "share_of_30": f"{rate / 30:.1%}",
        "answered_429": api.too_many,
    }


def current_rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    return 0.0


async def memory(url: str, due: datetime, seconds: float) -> dict:
    sender = NullSender(PLATFORM)
    store, sweep = await _sweeper(url, {PLATFORM: sender}, SweepConfig(), due)
    started_at = current_rss_mb()  # imports, texts, dialogs: before any row is read
    stop = asyncio.Event()
    samples: list[tuple[int, float]] = []
    run = asyncio.create_task(sweep.run(stop))
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not run.done():
        await asyncio.sleep(seconds / 10)
        samples.append((sender.messages, current_rss_mb()))
    stop.set()
    await run
    await store.close()
    return {
        "swept": sender.messages,
        "rss_before_sweeping_mb": started_at,
        "rss_samples_mb": samples,
        "peak_rss_mb": round(rss_mb(), 1),
    }


# --- driver -------------------------------------------------------------------------------


def _child(phase: str, url: str, due: datetime, seconds: float) -> dict:
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--phase",
            phase,
            "--url",
            url,
            "--due-at",
            due.isoformat(),
            "--seconds",
            str(seconds),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--due", type=int, default=100_000)
    parser.add_argument("--table", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--phase", choices=("dispatch", "floor", "telegram", "memory"))
    parser.add_argument("--url")
    parser.add_argument("--due-at")
    args = parser.parse_args()
    if args.phase:  # inside a child process
        due = datetime.fromisoformat(args.due_at)
        work = {
            "dispatch": lambda: dispatch(args.url, due),
            "floor": lambda: floor(args.url, due),
            "telegram": lambda: telegram(args.url, due, args.seconds),
            "memory": lambda: memory(args.url, due, args.seconds * 3),
        }[args.phase]
        print(json.dumps(asyncio.run(work())))
        return
    due = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    with tempfile.TemporaryDirectory() as tmp:
        small = f"sqlite:///{Path(tmp) / 'due.db'}"
        asyncio.run(seed(small, args.due, due))
        swept = _child("dispatch", small, due, 0)
        print(f"dispatch, {args.due:,} due:", json.dumps(swept))
        bare = f"sqlite:///{Path(tmp) / 'floor.db'}"
        asyncio.run(seed(bare, args.due, due))
        alone = _child("floor", bare, due, 0)
        print("floor, engine turns alone:", json.dumps(alone))
        print(f"sweep / floor: {swept['per_second'] / alone['per_second']:.2f}")
        limited = f"sqlite:///{Path(tmp) / 'limited.db'}"
        asyncio.run(seed(limited, 2_000, due))
        print("telegram limiter:", json.dumps(_child("telegram", limited, due, args.seconds)))
        big = f"sqlite:///{Path(tmp) / 'big.db'}"
        started = time.perf_counter()
        asyncio.run(seed(big, args.table, due))
        print(f"seeded {args.table:,} subscriptions in {time.perf_counter() - started:.0f} s")
        print(
            f"memory, {args.table:,} in the table:",
            json.dumps(_child("memory", big, due, args.seconds)),
        )


if __name__ == "__main__":
    main()
