"""Drives the real adapter (`serve`, PTB polling or webhook) against the Bot API stand-in.

Test code acts as a Telegram user (`user_sends`, `user_clicks`, ...) and reads what the bot
sent (`wait_for_messages`). Nothing in PTB is patched: everything goes over loopback HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Callable
from typing import Any

from adapters.telegram import TelegramSettings, serve
from bot.engine import Engine
from bot.ratelimit import RateLimiter
from bot.store import Store
from tests.telegram.standin import BotAPI, Person, group_chat

TOKEN = "123456789:AAH-test_TOKEN_that_must_never_be_logged_0123"
ANN = Person(111111, "Ann", "en")
SETTLE = 0.25  # seconds to wait when asserting that nothing (more) arrives


def settings_for(api: BotAPI, **overrides: Any) -> TelegramSettings:
    values: dict[str, Any] = {
        "bot_token": TOKEN,
        "base_url": api.base_url,
        "poll_timeout": 10,
        "retry_backoff": 0.05,
    }
    return TelegramSettings(_env_file=None, **(values | overrides))  # type: ignore[call-arg]


class Telegram:
    def __init__(
        self,
        api: BotAPI,
        engine: Engine,
        settings: TelegramSettings,
        make_engine: Callable[[Store], Engine],
        db_url: str,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.api = api
        self.limiter = limiter
        self.engine = engine
        self.settings = settings
        self.make_engine = make_engine
        self.db_url = db_url
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._read: dict[int, int] = {}  # chat id -> bot messages already returned
        self._own_stores: list[Store] = []

    # --- running the bot ------------------------------------------------------------------

    async def start(self) -> None:
        self._stop = asyncio.Event()
        ready_from = len(self.api.calls)
        wanted = "setWebhook" if self.settings.mode == "webhook" else "getUpdates"
        self._task = asyncio.create_task(
            serve(self.engine, self.engine.store, self.settings, self._stop, limiter=self.limiter)
        )

        def ready() -> bool:
            return (
                self._task.done()
                or any(  # type: ignore[union-attr]
                    c.method == wanted for c in self.api.calls[ready_from:]
                )
            )

        await self.api.wait_until(ready, 3)
        if self._task.done():
            self._task.result()  # surface a failed start

    async def stop(self) -> None:
        if self._task is None:
            return
        self._stop.set()
        await asyncio.wait_for(self._task, 5)
        self._task = None

    async def restart(self) -> None:
        """A new process in all but name: new Application, new Store on the same database."""
        await self.stop()
        store = await Store.open(self.db_url)
        self._own_stores.append(store)
        self.engine = self.make_engine(store)
        await self.start()

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.stop()
        for store in self._own_stores:
            await store.close()

    # --- a user acting --------------------------------------------------------------------

    async def user_sends(
        self, text: str, user: Person = ANN, chat: dict[str, Any] | None = None, **extra: Any
    ) -> dict[str, Any]:
        """A text message; a leading /command gets its bot_command entity, as in Telegram."""
        entities = []
        if text.startswith("/"):
            entities.append({"type": "bot_command", "offset": 0, "length": len(text.split()[0])})
        mention = f"@{self.api.username}"
        if mention in text:
            entities.append(
                {"type": "mention", "offset": text.index(mention), "length": len(mention)}
            )
        content: dict[str, Any] = {"text": text, **extra}
        if entities:
            content["entities"] = entities
        return await self._send(user, chat, content)

    async def user_sends_sticker(self, user: Person = ANN) -> dict[str, Any]:
        sticker = {
            "file_id": "CAACAgIAAxkBAAE",
            "file_unique_id": "AgADsticker",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "😊",
        }
        return await self._send(user, None, {"sticker": sticker})

    async def user_sends_photo(
        self, user: Person = ANN, caption: str | None = None
    ) -> dict[str, Any]:
        photo = [
            {"file_id": "AgACAgIAAxkB", "file_unique_id": "AQADphoto", "width": 90, "height": 67}
        ]
        content: dict[str, Any] = {"photo": photo}
        if caption is not None:
            content["caption"] = caption
        return await self._send(user, None, content)

    async def user_replies_in_group(
        self, text: str, to: dict[str, Any], user: Person = ANN
    ) -> dict[str, Any]:
        return await self.user_sends(text, user, group_chat(), reply_to_message=to)

    async def user_clicks(
        self, label: str, user: Person = ANN, message: dict[str, Any] | None = None, times: int = 1
    ) -> dict[str, Any]:
        """Press the button whose label contains `label` on the newest message showing it
        (or on `message`). `times=2` is a quick double tap: both presses queue at once."""
        message = message or self.message_with(label, user.id)
        data = _button(message, label)
        for _ in range(times):
            query = {
                "id": self.api.new_query_id(),
                "from": user.as_user(),
                "message": message,
                "chat_instance": "-4242424242",
                "data": data,
            }
            await self.api.push("callback_query", query)
        return message

    async def user_blocks_bot(self, user: Person = ANN, blocked: bool = True) -> None:
        """Block (or, with blocked=False, unblock) the bot, as Telegram reports it."""
        kicked = {"status": "kicked", "user": self.api.bot_user(), "until_date": 0}
        member = {"status": "member", "user": self.api.bot_user()}
        change = {
            "chat": user.private_chat(),
            "from": user.as_user(),
            "date": 1_700_000_000,
            "old_chat_member": member if blocked else kicked,
            "new_chat_member": kicked if blocked else member,
        }
        await self.api.push("my_chat_member", change)

    async def _send(
        self, user: Person, chat: dict[str, Any] | None, content: dict[str, Any]
    ) -> dict[str, Any]:
        message = self.api.new_message(chat or user.private_chat(), user.as_user(), **content)
        await self.api.push("message", message)
        return message

    # --- what the bot sent ----------------------------------------------------------------

    def bot_messages(self, chat_id: int = ANN.id) -> list[dict[str, Any]]:
        return [m for m in self.api.sent if m["chat"]["id"] == chat_id]

    async def wait_for_messages(
        self, n: int, chat_id: int = ANN.id, within: float = 2.5
    ) -> list[dict[str, Any]]:
        """The next `n` messages the bot sends to `chat_id` (after those already returned)."""
        start = self._read.get(chat_id, 0)
        if n == 0:
            await asyncio.sleep(SETTLE)
        else:
            await self.api.wait_until(lambda: len(self.bot_messages(chat_id)) >= start + n, within)
        got = self.bot_messages(chat_id)[start:]
        assert len(got) == n, f"expected {n} messages, got {[m['text'][:60] for m in got]}"
        self._read[chat_id] = start + n
        return got

    async def say(
        self, text: str, replies: int = 1, within: float = 2.5, **kw: Any
    ) -> list[dict[str, Any]]:
        await self.user_sends(text, **kw)
        return await self.wait_for_messages(replies, within=within)

    async def click(self, label: str, replies: int = 1, **kw: Any) -> list[dict[str, Any]]:
        await self.user_clicks(label, **kw)
        return await self.wait_for_messages(replies)

    def message_with(self, label: str, chat_id: int) -> dict[str, Any]:
        for message in reversed(self.bot_messages(chat_id)):
            if any(label.casefold() in b["text"].casefold() for b in buttons(message)):
                return message
        raise AssertionError(f"no button {label!r} showing in chat {chat_id}")

    # --- the database, read as an operator would ------------------------------------------

    def rows(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        path = self.db_url.split(":///", 1)[1]
        with contextlib.closing(sqlite3.connect(path)) as db:
            return db.execute(sql, args).fetchall()


async def eventually(check: Callable[[], Any], within: float = 2.0) -> None:
    """Wait for something the stand-in cannot see (a database row), polling briefly."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not check():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    markup = message.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


def labels(message: dict[str, Any]) -> list[str]:
    return [b["text"] for b in buttons(message)]


def _button(message: dict[str, Any], label: str) -> str:
    for button in buttons(message):
        if label.casefold() in button["text"].casefold() and "callback_data" in button:
            return button["callback_data"]
    raise AssertionError(f"no button {label!r} on {message['text'][:60]!r}")


def variants(texts: Any, key: str, **values: Any) -> set[str]:
    """Every wording the bot may use for `key` (texts rotate between variants)."""
    return {texts.say(key, None, seed, **values) for seed in range(len(texts.variants(key)))}
