"""What happens when a message shows a crisis: care, the helplines of the user's country (paired
services together), and "Are you safe right now?". The flow the user was in is kept aside; when
they say they are safe they can go back to it, or not.

When the one at risk is someone close to the user: how to help them, the lines (which also
help people worried about someone), the emergency number, and how the user is doing."""

from __future__ import annotations

from bot.effects import SafeNow, SetCountry
from bot.helplines import Helpline, country_from_locale, default_helplines
from bot.safety import CATEGORIES, SOMEONE_ELSE
from bot.store import reads
from bot.texts import Texts
from dialogs.dsl import Dialog, Option, State, Turn, end


def lines_text(texts: Texts, locale: str | None, code: str | None, topic: str | None) -> str:
    """The helplines of a country (paired services together), one line each, in words."""
    groups = default_helplines().groups(code, topic=topic)
    return "\n".join("\n".join(_line(texts, locale, line) for line in group) for group in groups)


def _line(texts: Texts, locale: str | None, line: Helpline) -> str:
    ways = [
        texts.say(f"safety.by_{way}", locale, **{way: value})
        for way, value in (("phone", line.phone), ("text", line.text), ("web", line.web))
        if value
    ]
    name = line.name
    if line.who != "all":
        name += " " + texts.say("safety.for_who", locale, who=line.who)
    return f"• {name}: {', '.join(ways)}"


def _lines(turn: Turn, code: str | None, topic: str | None) -> str:
    return lines_text(turn.texts, turn.locale, code, topic)


def care_in_public(texts: Texts, locale: str | None, category: str | None) -> str:
    """For a crisis said where the bot does not coach (a group chat): care, the lines for the
    country of the user's language, the emergency number, and an invitation to talk in private.
    """
    helplines = default_helplines()
    code = country_from_locale(locale, helplines.language_countries)
    topic = category if category in CATEGORIES else None
    key = "safety.public_someone_else" if category == SOMEONE_ELSE else "safety.public"
    lines = lines_text(texts, locale, code, topic)
    return texts.say(key, locale, lines=lines, emergency=helplines.emergency(code))


async def _code(turn: Turn) -> str | None:
    """The user's country: as they told us, else guessed from their language."""
    return await turn.read(reads.country_of) or country_from_locale(
        turn.locale, default_helplines().language_countries
    )


async def _prepare(turn: Turn) -> str:
    helplines = default_helplines()
    code = await _code(turn)
    topic = turn.data.get("arg") if turn.data.get("arg") in CATEGORIES else None
    turn.data |= {
        "topic": topic or "suicide",
        "known": bool(code),
        "lines": _lines(turn, code, topic),
        "emergency": helplines.emergency(code),
    }
    return _opening(turn)


def _opening(turn: Turn) -> str:
    return "concern" if turn.data.get("topic") == SOMEONE_ELSE else "care"


async def _country(turn: Turn, text: str) -> str:
    code = default_helplines().code_for(text)
    if code is None:
        turn.say("safety.unknown_country")
        return _opening(turn)
    turn.write(SetCountry(code))
    turn.data["lines"] = _lines(turn, code, turn.data.get("arg"))
    turn.data["emergency"] = default_helplines().emergency(code)
    return _opening(turn)


async def _heard(turn: Turn, text: str) -> str:
    return "ask"  # words, not a button: answer gently and ask again, without the whole list


async def _concern_heard(turn: Turn, text: str) -> str:
    return "concern_heard"


async def _me_too(turn: Turn) -> str:
    """Worried about someone and struggling too: the user's own care, with the general lines."""
    turn.data |= {"topic": "suicide", "arg": None}
    turn.data["lines"] = _lines(turn, await _code(turn), None)
    return "care"


async def _safe(turn: Turn) -> None:
    turn.write(SafeNow())


ANSWERS = (
    Option("safe", "safety.safe", to="safe"),
    Option("unsafe", "safety.unsafe", to="unsafe"),
    Option("country", "safety.other_country", to="country"),
)
CONCERN = (
    Option("coping", "safety.coping", to="coping"),
    Option("me_too", "safety.me_too", to="me_too"),
    Option("country", "safety.other_country", to="country"),
)

SAFETY = Dialog.of(
    "safety",
    "safety.title",
    State("begin", route=_prepare, goes_to=("care", "concern"), start=True),
    State(
        "concern",
        "safety.care_someone_else",
        options=CONCERN,
        on_text=_concern_heard,
        goes_to=("concern_heard",),
        in_full=("lines",),
    ),
    State(
        "concern_heard",
        "safety.concern_heard",
        options=CONCERN,
        on_text=_concern_heard,
        goes_to=("concern_heard",),
    ),
    State("me_too", route=_me_too, goes_to=("care",)),
    end("coping", "safety.thanks_for_them"),
    State(
        "care",
        "safety.care_{topic}",
        options=ANSWERS,
        on_text=_heard,
        goes_to=("ask",),
        in_full=("lines",),
    ),
    State("ask", "safety.heard", options=ANSWERS, on_text=_heard, goes_to=("ask",)),
    State("country", "safety.which_country", on_text=_country, goes_to=("care", "concern")),
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
