"""Micro-lessons: one short idea and one question to apply it; never the same lesson twice
in a row."""

from __future__ import annotations

from bot.effects import Journal
from bot.store import reads
from dialogs.dsl import Dialog, Option, State, Turn, ask, end

# Ids only: the words of each lesson are in data/texts/*/learn.toml.
LESSONS = ("physical", "myth_pain", "mental", "myth_alone", "emotional", "myth_born", "social")


async def _next_lesson(turn: Turn) -> str:
    last = await turn.read(reads.last_entry, "learn", "lesson")
    after = LESSONS.index(last) + 1 if last in LESSONS else 0
    turn.data["lesson"] = LESSONS[after % len(LESSONS)]
    turn.write(Journal("learn", "lesson", turn.data["lesson"]))
    return "idea"


LEARN = Dialog.of(
    "learn",
    "learn.title",
    State("pick", route=_next_lesson, goes_to=("idea",), start=True),
    State(
        "idea",
        "learn.{lesson}_idea",
        options=(
            Option("apply", "learn.apply_button", to="apply"),
            Option("later", "learn.later_button", to="close"),
        ),
    ),
    ask("apply", "learn.{lesson}_question", save="answer", then="thanks"),
    end("thanks", "learn.thanks"),
    end("close", "learn.close"),
)
