"""The adapter's part in operating it, in process: 429s counted in the metrics, readiness
reported while polling, and a poller that loses its lock stops."""

from __future__ import annotations

import asyncio

import pytest

from adapters.telegram import serve
from bot.metrics import Metrics
from bot.process_lock import Lease
from tests.telegram.harness import ANN, settings_for
from tests.telegram.standin import BotAPI


async def test_a_429_is_counted_and_readiness_follows_the_poller(api: BotAPI, engine) -> None:
    metrics, states = Metrics(), []
    stop = asyncio.Event()
    task = asyncio.create_task(
        serve(engine, engine.store, settings_for(api), stop, metrics=metrics, ready=states.append)
    )
    await api.wait_until(lambda: bool(api.calls_of("getUpdates")), 5)
    assert states == [True]

    api.fail("sendMessage", 429, retry_after=1)
    message = api.new_message(ANN.private_chat(), ANN.as_user(), text="hello")
    await api.push("message", message)
    await api.wait_until(lambda: len(api.sent) >= 1, 5)
    found = metrics.registry.get_sample_value(
        "coach_platform_rate_limited_total", {"platform": "telegram"}
    )
    assert found == 1

    stop.set()
    await asyncio.wait_for(task, 5)
    assert states == [True, False]


async def test_a_poller_that_loses_its_lock_stops_with_an_error(
    api: BotAPI, engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import contextlib

    from adapters.telegram import app as telegram_app

    lease = Lease()

    @contextlib.asynccontextmanager
    async def held(*_args: object):
        yield lease

    monkeypatch.setattr(telegram_app, "exclusive", held)
    task = asyncio.create_task(serve(engine, engine.store, settings_for(api), asyncio.Event()))
    await api.wait_until(lambda: bool(api.calls_of("getUpdates")), 5)
    lease.lost.set()  # the database connection holding the lock went away
    with pytest.raises(RuntimeError, match="lost the database connection"):
        await asyncio.wait_for(task, 5)


async def test_a_failing_get_updates_is_retried_and_readiness_says_so(api: BotAPI, engine) -> None:
    states: list[bool] = []
    stop = asyncio.Event()
    task = asyncio.create_task(
        serve(engine, engine.store, settings_for(api), stop, ready=states.append)
    )
    await api.wait_until(lambda: bool(api.calls_of("getUpdates")), 5)
    api.fail("getUpdates", 502, times=2)  # Telegram's front end hiccups twice
    await api.wait_until(lambda: False in states, 5)
    message = api.new_message(ANN.private_chat(), ANN.as_user(), text="/start")
    await api.push("message", message)
    await api.wait_until(lambda: len(api.sent) >= 1, 10)  # after the backoff, nothing lost
    assert states[-1] is True

    stop.set()
    await asyncio.wait_for(task, 5)
    assert states == [True, False, True, False]
