"""Flood control: one user's burst gets one "slow down" and is not processed; others go on."""

from __future__ import annotations

from sqlalchemy import select

from bot.flood import FloodGate, Verdict
from bot.store.schema import journal
from bot.types import Inbound
from tests.conftest import Chat, column, make_engine


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_burst_gets_one_slow_down_and_others_are_not_held_up(store, texts) -> None:
    clock = Clock()
    engine = make_engine(store, texts, flood=FloodGate(5, clock=clock))
    noisy, calm = Chat(engine, "noisy"), Chat(engine, "calm")
    await noisy.command("reframe")
    for n in range(4):
        await noisy.say(f"answer {n}")
    await noisy.say("one too many")
    assert "slow down" in noisy.text
    assert await noisy.say("and another") == []  # told once, then quiet
    await calm.command("reframe")
    await calm.say("I'm fine")
    assert "slow down" not in calm.text

    # a scheduled turn is not the user's flood
    assert await engine.handle(Inbound.command(noisy.key, "checkin", interrupt=True))
    clock.now += 61
    await noisy.say("back again")
    assert "option" in noisy.text  # handled again: the check-in asks for a number
    kept = await column(store, select(journal.c.text))
    assert "one too many" not in kept
    assert {"answer 0", "answer 3", "I'm fine"} <= set(kept)


def test_the_gate_forgets_idle_users() -> None:
    clock = Clock()
    gate = FloodGate(1, clock=clock)
    assert gate.check("a") is Verdict.OK
    assert gate.check("a") is Verdict.WARN
    assert gate.check("a") is Verdict.DROP
    clock.now += 60
    assert gate.check("a") is Verdict.OK
    assert FloodGate(0).check("a") is Verdict.OK
