"""Discord adapter (discord.py 2.x): slash commands, private replies in servers, buttons,
modals, DMs, nudges by DM, and an opt-in anonymous tally for community servers.

`create_bot(engine, store, settings)` returns a configured, unconnected client; run it with
`await bot.start(token)` or drive it with a simulator (simcord) in tests.

Names are loaded on first use, so importing `adapters.discord.tables` (which the core
schema does) does not import discord.py.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "CoachBot": "adapters.discord.bot",
    "create_bot": "adapters.discord.bot",
    "deliver": "adapters.discord.bot",
    "nudge_sender": "adapters.discord.nudges",
    "DiscordSettings": "adapters.discord.settings",
    "post_due_tallies": "adapters.discord.tally",
    "post_tally": "adapters.discord.tally",
    "sync_commands": "adapters.discord.sync",
    "serve": "adapters.discord.run",
    "sync_once": "adapters.discord.run",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
