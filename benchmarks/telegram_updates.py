"""Telegram benchmark: updates/s through the real `Application.process_update` path (our
handlers, the engine on a SQLite file, reply rendering) beside a bare PTB echo handler, both
measured in this run with the HTTP layer replaced by the same in-process request object.

Two ways of feeding updates, both printed: as deployed (the update queue, PTB running up to
CONCURRENT_UPDATES at once, as polling and the webhook do) and one at a time (each awaited
before the next: the latency view). Rounds alternate between the two apps and the medians are
compared, so both see the same machine. Prints the cost per update of each and the ratio
(target: ours <= 1.5 x the echo floor); asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters
from telegram.request import BaseRequest, RequestData

from adapters.telegram.app import CONCURRENT_UPDATES, build_application
from adapters.telegram.settings import TelegramSettings
from bot import intents, safety
from bot.app import settle
from bot.config import DATA_DIR
from bot.engine import Engine
from bot.store import Commit, Store
from bot.texts import Texts
from bot.types import Choice, Inbound, Reply
from dialogs import catalog

TOKEN = "123456:BENCHMARK_TOKEN_not_a_real_one_000000"
BOT = {"id": 123456, "is_bot": True, "first_name": "Coach", "username": "coach_bench_bot"}
ANSWERS = ("/reframe", "My flat is being sold", "The sale", "Where I look", "Call two agents")


class InProcess(BaseRequest):
    """Answers Bot API calls without a network: what a fast Telegram would say."""

    def __init__(self) -> None:
        self.message_ids = 0

    async def initialize(self) -> None: ...

    async def shutdown(self) -> None: ...

    @property
    def read_timeout(self) -> float | None:
        return 5.0

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, **_: Any
    ) -> tuple[int, bytes]:
        endpoint = url.rsplit("/", 1)[-1]
        params = request_data.parameters if request_data else {}
        if endpoint == "getMe":
            result: Any = BOT
        elif endpoint == "sendMessage":
            self.message_ids += 1
            chat = {"id": int(params["chat_id"]), "type": "private", "first_name": "U"}
            result = {
                "message_id": self.message_ids,
                "date": 0,
                "chat": chat,
                "from": BOT,
                "text": params.get("text", ""),
            }
        else:
            result = True
        return HTTPStatus.OK, json.dumps({"ok": True, "result": result}).encode()


def update(n: int, user: int, text: str) -> dict[str, Any]:
    person = {"id": user, "is_bot": False, "first_name": "U", "language_code": "en"}
    message: dict[str, Any] = {
        "message_id": n,
        "date": 0,
        "text": text,
        "from": person,
        "chat": {"id": user, "type": "private", "first_name": "U"},
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
    return {"update_id": n, "message": message}


async def echo(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None
    await update.message.reply_text(update.message.text or "")


class Feed:
    """Fresh updates: `users` people each sending the next line of the conversation."""

    def __init__(self, users: int) -> None:
        self.users = users
        self.sent = 0

    def next(self, bot: Any, count: int) -> list[Update]:
        out = []
        for n in range(self.sent, self.sent + count):
            text = ANSWERS[(n // self.users) % len(ANSWERS)]
            out.append(Update.de_json(update(n + 1, 1000 + n % self.users, text), bot))
        self.sent += count
        return out


async def one_at_a_time(app: Application, updates: list[Update]) -> float:
    """Seconds per update, each awaited before the next (the latency view)."""
    start = time.perf_counter()
    for item in updates:
        await app.process_update(item)
    return (time.perf_counter() - start) / len(updates)


async def as_deployed(app: Application, updates: list[Update]) -> float:
    """Seconds per update through the update queue, as polling and the webhook feed it: PTB
    runs up to CONCURRENT_UPDATES at once (different chats in parallel)."""
    start = time.perf_counter()
    for item in updates:
        app.update_queue.put_nowait(item)
    await app.update_queue.join()
    return (time.perf_counter() - start) / len(updates)


Mode = Callable[[Application, list[Update]], Awaitable[float]]


async def measure(
    apps: dict[str, Application], feeds: dict[str, Feed], mode: Mode, count: int, rounds: int
) -> dict[str, float]:
    """Median cost per update of each app, rounds interleaved so both see the same machine."""
    costs: dict[str, list[float]] = {name: [] for name in apps}
    for _ in range(rounds):
        for name, app in apps.items():
            costs[name].append(await mode(app, feeds[name].next(app.bot, count)))
    return {name: statistics.median(found) for name, found in costs.items()}


class Unwritten(Store):
    """The store with its turn commit skipped: what the database write costs (split only)."""

    async def commit(self, *_: Any, **__: Any) -> Commit:
        return Commit.SAVED


class Fixed(Engine):
    """An engine that answers every turn with the same replies: the adapter alone (split only)."""

    def __init__(self, base: Engine, replies: list[Reply]) -> None:
        super().__init__(base.store, base.texts, list(base.dialogs.values()))
        self.replies = replies

    async def handle(self, inbound: Inbound) -> list[Reply]:
        return self.replies


def splits(engine: Engine, settings: TelegramSettings) -> dict[str, Application]:
    """Ours with parts taken away, to show where the cost is."""
    said = "Some words the coach says, about as long as a prompt."
    two = (Choice("o:bench.a.one", "Option one"), Choice("o:bench.a.two", "Option two"))
    unwritten = Engine(
        Unwritten(engine.store.runner),
        engine.texts,
        list(engine.dialogs.values()),
        safety=safety.assess,
        router=intents.ranked,
    )
    return {
        "ours, no database write": build_application(
            unwritten, engine.store, settings, request=InProcess()
        ),
        "adapter alone, reply with 2 buttons": build_application(
            Fixed(engine, [Reply(said, two)]), engine.store, settings, request=InProcess()
        ),
        "adapter alone, reply without buttons": build_application(
            Fixed(engine, [Reply(said)]), engine.store, settings, request=InProcess()
        ),
    }


async def main(users: int, count: int, rounds: int, split: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = await Store.open(f"sqlite:///{Path(tmp) / 'bench.db'}")
        turns: list[float] = []  # the engine's own time per turn, to split the cost
        engine = Engine(
            store,
            Texts.load(DATA_DIR / "texts"),
            catalog(),
            safety=safety.assess,
            router=intents.ranked,
            observers=[lambda report: turns.append(report.seconds)],
        )
        # Telegram's 30 msg/s cap would measure the clock, not the code: lift it (unvalidated).
        settings = TelegramSettings.model_construct(bot_token=SecretStr(TOKEN), send_rate=1e9)
        floor = (
            Application.builder()
            .token(TOKEN)
            .request(InProcess())
            .concurrent_updates(CONCURRENT_UPDATES)  # the same update processor as ours
            .build()
        )
        floor.add_handler(MessageHandler(filters.TEXT, echo))
        apps = {
            "echo": floor,
            "ours": build_application(engine, store, settings, request=InProcess()),
        }
        extra = splits(engine, settings) if split else {}
        feeds = {name: Feed(users) for name in {**apps, **extra}}
        try:
            for name, app in {**apps, **extra}.items():  # started, warmed up
                await app.initialize()
                await app.start()
                await as_deployed(app, feeds[name].next(app.bot, users * len(ANSWERS)))
            settle()  # as `coach run` does after start-up
            deployed = await measure({**apps, **extra}, feeds, as_deployed, count, rounds)
            turns.clear()
            sequential = await measure(apps, feeds, one_at_a_time, count, rounds)
            engine_cost = statistics.median(turns)
        finally:
            for app in {**apps, **extra}.values():
                await app.stop()
                await app.shutdown()
            await store.close()
    print(f"{count} updates per round from {users} users, {rounds} rounds interleaved, medians")
    for title, found in (("as deployed (update queue)", deployed), ("one at a time", sequential)):
        echo_cost = found["echo"]
        print(f"{title}:")
        for name, cost in found.items():
            ratio = "" if name == "echo" else f"  {cost / echo_cost:.2f} x echo"
            print(f"  {name:38} {1 / cost:8.0f} updates/s  {cost * 1000:.3f} ms each{ratio}")
    print("target: ours <= 1.5 x echo")
    print(
        f"one at a time, the engine's turn (crisis check, routing, SQLite commit) takes "
        f"{engine_cost * 1000:.3f} ms of ours"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--updates", type=int, default=2000, help="per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--split", action="store_true", help="also ours without parts, to show where the cost is"
    )
    options = parser.parse_args()
    asyncio.run(main(options.users, options.updates, options.rounds, options.split))
