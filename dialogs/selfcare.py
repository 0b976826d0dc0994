"""Care for body and mind: a tiny check of sleep, food and movement, then one small act."""

from __future__ import annotations

from bot.effects import Journal
from dialogs.dsl import Dialog, Option, State, TextHandler, Turn, end
from dialogs.strategies import rated_strategy

LEVELS = ("good", "so_so", "poor")
CHECKS = ("sleep", "food", "move")


def _answer(check: str, then: str) -> TextHandler:
    async def answer(turn: Turn, level: str) -> str:
        turn.data[check] = level
        turn.write(Journal("selfcare", check, level))
        if then == "strategy":  # the check is complete: one kind word about it
            low = [c for c in CHECKS if turn.data.get(c) == "poor"]
            turn.say(f"selfcare.low_{low[0]}" if low else "selfcare.all_ok")
        return then

    return answer


def _check(check: str, then: str, start: bool = False) -> State:
    options = tuple(Option(level, f"selfcare.{check}_{level}") for level in LEVELS)
    return State(
        check,
        f"selfcare.{check}",
        options=options,
        on_option=_answer(check, then),
        goes_to=(then,),
        start=start,
    )


SELFCARE = Dialog.of(
    "selfcare",
    "selfcare.title",
    _check("sleep", "food", start=True),
    _check("food", "move"),
    _check("move", "strategy"),
    *rated_strategy(then="close", say="selfcare.act"),
    end("close", "selfcare.close"),
)
