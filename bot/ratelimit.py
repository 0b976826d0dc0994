"""Sending at a platform's pace: a token bucket overall and one per chat.

The overall bucket paces messages evenly (GCRA form: the time its next token is due, in
integer nanoseconds so float rounding never lets one message too many into a second). A busy
event loop can still wake a message late, bunching it with the next ones; so the limit is also
checked against the times messages really went: never more than `per_second` in any second,
and a chat's next message waits a full interval after its last one really went. Chats that
wait do not hold up other chats.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

NS = 1_000_000_000
MARGIN = NS // 1000  # 1 ms: the platform's clock reads a little later than ours
PRUNE_AT = 10_000  # chats remembered before the idle ones (free again) are dropped


@dataclass(frozen=True)
class Rate:
    per_second: float
    burst: int = 1  # tokens a full bucket holds; 1: evenly spaced, never two at once

    @property
    def interval_ns(self) -> int:
        return math.ceil(NS / self.per_second)  # rounded up: never faster than the limit

    @property
    def per_window(self) -> int:
        """Messages allowed in any one second."""
        return max(1, math.floor(self.per_second))


@dataclass(frozen=True)
class Window:
    """At most `count` messages in any `seconds` (bursts allowed within it)."""

    count: int
    seconds: float


@dataclass(frozen=True)
class Limits:
    overall: Rate
    per_chat: Rate
    per_group: Window | None = None  # group chats, when the platform paces them apart


# Telegram: about 30 messages a second in all, no more than one a second to one chat, and 20
# a minute to one group.
TELEGRAM = Limits(overall=Rate(30), per_chat=Rate(1), per_group=Window(20, 60))
# Discord: 50 requests a second per bot; DMs to one user are limited far more tightly.
DISCORD = Limits(overall=Rate(50), per_chat=Rate(1))


class RateLimiter:
    """`await limiter.wait(chat)` right before each message. One limiter per bot token."""

    def __init__(
        self,
        limits: Limits,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.limits = limits
        self.clock = clock
        self.sleep = sleep
        self._interval = limits.overall.interval_ns
        self._tolerance = (limits.overall.burst - 1) * self._interval
        self._due = 0  # when the overall bucket's next token is due
        self._sent: deque[int] = deque(maxlen=limits.overall.per_window)
        self._chat_free: dict[str, int] = {}  # when each chat may get its next message
        self._groups: dict[str, deque[int]] = {}  # each group's latest messages (per_group)

    def _now(self) -> int:
        return round(self.clock() * NS)

    async def wait(self, chat: str | None, *, group: bool = False) -> None:
        """Until a message may go. `chat=None`: only the overall pace (a reply of a few
        messages to someone who just wrote goes at once; nudges pace each chat). A `group`
        chat keeps to the group window instead of the per-chat pace."""
        if group and chat is not None and self.limits.per_group is not None:
            await self._group_slot(chat, self.limits.per_group)
            chat = None
        if chat is not None:
            await self._until(lambda: self._chat_free.get(chat, 0))
        # Reserve the next overall token (no await between reading and charging it), and hold
        # the chat meanwhile: a second message to it waits for this one.
        now = self._now()
        at = max(now, self._due - self._tolerance)
        self._due = max(self._due, at) + self._interval
        if chat is not None:
            self._chat_free[chat] = at + self.limits.per_chat.interval_ns
        await self._until(lambda: at)
        await self._until(self._window_free)
        self._charge(chat, self._now())

    async def _group_slot(self, chat: str, window: Window) -> None:
        """Wait for room in the group's window, then take it (no await in between)."""
        if chat not in self._groups and len(self._groups) >= PRUNE_AT:
            self._groups.clear()  # each group is remembered again from its next message
        sent = self._groups.setdefault(chat, deque(maxlen=window.count))
        span = round(window.seconds * NS) + MARGIN
        await self._until(lambda: sent[0] + span if len(sent) == sent.maxlen else 0)
        sent.append(self._now())

    def hold(self, seconds: float) -> None:
        """The platform said "retry after": nothing more goes out before then, whoever sends."""
        self._due = max(self._due, self._now() + round(seconds * NS))

    async def _until(self, when: Callable[[], int]) -> None:
        now = self._now()
        while (due := when()) > now:
            await self.sleep((due - now) / NS)
            now = self._now()

    def _window_free(self) -> int:
        if len(self._sent) < (self._sent.maxlen or 1):
            return 0
        return self._sent[0] + NS + MARGIN

    def _charge(self, chat: str | None, now: int) -> None:
        self._sent.append(now)
        if chat is None:
            return
        if len(self._chat_free) >= PRUNE_AT:
            self._chat_free = {c: t for c, t in self._chat_free.items() if t > now}
        self._chat_free[chat] = now + self.limits.per_chat.interval_ns


class Pacers:
    """One limiter per platform in a process: its replies and its nudges share the budget."""

    def __init__(self) -> None:
        self._limiters: dict[str, RateLimiter] = {}

    def get(self, platform: str, limits: Limits) -> RateLimiter:
        if platform not in self._limiters:
            self._limiters[platform] = RateLimiter(limits)
        return self._limiters[platform]
