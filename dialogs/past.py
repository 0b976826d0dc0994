"""Learn from your past: hard things already survived, what helped, and the strength it shows,
kept as the user's own list of strengths and shown back next time."""

from __future__ import annotations

from bot.effects import Strength
from bot.store import reads
from dialogs.dsl import Dialog, Option, State, Turn, ask, end, pick


async def _begin(turn: Turn) -> str:
    known = await turn.read(reads.strengths_of)
    if not known:
        return "hard"
    turn.data["known"] = ", ".join(known)
    return "recall"


async def _strength(turn: Turn, text: str) -> str:
    turn.data["strength"] = text
    turn.write(Strength(text))
    return "close"


PAST = Dialog.of(
    "past",
    "past.title",
    State("begin", route=_begin, goes_to=("hard", "recall"), start=True),
    pick("recall", "past.recall", Option("go", "past.go", to="hard")),
    ask("hard", "past.hard", save="hard", then="helped"),
    ask("helped", "past.helped", save="helped", then="strength"),
    State("strength", "past.strength", on_text=_strength, goes_to=("close",)),
    end("close", "past.close"),
)
