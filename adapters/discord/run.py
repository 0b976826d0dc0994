"""Entry points for the CLI: serve the bot, or register its commands once."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from adapters.discord.bot import CoachBot, create_bot
from adapters.discord.settings import DiscordSettings
from adapters.discord.sync import sync_commands
from adapters.discord.tally import post_due_tallies
from bot.engine import Engine
from bot.store import Store

log = logging.getLogger(__name__)
TALLY_LOOK_SECONDS = 3600.0  # a tally is due once a week; an hour late is fine


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
        tallies = asyncio.create_task(post_tallies(bot, store, stop))
        await asyncio.wait([connection, stopping], return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        tallies.cancel()
        await bot.close()
        await connection  # re-raises a failed login


async def post_tallies(
    bot: CoachBot, store: Store, stop: asyncio.Event, every: float = TALLY_LOOK_SECONDS
) -> None:
    """Post the weekly server tallies that are due, looking every `every` seconds. Each is
    claimed in the database first, so several Discord processes never post one twice."""
    await bot.wait_until_ready()
    while not stop.is_set():
        try:
            await post_due_tallies(bot, store)
        except Exception:  # one bad channel must not end the loop: next look tries again
            log.exception("posting the weekly tallies failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)


async def sync_once(
    engine: Engine, store: Store, settings: DiscordSettings, guild_id: int | None
) -> int:
    """`coach discord sync [--guild ID]`: log in over HTTP only (no gateway), register the
    commands globally or in one server, and return how many were registered."""
    token = _token(settings)
    async with create_bot(engine, store, settings, sync_on_start=False) as bot:
        await bot.login(token)
        return await sync_commands(bot, guild_id)
