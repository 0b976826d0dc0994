"""The turn path: persistence, serialization, duplicates, deploys, commands and bad input."""

from __future__ import annotations

import asyncio
import itertools
import json

import pytest
from sqlalchemy import select, update

from bot.store import Store
from bot.store.schema import inbound, journal, sessions
from bot.types import ConversationKey, Inbound
from tests.conftest import Chat, column, make_engine, one


async def test_restart_mid_flow_resumes_at_the_same_state(store, texts, db_url) -> None:
    chat = Chat(make_engine(store, texts))
    await chat.command("reframe")
    await chat.say("Lost my job")
    await store.close()

    reopened = await Store.open(db_url)
    try:
        chat = chat.with_engine(make_engine(reopened, texts))
        await chat.say("The economy")  # the answer to "what can't you change?"
        assert "Lost my job" in chat.text  # the next question quotes the first answer
        await chat.command("resume")
        assert "Lost my job" in chat.text
    finally:
        await reopened.close()


async def test_two_messages_at_once_are_handled_one_after_the_other(engine) -> None:
    chat = Chat(engine)
    await chat.command("reframe")
    await asyncio.gather(chat.say("A"), chat.say("B"))
    # Both advanced the flow, in turn: situation, then what is outside your control.
    rows = await engine.store.rows(select(journal.c.field, journal.c.text))
    state = await one(engine.store, select(sessions.c.state))
    assert sorted(rows) == sorted([("situation", "A"), ("outside", "B")])
    assert state == "inside"


async def test_a_redelivered_update_is_answered_once(engine) -> None:
    key = ConversationKey("telegram", "7", "7")
    await engine.handle(Inbound.command(key, "reframe", update_id="100"))
    message = Inbound.text(key, "Rain on my wedding day", update_id="101")
    assert await engine.handle(message)
    assert await engine.handle(message) == []
    assert len(await engine.store.rows(select(journal))) == 1
    assert len(await engine.store.rows(select(inbound))) == 2


async def test_a_renamed_state_resets_kindly(engine) -> None:
    chat = Chat(engine)
    await chat.command("reframe")
    await chat.say("Something")
    await engine.store.run(
        lambda conn: conn.execute(update(sessions).values(state="gone_in_v2", version=99))
    )
    fresh = chat.with_engine(make_engine(engine.store, engine.texts))
    await fresh.say("hello?")
    assert "lost my place" in fresh.text
    assert "Why me?" in " ".join(fresh.buttons)  # the menu
    await fresh.click("Why me?")
    assert "going on" in fresh.text or "happening" in fresh.text


async def test_two_engines_cannot_both_advance_one_session(store, texts) -> None:
    a, b = make_engine(store, texts), make_engine(store, texts)
    chat_a, chat_b = Chat(a), Chat(b)
    await chat_a.command("reframe")
    await chat_b.command("help")  # b now has a cached, soon stale, session
    await chat_a.command("reframe")
    await chat_a.say("From A")  # a moves the session on
    await chat_b.say("From B")  # b's cached version is stale: it must reload, not overwrite
    rows = await store.rows(select(journal.c.field, journal.c.text))
    version = await one(store, select(sessions.c.version))
    assert sorted(rows) == [("outside", "From B"), ("situation", "From A")]
    assert version == 5


@pytest.mark.postgres
async def test_two_engines_on_postgres_serialize_through_the_version(pg_url, texts) -> None:
    stores = [await Store.open(pg_url), await Store.open(pg_url)]
    try:
        engines = [make_engine(s, texts) for s in stores]
        key = ConversationKey("test", "1", "1")
        await engines[0].handle(Inbound.command(key, "steps"))
        await engines[0].handle(Inbound.text(key, "Big move"))
        sends = [
            engines[i % 2].handle(Inbound.text(key, f"step {i}", update_id=str(i)))
            for i in range(4)
        ]
        await asyncio.gather(*sends)
        texts_written = await column(stores[0], select(journal.c.text))
        data = await one(stores[0], select(sessions.c.data))
        assert sorted(texts_written) == ["Big move", "step 0", "step 1", "step 2", "step 3"]
        # every step reached the session, none overwritten
        assert sorted(json.loads(data)["steps"]) == ["step 0", "step 1", "step 2", "step 3"]
    finally:
        for s in stores:
            await s.close()


