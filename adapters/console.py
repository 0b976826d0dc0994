"""Terminal chat: the same engine, choices as a numbered list. Works on a TTY or a pipe."""

from __future__ import annotations

import asyncio
import getpass
import sys
from pathlib import Path
from typing import TextIO

from bot.engine import Engine
from bot.types import Choice, ConversationKey, Inbound, Reply

PLATFORM = "console"


def render(replies: list[Reply], saved: dict[int, str] | None = None) -> str:
    """Text, numbered choices, and where each attached file was saved."""
    lines: list[str] = []
    for index, reply in enumerate(replies):
        lines.append(reply.text)
        if saved and index in saved:
            lines.append(saved[index])
        lines.extend(f"  {n}. {c.label}" for n, c in enumerate(reply.choices, 1))
        lines.append("")
    return "\n".join(lines)


def save_files(engine: Engine, replies: list[Reply], folder: Path) -> dict[int, str]:
    """Write attachments (an export, a chart) next to the user; say where."""
    notes: dict[int, str] = {}
    for index, reply in enumerate(replies):
        if reply.attachment is not None:
            path = folder / reply.attachment.filename
            path.write_bytes(reply.attachment.data)
            notes[index] = engine.texts.say("core.saved_file", path=str(path))
    return notes


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
    engine: Engine,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
    user: str | None = None,
    folder: Path | None = None,
) -> None:
    """Talk until end of input. The first message welcomes a newcomer or resumes a conversation."""
    user = user or getpass.getuser()
    folder = folder or Path.cwd()
    key = ConversationKey(PLATFORM, user, user)
    interactive = stdin.isatty()
    replies = await engine.handle(Inbound.command(key, "hello"))
    while True:
        stdout.write(render(replies, save_files(engine, replies, folder)))
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
