"""Evening follow-up of the day's "one thing" from the check-in: how did it go? Started by the
scheduler with the goal's id (arg), only when one was set; the answer is kept with the goal."""

from __future__ import annotations

from datetime import timedelta

from bot.effects import Resolve
from bot.store import reads
from dialogs.dsl import Dialog, Option, State, Turn, end

OUTCOMES = ("done", "partly", "not")
TODAY = timedelta(hours=18)  # without an id: a goal set within this long counts as today's


async def _begin(turn: Turn) -> str:
    arg = str(turn.data.get("arg", ""))
    goal_id = int(arg) if arg.isdigit() else None
    goal = await turn.read(reads.goal_to_follow_up, goal_id, turn.now - TODAY)
    if goal is None:
        return "none"
    turn.data["pending"], turn.data["goal"] = goal.id, goal.text
    return "ask"


async def _went(turn: Turn, outcome: str) -> str:
    turn.write(Resolve("goals", turn.data["pending"], outcome))
    return outcome


EVENING = Dialog.of(
    "evening",
    "evening.title",
    State("begin", route=_begin, goes_to=("ask", "none"), start=True),
    State(
        "ask",
        "evening.ask",
        options=tuple(Option(o, f"evening.outcome_{o}") for o in OUTCOMES),
        on_option=_went,
        goes_to=OUTCOMES,
    ),
    *(end(o, f"evening.went_{o}") for o in OUTCOMES),
    end("none", "evening.none"),
    in_menu=False,
)
