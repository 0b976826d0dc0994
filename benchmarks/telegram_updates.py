"""Telegram benchmark: updates/s through the real `Application.process_update` path (our
handlers, the engine on a SQLite file, reply rendering) beside a bare PTB echo handler, both
measured in this run with the HTTP layer replaced by the same in-process request object.

Prints the cost per update of each and the ratio (target: ours <= 1.5 x the echo floor).
"""

from __future__ import annotations

import argparse
import asyncio
import json
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

from adapters.telegram.app import build_application
from adapters.telegram.settings import TelegramSettings
from bot import intents, safety
from bot.config import DATA_DIR
from bot.engine import Engine
from bot.store import Store
from bot.texts import Texts
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


async def per_update(app: Application, users: int, count: int) -> float:
    """Seconds per update, one update at a time, users taking turns."""
    raw = [update(n, 1000 + n % users, ANSWERS[(n // users) % len(ANSWERS)]) for n in range(count)]
    parsed = [Update.de_json(u, app.bot) for u in raw]
    start = time.perf_counter()
    for item in parsed:
        await app.process_update(item)
    return (time.perf_counter() - start) / count


async def measure(make: Callable[[], Awaitable[Application]], users: int, count: int) -> float:
    app = await make()
    async with app:
        await per_update(app, users, users * len(ANSWERS))  # warm up: users, code, patterns
        return await per_update(app, users, count)


async def main(users: int, count: int) -> None:
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

        async def ours() -> Application:
            return build_application(engine, store, settings, request=InProcess())

        async def floor() -> Application:
            app = Application.builder().token(TOKEN).request(InProcess()).build()
            app.add_handler(MessageHandler(filters.TEXT, echo))
            return app

        try:
            echo_cost = await measure(floor, users, count)
            our_cost = await measure(ours, users, count)
            engine_cost = sum(turns[-count:]) / count
        finally:
            await store.close()
    print(f"updates: {count} from {users} users, one at a time")
    print(f"echo floor: {1 / echo_cost:8.0f} updates/s  {echo_cost * 1000:.3f} ms each")
    print(f"ours:       {1 / our_cost:8.0f} updates/s  {our_cost * 1000:.3f} ms each")
    adapter = our_cost - engine_cost
    print(
        f"  of which the engine turn (crisis check, routing, SQLite commit): "
        f"{engine_cost * 1000:.3f} ms, the adapter: {adapter * 1000:.3f} ms"
    )
    print(f"ours / echo cost per update: {our_cost / echo_cost:.2f} (target <= 1.5)")
    print(f"adapter alone / echo: {adapter / echo_cost:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--updates", type=int, default=2000)
    options = parser.parse_args()
    asyncio.run(main(options.users, options.updates))
