"""The crisis protocol through the engine: the flow pauses, care and local helplines, "Are you
safe right now?", nudges held, an anonymous count; then back to the flow if the user wants."""

from __future__ import annotations

from sqlalchemy import select

from bot.store.schema import journal, safety_events, sessions, users
from bot.types import Inbound
from tests.conftest import Chat, column, one


async def say(chat: Chat, text: str, locale: str | None = "en-GB") -> None:
    chat.replies = await chat.engine.handle(Inbound.text(chat.key, text, locale=locale))


async def test_a_crisis_message_mid_flow_pauses_it_and_gives_local_helplines(engine) -> None:
    chat = Chat(engine)
    await chat.command("reframe")
    await say(chat, "Lost my job")
    await say(chat, "honestly I just want to end it all, I can't do this anymore")
    assert "Samaritans: call 116 123" in chat.text
    assert "Childline (for youth): call 0800 1111" in chat.text  # the pair shows together
    assert "999" in chat.text
    assert chat.text.rstrip().endswith("Are you safe right now?")
    assert chat.buttons[:2] == ["Yes, I'm safe right now", "No, I'm not safe"]

    store = engine.store
    assert "honestly" not in " ".join(await column(store, select(journal.c.text)))
    assert await engine.store.rows(select(safety_events.c.category, safety_events.c.platform)) == [
        ("suicide", "test")
    ]
    assert await one(store, select(users.c.hold_nudges_until)) is not None
    assert "reframe" in await one(store, select(sessions.c.data))  # the flow waits

    await chat.click("Yes, I'm safe")
    assert "glad" in chat.text
    assert chat.buttons == ["Continue where we were", "Menu"]
    assert await one(store, select(users.c.hold_nudges_until)) is None
    await chat.click("Continue")
    assert "out of your hands" in chat.text or "can't you change" in chat.text


async def test_not_safe_gets_the_emergency_number_first(engine) -> None:
    chat = Chat(engine)
    await say(chat, "i cut myself again tonight")
    assert "hurting yourself" in chat.text
    await chat.click("No, I'm not safe")
    assert chat.text.startswith("Please call 999 or 112 now")
    await say(chat, "ok")  # words instead of a button still get a gentle answer
    assert "safe" in chat.text.lower()


async def test_unknown_country_gets_the_international_lines_then_asks(engine) -> None:
    chat = Chat(engine)
    await say(chat, "my stepdad hits me when mum is out", locale="en")
    assert "findahelpline.com" in chat.text
    assert "your local emergency number" in chat.text
    await chat.click("Show lines for my country")
    await say(chat, "Germany", locale="en")
    assert "TelefonSeelsorge" in chat.text and "112" in chat.text
    assert await one(engine.store, select(users.c.country)) == "DE"


async def test_an_earlier_loss_makes_a_question_about_means_a_signal(engine) -> None:
    chat = Chat(engine)
    await say(chat, "my wife died last month")
    assert "Are you safe" not in chat.text
    await say(chat, "what's the tallest bridge around here")
    assert "Are you safe right now?" in chat.text


async def test_everyday_hyperbole_does_not_stop_the_coaching(engine) -> None:
    chat = Chat(engine)
    await chat.command("reframe")
    await say(chat, "this traffic is killing me, I could die of embarrassment at work")
    assert "Are you safe" not in chat.text
    assert await column(engine.store, select(safety_events.c.id)) == []


async def test_worry_about_someone_else_gets_how_to_help_them_and_the_flow_waits(engine) -> None:
    chat = Chat(engine)
    await chat.command("reframe")
    await say(chat, "Lost my job")
    await say(chat, "my best friend texted me that she wants to kill herself")
    assert "worried about someone" in chat.text
    assert "Samaritans: call 116 123" in chat.text and "999" in chat.text
    assert "Are you safe right now?" not in chat.text  # the one at risk is not the user
    assert chat.buttons == ["I'm okay, thanks", "I'm struggling too", "Show lines for my country"]
    store = engine.store
    assert await store.rows(select(safety_events.c.category)) == [("someone_else",)]
    assert await one(store, select(users.c.hold_nudges_until)) is None  # nudges go on

    await say(chat, "I just don't know what to do")
    assert "a lot to carry" in chat.text
    await chat.click("I'm okay")
    assert "looking out for them" in chat.text
    assert chat.buttons == ["Continue where we were", "Menu"]
    await chat.click("Continue")
    assert "out of your hands" in chat.text or "can't you change" in chat.text


async def test_struggling_too_turns_to_the_users_own_care(engine) -> None:
    chat = Chat(engine)
    await say(chat, "my brother has been cutting himself again")
    await chat.click("I'm struggling too")
    assert chat.text.rstrip().endswith("Are you safe right now?")
    assert "Samaritans: call 116 123" in chat.text
    await chat.click("No, I'm not safe")
    assert chat.text.startswith("Please call 999 or 112 now")


async def test_words_typed_after_a_command_are_checked_too(engine) -> None:
    chat = Chat(engine)
    await chat.command("reframe", "honestly I just want to end it all")
    assert chat.text.rstrip().endswith("Are you safe right now?")
    await chat.command("reframe", "my landlord is selling the flat")  # no crisis: the flow goes on
    assert "can't you change" in chat.text or "out of your hands" in chat.text
