"""Shared fixtures: a real database per test, and `Chat`, a send-then-assert conversation driver
in the spirit of botbuilder's TestFlow."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot import intents, safety
from bot.config import DATA_DIR
from bot.engine import Engine
from bot.store import Store
from bot.texts import Texts
from bot.types import ConversationKey, Inbound, Reply
from dialogs import catalog

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL")  # set by .ci/run


@pytest.fixture
def texts() -> Texts:
    return Texts.load(DATA_DIR / "texts")


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'coach.db'}"


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[Store]:
    store = await Store.open(db_url)
    yield store
    await store.close()


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database on the machine's server, dropped afterwards."""
    if not POSTGRES_URL:
        pytest.skip("TEST_POSTGRES_URL is not set: no PostgreSQL server to test against")
    import asyncpg

    name = f"coach_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(POSTGRES_URL.replace("+asyncpg", ""))
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


def make_engine(store: Store, texts: Texts, **kw: object) -> Engine:
    kw.setdefault("router", intents.ranked)
    kw.setdefault("safety", safety.assess)
    return Engine(store, texts, catalog(), **kw)  # type: ignore[arg-type]


@pytest.fixture
def engine(store: Store, texts: Texts) -> Engine:
    return make_engine(store, texts)


class Chat:
    """One user talking to an engine: send, then assert on what came back."""

    def __init__(self, engine: Engine, user: str = "u1", platform: str = "test") -> None:
        self.engine = engine
        self.key = ConversationKey(platform, user, user)
        self.replies: list[Reply] = []
        self._update = 0

    async def _send(self, inbound: Inbound) -> list[Reply]:
        self.replies = await self.engine.handle(inbound)
        return self.replies

    def _next_id(self) -> str:
        self._update += 1
        return f"{self.key.user_id}-{self._update}-{uuid.uuid4().hex[:6]}"

    async def say(self, text: str) -> list[Reply]:
        return await self._send(Inbound.text(self.key, text, update_id=self._next_id()))

    async def command(self, name: str, arg: str = "") -> list[Reply]:
        return await self._send(Inbound.command(self.key, name, arg, update_id=self._next_id()))

    async def click(self, label: str) -> list[Reply]:
        """Press the button whose label contains `label` in the latest replies."""
        for reply in reversed(self.replies):
            for choice in reply.choices:
                if label.casefold() in choice.label.casefold():
                    return await self._send(
                        Inbound.choice(self.key, choice.id, update_id=self._next_id())
                    )
        raise AssertionError(f"no button {label!r} in {self.buttons}")

    @property
    def text(self) -> str:
        return "\n".join(r.text for r in self.replies)

    @property
    def buttons(self) -> list[str]:
        return [c.label for r in self.replies for c in r.choices]

    def with_engine(self, engine: Engine) -> Chat:
        chat = Chat(engine, self.key.user_id, self.key.platform)
        chat.replies, chat._update = self.replies, self._update
        return chat


async def column(store: Store, query: object) -> list:
    """The first column of every row."""
    return [row[0] for row in await store.rows(query)]  # type: ignore[arg-type]


async def one(store: Store, query: object) -> object:
    (value,) = await column(store, query)
    return value
