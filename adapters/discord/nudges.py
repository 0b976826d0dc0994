"""Scheduled nudges through Discord DMs: the scheduler's `Sender` for this platform."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import discord

from adapters.discord.bot import create_bot, deliver
from adapters.discord.settings import DiscordSettings
from adapters.discord.turns import PLATFORM
from bot.app import App
from bot.delivery import Outcome, PacedSender, Sender
from bot.ratelimit import DISCORD, RateLimiter
from bot.types import ConversationKey, Reply

log = logging.getLogger(__name__)


@asynccontextmanager
async def nudge_sender(app: App) -> AsyncIterator[Sender]:
    """A client logged in over HTTP only (no gateway): enough to open DMs and send."""
    settings = DiscordSettings()
    if settings.discord_bot_token is None:
        raise ValueError("DISCORD_BOT_TOKEN is not set")
    async with create_bot(app.engine, app.store, settings, sync_on_start=False) as bot:
        await bot.login(settings.discord_bot_token.get_secret_value())

        async def send_one(key: ConversationKey, reply: Reply) -> Outcome:
            try:
                delivered = await deliver(bot, key.user_id, [reply])  # DMs go to the user
            except discord.HTTPException as error:
                log.info("nudge not delivered", extra={"status": error.status})
                return Outcome.RETRY
            return Outcome.SENT if delivered else Outcome.UNREACHABLE

        yield PacedSender(PLATFORM, send_one, RateLimiter(DISCORD))
