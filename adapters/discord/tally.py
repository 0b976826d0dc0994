"""Community tally: a server manager picks a channel, members opt in privately, and once a
week the channel gets one anonymous line of totals. No names, no texts, and no numbers at all
while fewer than MIN_MEMBERS have opted in (a tally of one would be that person's data)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from adapters.discord.records import Records
from adapters.discord.turns import conversation

if TYPE_CHECKING:
    from adapters.discord.bot import CoachBot
    from bot.store import Store

log = logging.getLogger(__name__)

MIN_MEMBERS = 3
SERVER_ONLY = app_commands.AppCommandContext(guild=True)


def server_group(describe: dict[str, str]) -> app_commands.Group:
    group = app_commands.Group(
        name="server", description=describe["describe_server"][:100], allowed_contexts=SERVER_ONLY
    )

    @group.command(name="tally", description=describe["describe_tally"][:100])
    @app_commands.describe(channel=describe["describe_tally_channel"][:100])
    async def tally(
        interaction: discord.Interaction[CoachBot], channel: discord.TextChannel
    ) -> None:
        await set_tally(interaction, channel)

    @group.command(name="tally-stop", description=describe["describe_tally_stop"][:100])
    async def tally_stop(interaction: discord.Interaction[CoachBot]) -> None:
        await stop_tally(interaction)

    @group.command(name="join-tally", description=describe["describe_join_tally"][:100])
    async def join_tally(interaction: discord.Interaction[CoachBot]) -> None:
        await join(interaction, True)

    @group.command(name="leave-tally", description=describe["describe_leave_tally"][:100])
    async def leave_tally(interaction: discord.Interaction[CoachBot]) -> None:
        await join(interaction, False)

    return group


async def _private(interaction: discord.Interaction[CoachBot], key: str, **values: object) -> None:
    text = interaction.client.turns.say(key, str(interaction.locale), **values)
    await interaction.followup.send(text, ephemeral=True)


def _manager(interaction: discord.Interaction) -> bool:
    # Discord resolves the member's permissions in this channel into the interaction.
    return interaction.permissions.manage_guild


async def set_tally(
    interaction: discord.Interaction[CoachBot], channel: discord.TextChannel
) -> None:
    await interaction.response.defer(ephemeral=True, thinking=True)
    if not _manager(interaction):
        return await _private(interaction, "not_manager")
    if not _can_post(interaction.guild, channel.id):
        return await _private(interaction, "tally_cannot_post", channel=channel.mention)
    await interaction.client.records.set_tally_channel(str(interaction.guild_id), str(channel.id))
    await _private(interaction, "tally_set", channel=channel.mention, least=MIN_MEMBERS)


def _can_post(guild: discord.Guild | None, channel_id: int) -> bool:
    """Whether the bot may send in the channel; True when the cache cannot tell."""
    target = guild.get_channel(channel_id) if guild else None
    if guild is None or not isinstance(target, discord.TextChannel):
        return True
    return target.permissions_for(guild.me).send_messages


async def stop_tally(interaction: discord.Interaction[CoachBot]) -> None:
    await interaction.response.defer(ephemeral=True, thinking=True)
    if not _manager(interaction):
        return await _private(interaction, "not_manager")
    stopped = await interaction.client.records.stop_tally(str(interaction.guild_id))
    await _private(interaction, "tally_stopped" if stopped else "tally_not_set")


async def join(interaction: discord.Interaction[CoachBot], joining: bool) -> None:
    await interaction.response.defer(ephemeral=True, thinking=True)
    bot = interaction.client
    key = conversation(interaction.channel_id, interaction.user.id)
    user = await bot.store.user(key, str(interaction.locale))
    guild_id = str(interaction.guild_id)
    if joining:
        changed = await bot.records.join_tally(guild_id, user.id)
        return await _private(interaction, "tally_joined" if changed else "tally_already_joined")
    changed = await bot.records.leave_tally(guild_id, user.id)
    await _private(interaction, "tally_left" if changed else "tally_not_joined")


async def post_due_tallies(bot: CoachBot, store: Store) -> int:
    """For the scheduler's sweep: post every tally that is a week old; how many went out.
    Claimed before posting, so a crash in between skips that week rather than posting twice."""
    posted = 0
    for guild_id in await Records(store).claim_due_tallies():
        posted += await post_tally(bot, store, guild_id)
    return posted


async def _drop_leavers(guild: discord.Guild, records: Records, guild_id: str) -> None:
    """Members who left the server leave its tally. Checked when it is posted (one request a
    member a week): hearing of each departure would take the privileged members intent."""
    for user_id, discord_id in await records.tally_members(guild_id):
        try:
            await guild.fetch_member(int(discord_id))
        except discord.NotFound:
            await records.leave_tally(guild_id, user_id)
        except discord.HTTPException as exc:  # unsure this week: keep them counted
            log.warning("could not check a tally member: %s", exc.status)


async def post_tally(bot: CoachBot, store: Store, guild_id: int | str) -> bool:
    """Post this week's tally in the server's chosen channel, now. False when the server
    has no tally or the channel cannot be reached."""
    records = Records(store)
    channel_id = await records.tally_channel(str(guild_id))
    if channel_id is None:
        return False
    channel = bot.get_channel(int(channel_id))
    if not isinstance(channel, discord.abc.Messageable):
        log.warning("tally channel is gone", extra={"platform": "discord"})
        return False
    guild = getattr(channel, "guild", None)
    if guild is not None:
        await _drop_leavers(guild, records, str(guild_id))
    counts = await records.tally(str(guild_id))
    locale = str(guild.preferred_locale) if guild is not None else None
    say = bot.turns.say
    if counts.members < MIN_MEMBERS:
        text = say("tally_too_few", locale, least=MIN_MEMBERS)
    elif counts.checkins is None:
        text = say("tally", locale, steps=counts.steps)
    else:
        text = say("tally_with_checkins", locale, steps=counts.steps, checkins=counts.checkins)
    try:
        await channel.send(text, allowed_mentions=discord.AllowedMentions.none())
    except (discord.Forbidden, discord.NotFound):
        log.warning("cannot post the tally", extra={"platform": "discord"})
        return False
    await records.mark_posted(str(guild_id))
    return True
