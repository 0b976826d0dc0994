"""What a turn reports about itself: for the per-turn log line and for metrics. Never the
user's words, never a platform id: the conversation shows as a short one-way hash."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from bot.types import ConversationKey


@dataclass(frozen=True)
class TurnReport:
    platform: str
    conversation: str  # a hash of platform and user id
    flow: str | None  # where the turn left the user
    state: str | None
    outcome: str  # saved / duplicate / busy / failed / flooded
    seconds: float
    crisis: bool = False
    proactive: bool = False


Observer = Callable[[TurnReport], None]


def conversation_hash(key: ConversationKey) -> str:
    return hashlib.sha256(f"{key.platform}:{key.user_id}".encode()).hexdigest()[:12]
