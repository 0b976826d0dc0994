"""Discord end to end: the real bot (create_bot) driven by simcord's simulated Discord."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import discord
import pytest

from adapters.discord import DiscordSettings, create_bot


@pytest.fixture
def discord_settings() -> DiscordSettings:
    return DiscordSettings(_env_file=None, discord_bot_token=None, discord_guild_ids=())


@pytest.fixture
def simcord_bot(engine, store, discord_settings):
    return create_bot(engine, store, discord_settings)


@dataclass
class World:
    env: Any
    guild: Any
    channel: Any
    alice: Any
    bob: Any
    manager: Any


@pytest.fixture
def world(simcord_env) -> World:
    guild = simcord_env.create_guild("Calm Corner")
    channel = guild.create_text_channel("general")
    managers = guild.create_role("Mods", permissions=discord.Permissions(manage_guild=True))
    return World(
        simcord_env,
        guild,
        channel,
        guild.add_member(simcord_env.create_user("alice")),
        guild.add_member(simcord_env.create_user("bob")),
        guild.add_member(simcord_env.create_user("mia"), roles=[managers]),
    )
