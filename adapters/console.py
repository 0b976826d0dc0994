"""Terminal chat: the same engine, choices as a numbered list. Works on a TTY or a pipe."""

from __future__ import annotations

import asyncio
import getpass
import sys
from typing import TextIO

from bot.engine import Engine
from bot.types import Choice, ConversationKey, Inbound, Reply

PLATFORM = "console"


def render(replies: list[Reply]) -> str:
    lines: list[str] = []
    for reply in replies:
        lines.append(reply.text)
        lines.extend(f"  {n}. {c.label}" for n, c in enumerate(reply.choices, 1))
        lines.append("")
    return "\n".join(lines)


def parse(line: str, key: ConversationKey, shown: tuple[Choice, ...]) -> Inbound:
    """'/cmd arg' is a command; a listed number or a label picks that choice; else text."""
    text = line.strip()
    if text.startswith("/") and len(text) > 1:
        name, _, arg = text[1:].partition(" ")
        return Inbound.command(key, name, arg.strip())
    if text.isdigit() and 1 <= int(text) <= len(shown):
        return Inbound.choice(key, shown[int(text) - 1].id)
    for choice in shown:
        if text.casefold() == choice.label.casefold():
            return Inbound.choice(key, choice.id)
    return Inbound.text(key, line)


async def chat(
    engine: Engine, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout, user: str | None = None
) -> None:
    """Talk until end of input. The first message welcomes a newcomer or resumes a conversation."""
    user = user or getpass.getuser()
    key = ConversationKey(PLATFORM, user, user)
    interactive = stdin.isatty()
    replies = await engine.handle(Inbound.command(key, "hello"))
    while True:
        stdout.write(render(replies))
        if interactive:
            stdout.write("> ")
        stdout.flush()
        line = await asyncio.to_thread(stdin.readline)
        if not line:  # end of input
            stdout.write("\n" + engine.texts.say("core.bye") + "\n")
            stdout.flush()
            return
        shown = replies[-1].choices if replies else ()
        replies = await engine.handle(parse(line, key, shown))
