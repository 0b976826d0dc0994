"""Build and keep connections: who you can lean on, one person, a short message; next time,
how it went."""

from __future__ import annotations

from bot.effects import Outreach, Resolve
from bot.store import reads
from dialogs.dsl import Dialog, Option, State, Turn, ask, end, pick

OUTCOMES = ("well", "not_yet", "hard")


async def _begin(turn: Turn) -> str:
    pending = await turn.read(reads.open_outreach)
    if pending is None:
        return "who"
    turn.data["pending"], turn.data["earlier"] = pending.id, pending.text
    return "followup"


async def _due(turn: Turn) -> str | None:
    return "connect.due" if await turn.read(reads.open_outreach) else None


async def _went(turn: Turn, outcome: str) -> str:
    turn.write(Resolve("outreach", turn.data["pending"], outcome))
    turn.say(f"connect.went_{outcome}")
    return "again"


async def _draft(turn: Turn) -> None:
    """The user's words as the body of a message: a capital first, a full stop last."""
    words = str(turn.data.get("what", "")).strip()
    if words and words[-1] not in ".!?…":
        words += "."
    turn.data["said"] = words[:1].upper() + words[1:]


async def _message(turn: Turn) -> None:
    turn.write(Outreach(turn.data["person"], turn.data["what"]))


CONNECT = Dialog.of(
    "connect",
    "connect.title",
    State("begin", route=_begin, goes_to=("who", "followup"), start=True),
    State(
        "followup",
        "connect.followup",
        options=tuple(Option(o, f"connect.outcome_{o}") for o in OUTCOMES),
        on_option=_went,
        goes_to=("again",),
    ),
    pick(
        "again",
        "connect.again",
        Option("yes", "connect.again_yes", to="who"),
        Option("no", "connect.again_no", to="close"),
    ),
    ask("who", "connect.who", save="person", then="what"),
    ask("what", "connect.what", save="what", then="draft"),
    pick(
        "draft",
        "connect.draft",
        Option("send", "connect.send", to="sent"),
        Option("own", "connect.own", to="own"),
        on_enter=_draft,
        in_full=("said",),
    ),
    ask("own", "connect.own_prompt", save="what", then="sent_own"),
    end("sent", "connect.sent", on_enter=_message),
    end("sent_own", "connect.sent_own", on_enter=_message),
    end("close", "connect.close"),
    due=_due,
)
