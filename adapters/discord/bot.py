"""The Discord client: commands, persistent buttons, DMs, and delivery of nudges."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import discord
from discord import app_commands

from adapters.discord.commands import COACHING, register
from adapters.discord.records import Records
from adapters.discord.settings import DiscordSettings
from adapters.discord.shards import shard_options
from adapters.discord.sync import sync_if_changed
from adapters.discord.turns import PLATFORM, Turns
from adapters.discord.views import MODAL_PREFIX, AnswerButton, ChoiceButton, compose, extras
from bot.engine import Engine
from bot.store import Store
from bot.types import Reply

log = logging.getLogger(__name__)

DESCRIBED = tuple(
    f"describe_{name}"
    for name in (
        *COACHING,
        *("server", "tally", "tally_channel", "tally_stop", "join_tally", "leave_tally"),
    )
)


def intents() -> discord.Intents:
    # Slash commands and buttons need no intent; DMs need dm_messages, and DM text arrives
    # without the privileged message_content intent. guilds keeps channels in the cache.
    return discord.Intents(guilds=True, dm_messages=True)


class CoachBot(discord.Client):
    def __init__(
        self,
        engine: Engine,
        store: Store,
        settings: DiscordSettings,
        *,
        sync_on_start: bool = True,
        **client_options: Any,  # shard_ids / shard_count for ShardedCoachBot
    ) -> None:
        super().__init__(
            intents=intents(), allowed_mentions=discord.AllowedMentions.none(), **client_options
        )
        self.engine = engine
        self.store = store
        self.settings = settings
        self.sync_on_start = sync_on_start
        self.records = Records(store)
        self.turns = Turns(self)
        self.tree = app_commands.CommandTree(self)
        register(self.tree, {key: self.turns.say(key) for key in DESCRIBED})
        for guild_id in settings.discord_guild_ids:
            self.tree.copy_global_to(guild=discord.Object(guild_id))

    async def setup_hook(self) -> None:
        # Buttons sent before a restart match these templates, so they keep working.
        self.add_dynamic_items(ChoiceButton, AnswerButton)
        if self.sync_on_start:
            await sync_if_changed(self)

    async def on_message(self, message: discord.Message) -> None:
        # Servers are served by slash commands only; in DMs a plain message is an answer.
        if message.author.bot or message.guild is not None:
            return
        if message.type not in (discord.MessageType.default, discord.MessageType.reply):
            return
        await self.turns.direct_message(message)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        # Modal submissions are matched here by custom_id rather than by the Modal object,
        # which does not survive a restart.
        if interaction.type is not discord.InteractionType.modal_submit:
            return
        if str((interaction.data or {}).get("custom_id", "")).startswith(MODAL_PREFIX):
            await self.turns.answer(interaction)


class ShardedCoachBot(CoachBot, discord.AutoShardedClient):
    """The same bot over several gateway shards (DISCORD_SHARD_COUNT / DISCORD_SHARD_IDS)."""


def create_bot(
    engine: Engine,
    store: Store,
    settings: DiscordSettings | None = None,
    *,
    sync_on_start: bool = True,
) -> CoachBot:
    """A configured bot that is not connected: `await bot.start(token)` runs it, and a
    simulator such as simcord can drive it in tests. Sharded when shards are configured."""
    sharding = shard_options()
    if sharding is None:
        return CoachBot(engine, store, settings or DiscordSettings(), sync_on_start=sync_on_start)
    return ShardedCoachBot(
        engine, store, settings or DiscordSettings(), sync_on_start=sync_on_start, **sharding
    )


async def deliver(bot: CoachBot, user_id: int | str, replies: Sequence[Reply]) -> bool:
    """DM replies to a user (scheduled nudges). A user whose DMs are closed (50007) is
    marked unreachable and told the next time they use a command in a server."""
    try:
        user = bot.get_user(int(user_id)) or await bot.fetch_user(int(user_id))
        channel = user.dm_channel or await user.create_dm()
        answer_label = bot.turns.say("answer_button")
        for out in compose(replies):
            await channel.send(out.content, **extras(out, answer_label))
    except discord.Forbidden as exc:
        log.info("DM refused", extra={"platform": PLATFORM, "code": exc.code})
        await bot.store.mark_unreachable(PLATFORM, str(user_id))
        return False
    except discord.NotFound:
        log.info("DM to an unknown user", extra={"platform": PLATFORM})
        await bot.store.mark_unreachable(PLATFORM, str(user_id))
        return False
    return True
