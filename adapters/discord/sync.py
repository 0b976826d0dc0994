"""Command registration. Discord rate-limits it and a global change takes a while to reach
every client, so the bot syncs on start only when the command set changed (a digest of the
payload it would send is kept per application and scope), and on demand from the CLI."""

from __future__ import annotations

import hashlib
import json
import logging
from typing import TYPE_CHECKING

import discord

if TYPE_CHECKING:
    from adapters.discord.bot import CoachBot

log = logging.getLogger(__name__)


def _guild(guild_id: int | None) -> discord.Object | None:
    return discord.Object(guild_id) if guild_id is not None else None


def scope(bot: CoachBot, guild_id: int | None) -> str:
    return f"{bot.application_id}:{guild_id if guild_id is not None else 'global'}"


def digest(bot: CoachBot, guild_id: int | None) -> str:
    """What a sync would register, hashed; the same commands give the same digest."""
    payload = [c.to_dict(bot.tree) for c in bot.tree.get_commands(guild=_guild(guild_id))]
    payload.sort(key=lambda c: (c.get("type", 1), c["name"]))
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def scopes(bot: CoachBot) -> list[int | None]:
    """DISCORD_GUILD_IDS set: those servers only (instant updates); else global commands."""
    return list(bot.settings.discord_guild_ids) or [None]


async def sync_commands(bot: CoachBot, guild_id: int | None = None) -> int:
    """Register the commands globally or in one server, now; returns how many.
    The bot must be logged in (the CLI logs in without connecting to the gateway)."""
    guild = _guild(guild_id)
    if guild is not None and not bot.tree.get_commands(guild=guild):
        bot.tree.copy_global_to(guild=guild)
    synced = await bot.tree.sync(guild=guild)
    await bot.records.save_digest(scope(bot, guild_id), digest(bot, guild_id))
    log.info("commands synced", extra={"platform": "discord", "count": len(synced)})
    return len(synced)


async def sync_if_changed(bot: CoachBot) -> list[int | None]:
    """Sync each configured scope whose commands changed since the last sync."""
    changed = []
    for guild_id in scopes(bot):
        if await bot.records.synced_digest(scope(bot, guild_id)) != digest(bot, guild_id):
            await sync_commands(bot, guild_id)
            changed.append(guild_id)
    return changed
