"""Daily check-in: mood 1-5, an optional line, and the day's one thing. Short on purpose:
this is also what the daily nudge opens."""

from __future__ import annotations

from bot.effects import Goal, Mood, MoodNote
from dialogs.dsl import Dialog, Option, State, Turn, end

MOODS = tuple(Option(f"m{n}", f"checkin.mood_{n}") for n in range(1, 6))


async def _mood(turn: Turn, option: str) -> str:
    turn.write(Mood(int(option[1:])))  # kept at once, even if the rest is skipped
    return "note"


async def _note(turn: Turn, text: str) -> str:
    turn.write(MoodNote(text))
    return "goal"


async def _goal(turn: Turn, text: str) -> str:
    turn.data["goal"] = text
    turn.write(Goal(text))
    return "planned"


CHECKIN = Dialog.of(
    "checkin",
    "checkin.title",
    State("mood", "checkin.mood", options=MOODS, on_option=_mood, goes_to=("note",), start=True),
    State(
        "note",
        "checkin.note",
        options=(Option("skip", "checkin.skip", to="goal"),),
        on_text=_note,
        goes_to=("goal",),
    ),
    State(
        "goal",
        "checkin.goal",
        options=(Option("skip", "checkin.skip", to="close"),),
        on_text=_goal,
        goes_to=("planned",),
    ),
    end("planned", "checkin.planned"),
    end("close", "checkin.close"),
)
