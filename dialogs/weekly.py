"""The weekly summary: the week's numbers and one line about something the user did. Started
by the scheduler on the user's chosen day (opted into in /nudges); it only reads, and every
number comes from the user's stored rows (bot.store.reads.week_facts)."""

from __future__ import annotations

from datetime import date

from bot.insights.summary import weekly_summary
from bot.store import reads
from dialogs.dsl import Dialog, State, Turn, end


def _day(turn: Turn) -> date | None:
    """The summary's day, from the scheduler (arg): quiet hours may have moved the message
    past midnight, and the week it sums up is still the one that ended that day."""
    try:
        return date.fromisoformat(str(turn.data.get("arg", "")))
    except ValueError:
        return None


async def _summarise(turn: Turn) -> str:
    facts = await turn.read(reads.week_facts, turn.now, turn.default_zone, _day(turn))
    turn.data["summary"] = weekly_summary(facts, turn.texts, facts.locale or turn.locale)
    return "shown"


WEEKLY = Dialog.of(
    "weekly",
    "insights.weekly_title",
    State("begin", route=_summarise, goes_to=("shown",), start=True),
    # whole: it is our message, built from texts (quotes in it are shortened already)
    end("shown", "insights.weekly_message", in_full=("summary",)),
    in_menu=False,
    # It asks nothing: a flow it interrupted waits behind a "continue" button rather than
    # asking its question again (which, typed-answer only, would leave the push buttonless).
    hand_back="offer",
)
