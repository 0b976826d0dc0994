"""Replies -> Telegram messages: escaped HTML, split to fit, choices as inline keyboards."""

from __future__ import annotations

import html
from dataclasses import dataclass
from functools import lru_cache

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.types import Attachment, Choice, Reply

MAX_TEXT = 4096  # Telegram's limit, counted in UTF-16 units after entity parsing
MAX_CALLBACK_DATA = 64  # bytes


@dataclass(frozen=True)
class Outgoing:
    """One sendMessage (`html` already escaped for parse_mode HTML), or one file to send."""

    html: str
    markup: InlineKeyboardMarkup | None = None
    attachment: Attachment | None = None


def render(replies: list[Reply]) -> list[Outgoing]:
    out: list[Outgoing] = []
    for reply in replies:
        parts = split(reply.text)
        for n, part in enumerate(parts, 1):
            # Buttons go under the last part, next to the question they answer.
            markup = keyboard(reply.choices) if n == len(parts) else None
            out.append(Outgoing(html.escape(part, quote=False), markup))
        if reply.attachment is not None:  # the file follows the words that announce it
            out.append(Outgoing("", attachment=reply.attachment))
    return out


@lru_cache(maxsize=4096)  # the same few keyboards recur; PTB's objects are immutable
def keyboard(choices: tuple[Choice, ...]) -> InlineKeyboardMarkup | None:
    if not choices:
        return None
    for choice in choices:
        size = len(choice.id.encode())
        if size > MAX_CALLBACK_DATA:
            # Telegram would refuse the whole message; fail loudly where the id is made.
            raise ValueError(f"choice id {choice.id!r} is {size} bytes, Telegram allows 64")
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(c.label, callback_data=c.id)] for c in choices]
    )


def link_button(label: str, url: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, url=url)]])


def units(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji can count twice)."""
    return len(text.encode("utf-16-le")) // 2


def split(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Cut `text` into parts of at most `limit` units, at a paragraph, line or word if any."""
    text = text.strip()
    parts: list[str] = []
    while units(text) > limit:
        window = text[: _fit(text, limit)]
        cut = _break(window)
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        parts.append(text)
    return parts


def _fit(text: str, limit: int) -> int:
    """The longest prefix (in characters) that is at most `limit` units."""
    used = 0
    for i, ch in enumerate(text):
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > limit:
            return i
    return len(text)


def _break(window: str) -> int:
    # Prefer a natural break, but not one so early that the part is mostly empty.
    for sep in ("\n\n", "\n", " "):
        at = window.rfind(sep)
        if at > len(window) // 2:
            return at
    return len(window)
