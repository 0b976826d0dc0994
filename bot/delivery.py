"""How proactive messages (scheduled nudges) leave the core: one `Sender` per platform.

A sender takes the replies of a finished engine turn and delivers them to the conversation,
answering with an `Outcome`; the scheduler decides what follows (see bot/scheduler/sweep.py):

- SENT: delivered; the delivery ledger records it.
- RETRY: the platform could not take it now (5xx, timeout, a 429 the limiter could not avoid):
  the delivery stays pending and is tried again after a pause, as a fresh resend of the
  question the user is at.
- UNREACHABLE: the platform refuses this user for good (Telegram 403 "bot was blocked",
  Discord 50007 "cannot send messages to this user"): the subscription is paused and the user
  marked unreachable, until they come back and turn nudges on again.

What each platform's sender must do:
- keep to the platform's rate (bot.ratelimit: `TELEGRAM`, `DISCORD`) with one shared
  `RateLimiter` per bot token; `PacedSender` does that around a one-message send function;
- render replies exactly as the adapter renders a normal answer (buttons carry the same ids,
  so pressing one is an ordinary turn);
- send to `key.chat_id` (the private chat or DM channel stored when the user last wrote);
- never raise: map every failure to RETRY or UNREACHABLE, and log without message text;
- need not mark users unreachable: the sweep does it with the outcome, in one transaction
  (`adapters.discord.deliver` does it too, which is harmless).

An adapter offers its sender to `coach run` / `coach run --worker` as `nudge_sender(app)` in its
package: an async context manager yielding the sender (set up a client, close it after).
- Telegram: its own initialized PTB `Bot` (same token and base_url), `send_message(
  int(key.chat_id), ...)` with the adapter's rendering. Forbidden (403:
  blocked, deactivated) and BadRequest "chat not found" -> UNREACHABLE; RetryAfter (429),
  TimedOut, NetworkError (5xx) and other BadRequests -> RETRY (recorded as failed after
  NUDGE_MAX_ATTEMPTS). In `coach run` the adapter's own replies count against the same 30/s:
  share one limiter between them.
- Discord: `adapters.discord.deliver(bot, key.user_id, [reply])` per reply (a client logged in
  over HTTP is enough for DMs in a worker): True -> SENT, False (Forbidden 50007 / NotFound) ->
  UNREACHABLE, any other `discord.HTTPException` -> RETRY. Buttons must be the persistent
  views (stable custom_id = the choice id) so that presses work after a restart.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.ratelimit import RateLimiter
from bot.types import ConversationKey, Reply


class Outcome(enum.Enum):
    SENT = "sent"
    RETRY = "retry"
    UNREACHABLE = "unreachable"


class Sender(Protocol):
    platform: str

    async def send(self, key: ConversationKey, replies: list[Reply]) -> Outcome: ...


SendOne = Callable[[ConversationKey, Reply], Awaitable[Outcome]]


@dataclass
class PacedSender:
    """Sends replies one by one through a rate limiter; stops at the first that fails (the
    whole turn is then retried, so an earlier message of a multi-message turn may repeat)."""

    platform: str
    send_one: SendOne
    limiter: RateLimiter | None = None

    async def send(self, key: ConversationKey, replies: list[Reply]) -> Outcome:
        for reply in replies:
            if self.limiter is not None:
                await self.limiter.wait(key.chat_id)
            outcome = await self.send_one(key, reply)
            if outcome is not Outcome.SENT:
                return outcome
        return Outcome.SENT


@dataclass
class NullSender:
    """Takes everything and sends nothing (benchmarks); counts what it was given."""

    platform: str
    messages: int = 0

    async def send(self, key: ConversationKey, replies: list[Reply]) -> Outcome:
        self.messages += len(replies)
        return Outcome.SENT


def by_platform(senders: Sequence[Sender]) -> dict[str, Sender]:
    return {s.platform: s for s in senders}
