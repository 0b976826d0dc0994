"""Scheduled nudges through Telegram: the scheduler's `Sender` for this platform."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from telegram import Bot
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from adapters.telegram.app import retry_seconds
from adapters.telegram.deliver import transmit
from adapters.telegram.render import render
from adapters.telegram.settings import load_telegram_settings
from adapters.telegram.translate import PLATFORM
from bot.app import App
from bot.delivery import Outcome, PacedSender, Sender
from bot.types import ConversationKey, Reply

log = logging.getLogger(__name__)


def outcome_of(error: TelegramError) -> Outcome:
    """Blocked or gone for good -> UNREACHABLE; anything that may pass -> RETRY."""
    if isinstance(error, Forbidden):
        return Outcome.UNREACHABLE
    if isinstance(error, BadRequest) and "chat not found" in error.message.lower():
        return Outcome.UNREACHABLE
    return Outcome.RETRY


@asynccontextmanager
async def nudge_sender(app: App) -> AsyncIterator[Sender]:
    """Its own Bot (same token and base URL), paced by the process's Telegram limiter, which
    the adapter's replies share: together they keep to Telegram's pace."""
    settings = load_telegram_settings()
    limiter = app.pacers.get(PLATFORM, settings.limits)
    async with Bot(settings.token, base_url=settings.base_url) as bot:

        async def send_one(key: ConversationKey, reply: Reply) -> Outcome:
            try:
                for message in render([reply]):
                    await transmit(bot, int(key.chat_id), message, None)
            except TelegramError as error:
                if isinstance(error, RetryAfter):
                    app.metrics.rate_limited(PLATFORM)
                    limiter.hold(retry_seconds(error))  # replies wait too: one bot, one limit
                log.info("nudge not delivered", extra={"error": type(error).__name__})
                return outcome_of(error)
            return Outcome.SENT

        yield PacedSender(PLATFORM, send_one, limiter)
