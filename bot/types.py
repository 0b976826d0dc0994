"""The values that cross the boundary between adapters and the core."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

InboundKind = Literal["text", "choice", "command"]


@dataclass(frozen=True)
class ConversationKey:
    """Who is talking, where: the platform's own ids, always as strings."""

    platform: str
    chat_id: str
    user_id: str


@dataclass(frozen=True)
class Inbound:
    """One thing a user did: typed text, pressed a choice, or sent a command."""

    key: ConversationKey
    kind: InboundKind
    value: str
    arg: str = ""  # a command's argument, e.g. a deep-link payload
    update_id: str | None = None  # the platform's id, so a redelivery is handled once
    locale: str | None = None  # the platform's language hint, e.g. "de-DE"
    # Start the command's flow on top of the current one, which resumes when it ends
    # (scheduled nudges): the user never loses their place.
    interrupt: bool = False

    @classmethod
    def text(cls, key: ConversationKey, value: str, **kw: object) -> Inbound:
        return cls(key, "text", value, **kw)  # type: ignore[arg-type]

    @classmethod
    def choice(cls, key: ConversationKey, value: str, **kw: object) -> Inbound:
        return cls(key, "choice", value, **kw)  # type: ignore[arg-type]

    @classmethod
    def command(cls, key: ConversationKey, name: str, arg: str = "", **kw: object) -> Inbound:
        return cls(key, "command", name.lower(), arg=arg, **kw)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Choice:
    """A button. `id` is short and stable (Telegram callback_data <= 64 bytes)."""

    id: str
    label: str


@dataclass(frozen=True)
class Attachment:
    """A file sent with a reply: a data export, a chart."""

    filename: str
    data: bytes
    mime: str  # "application/json", "image/png"


@dataclass(frozen=True)
class Reply:
    """One message for the user; choices render as buttons or a numbered list."""

    text: str
    choices: tuple[Choice, ...] = field(default=())
    expects_text: bool = False  # the state also takes a typed answer (Discord opens a modal)
    attachment: Attachment | None = None
    # About the interaction itself (an old button was pressed), not the conversation: a
    # platform that can shows it to the user alone.
    aside: bool = False
