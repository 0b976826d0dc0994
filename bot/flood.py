"""Per-user flood control: past `limit` messages in a minute, one "slow down" answer, then
silence until the minute has passed. Other users are never held up."""

from __future__ import annotations

import enum
import time
from collections import deque
from collections.abc import Callable, Hashable

PRUNE_AT = 10_000  # users tracked before idle ones are forgotten


class Verdict(enum.Enum):
    OK = "ok"
    WARN = "warn"  # the first message over the limit: tell the user once
    DROP = "drop"


class FloodGate:
    def __init__(
        self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._seen: dict[Hashable, deque[float]] = {}
        self._warned: set[Hashable] = set()

    def check(self, key: Hashable) -> Verdict:
        if self.limit <= 0:
            return Verdict.OK
        now = self.clock()
        times = self._seen.setdefault(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) < self.limit:
            times.append(now)
            self._warned.discard(key)
            return Verdict.OK
        if len(self._seen) > PRUNE_AT:
            self._prune(now)
        if key in self._warned:
            return Verdict.DROP
        self._warned.add(key)
        return Verdict.WARN

    def _prune(self, now: float) -> None:
        idle = [k for k, t in self._seen.items() if not t or t[-1] <= now - self.window]
        for key in idle:
            del self._seen[key]
            self._warned.discard(key)
