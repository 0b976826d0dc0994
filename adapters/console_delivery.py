"""Scheduled nudges in the terminal chat. A terminal has no push: when the chat starts, the
nudges due since it last ran are delivered, which leaves the conversation at their question;
the sender only announces that something is waiting, and the chat's opening shows it with its
numbered choices (printing it here as well would show the question twice)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TextIO

from adapters.console import PLATFORM
from bot.delivery import Outcome
from bot.engine import Engine
from bot.scheduler.sweep import Sweep, SweepConfig
from bot.types import ConversationKey, Reply

# The terminal is opened when its user likes: a morning nudge still counts in the afternoon.
MAX_LATE = timedelta(hours=18)


@dataclass
class ConsoleSender:
    stream: TextIO
    notice: str
    platform: str = PLATFORM

    async def send(self, key: ConversationKey, replies: list[Reply]) -> Outcome:
        self.stream.write(self.notice + "\n")
        self.stream.flush()
        return Outcome.SENT


async def deliver_due(engine: Engine, stream: TextIO) -> int:
    """Run the nudges due for terminal users now; returns how many went out."""
    sender = ConsoleSender(stream, engine.texts.say("nudges.console_notice"))
    sweep = Sweep(engine.store, engine, {PLATFORM: sender}, SweepConfig(max_late=MAX_LATE))
    return (await sweep.run()).sent
