"""Helpers for the nudge tests: a settable clock, a sender that records, a sweep on that clock,
and a way to let simulated time pass with the sweep running every few minutes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.delivery import Outcome
from bot.engine import Engine
from bot.scheduler import plans
from bot.scheduler.sweep import Sweep, SweepConfig
from bot.store import Store
from bot.types import ConversationKey, Reply
from tests.conftest import Chat

PLATFORM = "test"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Delivery:
    at: datetime
    key: ConversationKey
    replies: list[Reply]

    @property
    def text(self) -> str:
        return "\n".join(r.text for r in self.replies)

    @property
    def buttons(self) -> list[str]:
        return [c.label for r in self.replies for c in r.choices]


@dataclass
class RecordingSender:
    """Keeps every delivery; answers with scripted outcomes first, then SENT."""

    clock: Clock
    platform: str = PLATFORM
    outcomes: list[Outcome] = field(default_factory=list)
    sent: list[Delivery] = field(default_factory=list)
    before_send: Callable[[], Awaitable[None]] | None = None

    async def send(self, key: ConversationKey, replies: list[Reply]) -> Outcome:
        if self.before_send is not None:
            await self.before_send()
        outcome = self.outcomes.pop(0) if self.outcomes else Outcome.SENT
        if outcome is Outcome.SENT:
            self.sent.append(Delivery(self.clock(), key, replies))
        return outcome

    def to(self, user: str) -> list[Delivery]:
        return [d for d in self.sent if d.key.user_id == user]


def make_sweep(store: Store, engine: Engine, sender: RecordingSender, **config: object) -> Sweep:
    return Sweep(store, engine, {sender.platform: sender}, SweepConfig(**config), sender.clock)  # type: ignore[arg-type]


async def let_time_pass(sweep: Sweep, clock: Clock, until: datetime, step_minutes: int = 5) -> None:
    """Sweep every few simulated minutes up to `until`, as the service would."""
    while clock.now < until:
        clock.now = min(until, clock.now + timedelta(minutes=step_minutes))
        await sweep.run()


async def subscribe(
    store: Store, user: str, now: datetime, zone: str = "Europe/Berlin", at: str = "08:30", **more
) -> int:
    """A user who opted in (as /nudges would leave them)."""
    record = await store.user(ConversationKey(PLATFORM, user, user))
    hour, minute = (int(x) for x in at.split(":"))
    changes = {"status": "on", "zone": zone, "at_minute": hour * 60 + minute, **more}
    await store.run(plans.change, record.id, changes, now)
    return record.id


def show(chat: Chat, delivery: Delivery) -> Chat:
    """Make a delivered nudge the chat's latest replies, so `click` can press its buttons."""
    chat.replies = delivery.replies
    return chat


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]
