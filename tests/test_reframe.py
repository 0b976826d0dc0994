"""Conversation scripts for the "Why me?" -> "What can I do?" flow."""

from __future__ import annotations

from sqlalchemy import select

from bot.store.schema import journal
from tests.conftest import Chat


async def test_reframe_start_to_end_in_the_users_own_words(engine) -> None:
    chat = Chat(engine)
    await chat.command("reframe")
    assert "What's" in chat.text or "going on" in chat.text
    await chat.say("My landlord is selling the flat and I have to move")
    await chat.say("The sale itself, the timing")
    await chat.say("Where I look and how early I start")
    assert "what can you do" in chat.text.lower() or "what could you do" in chat.text.lower()
    await chat.say("Message two agents tomorrow")
    assert "Message two agents tomorrow" in chat.text
    await chat.click("Yes")
    assert "My landlord is selling the flat" in chat.text
    assert "Message two agents tomorrow" in chat.text
    assert chat.buttons == ["Menu"]

    rows = await engine.store.rows(select(journal.c.field, journal.c.text))
    fields = {f: t for f, t in rows}
    assert fields["situation"].startswith("My landlord")
    assert fields["action"] == "Message two agents tomorrow"
    assert "->" in fields["reframed"]


async def test_make_it_smaller_loops_back_to_the_plan(engine) -> None:
    chat = Chat(engine)
    await chat.command("reframe")
    for answer in ("Exams next week", "The questions", "My revision", "Revise everything"):
        await chat.say(answer)
    await chat.click("smaller")
    await chat.say("Revise one chapter tonight")
    assert "Revise one chapter tonight" in chat.text
    await chat.click("Yes")
    assert "Revise one chapter tonight" in chat.text


async def test_typing_the_option_name_counts_as_a_press(engine) -> None:
    chat = Chat(engine)
    await chat.command("reframe")
    for answer in ("a", "b", "c", "Call my sister"):
        await chat.say(answer)
    await chat.say("Make it smaller")
    assert "smaller" in chat.text.lower() or "tiny" in chat.text.lower()


async def test_text_where_a_choice_is_needed_reprompts(engine) -> None:
    chat = Chat(engine)
    await chat.command("reframe")
    for answer in ("a", "b", "c", "Call my sister"):
        await chat.say(answer)
    await chat.say("hmm not sure")
    assert "option" in chat.text.lower()
    assert any("Yes" in b for b in chat.buttons)
