"""Fixtures for the Telegram end-to-end tests: a stand-in Bot API and the adapter running on it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.engine import Engine
from bot.texts import Texts
from tests.conftest import make_engine
from tests.telegram.harness import TOKEN, Telegram, settings_for
from tests.telegram.standin import BotAPI


@pytest.fixture(autouse=True)
def _no_telegram_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The machine's own TELEGRAM_* variables must not steer the tests."""
    import os

    for name in [n for n in os.environ if n.startswith("TELEGRAM_")]:
        monkeypatch.delenv(name)


@pytest.fixture
async def api() -> AsyncIterator[BotAPI]:
    server = await BotAPI(TOKEN).start()
    yield server
    await server.stop()


@pytest.fixture
async def tg(api: BotAPI, engine: Engine, texts: Texts, db_url: str) -> AsyncIterator[Telegram]:
    """The adapter polling the stand-in, already started."""
    harness = Telegram(
        api, engine, settings_for(api), lambda store: make_engine(store, texts), db_url
    )
    await harness.start()
    yield harness
    await harness.close()
