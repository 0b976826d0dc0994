"""The Telegram limits (30 messages a second overall, 1 a second per chat, 20 a minute per
group) hold at the times messages really go, on a virtual clock, even when the event loop
wakes senders late."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import random

from bot.ratelimit import TELEGRAM, Limits, Rate, RateLimiter


class VirtualClock:
    """Time moves only when every task is asleep: to the earliest wake-up (plus some lateness,
    like a busy event loop)."""

    def __init__(self, lateness: float = 0.0, seed: int = 1) -> None:
        self.now = 0.0
        self.lateness = lateness
        self._random = random.Random(seed)
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        late = self._random.uniform(0, self.lateness)
        woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + seconds + late, next(self._order), woken))
        await woken

    async def run(self, tasks: list[asyncio.Task]) -> None:
        while not all(t.done() for t in tasks):
            for _ in range(20):  # let every runnable task reach its next sleep
                await asyncio.sleep(0)
            if self._sleepers:
                wake, _, woken = heapq.heappop(self._sleepers)
                self.now = max(self.now, wake)
                woken.set_result(None)


async def _send_all(limiter: RateLimiter, clock: VirtualClock, plan: list[list[str]]) -> list:
    """Each inner list is one sender sending to its chats in order; returns (time, chat)."""
    sent: list[tuple[float, str]] = []

    async def sender(chats: list[str]) -> None:
        for chat in chats:
            await limiter.wait(chat)
            sent.append((clock(), chat))

    tasks = [asyncio.create_task(sender(chats)) for chats in plan]
    await clock.run(tasks)
    return sorted(sent)


def _over_the_limit(sent: list[tuple[float, str]], limits: Limits) -> list[str]:
    problems = []
    times = [t for t, _ in sent]
    allowed = limits.overall.per_window
    for i in range(len(times) - allowed):
        if times[i + allowed] - times[i] < 1.0:
            problems.append(f"{allowed + 1} messages within {times[i + allowed] - times[i]:.4f}s")
    last: dict[str, float] = {}
    for t, chat in sent:
        if chat in last and t - last[chat] < 1.0:
            problems.append(f"chat {chat}: two messages {t - last[chat]:.4f}s apart")
        last[chat] = t
    return problems


async def test_no_second_is_over_the_telegram_limits() -> None:
    clock = VirtualClock()
    limiter = RateLimiter(TELEGRAM, clock=clock, sleep=clock.sleep)
    # 200 senders; every chat gets 1-3 messages in a row (a turn's replies), some chats twice
    plan = [[f"c{n % 150}"] * (1 + n % 3) for n in range(200)]
    sent = await _send_all(limiter, clock, plan)
    assert len(sent) == sum(len(p) for p in plan)
    assert _over_the_limit(sent, TELEGRAM) == []


async def test_the_allowance_is_used_to_the_full() -> None:
    clock = VirtualClock()
    limiter = RateLimiter(TELEGRAM, clock=clock, sleep=clock.sleep)
    sent = await _send_all(limiter, clock, [[f"c{n}"] for n in range(301)])
    assert 29.9 <= 300 / (sent[-1][0] - sent[0][0]) <= 30


async def test_a_late_event_loop_still_never_bunches_messages_over_the_limit() -> None:
    clock = VirtualClock(lateness=0.08)
    limiter = RateLimiter(TELEGRAM, clock=clock, sleep=clock.sleep)
    plan = [[f"c{n}", f"c{n}"] for n in range(150)]
    sent = await _send_all(limiter, clock, plan)
    assert _over_the_limit(sent, TELEGRAM) == []


async def test_a_waiting_chat_does_not_hold_up_the_others() -> None:
    clock = VirtualClock()
    limiter = RateLimiter(Limits(Rate(10), Rate(1)), clock=clock, sleep=clock.sleep)
    sent = await _send_all(limiter, clock, [["busy"] * 5, [f"c{n}" for n in range(20)]])
    others = [t for t, chat in sent if chat != "busy"]
    assert others[-1] < 2.6  # 20 others + 3 busy slots at 10/s, not 5 s behind "busy"


async def test_a_group_gets_twenty_a_minute_and_holds_up_nobody_else() -> None:
    clock = VirtualClock()
    limiter = RateLimiter(TELEGRAM, clock=clock, sleep=clock.sleep)
    sent: list[tuple[float, str]] = []

    async def send(chat: str | None, group: bool = False) -> None:
        await limiter.wait(chat, group=group)
        sent.append((clock(), chat or "reply"))

    tasks = [asyncio.create_task(send("-100", group=True)) for _ in range(25)]
    tasks.append(asyncio.create_task(send(None)))  # a reply to someone in a private chat
    await clock.run(tasks)
    group = [t for t, chat in sent if chat == "-100"]
    assert max(group[:20]) < 1.0  # a burst of twenty goes at the overall pace
    assert all(later - first >= 60 for first, later in zip(group, group[20:], strict=False))
    (reply,) = [t for t, chat in sent if chat == "reply"]
    assert reply < 1.0
