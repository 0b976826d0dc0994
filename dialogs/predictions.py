"""The prediction ledger's other half: ask what really happened to each feared outcome whose
date has come, and show the user their own record."""

from __future__ import annotations

from bot.effects import Resolve
from bot.store import reads
from dialogs.dsl import Dialog, Option, State, Turn, end

OUTCOMES = ("not", "partly", "happened")


async def _pending(turn: Turn) -> list[reads.Due]:
    answered = {e.row_id for e in turn.effects if isinstance(e, Resolve)}
    return [d for d in await turn.read(reads.due_predictions, turn.now) if d.id not in answered]


async def _begin(turn: Turn) -> str:
    due = await _pending(turn)
    if due:
        turn.data["pending"], turn.data["fear"] = due[0].id, due[0].text
        return "check"
    record = await turn.read(reads.prediction_record)
    answered = sum(1 for e in turn.effects if isinstance(e, Resolve))
    spared = sum(1 for e in turn.effects if isinstance(e, Resolve) and e.outcome == "not")
    turn.data |= {
        "checked": record.checked + answered,
        "spared": record.did_not_happen + spared,
        "open": record.open - answered,
    }
    if turn.data["checked"]:
        return "record"
    return "waiting" if turn.data["open"] else "empty"


async def _due(turn: Turn) -> str | None:
    return "predictions.due" if await turn.read(reads.due_predictions, turn.now) else None


async def _answer(turn: Turn, outcome: str) -> str:
    turn.write(Resolve("predictions", turn.data["pending"], outcome))
    turn.say(f"predictions.answer_{outcome}")
    return "begin"


PREDICTIONS = Dialog.of(
    "predictions",
    "predictions.title",
    State("begin", route=_begin, goes_to=("check", "record", "waiting", "empty"), start=True),
    State(
        "check",
        "predictions.check",
        options=tuple(Option(o, f"predictions.outcome_{o}") for o in OUTCOMES),
        on_option=_answer,
        goes_to=("begin",),
    ),
    end("record", "predictions.record"),
    end("waiting", "predictions.waiting"),
    end("empty", "predictions.empty"),
    in_menu=False,
    due=_due,
)
