"""Coaching over Discord end to end: slash commands, buttons, modals, DMs, restarts."""

from __future__ import annotations

import json

from sqlalchemy import select

from adapters.discord import create_bot
from bot.store.schema import journal, safety_events, steps
from tests.conftest import column, make_engine
from tests.discord.helpers import answer_all, answered, labels, said, type_answer

REFRAME_ANSWERS = (
    "My landlord is selling the flat and I have to move",
    "The sale itself, the timing",
    "Where I look and how early I start",
    "Message two agents tomorrow",
)


async def test_reframe_to_the_end_in_private(world, store) -> None:
    start = said(await world.alice.slash(world.channel, "reframe"))
    assert len(start) == 1 and labels(start[0]) == ["Type your answer"]

    commit = await answer_all(world.alice, start[0], *REFRAME_ANSWERS)
    assert "Message two agents tomorrow" in commit.content
    assert "Yes, I'll try it" in labels(commit)

    close = answered(await world.alice.click(commit, label="Yes, I'll try it"))
    assert "My landlord is selling the flat" in close[-1].content
    assert labels(close[-1]) == ["Menu"]

    mine = world.channel.history(viewer=world.alice)
    assert len(mine) >= 6 and all(m.flags.ephemeral for m in mine)
    assert world.channel.history(viewer=world.bob) == []  # nothing shows to anyone else
    saved = await column(store, select(journal.c.field))
    assert {"situation", "outside", "inside", "action", "reframed"} <= set(saved)


async def test_the_same_user_goes_on_in_dms(world) -> None:
    start = said(await world.alice.slash(world.channel, "reframe"))
    await type_answer(world.alice, start[0], "Exams next week")

    await world.alice.send_dm("The questions they ask")  # a plain DM is the typed answer
    dm = world.alice.user.dm_channel
    inside = dm.last_message
    assert "Exams next week" in inside.content  # the next question quotes the server answer
    assert not inside.flags.ephemeral

    commit = await answer_all(world.alice.user, inside, "My revision", "Revise one chapter")
    assert "Revise one chapter" in commit.content and not commit.ephemeral
    assert world.channel.history(viewer=world.bob) == []


async def test_buttons_and_an_open_modal_survive_a_restart(world, store, texts, discord_settings):
    start = said(await world.alice.slash(world.channel, "reframe"))
    action = await answer_all(world.alice, start[0], *REFRAME_ANSWERS[:3])
    shown = await world.alice.click(action, label="Type your answer")
    syncs = _command_syncs(world.env)

    # A new process: fresh engine (no caches), same database, same Discord.
    await world.env.restart_bot(create_bot(make_engine(store, texts), store, discord_settings))
    assert _command_syncs(world.env) == syncs == 1  # unchanged commands are not synced again

    field = shown.modal["components"][0]["components"][0]["custom_id"]
    commit = answered(await world.alice.submit_modal(shown, {field: "Call two agents"}))
    assert "Call two agents" in commit[-1].content
    close = answered(await world.alice.click(commit[-1], label="Yes, I'll try it"))
    assert "Call two agents" in close[-1].content


async def test_a_pressed_message_loses_its_buttons(world) -> None:
    user = world.alice.user
    await user.slash("reframe")
    for text in REFRAME_ANSWERS:
        await user.send_dm(text)
    commit = user.dm_channel.last_message
    pressed = await user.click(commit, label="Yes, I'll try it")
    assert not answered(pressed)[-1].ephemeral  # in DMs the coaching itself stays in the chat
    assert pressed.response.components == []  # so it cannot be pressed a second time


async def test_a_question_answered_in_the_form_loses_its_buttons(world) -> None:
    (start,) = said(await world.alice.slash(world.channel, "reframe"))
    shown = await world.alice.click(start, label="Type your answer")
    field = shown.modal["components"][0]["components"][0]["custom_id"]
    submitted = await world.alice.submit_modal(shown, {field: REFRAME_ANSWERS[0]})
    assert submitted.response.components == []
    assert "outside your control" in answered(submitted)[-1].content


async def test_a_button_from_a_finished_flow_gets_a_private_answer(world, texts) -> None:
    user = world.alice.user
    await user.slash("reframe")
    for text in REFRAME_ANSWERS:
        await user.send_dm(text)
    commit = user.dm_channel.last_message
    await user.send_dm("Yes, I'll try it")  # typed, so the buttons above stay
    assert "Yes, I'll try it" in [b.label for row in commit.components for b in row.children]

    again = answered(await user.click(commit, label="Yes, I'll try it"))
    stale = {s.strip() for s in texts.variants("core.stale")}
    assert len(again) == 1 and again[0].ephemeral
    assert any(again[0].content.startswith(s) for s in stale)


async def test_steps_through_discord_ticks_a_step_off(world, store) -> None:
    start = said(await world.alice.slash(world.channel, "steps"))
    step = await answer_all(
        world.alice, start[0], "Moving house", "List what to pack", "Call movers", "Book a van"
    )
    pick = answered(await world.alice.click(step, label="Done"))[-1]
    saved = answered(await world.alice.click(pick, label="Call movers"))[-1]
    assert "Call movers" in saved.content

    review = said(await world.alice.slash(world.channel, "steps"))[-1]
    assert "Call movers" in labels(review)
    done = answered(await world.alice.click(review, label="Call movers"))
    assert any("Call movers" in m.content for m in done)
    assert all(m.ephemeral for m in done)
    assert len(await column(store, select(steps.c.id).where(steps.c.done_at.is_not(None)))) == 1


async def test_commands_answer_in_servers_privately_and_in_dms_openly(world) -> None:
    in_server = said(await world.alice.slash(world.channel, "help"))
    assert in_server and all(m.ephemeral for m in in_server)
    in_dm = said(await world.alice.user.slash("menu"))
    assert in_dm and not any(m.ephemeral for m in in_dm)


def _command_syncs(env) -> int:
    return sum(1 for r in env.http_requests if r.method == "PUT" and r.path.endswith("/commands"))


async def test_the_privacy_export_arrives_as_a_private_file(world) -> None:
    shown = said(await world.alice.slash(world.channel, "privacy"))
    files = answered(await world.alice.click(shown[-1], label="Download my data"))
    attached = [a for m in files for a in m.attachments]
    assert [a.filename for a in attached] == ["my-coach-data.json"]
    assert all(m.ephemeral for m in files)
    exported = json.loads(await attached[0].read())
    assert exported["users"][0]["external_id"] == str(world.alice.id)


async def test_a_crisis_answer_is_met_privately_with_helplines(world, store) -> None:
    start = said(await world.alice.slash(world.channel, "reframe"))
    care = await type_answer(world.alice, start[0], "I want to kill myself tonight")
    assert care[-1].content.rstrip().endswith("Are you safe right now?")
    assert "Yes, I'm safe right now" in labels(care[-1])
    assert all(m.ephemeral for m in care)
    assert world.channel.history(viewer=world.bob) == []  # nobody else sees any of it
    assert await column(store, select(safety_events.c.category)) == ["suicide"]
