"""Several real `coach run` processes against the Bot API stand-in.

- Two webhook workers on one PostgreSQL database take 500 interleaved updates from 50 users,
  each user's updates alternating between the workers (the stale-session case: every turn
  lands on the worker that did not handle the previous one). Every conversation advances
  exactly once per update, in order, and each 200 comes only after the turn's replies went out.
- A webhook worker refuses a wrong secret (403, no turn) and serves /healthz, /readyz and
  /metrics; the metrics move when a turn happens.
- A worker killed (SIGKILL) after committing a turn but before answering 200: Telegram's
  redelivery to a fresh worker is answered and not applied a second time. Likewise a poller
  killed mid-batch: the batch comes again, the committed turn is not repeated, the other runs.
- A second poller of the same token refuses to start and names the first; once the first is
  gone (stopped, or killed on PostgreSQL), a new one starts.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import sys
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from prometheus_client.parser import text_string_to_metric_families
from telegram import Update

from adapters.telegram import translate
from adapters.telegram.render import render
from bot.config import DATA_DIR
from bot.store import Store
from bot.texts import Texts
from tests.conftest import make_engine
from tests.telegram.harness import TOKEN
from tests.telegram.standin import BotAPI, Person, telegram_html
from tests.telegram.test_telegram_lifecycle import free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SECRET = "s3cret_for-the-scaling-tests"
HOOK_URL = "https://coach.example.org/tg/hook"
USERS, UPDATES_EACH = 50, 10
# Ten updates per user: the steps flow from a big problem to a saved plan, then two commands.
SCRIPT = (
    "/steps",
    "Exams are coming",
    "step one",
    "step two",
    "step three",
    "step four",
    "step five",
    "step one",  # picks the first step: the plan is saved
    "/steps",
    "/menu",
)
JOURNAL = [("problem", "Exams are coming")] + [
    ("step", f"step {n}") for n in ("one", "two", "three", "four", "five")
]
assert len(SCRIPT) == UPDATES_EACH


# --- processes ---------------------------------------------------------------------------------


class Coach:
    """One `coach run` process, its log in a file (a full pipe would stall it)."""

    def __init__(self, process: asyncio.subprocess.Process, log: Path, ops_port: int) -> None:
        self.process, self.log, self.ops = process, log, f"http://127.0.0.1:{ops_port}"

    @classmethod
    async def start(
        cls, api: BotAPI, folder: Path, name: str, env: dict[str, str], *args: str
    ) -> Coach:
        ops_port = free_port()
        base = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DISCORD_"))}
        base |= {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_BASE_URL": api.base_url,
            "TELEGRAM_POLL_TIMEOUT": "1",
            "OPS_PORT": str(ops_port),
            "LOG_LEVEL": "INFO",
        }
        log = folder / f"{name}.log"
        with log.open("wb") as out:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                *args,
                env=base | env,
                cwd=folder,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                start_new_session=True,
            )
        return cls(process, log, ops_port)

    @property
    def output(self) -> str:
        return self.log.read_text(errors="replace")

    async def wait_ready(self, within: float = 30) -> None:
        deadline = time.monotonic() + within
        async with aiohttp.ClientSession() as http:
            while True:
                assert self.process.returncode is None, f"exited early:\n{self.output[-3000:]}"
                try:
                    async with http.get(f"{self.ops}/readyz") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientConnectionError:
                    pass
                assert time.monotonic() < deadline, f"never ready:\n{self.output[-3000:]}"
                await asyncio.sleep(0.1)

    async def get(self, path: str) -> tuple[int, str]:
        async with aiohttp.ClientSession() as http, http.get(self.ops + path) as response:
            return response.status, await response.text()

    async def stop(self, sig: int = signal.SIGTERM, within: float = 20) -> int:
        if self.process.returncode is None:
            self.process.send_signal(sig)
        return await asyncio.wait_for(self.process.wait(), within)


@pytest.fixture
async def coaches() -> AsyncIterator[list[Coach]]:
    started: list[Coach] = []
    yield started
    for coach in started:
        if coach.process.returncode is None:
            coach.process.kill()
            await coach.process.wait()


def webhook_env(database_url: str, port: int) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "TELEGRAM_MODE": "webhook",
        "TELEGRAM_WEBHOOK_URL": HOOK_URL,
        "TELEGRAM_WEBHOOK_LISTEN": "127.0.0.1",
        "TELEGRAM_WEBHOOK_PORT": str(port),
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
    }


def update_for(api: BotAPI, user: Person, text: str) -> dict[str, Any]:
    content: dict[str, Any] = {"text": text}
    if text.startswith("/"):
        content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
    message = api.new_message(user.private_chat(), user.as_user(), **content)
    return {"update_id": next(api._ids), "message": message}


async def post(http: aiohttp.ClientSession, url: str, update: dict, secret: str | None) -> int:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    async with http.post(url, json=update, headers=headers) as response:
        return response.status


def metric(text: str, name: str, **labels: str) -> float:
    """Sum of the samples called `name` whose labels include `labels`."""
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and labels.items() <= sample.labels.items():
                total += sample.value
    return total


async def expected_replies() -> list[list[str]]:
    """What one user sees for each update of SCRIPT: the same adapter code (translate, engine,
    render, Telegram's HTML parsing) run in this process on a scratch database."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        store = await Store.open(f"sqlite:///{folder}/reference.db")
        try:
            engine = make_engine(store, Texts.load(DATA_DIR / "texts"))
            api, person = BotAPI(TOKEN), Person(1)
            out = []
            for text in SCRIPT:
                update = Update.de_json(update_for(api, person, text), None)
                inbound = translate.private_text(update, api.username)
                assert inbound is not None
                replies = await engine.handle(inbound)
                out.append([telegram_html(o.html) for o in render(replies)])
            return out
        finally:
            await store.close()


# --- two webhook workers on PostgreSQL ---------------------------------------------------------


@pytest.mark.postgres
async def test_two_webhook_workers_apply_every_update_exactly_once_in_order(
    api: BotAPI, pg_url: str, tmp_path: Path, coaches: list[Coach]
) -> None:
    reference = await expected_replies()
    ports = [free_port(), free_port()]
    for n, port in enumerate(ports):
        env = webhook_env(pg_url, port)
        coaches.append(await Coach.start(api, tmp_path, f"worker{n}", env, "--only", "telegram"))
    await asyncio.gather(*(c.wait_ready() for c in coaches))
    assert api.webhook["url"] == HOOK_URL and api.webhook["secret_token"] == SECRET

    hooks = [f"http://127.0.0.1:{port}/tg/hook" for port in ports]
    people = [Person(600_000 + u, f"User{u}") for u in range(USERS)]
    handled_by: Counter[int] = Counter()
    last: dict[int, dict[str, Any]] = {}
    started = time.monotonic()

    async def conversation(u: int, http: aiohttp.ClientSession) -> None:
        person = people[u]
        shown = 0
        for k, text in enumerate(SCRIPT):
            worker = (u + k) % 2  # consecutive updates of one user go to different workers
            update = update_for(api, person, text)
            status = await post(http, hooks[worker], update, SECRET)
            assert status == 200, f"user {u} update {k}: {status}"
            handled_by[worker] += 1
            last[u] = update
            # Answered only after the turn: its replies have already reached "Telegram".
            shown += len(reference[k])
            sent = [m for m in api.sent if m["chat"]["id"] == person.id]
            assert len(sent) == shown, f"user {u} update {k}: 200 before the replies were sent"

    async with aiohttp.ClientSession() as http:
        await asyncio.gather(*(conversation(u, http) for u in range(USERS)))
        elapsed = time.monotonic() - started
        # Telegram redelivers an update whose 200 got lost: every worker answers it, once.
        redelivered = [
            post(http, hooks[(u + UPDATES_EACH) % 2], last[u], SECRET) for u in range(USERS)
        ]
        assert set(await asyncio.gather(*redelivered)) == {200}
    total = USERS * UPDATES_EACH
    print(f"\n{total} updates through 2 webhook workers in {elapsed:.1f} s")
    assert handled_by == {0: total // 2, 1: total // 2}

    # What each user saw: exactly the single-process conversation, message for message.
    by_chat: dict[int, list[str]] = defaultdict(list)
    for message in api.sent:
        by_chat[message["chat"]["id"]].append(message["text"])
    flat = [text for replies in reference for text in replies]
    for person in people:
        assert by_chat[person.id] == flat, f"user {person.id} saw a different conversation"

    # What the database says: one processed update per message, one session version per turn,
    # the journal in the order it was typed.
    db = await asyncpg.connect(pg_url.replace("+asyncpg", ""))
    try:
        rows = await db.fetch(
            "SELECT u.external_id, s.version, s.dialog,"
            " (SELECT count(*) FROM inbound i WHERE i.user_id = u.id) AS updates,"
            " (SELECT count(*) FROM problems p WHERE p.user_id = u.id) AS problems"
            " FROM users u JOIN sessions s ON s.user_id = u.id WHERE u.platform = 'telegram'"
        )
        journal = await db.fetch(
            "SELECT u.external_id, j.field, j.text FROM journal j JOIN users u ON u.id = j.user_id"
            " ORDER BY j.id"
        )
    finally:
        await db.close()
    assert len(rows) == USERS
    for row in rows:
        assert row["updates"] == UPDATES_EACH, dict(row)
        assert row["version"] == UPDATES_EACH, dict(row)  # one committed turn per update
        assert row["problems"] == 1, dict(row)
    typed: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in journal:
        typed[row["external_id"]].append((row["field"], row["text"]))
    assert typed == {str(p.id): JOURNAL for p in people}

    # Each worker counted its own turns; together every update once, none a repeat.
    pages = [(await c.get("/metrics"))[1] for c in coaches]
    saved = [metric(p, "coach_turns_total", platform="telegram", outcome="saved") for p in pages]
    assert saved == [total // 2, total // 2]
    repeats = sum(metric(p, "coach_turns_total", outcome="duplicate") for p in pages)
    assert repeats == USERS  # the redeliveries, and nothing else
    assert sum(metric(p, "coach_turn_seconds_count") for p in pages) == total + USERS

    for coach in coaches:
        assert await coach.stop() == 0, coach.output[-3000:]
        assert TOKEN.split(":")[1] not in coach.output and SECRET not in coach.output


# --- one webhook worker: the secret and the ops port -------------------------------------------


async def test_webhook_refuses_a_wrong_secret_and_the_ops_port_shows_the_turns(
    api: BotAPI, tmp_path: Path, coaches: list[Coach]
) -> None:
    port = free_port()
    database = f"sqlite:///{tmp_path / 'coach.db'}"
    coach = await Coach.start(api, tmp_path, "worker", webhook_env(database, port))
    coaches.append(coach)
    await coach.wait_ready()

    status, body = await coach.get("/healthz")
    assert (status, json.loads(body)) == (200, {"status": "ok"})
    status, body = await coach.get("/readyz")
    assert status == 200
    checks = json.loads(body)["checks"]
    assert checks["database"] == "ok" and checks["telegram"] == "ok"
    status, before = await coach.get("/metrics")
    assert status == 200 and "coach_turns_total" in before  # documented, at no samples yet
    assert metric(before, "coach_turns_total") == 0

    ann = Person(700_001, "Ann")
    hook = f"http://127.0.0.1:{port}/tg/hook"
    async with aiohttp.ClientSession() as http:
        assert await post(http, hook, update_for(api, ann, "/steps"), "wrong") == 403
        assert await post(http, hook, update_for(api, ann, "/steps"), None) == 403
        assert await post(http, hook, update_for(api, ann, "/steps"), SECRET[:-1]) == 403
        async with http.post(
            hook, data=b"{not json", headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
        ) as r:
            assert r.status == 400
        _, page = await coach.get("/metrics")
        assert metric(page, "coach_turns_total") == 0, "a refused request made a turn"
        assert api.sent == []

        assert await post(http, hook, update_for(api, ann, "/steps"), SECRET) == 200
    assert [m["text"] for m in api.sent] == (await expected_replies())[0]
    _, after = await coach.get("/metrics")
    assert metric(after, "coach_turns_total", platform="telegram", flow="steps") == 1
    assert metric(after, "coach_turn_seconds_count", platform="telegram") == 1
    assert metric(after, "coach_crisis_events_total") == 0
    assert metric(after, "process_resident_memory_bytes") > 0

    assert await coach.stop() == 0, coach.output[-3000:]
    with sqlite3.connect(tmp_path / "coach.db") as db:
        assert db.execute("SELECT COUNT(*) FROM inbound").fetchone() == (1,)


class SlowAPI(BotAPI):
    """A stand-in whose sendMessage can be held, to kill a worker in the middle of a turn."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.hold: asyncio.Event | None = None

    async def _api_sendMessage(self, p: dict[str, Any]) -> dict[str, Any]:
        if self.hold is not None:
            await self.hold.wait()
        return await super()._api_sendMessage(p)


async def test_a_worker_killed_before_answering_loses_nothing_and_repeats_nothing(
    tmp_path: Path, coaches: list[Coach]
) -> None:
    api = await SlowAPI(TOKEN).start()
    try:
        port = free_port()
        env = webhook_env(f"sqlite:///{tmp_path / 'coach.db'}", port)
        coach = await Coach.start(api, tmp_path, "first", env)
        coaches.append(coach)
        await coach.wait_ready()
        hook = f"http://127.0.0.1:{port}/tg/hook"
        ann = Person(700_002, "Ann")
        update = update_for(api, ann, "/steps")

        api.hold = asyncio.Event()
        async with aiohttp.ClientSession() as http:
            posted = asyncio.create_task(post(http, hook, update, SECRET))
            await api.wait_until(lambda: bool(api.calls_of("sendMessage")), 10)
            # The turn is committed and its reply on the way; Telegram has no 200 yet.
            await coach.stop(signal.SIGKILL)
            with pytest.raises(aiohttp.ClientError):
                await posted
        api.hold.set()
        api.hold = None

        # Telegram delivers the update again, here to a new worker: answered, not re-applied.
        coach = await Coach.start(api, tmp_path, "second", env)
        coaches.append(coach)
        await coach.wait_ready()
        async with aiohttp.ClientSession() as http:
            assert await post(http, hook, update, SECRET) == 200
            assert await post(http, hook, update_for(api, ann, "Exams are coming"), SECRET) == 200
        assert await coach.stop() == 0
        with sqlite3.connect(tmp_path / "coach.db") as db:
            assert db.execute("SELECT COUNT(*) FROM inbound").fetchone() == (2,)
            assert db.execute("SELECT version, state FROM sessions").fetchone() == (2, "step")
        expected = await expected_replies()
        texts = [m["text"] for m in api.sent]
        assert texts == expected[0] + expected[1], "the first reply once, then the next turn's"
    finally:
        await api.stop()


async def test_a_poller_killed_mid_batch_loses_nothing_and_repeats_nothing(
    tmp_path: Path, coaches: list[Coach]
) -> None:
    """Polling confirms a batch only once it is handled: a kill -9 with one turn committed
    (its reply on the way) and the next still waiting behind it loses neither."""
    api = await SlowAPI(TOKEN).start()
    try:
        env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'coach.db'}"}
        ann = Person(700_003, "Ann")
        for text in SCRIPT[:2]:  # both waiting at start: one getUpdates brings them together
            await api.push("message", update_for(api, ann, text)["message"])
        api.hold = asyncio.Event()
        coach = await Coach.start(api, tmp_path, "first", env)
        coaches.append(coach)
        await api.wait_until(lambda: bool(api.calls_of("sendMessage")), 20)
        assert await coach.stop(signal.SIGKILL) == -signal.SIGKILL
        api.hold.set()
        api.hold = None

        coach = await Coach.start(api, tmp_path, "second", env)
        coaches.append(coach)
        expected = await expected_replies()
        wanted = len(expected[0]) + len(expected[1])
        await api.wait_until(lambda: len(api.sent) >= wanted, 20)
        assert await coach.stop() == 0, coach.output[-3000:]
        with sqlite3.connect(tmp_path / "coach.db") as db:
            assert db.execute("SELECT COUNT(*) FROM inbound").fetchone() == (2,)
            assert db.execute("SELECT version, state FROM sessions").fetchone() == (2, "step")
        texts = [m["text"] for m in api.sent]
        assert texts == expected[0] + expected[1], "each turn's reply once, in order"
    finally:
        await api.stop()


# --- one poller per token ----------------------------------------------------------------------


async def wait_polling(api: BotAPI, coach: Coach, since: int) -> None:
    def polling() -> bool:
        return coach.process.returncode is not None or any(
            c.method == "getUpdates" for c in api.calls[since:]
        )

    await api.wait_until(polling, 30)
    assert coach.process.returncode is None, coach.output[-3000:]


async def test_a_second_poller_of_the_same_token_refuses_to_start_sqlite(
    api: BotAPI, tmp_path: Path, coaches: list[Coach]
) -> None:
    await second_poller_refused(api, tmp_path, coaches, f"sqlite:///{tmp_path / 'coach.db'}")


@pytest.mark.postgres
async def test_a_second_poller_of_the_same_token_refuses_to_start_postgres(
    api: BotAPI, tmp_path: Path, coaches: list[Coach], pg_url: str
) -> None:
    await second_poller_refused(api, tmp_path, coaches, pg_url)


async def second_poller_refused(
    api: BotAPI, tmp_path: Path, coaches: list[Coach], database: str
) -> None:
    env = {"DATABASE_URL": database}
    first = await Coach.start(api, tmp_path, "first", env)
    coaches.append(first)
    await wait_polling(api, first, 0)
    await first.wait_ready()

    second = await Coach.start(api, tmp_path, "second", env)
    coaches.append(second)
    code = await asyncio.wait_for(second.process.wait(), 30)
    refusal = second.output
    assert code != 0, refusal[-3000:]
    assert "another process already polls Telegram with this bot token" in refusal
    assert "telegram poller" in refusal and str(first.process.pid) in refusal
    assert "TELEGRAM_MODE=webhook" in refusal and "--no-poll" in refusal
    assert "Traceback" not in refusal

    # A process with --no-poll may run beside the poller (here: only its ops port).
    helper = await Coach.start(api, tmp_path, "helper", env, "--no-poll")
    coaches.append(helper)
    await asyncio.sleep(1)
    if helper.process.returncode is not None:  # nothing else configured to run: says so
        assert "nothing to run" in helper.output, helper.output[-3000:]

    # Once the first is gone, a new poller starts: after a clean stop, and (PostgreSQL) after
    # a kill -9, when the server releases the lock with the dead process's connection.
    assert await first.stop() == 0, first.output[-3000:]
    third = await Coach.start(api, tmp_path, "third", env)
    coaches.append(third)
    await wait_polling(api, third, len(api.calls))
    if database.startswith("postgresql"):
        assert await third.stop(signal.SIGKILL) == -signal.SIGKILL
        fourth = await Coach.start(api, tmp_path, "fourth", env)
        coaches.append(fourth)
        await wait_polling(api, fourth, len(api.calls))
        assert await fourth.stop() == 0
    else:
        assert await third.stop() == 0
