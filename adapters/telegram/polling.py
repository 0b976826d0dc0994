"""Long polling that confirms an update only once its turn is done.

`getUpdates(offset=N)` tells Telegram that every update below N is handled, and it forgets
them. PTB's Updater asks for the next batch (so confirms this one) as soon as it has queued
it: a crash, a kill -9 or a power cut then loses what was queued and not yet handled. Here a
batch is handled first and confirmed by the next call. After a crash Telegram sends the
batch again; the turns that were committed recognise their update ids (the `inbound` ledger)
and do nothing, the others run. So every message is handled once, whatever stops the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from telegram import Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import Application

log = logging.getLogger(__name__)
T = TypeVar("T")

FIRST_BACKOFF = 1.0  # seconds after a failed getUpdates; doubles up to MAX_BACKOFF
MAX_BACKOFF = 30.0


async def poll(
    app: Application,
    allowed_updates: list[str],
    long_poll: int,
    stop: asyncio.Event,
    polling: Callable[[bool], None] = lambda _on: None,
) -> None:
    """Fetch (waiting up to `long_poll` seconds), handle, confirm, until `stop` is set; the
    batch in hand is always finished. `polling(True/False)`: is getUpdates answering?"""
    offset: int | None = None  # None: from the oldest update Telegram still holds
    backoff = FIRST_BACKOFF
    answering = True  # as the caller reported before starting; changes are reported
    while not stop.is_set():
        try:
            updates = await _until_stopped(
                app.bot.get_updates(
                    offset=offset,
                    timeout=timedelta(seconds=long_poll),
                    allowed_updates=allowed_updates,
                ),
                stop,
            )
        except InvalidToken:
            raise  # the token was revoked: nothing to retry
        except TelegramError as exc:  # network, 5xx, 409 Conflict (a webhook or a poller)
            if answering:
                answering = False
                polling(False)
            log.warning("getUpdates failed (%s); trying again in %.0f s", exc, backoff)
            await _sleep(backoff, stop)
            backoff = min(backoff * 2, MAX_BACKOFF)
            continue
        if updates is None:  # stopped while waiting: nothing was fetched, nothing is lost
            break
        if not answering:
            answering = True
            polling(True)
        backoff = FIRST_BACKOFF
        if updates:
            await handle(app, updates)
            offset = updates[-1].update_id + 1
    if offset is not None:
        await _confirm(app, offset)


async def handle(app: Application, updates: list[Update]) -> None:
    """Every update of a batch, as the Application would run them from its queue: chats in
    parallel (up to its concurrency), each chat in order (the handlers lock per chat)."""
    processor = app.update_processor
    done = await asyncio.gather(
        *(processor.process_update(u, app.process_update(u)) for u in updates),
        return_exceptions=True,
    )
    for update, outcome in zip(updates, done, strict=True):
        # Handler errors go to the error handler; this is PTB itself failing. One update that
        # cannot be processed must not stop the others, nor come back after every restart.
        if isinstance(outcome, Exception):
            log.error("update %s could not be processed", update.update_id, exc_info=outcome)


async def _confirm(app: Application, offset: int) -> None:
    """On the way out, tell Telegram the last batch is done, so a restart does not fetch it
    again (it would be harmless: those turns are in the ledger)."""
    with contextlib.suppress(TelegramError):
        await app.bot.get_updates(offset=offset, timeout=timedelta(0), limit=1)


async def _until_stopped(call: Awaitable[T], stop: asyncio.Event) -> T | None:
    """`call`'s result, or None if `stop` is set first (the call is then cancelled)."""
    fetch = asyncio.ensure_future(call)
    halt = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({fetch, halt}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (fetch, halt):
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
    if fetch.done() and not fetch.cancelled():
        return fetch.result()
    return None


async def _sleep(seconds: float, stop: asyncio.Event) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
