"""What happens when a message shows a crisis: care, the helplines of the user's country (paired
services together), and "Are you safe right now?". The flow the user was in is kept aside; when
they say they are safe they can go back to it, or not."""

from __future__ import annotations

from bot.effects import SafeNow, SetCountry
from bot.helplines import Helpline, country_from_locale, default_helplines
from bot.store import reads
from dialogs.dsl import Dialog, Option, State, Turn, end

CATEGORIES = ("suicide", "self_harm", "abuse", "eating_disorder")


def _line(turn: Turn, line: Helpline) -> str:
    ways = [
        turn.texts.say(f"safety.by_{way}", turn.locale, **{way: value})
        for way, value in (("phone", line.phone), ("text", line.text), ("web", line.web))
        if value
    ]
    name = line.name
    if line.who != "all":
        name += " " + turn.texts.say("safety.for_who", turn.locale, who=line.who)
    return f"• {name}: {', '.join(ways)}"


def _lines(turn: Turn, code: str | None, topic: str | None) -> str:
    helplines = default_helplines()
    groups = helplines.groups(code, topic=topic)
    return "\n".join("\n".join(_line(turn, line) for line in group) for group in groups)


async def _prepare(turn: Turn) -> str:
    helplines = default_helplines()
    code = await turn.read(reads.country_of) or country_from_locale(
        turn.locale, helplines.language_countries
    )
    topic = turn.data.get("arg") if turn.data.get("arg") in CATEGORIES else None
    turn.data |= {
        "topic": topic or "suicide",
        "known": bool(code),
        "lines": _lines(turn, code, topic),
        "emergency": helplines.emergency(code),
    }
    return "care"


async def _country(turn: Turn, text: str) -> str:
    code = default_helplines().code_for(text)
    if code is None:
        turn.say("safety.unknown_country")
        return "care"
    turn.write(SetCountry(code))
    turn.data["lines"] = _lines(turn, code, turn.data.get("arg"))
    turn.data["emergency"] = default_helplines().emergency(code)
    return "care"


async def _heard(turn: Turn, text: str) -> str:
    return "ask"  # words, not a button: answer gently and ask again, without the whole list


async def _safe(turn: Turn) -> None:
    turn.write(SafeNow())


ANSWERS = (
    Option("safe", "safety.safe", to="safe"),
    Option("unsafe", "safety.unsafe", to="unsafe"),
    Option("country", "safety.other_country", to="country"),
)

SAFETY = Dialog.of(
    "safety",
    "safety.title",
    State("begin", route=_prepare, goes_to=("care",), start=True),
    State(
        "care",
        "safety.care_{topic}",
        options=ANSWERS,
        on_text=_heard,
        goes_to=("ask",),
        in_full=("lines",),
    ),
    State("ask", "safety.heard", options=ANSWERS, on_text=_heard, goes_to=("ask",)),
    State("country", "safety.which_country", on_text=_country, goes_to=("care",)),
    State(
        "unsafe",
        "safety.urgent",
        options=(Option("safe", "safety.safe_now", to="safe"),),
        in_full=("lines",),
    ),
    end("safe", "safety.glad", on_enter=_safe),
    in_menu=False,
    hand_back="offer",
)
