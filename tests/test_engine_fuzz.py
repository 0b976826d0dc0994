"""Generated input sequences: whatever users send, the engine answers and never breaks."""

from __future__ import annotations

import asyncio
import itertools
import logging
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.store import Store
from bot.texts import Texts
from bot.types import ConversationKey, Inbound
from tests.conftest import make_engine

COMMANDS = ["start", "help", "menu", "cancel", "resume", "reframe", "steps", "hello", "nope", ""]

actions = st.one_of(
    st.tuples(st.just("text"), st.text(max_size=300)),
    st.tuples(st.just("text"), st.sampled_from(["done", "Done", "yes", "1", "Menu", " ", "\x00"])),
    st.tuples(st.just("command"), st.sampled_from(COMMANDS)),
    st.tuples(st.just("press"), st.integers(0, 12)),  # one of the buttons just shown
    st.tuples(st.just("choice"), st.text(max_size=80)),  # forged or stale button data
    st.tuples(st.just("choice"), st.sampled_from(["o:reframe.commit.yes", "c:steps", "o:", "c:"])),
)


def test_any_sequence_gets_answers_and_never_breaks(tmp_path: Path, texts: Texts, caplog) -> None:
    caplog.set_level(logging.ERROR, logger="bot.engine")
    users = itertools.count()
    with asyncio.Runner() as runner:
        store = runner.run(Store.open(f"sqlite+aiosqlite:///{tmp_path / 'fuzz.db'}"))
        engine = make_engine(store, texts)

        async def play(sequence: list[tuple[str, object]]) -> None:
            user = str(next(users))
            key = ConversationKey("fuzz", user, user)
            shown: tuple = ()
            for kind, value in sequence:
                if kind == "press":
                    if not shown:
                        continue
                    inbound = Inbound.choice(key, shown[int(value) % len(shown)].id)
                elif kind == "command":
                    inbound = Inbound.command(key, str(value))
                else:
                    inbound = Inbound(key, kind, str(value))  # type: ignore[arg-type]
                replies = await engine.handle(inbound)
                assert replies, f"no answer to {inbound}"
                assert all(r.text.strip() for r in replies)
                assert all(len(c.id.encode()) <= 64 for r in replies for c in r.choices)
                shown = replies[-1].choices

        @settings(
            max_examples=1000,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        )
        @given(st.lists(actions, min_size=1, max_size=12))
        def check(sequence: list[tuple[str, object]]) -> None:
            runner.run(play(sequence))

        try:
            check()
        finally:
            runner.run(store.close())
    assert not [r for r in caplog.records if r.name == "bot.engine"], "a turn raised"
