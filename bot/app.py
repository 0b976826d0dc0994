"""Builds the running pieces from settings; every dependency is passed in from here."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from bot import intents, safety
from bot.config import Settings
from bot.engine import Engine
from bot.flood import FloodGate
from bot.metrics import Metrics
from bot.ops import Readiness
from bot.ratelimit import Pacers
from bot.report import Observer
from bot.store import Store
from bot.store.runner import Connection
from bot.texts import Texts
from dialogs import catalog


@dataclass(frozen=True)
class App:
    settings: Settings
    store: Store
    engine: Engine
    metrics: Metrics = field(default_factory=Metrics)  # this process's own registry
    readiness: Readiness = field(default_factory=Readiness)
    pacers: Pacers = field(default_factory=Pacers)  # replies and nudges share a platform's pace


def build_engine(settings: Settings, store: Store, observers: Sequence[Observer] = ()) -> Engine:
    texts = Texts.load(settings.data_dir / "texts", settings.default_locale)
    # Compile the classifiers' patterns now, not on the first user's message (about a second).
    safety.detector()
    intents.model()
    return Engine(
        store,
        texts,
        catalog(),
        safety=safety.assess,
        router=intents.ranked,
        max_input_chars=settings.max_input_chars,
        flood=FloodGate(settings.flood_limit),
        observers=observers,
        default_zone=settings.default_timezone,
    )


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[App]:
    """Open the database (migrating it) and build the engine; close everything on exit."""
    store = await Store.open(settings.database_url, settings.sealer())
    metrics, readiness = Metrics(), Readiness()
    readiness.probe("database", lambda: store.run(_ping))
    try:
        engine = build_engine(settings, store, [metrics.observe])
        settle()
        yield App(settings, store, engine, metrics, readiness)
    finally:
        await store.close()


def settle() -> None:
    """Exempt what start-up loaded (patterns, texts, dialogs, libraries) from garbage
    collection: it lives as long as the process, and every full collection walked all of it
    again (measured: about a fifth of a Telegram update's cost; benchmarks/telegram_updates.py).
    """
    gc.collect()
    gc.freeze()


def _ping(conn: Connection) -> None:
    conn.exec_driver_sql("SELECT 1").all()
