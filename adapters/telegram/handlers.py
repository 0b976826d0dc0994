"""PTB callbacks: each turns an update into an `Inbound` (or a fixed answer) and sends replies."""

from __future__ import annotations

import html
import logging

from telegram import Bot, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from adapters.telegram import translate
from adapters.telegram.deliver import Sender, quietly
from adapters.telegram.render import Outgoing, link_button, render
from bot.engine import Engine
from bot.locks import KeyedLock
from bot.types import Inbound

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE
GROUP_LINK_FALLBACK = "menu"  # deep-link payload when the group command names no flow
SAFETY_FLOW = "safety"  # the private chat a crisis said in a group opens on


class Handlers:
    def __init__(self, engine: Engine, sender: Sender) -> None:
        self.engine = engine
        self.sender = sender
        # Updates run concurrently; one chat's turns (and their replies) stay in order.
        self._chats = KeyedLock()

    def register(self, app: Application) -> None:
        new = filters.UpdateType.MESSAGE & ~filters.StatusUpdate.ALL
        private = filters.ChatType.PRIVATE & new
        app.add_handler(CallbackQueryHandler(self.on_press))
        # A text message is never a status update: skip the ~40 checks of StatusUpdate.ALL
        # on the busiest path.
        text = filters.TEXT & filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE
        app.add_handler(MessageHandler(text, self.on_text))
        # A photo or file with words under it: the words are read (a crisis said in a caption
        # must not meet "I can only read text").
        app.add_handler(MessageHandler(filters.CAPTION & private, self.on_caption))
        app.add_handler(MessageHandler(private, self.on_not_text))
        app.add_handler(MessageHandler(filters.ChatType.GROUPS & new, self.on_group))
        app.add_handler(ChatMemberHandler(self.on_membership, ChatMemberHandler.MY_CHAT_MEMBER))
        app.add_error_handler(self.on_error)

    async def on_text(self, update: Update, context: Context) -> None:
        inbound = translate.private_text(update, context.bot.username)
        if inbound is not None and update.effective_chat is not None:
            await self._turn(context.bot, inbound, update.effective_chat.id)

    async def on_caption(self, update: Update, context: Context) -> None:
        inbound = translate.private_text(update, context.bot.username)
        chat, user = update.effective_chat, update.effective_user
        if inbound is None or chat is None or user is None:
            return
        note = self.engine.texts.say("telegram.caption_read", user.language_code)
        await self._turn(context.bot, inbound, chat.id, Outgoing(html.escape(note, quote=False)))

    async def on_press(self, update: Update, context: Context) -> None:
        query = update.callback_query
        assert query is not None
        await quietly(query.answer(), "answering a press")  # stops the button's spinner
        inbound = translate.press(update)
        if inbound is None or query.message is None or query.message.chat.type != ChatType.PRIVATE:
            return
        async with self._chats.hold(query.message.chat.id):
            # Gone before the turn runs, so a second tap on the same keyboard is impossible.
            await quietly(query.edit_message_reply_markup(None), "removing a keyboard")
            await self._reply(context.bot, inbound, query.message.chat.id)

    async def on_not_text(self, update: Update, context: Context) -> None:
        """Stickers, photos, voice...: say kindly that only text works; the flow stays put."""
        chat, user, message = update.effective_chat, update.effective_user, update.message
        if chat is None or user is None or message is None:
            return
        text = self.engine.texts.say("telegram.text_only", user.language_code, message.message_id)
        async with self._chats.hold(chat.id):
            out = [Outgoing(html.escape(text, quote=False))]
            await self.sender.send(context.bot, chat.id, out, user_id=str(user.id))

    async def on_group(self, update: Update, context: Context) -> None:
        """Never coach in a group: when addressed, point to a private chat; else stay silent.
        A crisis said to the bot there gets care and the lines right there as well."""
        message, me = update.message, context.bot.bot
        if message is None or not translate.addressed(message, me):
            return
        locale = message.from_user.language_code if message.from_user else None
        command = translate.command_of(message.text or "", me.username)
        care = (
            None
            if command
            else await self.engine.care_in_public(message.text or "", locale, translate.PLATFORM)
        )
        flow = command[0] if command and command[0] in self.engine.dialogs else None
        flow = SAFETY_FLOW if care else flow
        url = f"https://t.me/{me.username}?start={flow or GROUP_LINK_FALLBACK}"
        say = self.engine.texts.say
        out = Outgoing(
            html.escape(care or say("telegram.group", locale), quote=False),
            link_button(say("telegram.open_private", locale), url),
        )
        await self.sender.send(context.bot, message.chat.id, [out], reply_to=message.message_id)

    async def on_membership(self, update: Update, context: Context) -> None:
        """A user who blocks the bot is unreachable now, before a nudge runs into a 403;
        one who unblocks it is reachable again."""
        change = update.my_chat_member
        if change is None or change.chat.type != ChatType.PRIVATE:
            return
        user_id, store = str(change.from_user.id), self.sender.store
        if change.new_chat_member.status == ChatMemberStatus.BANNED:
            await store.mark_unreachable(translate.PLATFORM, user_id)
        elif change.new_chat_member.status == ChatMemberStatus.MEMBER:
            await store.mark_reachable(translate.PLATFORM, user_id)

    async def on_error(self, update: object, context: Context) -> None:
        log.error("telegram update failed", exc_info=context.error)

    async def _turn(
        self, bot: Bot, inbound: Inbound, chat_id: int, note: Outgoing | None = None
    ) -> None:
        """One chat's turn, in order with its others; `note` goes out first (about the
        platform, not the conversation)."""
        async with self._chats.hold(chat_id):
            if note is not None:
                await self.sender.send(bot, chat_id, [note])
            await self._reply(bot, inbound, chat_id)

    async def _reply(self, bot: Bot, inbound: Inbound, chat_id: int) -> None:
        replies = await self.engine.handle(inbound)  # committed before anything is sent
        await self.sender.send(bot, chat_id, render(replies), user_id=inbound.key.user_id)
