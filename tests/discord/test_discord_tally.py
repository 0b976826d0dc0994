"""The community tally: opt-in members only, totals only, managers only."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import discord
from sqlalchemy import func, select, update

from adapters.discord import post_due_tallies, post_tally
from adapters.discord.records import Records, now
from adapters.discord.run import post_tallies
from adapters.discord.tables import tally_channels
from bot.store.schema import steps
from tests.conftest import Chat
from tests.discord.helpers import answered, said


async def _finish_steps(engine, member_id: int, platform: str = "discord", n: int = 1) -> None:
    """Finish n small steps, through the engine (the Discord path is tested elsewhere)."""
    chat = Chat(engine, str(member_id), platform)
    listed = ("Clear the desk", "Sort the mail", "Hoover")
    await chat.command("steps")
    for text in ("Tidy the flat", *listed):
        await chat.say(text)
    await chat.click("Done")
    await chat.click(listed[0])
    for label in listed[:n]:
        await chat.command("steps")
        await chat.click(label)


async def test_tally_counts_only_members_who_joined_and_names_nobody(world, engine, store, texts):
    env, guild = world.env, world.guild
    tally = guild.create_text_channel("wins")
    carol = guild.add_member(env.create_user("carol"))
    dave = guild.add_member(env.create_user("dave"))  # never joins
    for member in (world.alice, world.bob, carol):
        joined = said(await member.slash(world.channel, "server join-tally"))
        assert joined[0].ephemeral
    for member in (world.alice, carol, dave):
        await _finish_steps(engine, member.id)
    await _finish_steps(engine, world.alice.id, platform="telegram")  # same id, other platform
    await _finish_steps(engine, world.bob.id, n=2)  # the second one long ago, see below
    long_ago = now() - timedelta(days=9)
    await store.run(
        lambda conn: conn.execute(
            update(steps).where(steps.c.id == _last_done_id(conn)).values(done_at=long_ago)
        )
    )

    for member, times in ((carol, 2), (dave, 1)):  # dave's check-in is not counted
        chat = Chat(engine, str(member.id), "discord")
        for _ in range(times):
            await chat.command("checkin")
            await chat.click("3")

    set_up = said(await world.manager.slash(world.channel, "server tally", channel=tally))
    assert set_up[0].ephemeral and tally.mention in set_up[0].content
    assert await post_tally(env.bot, store, guild.id)

    posted = tally.last_message
    assert posted is not None and not posted.flags.ephemeral
    # alice, bob and carol joined: one step each this week; not dave's, not bob's old one,
    # not the telegram user who happens to share alice's id
    assert posted.content == texts.say("discord.tally_with_checkins", steps=3, checkins=2)
    for member in (world.alice, world.bob, carol, dave, world.manager):
        assert member.name not in posted.content and str(member.id) not in posted.content
    assert not posted.mentions and not posted.mention_everyone


async def test_no_numbers_while_too_few_have_joined(world, engine, store, texts) -> None:
    tally = world.guild.create_text_channel("wins")
    await world.alice.slash(world.channel, "server join-tally")
    await _finish_steps(engine, world.alice.id)
    await world.manager.slash(world.channel, "server tally", channel=tally)

    assert await post_tally(world.env.bot, store, world.guild.id)
    assert tally.last_message.content == texts.say("discord.tally_too_few", least=3)


async def test_the_sweep_posts_each_tally_once_a_week(world, store) -> None:
    tally = world.guild.create_text_channel("wins")
    await world.manager.slash(world.channel, "server tally", channel=tally)
    bot = world.env.bot
    assert await post_due_tallies(bot, store) == 0  # the first one comes a week after set-up

    week_ago = now() - timedelta(days=7, minutes=1)
    await store.run(lambda conn: conn.execute(update(tally_channels).values(created_at=week_ago)))
    assert await post_due_tallies(bot, store) == 1
    assert await post_due_tallies(bot, store) == 0  # posted_at moved on
    assert len(tally.history()) == 1


async def test_a_member_can_leave_the_tally(world, store) -> None:
    await world.alice.slash(world.channel, "server join-tally")
    left = said(await world.alice.slash(world.channel, "server leave-tally"))
    again = said(await world.alice.slash(world.channel, "server leave-tally"))
    assert left[0].content != again[0].content
    assert (await Records(store).tally(str(world.guild.id))).members == 0


async def test_deleting_everything_also_drops_the_tally_opt_in(world, store) -> None:
    await world.alice.slash(world.channel, "server join-tally")
    overview = said(await world.alice.slash(world.channel, "privacy"))[-1]
    assert overview.ephemeral
    confirm = answered(await world.alice.click(overview, label="Delete everything"))[-1]
    await world.alice.click(confirm, label="Yes, delete it all")
    assert (await Records(store).tally(str(world.guild.id))).members == 0


async def test_only_a_manager_can_set_or_stop_the_tally(world, store, texts) -> None:
    tally = world.guild.create_text_channel("wins")
    refused = said(await world.bob.slash(world.channel, "server tally", channel=tally))
    assert refused[0].ephemeral and refused[0].content == texts.say("discord.not_manager")
    assert await Records(store).tally_channel(str(world.guild.id)) is None
    assert not await post_tally(world.env.bot, store, world.guild.id)

    await world.manager.slash(world.channel, "server tally", channel=tally)
    refused = said(await world.bob.slash(world.channel, "server tally-stop"))
    assert refused[0].content == texts.say("discord.not_manager")
    stopped = said(await world.manager.slash(world.channel, "server tally-stop"))
    assert stopped[0].content == texts.say("discord.tally_stopped")
    assert tally.history() == []


def _last_done_id(conn) -> int:
    return conn.execute(select(func.max(steps.c.id)).where(steps.c.done_at.is_not(None))).scalar()


async def test_a_channel_the_bot_cannot_post_in_is_refused(world, store, texts) -> None:
    muted = discord.PermissionOverwrite(send_messages=False)
    closed = world.guild.create_text_channel("closed", overwrites={world.guild.me: muted})
    told = said(await world.manager.slash(world.channel, "server tally", channel=closed))
    assert told[0].content == texts.say("discord.tally_cannot_post", channel=closed.mention)
    assert await Records(store).tally_channel(str(world.guild.id)) is None


async def test_the_running_bot_posts_a_due_tally_by_itself(world, store) -> None:
    tally = world.guild.create_text_channel("wins")
    await world.manager.slash(world.channel, "server tally", channel=tally)
    week_ago = now() - timedelta(days=7, minutes=1)
    await store.run(lambda conn: conn.execute(update(tally_channels).values(created_at=week_ago)))
    stop = asyncio.Event()
    looking = asyncio.create_task(post_tallies(world.env.bot, store, stop, every=0.05))
    for _ in range(100):
        if tally.history():
            break
        await asyncio.sleep(0.02)
    stop.set()
    await asyncio.wait_for(looking, 2)
    assert len(tally.history()) == 1  # and only once, though it looked many times


async def test_members_who_left_the_server_leave_its_tally(world, engine, store, texts) -> None:
    env, guild = world.env, world.guild
    tally = guild.create_text_channel("wins")
    carol = guild.add_member(env.create_user("carol"))
    for member in (world.alice, world.bob, carol):
        await member.slash(world.channel, "server join-tally")
        await _finish_steps(engine, member.id)
    await world.manager.slash(world.channel, "server tally", channel=tally)
    guild.remove_member(carol)  # she left; Discord tells a bot without the members intent nothing

    assert await post_tally(env.bot, store, guild.id)
    assert tally.last_message.content == texts.say("discord.tally_too_few", least=3)
    assert (await Records(store).tally(str(guild.id))).members == 2
