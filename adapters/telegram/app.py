"""The PTB Application: built from settings, served by polling or webhook until `stop` is set."""

from __future__ import annotations

import asyncio
import logging
import re

from telegram import BotCommand, BotCommandScopeAllPrivateChats, Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import AIORateLimiter, Application

from adapters.telegram.deliver import Sender
from adapters.telegram.handlers import Handlers
from adapters.telegram.redact import protect
from adapters.telegram.settings import TelegramSettings
from bot.config import SettingsError
from bot.engine import Engine
from bot.store import Store

log = logging.getLogger(__name__)

# Only what the handlers use; `my_chat_member` tells us when a user blocks the bot.
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER]
GLOBAL_COMMANDS = ("start", "menu")  # listed first; flows follow, then these:
TRAILING_COMMANDS = ("help", "cancel", "privacy")
CONCURRENT_UPDATES = 64  # different chats run in parallel; one chat stays in order
RATE_LIMIT_RETRIES = 3  # resends after a 429, each after Telegram's retry_after
BOOTSTRAP_RETRIES = 5  # deleteWebhook / setWebhook at start
_COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")


def build_application(engine: Engine, store: Store, settings: TelegramSettings) -> Application:
    protect(settings.secrets())
    app = (
        Application.builder()
        .token(settings.token)
        .base_url(settings.base_url)
        .rate_limiter(AIORateLimiter(max_retries=RATE_LIMIT_RETRIES))
        .concurrent_updates(CONCURRENT_UPDATES)
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
    engine: Engine, store: Store, settings: TelegramSettings, stop: asyncio.Event
) -> None:
    """Run until `stop` is set, then finish the updates in hand and shut down.

    Pending updates are never dropped: what arrived while the bot was down is handled on start.
    """
    app = build_application(engine, store, settings)
    await _initialize(app)
    async with app:  # (already initialized) ... shutdown
        await set_commands(app, engine)
        updater = app.updater
        assert updater is not None
        if settings.mode == "webhook":
            assert settings.webhook_secret is not None  # the settings refuse webhook without one
            await updater.start_webhook(
                listen=settings.webhook_listen,
                port=settings.webhook_port,
                url_path=settings.listen_path,
                webhook_url=settings.webhook_url,
                secret_token=settings.webhook_secret.get_secret_value(),
                allowed_updates=ALLOWED_UPDATES,
                drop_pending_updates=False,
                bootstrap_retries=BOOTSTRAP_RETRIES,
            )
        else:
            await updater.start_polling(
                timeout=settings.poll_timeout,
                allowed_updates=ALLOWED_UPDATES,
                drop_pending_updates=False,
                bootstrap_retries=BOOTSTRAP_RETRIES,
            )
        await app.start()
        log.info("telegram adapter running", extra={"mode": settings.mode})
        try:
            await stop.wait()
        finally:
            # Updater first: it confirms what was fetched; the Application then finishes the
            # queued updates before it returns.
            await updater.stop()
            await app.stop()
    log.info("telegram adapter stopped")
