"""Builds the running pieces from settings; every dependency is passed in from here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot import intents
from bot.config import Settings
from bot.engine import Engine
from bot.store import Store
from bot.texts import Texts
from dialogs import catalog


@dataclass(frozen=True)
class App:
    settings: Settings
    store: Store
    engine: Engine


def build_engine(settings: Settings, store: Store) -> Engine:
    texts = Texts.load(settings.data_dir / "texts", settings.default_locale)
    return Engine(
        store,
        texts,
        catalog(),
        router=intents.ranked,
        max_input_chars=settings.max_input_chars,
    )


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[App]:
    """Open the database (migrating it) and build the engine; close everything on exit."""
    store = await Store.open(settings.database_url)
    try:
        yield App(settings, store, build_engine(settings, store))
    finally:
        await store.close()
