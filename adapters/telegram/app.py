"""The PTB Application: built from settings, served by polling or webhook until `stop` is set."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import warnings
from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram import BotCommand, BotCommandScopeAllPrivateChats, Update
from telegram.error import InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application, BaseRateLimiter
from telegram.request import BaseRequest
from telegram.warnings import PTBDeprecationWarning

from adapters.telegram import polling
from adapters.telegram.deliver import Sender
from adapters.telegram.handlers import Handlers
from adapters.telegram.redact import protect
from adapters.telegram.settings import TelegramSettings
from adapters.telegram.translate import PLATFORM
from adapters.telegram.webhook import WebhookServer
from bot.config import SettingsError
from bot.engine import Engine
from bot.metrics import Metrics
from bot.process_lock import exclusive
from bot.ratelimit import RateLimiter
from bot.store import Store

log = logging.getLogger(__name__)

# Only what the handlers use; `my_chat_member` tells us when a user blocks the bot.
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER]
GLOBAL_COMMANDS = ("start", "menu")  # listed first; flows follow, then these:
TRAILING_COMMANDS = ("help", "cancel", "privacy")
CONCURRENT_UPDATES = 64  # different chats run in parallel; one chat stays in order
RATE_LIMIT_RETRIES = 3  # resends after a 429, each after Telegram's retry_after
BOOTSTRAP_RETRIES = 5  # deleteWebhook / setWebhook at start
POLLER = "telegram poller"  # the role named when a second poller is refused
SECOND_POLLER = (
    "another process already polls Telegram with this bot token ({holder}). Exactly one "
    "process may poll a token: stop that one, start this one with `coach run --no-poll`, or "
    "set TELEGRAM_MODE=webhook to spread updates over several processes"
)
_COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
Answer = bool | dict[str, Any] | list[dict[str, Any]]  # what a Bot API call returns


class PacedRequests(BaseRateLimiter[None]):
    """PTB's hook for every Bot API call, on the process's shared `RateLimiter` (so replies and
    nudges together keep to Telegram's pace; a group chat also at its own 20 a minute). A 429
    holds every sender for `retry_after`, is counted, and the call is made again, up to
    `retries` times."""

    def __init__(self, limiter: RateLimiter, on_429: Callable[[], None], retries: int) -> None:
        self._limiter = limiter
        self._on_429 = on_429
        self._retries = retries

    async def initialize(self) -> None: ...

    async def shutdown(self) -> None: ...

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Answer]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> Answer:
        chat = data.get("chat_id")
        # Groups and channels have negative ids (or an @username): Telegram paces each apart.
        group = isinstance(chat, str) or (isinstance(chat, int) and chat < 0)
        attempt = 0
        while True:
            await self._limiter.wait(str(chat) if group else None, group=group)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                self._on_429()
                if attempt == self._retries:
                    raise
                attempt += 1
                self._limiter.hold(retry_seconds(exc))


def retry_seconds(exc: RetryAfter) -> float:
    """How long Telegram asked us to wait (PTB 22 warns on reading it as a number)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def build_application(
    engine: Engine,
    store: Store,
    settings: TelegramSettings,
    metrics: Metrics | None = None,
    request: BaseRequest | None = None,  # an in-process stand-in for HTTP (benchmarks)
    limiter: RateLimiter | None = None,  # shared with the nudges in `coach run`
) -> Application:
    protect(settings.secrets())
    count = (lambda: metrics.rate_limited(PLATFORM)) if metrics is not None else (lambda: None)
    limiter = limiter or RateLimiter(settings.limits)
    builder = Application.builder()
    if request is not None:
        builder = builder.request(request)
    app = (
        builder.token(settings.token)
        .base_url(settings.base_url)
        .rate_limiter(PacedRequests(limiter, count, RATE_LIMIT_RETRIES))
        .concurrent_updates(CONCURRENT_UPDATES)
        .updater(None)  # polling.poll fetches (confirming only what was handled)
        .job_queue(None)  # scheduling is the core's job (one sweep per process), not PTB's
        .build()
    )
    Handlers(engine, Sender(store, settings.send_retries, settings.retry_backoff)).register(app)
    return app


def commands(engine: Engine, locale: str | None = None) -> list[BotCommand]:
    """The command menu: start, menu, every flow in the menu, then help, cancel, privacy."""
    flows = [d.name for d in engine.dialogs.values() if d.in_menu]
    names = [*GLOBAL_COMMANDS, *flows, *TRAILING_COMMANDS]
    found: list[BotCommand] = []
    for name in dict.fromkeys(names):
        if not _COMMAND_NAME.match(name):
            continue
        key = f"telegram.commands.{name}"
        if engine.texts.has(key):
            description = engine.texts.say(key, locale)
        elif name in engine.dialogs:
            description = engine.texts.say(engine.dialogs[name].title, locale)
        else:
            continue
        found.append(BotCommand(name, description[:256]))
    return found


async def set_commands(app: Application, engine: Engine) -> None:
    """Register the menu for each locale that has texts; a failure is logged, not fatal."""
    default = engine.texts.default_locale
    for locale, table in engine.texts.by_locale.items():
        if locale != default and "telegram.commands.start" not in table:
            continue  # it would only repeat the default menu
        language = None if locale == default else locale
        try:
            await app.bot.set_my_commands(
                commands(engine, locale),
                scope=BotCommandScopeAllPrivateChats(),
                language_code=language,
            )
        except TelegramError as exc:
            log.warning("could not register the command menu (%s): %s", locale, exc)


async def _initialize(app: Application) -> None:
    """getMe; a rejected token becomes a settings error. PTB's own message quotes the token,
    and an exception printed at start-up would bypass every log filter."""
    try:
        await app.initialize()
    except InvalidToken:
        raise SettingsError(
            "Invalid setting TELEGRAM_BOT_TOKEN: Telegram rejected it; copy it again from "
            "@BotFather (and check TELEGRAM_BASE_URL)"
        ) from None


async def serve(
    engine: Engine,
    store: Store,
    settings: TelegramSettings,
    stop: asyncio.Event,
    *,
    metrics: Metrics | None = None,
    ready: Callable[[bool], None] | None = None,
    database_url: str | None = None,
    limiter: RateLimiter | None = None,
) -> None:
    """Run until `stop` is set, then finish the updates in hand and shut down.

    Polling: only after taking the poller lock for this token in the database (a second
    poller refuses to start, naming the first). Webhook: our own server (webhook.py), which
    answers Telegram only once the turn is committed; any number of processes may run it.
    Pending updates are never dropped: what arrived while the bot was down is handled on start.
    `ready(True/False)` reports when updates are being taken; `metrics` counts 429s;
    `limiter` paces what is sent (shared with the nudges of this process).
    """
    ready = ready or (lambda _ready: None)
    app = build_application(engine, store, settings, metrics, limiter=limiter)
    if settings.mode == "webhook":
        await _serve_webhook(app, engine, settings, stop, ready)
        return
    url = database_url or _database_url(store)
    digest = hashlib.sha256(settings.token.encode()).hexdigest()[:16]
    async with exclusive(url, f"telegram-poll-{digest}", POLLER, SECOND_POLLER) as lease:
        await _serve_polling(app, engine, settings, stop, ready, lease.lost)


async def _serve_polling(
    app: Application,
    engine: Engine,
    settings: TelegramSettings,
    stop: asyncio.Event,
    ready: Callable[[bool], None],
    lock_lost: asyncio.Event,
) -> None:
    await _initialize(app)
    async with app:  # (already initialized) ... shutdown
        await set_commands(app, engine)
        # A webhook left from an earlier deployment would make getUpdates fail (409).
        await _bootstrap(
            lambda: app.bot.delete_webhook(drop_pending_updates=False), "deleteWebhook"
        )
        await app.start()  # (its update queue stays unused: polling.poll runs the handlers)
        halt = asyncio.Event()
        watch = asyncio.create_task(_first(stop, lock_lost))
        watch.add_done_callback(lambda _: halt.set())
        ready(True)
        log.info("telegram adapter running", extra={"mode": settings.mode})
        try:
            await polling.poll(app, ALLOWED_UPDATES, settings.poll_timeout, halt, ready)
        finally:
            ready(False)
            watch.cancel()
            await app.stop()
    if lock_lost.is_set() and not stop.is_set():
        # Another process may be polling now: stop, and let the supervisor start us again.
        raise RuntimeError("lost the database connection holding the Telegram poller lock")
    log.info("telegram adapter stopped")


async def _serve_webhook(
    app: Application,
    engine: Engine,
    settings: TelegramSettings,
    stop: asyncio.Event,
    ready: Callable[[bool], None],
) -> None:
    assert settings.webhook_secret is not None  # the settings refuse webhook without one
    await _initialize(app)
    async with app:
        await set_commands(app, engine)
        await app.start()  # (its update queue stays unused: the server runs handlers itself)
        server = WebhookServer(
            app,
            settings.webhook_listen,
            settings.webhook_port,
            settings.listen_path,
            settings.webhook_secret.get_secret_value(),
        )
        try:
            await server.start()
        except OSError as exc:
            raise SettingsError(
                "Invalid setting TELEGRAM_WEBHOOK_PORT: cannot listen on "
                f"{settings.webhook_listen}:{settings.webhook_port} ({exc.strerror})"
            ) from None
        try:
            await _set_webhook(app, settings)  # listening first: the first post finds us
            ready(True)
            log.info("telegram adapter running", extra={"mode": settings.mode})
            await stop.wait()
        finally:
            ready(False)
            await server.stop()  # finishes the requests in hand, each answered after its turn
            await app.stop()
    log.info("telegram adapter stopped")


async def _set_webhook(app: Application, settings: TelegramSettings) -> None:
    """Tell Telegram where to post (every worker says the same; Telegram keeps one URL).
    Never drops pending updates."""
    assert settings.webhook_secret is not None and settings.webhook_url is not None
    await _bootstrap(
        lambda: app.bot.set_webhook(
            url=settings.webhook_url,
            allowed_updates=ALLOWED_UPDATES,
            secret_token=settings.webhook_secret.get_secret_value(),  # type: ignore[union-attr]
        ),
        "setWebhook",
    )


async def _bootstrap(call: Callable[[], Awaitable[object]], what: str) -> None:
    """A start-up call, tried again with backoff while Telegram cannot be reached."""
    delay = 1.0
    for attempt in range(BOOTSTRAP_RETRIES + 1):
        try:
            await call()
            return
        except (NetworkError, RetryAfter) as exc:
            if attempt == BOOTSTRAP_RETRIES:
                raise
            log.warning("%s failed (%s); trying again", what, exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30)


async def _first(*events: asyncio.Event) -> None:
    waits = [asyncio.create_task(e.wait()) for e in events]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await wait


def _database_url(store: Store) -> str:
    """The URL the store was opened with (for the poller lock)."""
    engine = store.runner.engine  # type: ignore[attr-defined]
    return engine.url.render_as_string(hide_password=False)