async def test_global_commands_work_in_any_state(engine) -> None:
    chat = Chat(engine)
    await chat.command("start")
    assert "not a person and not therapy" in chat.text
    assert "/privacy" in chat.text
    await chat.click("steps")
    await chat.say("Exams")
    await chat.command("help")
    assert "not a therapist" in chat.text and "Step 1" in chat.text  # help, then where we were
    await chat.command("menu")
    assert chat.buttons[0] == "Continue where we were"
    await chat.click("Continue")
    assert "Step 1" in chat.text
    await chat.command("cancel")
    assert "stopped" in chat.text.lower()
    await chat.command("cancel")
    assert "nothing to stop" in chat.text.lower()
    await chat.command("frobnicate")
    assert "/frobnicate" in chat.text


async def test_start_with_a_deep_link_opens_the_flow(engine) -> None:
    chat = Chat(engine)
    await chat.command("start", "steps")
    assert "big" in chat.text.lower()


@pytest.mark.parametrize("junk", ["", "   ", "\x00\x01\x02", "\n\n"])
async def test_empty_input_reprompts(engine, junk: str) -> None:
    chat = Chat(engine)
    await chat.command("reframe")
    await chat.say(junk)
    assert "empty" in chat.text.lower() or "didn't catch" in chat.text.lower()
    await chat.say("Real answer")
    assert await column(engine.store, select(journal.c.text)) == ["Real answer"]


async def test_huge_input_is_cut_with_a_note(engine) -> None:
    chat = Chat(engine)
    await chat.command("reframe")
    await chat.say("x" * 50_000)
    assert "first 2000 characters" in chat.text
    saved = await one(engine.store, select(journal.c.text))
    assert len(saved) == 2000


async def test_emoji_and_binary_are_kept_or_cleaned(engine) -> None:
    chat = Chat(engine)
    await chat.command("reframe")
    await chat.say("😭😭 my cat\x00 is ill 🐈")
    saved = await one(engine.store, select(journal.c.text))
    assert saved == "😭😭 my cat is ill 🐈"


async def test_a_button_from_another_flow_is_stale(engine) -> None:
    chat = Chat(engine)
    await chat.command("reframe")
    for answer in ("a", "b", "c", "d"):
        await chat.say(answer)
    old = chat.replies
    await chat.command("cancel")
    chat.replies = old
    await chat.click("Yes")
    assert "earlier" in chat.text.lower() or "older" in chat.text.lower()
    assert "Why me?" in " ".join(chat.buttons)
    # The answer to the old button is marked as an aside; what follows is the conversation.
    assert chat.replies[0].aside and not chat.replies[-1].aside


async def test_variants_do_not_repeat_back_to_back(engine) -> None:
    chat = Chat(engine)
    seen = []
    for _ in range(4):
        await chat.command("menu")
        seen.append(chat.replies[-1].text)
    assert all(a != b for a, b in itertools.pairwise(seen))


async def test_free_text_between_flows_offers_the_flows_that_fit(engine) -> None:
    chat = Chat(engine)
    await chat.say("why does this always happen to me")
    assert chat.buttons[0].startswith("Why me?")
    await chat.say("I have so much to do I don't know where to start")
    assert chat.buttons[0] == "Break a big problem into steps"
    await chat.click("Break a big problem")
    assert "big" in chat.text.lower()


async def test_free_text_that_fits_nothing_gets_the_menu(engine) -> None:
    chat = Chat(engine)
    await chat.say("hello")
    assert "Why me? → What can I do?" in chat.buttons


async def test_an_interrupting_flow_hands_back_to_the_one_it_interrupted(engine) -> None:
    chat = Chat(engine)
    await chat.command("reframe")
    await chat.say("The train was cancelled")
    nudge = Inbound.command(chat.key, "checkin", interrupt=True, update_id="nudge-1")
    chat.replies = await engine.handle(nudge)
    assert "1 to 5" in chat.text
    await chat.click("4")
    await chat.click("Skip")
    await chat.click("Skip")
    assert "where we" in chat.text  # back to the reframe, at the same question
    await chat.say("The timetable")
    assert "The train was cancelled" in chat.text


async def test_cancelling_an_interruption_resumes_the_flow_underneath(engine) -> None:
    chat = Chat(engine)
    await chat.command("steps")
    await chat.say("Exams")
    chat.replies = await engine.handle(Inbound.command(chat.key, "checkin", interrupt=True))
    await chat.command("cancel")
    assert "Step 1" in chat.text
