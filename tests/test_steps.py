"""Conversation scripts for breaking a big problem into small steps."""

from __future__ import annotations

from sqlalchemy import select

from bot.store.schema import problems, steps
from tests.conftest import Chat, one


async def plan(chat: Chat, problem: str, *items: str, first: str) -> None:
    await chat.command("steps")
    await chat.say(problem)
    for item in items:
        await chat.say(item)
    if len(items) < 5:
        await chat.click("Done")
    await chat.click(first)


async def test_a_problem_becomes_steps_with_the_chosen_one_first(engine) -> None:
    chat = Chat(engine)
    await chat.command("steps")
    assert "big" in chat.text.lower()
    await chat.say("Moving flat")
    assert "Step 1" in chat.text and "Moving flat" in chat.text
    await chat.say("List what to pack")
    assert "Step 2" in chat.text
    await chat.say("Book a van")
    await chat.say("Tell my landlord")
    await chat.click("Done")
    assert chat.buttons == ["List what to pack", "Book a van", "Tell my landlord"]
    await chat.click("Book a van")
    assert "Book a van" in chat.text and "/steps" in chat.text

    rows = await engine.store.rows(select(steps.c.text).order_by(steps.c.position))
    assert [r.text for r in rows] == ["Book a van", "List what to pack", "Tell my landlord"]


async def test_fewer_than_three_steps_asks_for_more(engine) -> None:
    chat = Chat(engine)
    await chat.command("steps")
    await chat.say("Thesis")
    await chat.say("Open the file")
    await chat.say("done")
    assert "at least 3" in chat.text
    assert "Step 2" in chat.text


async def test_five_steps_go_straight_to_picking(engine) -> None:
    chat = Chat(engine)
    await chat.command("steps")
    await chat.say("Garden")
    for item in ("a1", "a2", "a3", "a4", "a5"):
        await chat.say(item)
    assert chat.buttons == ["a1", "a2", "a3", "a4", "a5"]


async def test_marking_steps_done_celebrates_each_and_the_whole_problem(engine) -> None:
    chat = Chat(engine)
    await plan(chat, "Tax", "Find receipts", "Fill the form", "Submit", first="Find receipts")
    await chat.command("steps")
    assert chat.buttons[:3] == ["Find receipts", "Fill the form", "Submit"]
    await chat.click("Find receipts")
    assert "Find receipts" in chat.text and '"Tax"' not in chat.text
    assert "Find receipts" not in chat.buttons
    await chat.click("Fill the form")
    await chat.click("Submit")
    assert '"Tax"' in chat.text  # the whole problem is done
    assert "No open steps" in chat.text

    done = await one(engine.store, select(problems.c.done_at))
    open_steps = await engine.store.rows(select(steps).where(steps.c.done_at.is_(None)))
    assert done is not None and open_steps == []


async def test_an_old_step_button_after_it_was_ticked_is_stale(engine) -> None:
    chat = Chat(engine)
    await plan(chat, "Clean", "Kitchen", "Bathroom", "Hall", first="Kitchen")
    await chat.command("steps")
    old = chat.replies
    await chat.click("Kitchen")
    chat.replies = old
    await chat.click("Kitchen")
    assert "earlier" in chat.text.lower() or "older" in chat.text.lower()


async def test_long_steps_are_shortened_on_buttons(engine) -> None:
    chat = Chat(engine)
    await chat.command("steps")
    await chat.say("Big")
    long_step = "Write the introduction chapter of my dissertation with all the references"
    for item in (long_step, "b", "c"):
        await chat.say(item)
    await chat.click("Done")
    assert all(len(b) <= 40 for b in chat.buttons)
    assert all(len(c.id.encode()) <= 64 for r in chat.replies for c in r.choices)


async def test_the_first_step_is_never_asked_for_as_another_one(engine) -> None:
    for user in ("u1", "u2", "u3", "u4"):  # wordings vary by user and turn: try several
        chat = Chat(engine, user)
        await chat.command("steps")
        await chat.say("Moving flat")
        assert "Step 1" in chat.text and "another" not in chat.text
        await chat.say("List what to pack")
        assert "Step 2" in chat.text
