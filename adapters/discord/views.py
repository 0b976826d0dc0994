"""Rendering: the engine's replies as Discord messages, choices as buttons.

Buttons are DynamicItems: their custom_id carries the choice id, and the class is registered
in setup_hook, so a button keeps working after a restart without any stored view.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import discord

from bot.types import Attachment, Choice, Reply

if TYPE_CHECKING:
    from adapters.discord.bot import CoachBot

log = logging.getLogger(__name__)

CHOICE_PREFIX = "coach:"
ANSWER_ID = "coach-answer"  # the "Type your answer" button
MODAL_PREFIX = "coach-modal:"
ANSWER_FIELD = "answer"

MAX_CUSTOM_ID = 100
MAX_CONTENT = 2000
MAX_BUTTONS = 25  # five rows of five
MAX_LABEL = 80
MAX_TEXT_INPUT = 4000
MODAL_TIMEOUT = 15 * 60  # an abandoned modal is forgotten; a late submit still works


@dataclass(frozen=True)
class Outgoing:
    """One Discord message: text plus the buttons that belong to it."""

    content: str
    choices: tuple[Choice, ...] = ()
    expects_text: bool = False
    attachment: Attachment | None = None


def compose(replies: Iterable[Reply]) -> list[Outgoing]:
    """Fold notes (replies without buttons) into the next message: fewer API calls, and a
    note reads as part of the question it leads to."""
    out: list[Outgoing] = []
    pending: list[str] = []
    for reply in replies:
        pending.append(reply.text)
        if reply.choices or reply.expects_text or reply.attachment:
            text = "\n\n".join(pending)
            out.extend(_split(text, reply.choices, reply.expects_text, reply.attachment))
            pending = []
    if pending:
        out.extend(_split("\n\n".join(pending), (), False, None))
    return out


def _split(
    text: str, choices: tuple[Choice, ...], expects_text: bool, attachment: Attachment | None
) -> list[Outgoing]:
    """Discord caps a message at 2000 characters; buttons and file go with the last part."""
    parts = [text[i : i + MAX_CONTENT] for i in range(0, len(text), MAX_CONTENT)] or [""]
    last = Outgoing(parts[-1], choices, expects_text, attachment)
    return [*(Outgoing(p) for p in parts[:-1]), last]


class ChoiceButton(discord.ui.DynamicItem[discord.ui.Button], template=r"coach:(?P<choice>.+)"):
    def __init__(self, choice_id: str, label: str = "?") -> None:
        super().__init__(
            discord.ui.Button(
                label=label[:MAX_LABEL],
                custom_id=CHOICE_PREFIX + choice_id,
                style=discord.ButtonStyle.secondary,
            )
        )
        self.choice_id = choice_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: Any
    ) -> ChoiceButton:
        return cls(match["choice"])

    async def callback(self, interaction: discord.Interaction[CoachBot]) -> None:
        await interaction.client.turns.choice(interaction, self.choice_id)


class AnswerButton(discord.ui.DynamicItem[discord.ui.Button], template=ANSWER_ID):
    def __init__(self, label: str = "?") -> None:
        super().__init__(
            discord.ui.Button(
                label=label[:MAX_LABEL], custom_id=ANSWER_ID, style=discord.ButtonStyle.primary
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: Any
    ) -> AnswerButton:
        return cls()

    async def callback(self, interaction: discord.Interaction[CoachBot]) -> None:
        await interaction.client.turns.open_answer(interaction)


class AnswerModal(discord.ui.Modal):
    """Only the form: its submission is handled in CoachBot.on_interaction by custom_id
    prefix, so a modal opened before a restart can still be submitted after it."""

    def __init__(self, interaction_id: int, title: str, label: str, max_length: int) -> None:
        super().__init__(
            title=title[:45], custom_id=f"{MODAL_PREFIX}{interaction_id}", timeout=MODAL_TIMEOUT
        )
        self.add_item(
            discord.ui.TextInput(
                label=label[:45],
                custom_id=ANSWER_FIELD,
                style=discord.TextStyle.paragraph,
                max_length=min(max_length, MAX_TEXT_INPUT),
            )
        )


def extras(out: Outgoing, answer_label: str) -> dict[str, Any]:
    """The buttons and the file that go with one message, as send() keyword arguments."""
    found: dict[str, Any] = {}
    if (view := view_for(out, answer_label)) is not None:
        found["view"] = view
    if out.attachment is not None:
        found["file"] = discord.File(io.BytesIO(out.attachment.data), out.attachment.filename)
    return found


def view_for(out: Outgoing, answer_label: str) -> discord.ui.View | None:
    """Buttons for one message; None when it has none."""
    if not out.choices and not out.expects_text:
        return None
    view = discord.ui.View(timeout=None)
    room = MAX_BUTTONS - (1 if out.expects_text else 0)
    for choice in out.choices[:room]:
        if len(CHOICE_PREFIX + choice.id) > MAX_CUSTOM_ID:
            log.warning("choice id too long for Discord, button left out")
            continue
        view.add_item(ChoiceButton(choice.id, choice.label))
    if len(out.choices) > room:
        log.warning("more choices than Discord buttons, %d left out", len(out.choices) - room)
    if out.expects_text:
        view.add_item(AnswerButton(answer_label))
    return view


def modal_text(data: Any) -> str | None:
    """The typed answer from a modal submission's raw components."""
    for row in (data or {}).get("components", []):
        # an action row holds "components"; a label (newer modals) holds one "component"
        inner = row.get("components") or [row.get("component") or row]
        for component in inner:
            if component.get("custom_id") == ANSWER_FIELD:
                return str(component.get("value") or "")
    return None
