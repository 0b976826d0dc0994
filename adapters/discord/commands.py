"""The slash commands. Each coaching command is the engine command of the same name;
descriptions come from data/texts (discord.describe_*), like every word the bot says."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from adapters.discord.tally import server_group

if TYPE_CHECKING:
    from adapters.discord.bot import CoachBot

COACHING = (
    "start",
    "help",
    "menu",
    "reframe",
    "steps",
    "checkin",
    "mood",
    "progress",
    "perspective",
    "predictions",
    "past",
    "connect",
    "selfcare",
    "learn",
    "support",
    "nudges",
    "cancel",
    "privacy",
)

# Guild-installed app: usable in servers and in DMs with the bot, not in group DMs.
CONTEXTS = app_commands.AppCommandContext(guild=True, dm_channel=True, private_channel=False)
INSTALLS = app_commands.AppInstallationType(guild=True, user=False)


def _coaching(name: str, description: str) -> app_commands.Command:
    async def callback(interaction: discord.Interaction[CoachBot]) -> None:
        await interaction.client.turns.command(interaction, name)

    return app_commands.Command(
        name=name,
        description=description[:100],
        callback=callback,
        allowed_contexts=CONTEXTS,
        allowed_installs=INSTALLS,
    )


def register(tree: app_commands.CommandTree, describe: dict[str, str]) -> None:
    """Add every command; `describe` maps a text key to its words."""
    for name in COACHING:
        tree.add_command(_coaching(name, describe[f"describe_{name}"]))
    tree.add_command(server_group(describe))
