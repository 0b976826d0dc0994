"""Nudges by DM, and users whose DMs are closed (error 50007)."""

from __future__ import annotations

from adapters.discord import deliver
from bot.types import Choice, Reply
from tests.discord.helpers import answered, said


async def test_deliver_sends_a_dm_with_working_buttons(world) -> None:
    await world.alice.slash(world.channel, "start")
    nudge = [Reply("Time for a check-in?"), Reply("Pick one:", (Choice("c:menu", "Menu"),))]

    assert await deliver(world.env.bot, world.alice.id, nudge)

    dm = world.alice.user.dm_channel.last_message
    assert dm.content == "Time for a check-in?\n\nPick one:"  # the note joins its question
    menu = answered(await world.alice.user.click(dm, label="Menu"))
    assert menu and not menu[-1].ephemeral


async def test_closed_dms_mark_the_user_and_they_are_told_privately_once(world, store, texts):
    await world.alice.slash(world.channel, "start")
    world.env.inject_error(
        "POST", "/channels/*/messages", status=403, code=50007, message="Cannot send messages"
    )

    assert not await deliver(world.env.bot, world.alice.id, [Reply("Time for a check-in?")])
    assert await store.unreachable("discord", str(world.alice.id))

    told = said(await world.alice.slash(world.channel, "menu"))
    notice = texts.say("discord.dms_closed").splitlines()[0]
    assert notice in told[0].content and all(m.ephemeral for m in told)
    assert world.channel.history(viewer=world.bob) == []
    assert not await store.unreachable("discord", str(world.alice.id))

    again = said(await world.alice.slash(world.channel, "menu"))
    assert not any(notice in m.content for m in again)
