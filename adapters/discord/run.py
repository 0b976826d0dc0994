"""Entry points for the CLI: serve the bot, or register its commands once."""

from __future__ import annotations

import asyncio

from adapters.discord.bot import create_bot
from adapters.discord.settings import DiscordSettings
from adapters.discord.sync import sync_commands
from bot.engine import Engine
from bot.store import Store


def _token(settings: DiscordSettings) -> str:
    if settings.discord_bot_token is None:
        raise ValueError("DISCORD_BOT_TOKEN is not set")
    return settings.discord_bot_token.get_secret_value()


async def serve(
    engine: Engine, store: Store, settings: DiscordSettings, stop: asyncio.Event
) -> None:
    """Connect and serve until `stop` is set; discord.py reconnects by itself."""
    token = _token(settings)
    async with create_bot(engine, store, settings) as bot:
        connection = asyncio.create_task(bot.start(token))
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait([connection, stopping], return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        await bot.close()
        await connection  # re-raises a failed login


async def sync_once(
    engine: Engine, store: Store, settings: DiscordSettings, guild_id: int | None
) -> int:
    """`coach discord sync [--guild ID]`: log in over HTTP only (no gateway), register the
    commands globally or in one server, and return how many were registered."""
    token = _token(settings)
    async with create_bot(engine, store, settings, sync_on_start=False) as bot:
        await bot.login(token)
        return await sync_commands(bot, guild_id)
