"""Keep things in perspective: worst, best and most likely outcome, will it matter in a month,
what you can control and what to accept; then, if the user wants, the prediction ledger."""

from __future__ import annotations

from datetime import timedelta

from bot.effects import Prediction
from dialogs.dsl import Dialog, Option, State, Turn, ask, end, pick

CHECK_AFTER = {"day": timedelta(days=1), "week": timedelta(days=7), "month": timedelta(days=30)}


async def _record(turn: Turn, option: str) -> str:
    if option == "no":
        return "close"
    turn.write(Prediction(turn.data["worst"], turn.now + CHECK_AFTER[option]))
    return f"recorded_{option}"


PERSPECTIVE = Dialog.of(
    "perspective",
    "perspective.title",
    ask("worry", "perspective.worry", save="worry", then="worst", start=True),
    ask("worst", "perspective.worst", save="worst", then="best"),
    ask("best", "perspective.best", save="best", then="likely"),
    ask("likely", "perspective.likely", save="likely", then="month"),
    pick(
        "month",
        "perspective.month",
        *(Option(o, f"perspective.month_{o}", to="control") for o in ("yes", "maybe", "no")),
    ),
    ask("control", "perspective.control", save="control", then="accept"),
    ask("accept", "perspective.accept", save="accept", then="ledger"),
    State(
        "ledger",
        "perspective.ledger",
        options=tuple(Option(o, f"perspective.ledger_{o}") for o in (*CHECK_AFTER, "no")),
        on_option=_record,
        goes_to=("close", *(f"recorded_{o}" for o in CHECK_AFTER)),
    ),
    *(end(f"recorded_{o}", f"perspective.recorded_{o}") for o in CHECK_AFTER),
    end("close", "perspective.close"),
)
