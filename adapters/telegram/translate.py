"""Telegram updates -> `Inbound`: pure functions, no network."""

from __future__ import annotations

from telegram import Chat, Message, MessageEntity, Update, User

from bot.types import ConversationKey, Inbound

PLATFORM = "telegram"


def key_for(chat: Chat, user: User) -> ConversationKey:
    return ConversationKey(PLATFORM, str(chat.id), str(user.id))


def command_of(text: str, bot_username: str | None) -> tuple[str, str] | None:
    """'/start reframe' -> ('start', 'reframe'); None if not a command or meant for another bot."""
    if not text.startswith("/") or len(text) < 2 or text[1].isspace():
        return None
    head, *rest = text[1:].split(None, 1)
    arg = rest[0] if rest else ""
    name, _, target = head.partition("@")
    if target and (bot_username is None or target.casefold() != bot_username.casefold()):
        return None
    if not name:
        return None
    return name.lower(), arg.strip()


def private_text(update: Update, bot_username: str | None) -> Inbound | None:
    """A text message, or the words under a photo, video or file (its caption)."""
    message, user = update.message, update.effective_user
    if message is None or user is None:
        return None
    words = message.text if message.text is not None else message.caption
    if words is None:
        return None
    key = key_for(message.chat, user)
    hints = _hints(update, user)
    command = command_of(words, bot_username)
    if command is not None:
        return Inbound.command(key, command[0], command[1], **hints)
    return Inbound.text(key, words, **hints)


def press(update: Update) -> Inbound | None:
    query = update.callback_query
    if query is None or not query.data or query.message is None:
        return None
    return Inbound.choice(
        key_for(query.message.chat, query.from_user), query.data, **_hints(update, query.from_user)
    )


def addressed(message: Message, bot: User) -> bool:
    """In a group: a command for us, an @mention of us, or a reply to one of our messages."""
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.id == bot.id:
        return True
    text = message.text or ""
    if text.startswith("/"):
        return command_of(text, bot.username) is not None
    wanted = f"@{bot.username}".casefold() if bot.username else None
    for entity, value in message.parse_entities().items():
        if entity.type == MessageEntity.MENTION and value.casefold() == wanted:
            return True
        if entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == bot.id:
            return True
    return False


def _hints(update: Update, user: User) -> dict[str, object]:
    return {"update_id": delivery_id(update), "locale": user.language_code}


def delivery_id(update: Update) -> str:
    """What makes a redelivery recognisable. Not update_id alone: Telegram restarts that counter
    at a random number after a week without updates, so an old id could come back and a new
    message be dropped as a repeat. Message ids are unique per chat, callback ids globally."""
    if update.callback_query is not None:
        return f"q:{update.callback_query.id}"
    if update.effective_message is not None and update.effective_chat is not None:
        return f"m:{update.effective_chat.id}:{update.effective_message.message_id}"
    return f"u:{update.update_id}"
