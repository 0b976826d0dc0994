"""Interactions and DMs in, engine turns, messages out.

Every interaction is acknowledged first (defer, or the modal itself) and answered with
followups, so the 3-second limit holds however slow the turn is, and nothing is
acknowledged twice. In servers every reply is ephemeral; in DMs replies are messages.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from adapters.discord.views import AnswerModal, Outgoing, compose, extras, modal_text
from bot.types import ConversationKey, Inbound, Reply

if TYPE_CHECKING:
    from adapters.discord.bot import CoachBot

log = logging.getLogger(__name__)

PLATFORM = "discord"
THINKING = discord.InteractionResponseType.deferred_channel_message


def conversation(channel_id: int | None, user_id: int) -> ConversationKey:
    # Sessions are per user in the core, so a flow begun in a server goes on in DMs.
    return ConversationKey(PLATFORM, str(channel_id or user_id), str(user_id))


def in_server(interaction: discord.Interaction) -> bool:
    return interaction.guild_id is not None


class Turns:
    def __init__(self, bot: CoachBot) -> None:
        self.bot = bot

    def say(self, key: str, locale: str | None = None, **values: object) -> str:
        return self.bot.engine.texts.say(f"discord.{key}", locale, **values)

    # --- interactions ---------------------------------------------------------------------

    async def command(self, interaction: discord.Interaction, name: str, arg: str = "") -> None:
        private = in_server(interaction)
        await interaction.response.defer(ephemeral=private, thinking=True)
        notes = await self._reach_notes(interaction)
        inbound = Inbound.command(self._key(interaction), name, arg, **self._ids(interaction))
        replies = await self.bot.engine.handle(inbound)
        await self._followups(interaction, [*notes, *replies], private)

    async def choice(self, interaction: discord.Interaction, choice_id: str) -> None:
        # The acknowledgement takes the buttons off the pressed message, so one cannot be
        # pressed twice; it shows nothing else, so each followup picks its own visibility:
        # the answer to a stale button is private even in DMs.
        await interaction.response.edit_message(view=None)
        inbound = Inbound.choice(self._key(interaction), choice_id, **self._ids(interaction))
        replies = await self.bot.engine.handle(inbound)
        private = in_server(interaction) or any(r.aside for r in replies)
        await self._followups(interaction, replies, private)

    async def open_answer(self, interaction: discord.Interaction) -> None:
        locale = str(interaction.locale)
        modal = AnswerModal(
            interaction.id,
            title=self.say("answer_title", locale),
            label=self.say("answer_label", locale),
            max_length=self.bot.engine.max_input_chars,
        )
        await interaction.response.send_modal(modal)

    async def answer(self, interaction: discord.Interaction) -> None:
        """A submitted "Type your answer" modal: its text is the user's typed answer."""
        text = modal_text(interaction.data)
        # Answered: the buttons under the question go, as after a press.
        await interaction.response.edit_message(view=None)
        if text is None:
            log.warning("modal submission without an answer field")
            return
        inbound = Inbound.text(self._key(interaction), text, **self._ids(interaction))
        replies = await self.bot.engine.handle(inbound)
        await self._followups(interaction, replies, in_server(interaction))

    # --- direct messages ------------------------------------------------------------------

    async def direct_message(self, message: discord.Message) -> None:
        """A plain DM is a typed answer (or a question for the menu)."""
        await self._reachable(str(message.author.id))
        key = conversation(message.channel.id, message.author.id)
        inbound = Inbound.text(key, message.content, update_id=str(message.id))
        replies = await self.bot.engine.handle(inbound)
        for out in compose(replies):
            await message.channel.send(out.content, **self._view(out, None))

    # --- helpers --------------------------------------------------------------------------

    def _key(self, interaction: discord.Interaction) -> ConversationKey:
        return conversation(interaction.channel_id, interaction.user.id)

    @staticmethod
    def _ids(interaction: discord.Interaction) -> dict[str, object]:
        return {"update_id": str(interaction.id), "locale": str(interaction.locale)}

    async def _reach_notes(self, interaction: discord.Interaction) -> list[Reply]:
        """Tell a user privately, once, that their closed DMs stopped a nudge."""
        user_id = str(interaction.user.id)
        if not await self._reachable(user_id) or not in_server(interaction):
            return []  # nothing to tell, or they are talking to us in DMs after all
        return [Reply(self.say("dms_closed", str(interaction.locale)))]

    async def _reachable(self, user_id: str) -> bool:
        """Clear a closed-DMs mark; True if there was one."""
        if not await self.bot.store.unreachable(PLATFORM, user_id):
            return False
        await self.bot.store.mark_reachable(PLATFORM, user_id)
        return True

    async def _followups(
        self, interaction: discord.Interaction, replies: list[Reply], private: bool
    ) -> None:
        outgoing = compose(replies)
        if not outgoing:  # a repeated update: nothing to say, clear "thinking..." if shown
            if interaction.response.type is THINKING:
                await interaction.delete_original_response()
            return
        for out in outgoing:
            await interaction.followup.send(
                out.content, ephemeral=private, **self._view(out, str(interaction.locale))
            )

    def _view(self, out: Outgoing, locale: str | None) -> dict[str, object]:
        return extras(out, self.say("answer_button", locale))
