"""Daily check-in: mood 1-5, an optional line, and the day's one thing. Short on purpose:
this is also what the daily nudge opens.

A nudge starts it with arg "nudge:<local date>": the first message then also offers Snooze
(1 h) and Skip today, and its opening is one of several, picked by the date so that two days
in a row never open the same way. Arg "snoozed" is the same question an hour later."""

from __future__ import annotations

from datetime import date

from bot.effects import Goal, Mood, MoodNote, NudgeAnswered, SkipToday, SnoozeNudge
from dialogs.dsl import Dialog, Option, State, Turn, end

MOODS = tuple(Option(f"m{n}", f"checkin.mood_{n}") for n in range(1, 6))
OPENINGS = 5  # checkin.nudge_0 .. nudge_4 in data/texts
SKIP_TODAY = Option("skip", "checkin.skip_today")
NUDGE_OPTIONS = (*MOODS, Option("snooze", "checkin.snooze"), SKIP_TODAY)
NUDGE_STATES = tuple(f"nudge{n}" for n in range(OPENINGS))


async def _begin(turn: Turn) -> str:
    arg = str(turn.data.get("arg", ""))
    if arg == "snoozed":
        return "later"
    if arg.startswith("nudge:"):
        try:
            day = date.fromisoformat(arg.removeprefix("nudge:"))
        except ValueError:
            return "mood"
        return NUDGE_STATES[day.toordinal() % OPENINGS]
    return "mood"


async def _mood(turn: Turn, option: str) -> str:
    turn.write(Mood(int(option[1:])))  # kept at once, even if the rest is skipped
    turn.write(NudgeAnswered())  # checking in counts as answering the nudges
    return "note"


async def _nudged(turn: Turn, option: str) -> str:
    if option == "snooze":
        turn.write(SnoozeNudge(turn.now))
        return "snoozed"
    if option == "skip":
        turn.write(SkipToday(turn.now))
        return "skipped"
    return await _mood(turn, option)


async def _note(turn: Turn, text: str) -> str:
    turn.write(MoodNote(text))
    return "goal"


async def _goal(turn: Turn, text: str) -> str:
    turn.data["goal"] = text
    turn.write(Goal(text))
    return "planned"


def _nudge(name: str, say: str, options: tuple[Option, ...]) -> State:
    return State(name, say, options=options, on_option=_nudged, goes_to=("note", *_NUDGE_ENDS))


_NUDGE_ENDS = ("snoozed", "skipped")

CHECKIN = Dialog.of(
    "checkin",
    "checkin.title",
    State("begin", route=_begin, goes_to=("mood", "later", *NUDGE_STATES), start=True),
    State("mood", "checkin.mood", options=MOODS, on_option=_mood, goes_to=("note",)),
    *(_nudge(name, f"checkin.nudge_{n}", NUDGE_OPTIONS) for n, name in enumerate(NUDGE_STATES)),
    _nudge("later", "checkin.later", (*MOODS, SKIP_TODAY)),
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
    end("snoozed", "checkin.snoozed"),
    end("skipped", "checkin.skipped"),
)
