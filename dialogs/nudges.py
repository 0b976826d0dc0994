"""/nudges: the daily check-in nudge, opted into and set up by the user: time of day, time zone
(found from a city or country, or from the time it is for them now, then confirmed), how often,
weekdays only, quiet hours, a pause until a date, the evening follow-up, the weekly summary
(and its day); or turned off.

Also the anti-fatigue question the scheduler asks after several unanswered nudges (started
with arg "fatigue"). Every change is a `ChangeNudges` effect, saved with the turn; the settings
shown are kept in the flow's data, so a change shows at once."""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from bot.config import DATA_DIR
from bot.effects import ChangeNudges
from bot.scheduler.plans import DEFAULT_EVENING
from bot.store import reads
from bot.zones import ZoneFinder
from dialogs.clock_input import clock, parse_date, parse_range, parse_time
from dialogs.dsl import Dialog, Option, State, Turn, end

TIME_PRESETS = (7 * 60, 8 * 60, 9 * 60, 12 * 60, 18 * 60, 21 * 60)
QUIET_PRESETS = ((22 * 60, 7 * 60), (23 * 60, 8 * 60))
PAUSES = {"w1": 7, "w2": 14, "m1": 30}  # option id -> days
EVERY = {"daily": 1, "alternate": 2, "weekly": 7}
VIEWS = ("overview", "overview_q", "paused", "paused_q")  # the same menu, worded by state
EDITS = ("time", "zone", "often", "quiet", "pause", "weekly_day")


@cache
def _finder() -> ZoneFinder:
    """Place names -> zones, from the packaged data/ (a Turn carries no settings)."""
    return ZoneFinder.load(DATA_DIR / "zones" / "en.toml")


def _sub(turn: Turn) -> dict[str, Any]:
    return turn.data["sub"]


def _set(turn: Turn, **changes: Any) -> None:
    """Save a change with this turn and show it at once."""
    turn.write(ChangeNudges.of(turn.now, **changes))
    names = {
        "at_minute": "at",
        "evening_minute": "evening",
        "weekdays_only": "weekdays",
        "weekly_summary": "weekly",
    }
    for column, value in changes.items():
        _sub(turn)[names.get(column, column)] = (
            value.isoformat() if isinstance(value, date) else value
        )


def _weekday(turn: Turn, day: int) -> str:
    return turn.texts.say(f"insights.weekday_{day}", turn.locale)


def _today(turn: Turn) -> date:
    return turn.now.astimezone(ZoneInfo(_sub(turn)["zone"] or turn.default_zone)).date()


# --- entry --------------------------------------------------------------------------------


async def _begin(turn: Turn) -> str:
    found = await turn.read(reads.nudge_settings)
    turn.data["sub"] = found.as_data()
    status = found.status
    if turn.data.get("arg") == "fatigue" or status == "asked":
        return "fatigue"
    if status == "unreachable":
        turn.say("nudges.was_unreachable")
    if status != "on":
        return "intro"
    return await _show(turn)


async def _show(turn: Turn) -> str:
    sub = _sub(turn)
    until = sub["paused_until"]
    paused = until is not None and date.fromisoformat(until) > _today(turn)
    quiet = sub["quiet_start"] is not None
    turn.data |= {
        "time": clock(sub["at"]),
        "zone": sub["zone"],
        "quiet": f"{clock(sub['quiet_start'])}–{clock(sub['quiet_end'])}" if quiet else "",
        "until": until or "",
        "paused": paused,
    }
    return VIEWS[2 * paused + quiet]


async def _menu(turn: Turn) -> list[Option]:
    sub = _sub(turn)
    paused = turn.data.get("paused", False)
    toggle = {True: "on", False: "off"}
    return [
        Option("time", "nudges.btn_time"),
        Option("zone", "nudges.btn_zone"),
        Option("often", f"nudges.btn_every_{sub['every']}"),
        Option("days", f"nudges.btn_weekdays_{toggle[sub['weekdays']]}"),
        Option("quiet", "nudges.btn_quiet"),
        Option("resume", "nudges.btn_resume") if paused else Option("pause", "nudges.btn_pause"),
        Option("evening", f"nudges.btn_evening_{toggle[sub['evening'] is not None]}"),
        Option("weekly", f"nudges.btn_weekly_{toggle[sub['weekly']]}"),
        *_weekly_day_button(turn),
        Option("off", "nudges.btn_off"),
        Option("done", "nudges.btn_done"),
    ]


def _weekly_day_button(turn: Turn) -> list[Option]:
    """Which day the summary comes, shown only while it is on."""
    sub = _sub(turn)
    if not sub["weekly"]:
        return []
    day = _weekday(turn, sub["weekly_day"])
    return [
        Option(
            "weekly_day",
            turn.texts.say("nudges.btn_weekly_day", turn.locale, day=day),
            literal=True,
        )
    ]


async def _picked(turn: Turn, option: str) -> str:
    sub = _sub(turn)
    if option in EDITS:
        return option
    if option == "days":
        _set(turn, weekdays_only=not sub["weekdays"])
        turn.say("nudges.saved")
    elif option == "evening":
        _set(turn, evening_minute=None if sub["evening"] is not None else DEFAULT_EVENING)
        turn.say("nudges.saved")
    elif option == "weekly":
        _toggle_weekly(turn)
    elif option == "resume":
        _set(turn, paused_until=None)
        turn.say("nudges.resumed")
    elif option == "off":
        _set(turn, status="off")
        return "stopped"
    elif option == "done":
        return "done"
    return await _show(turn)


def _toggle_weekly(turn: Turn) -> None:
    sub = _sub(turn)
    if sub["weekly"]:
        _set(turn, weekly_summary=False)
        turn.say("nudges.weekly_off")
        return
    _set(turn, weekly_summary=True)
    turn.say("nudges.weekly_on", day=_weekday(turn, sub["weekly_day"]))


async def _weekly_days(turn: Turn) -> list[Option]:
    return [Option(f"d{n}", _weekday(turn, n), literal=True) for n in range(7)]


async def _weekly_day_picked(turn: Turn, option: str) -> str:
    day = int(option[1:])
    _set(turn, weekly_day=day)
    turn.say("nudges.weekly_on", day=_weekday(turn, day))
    return await _show(turn)


# --- opting in ----------------------------------------------------------------------------


async def _intro(turn: Turn, option: str) -> str:
    if option == "no":
        return "declined"
    turn.data["enabling"] = True
    known = _sub(turn)["zone"]
    if known:
        return _confirm(turn, known)
    return "zone"


async def _enable_or_show(turn: Turn) -> str:
    """After the time zone: while opting in, the time comes next; else back to the menu."""
    if turn.data.get("enabling"):
        return "time"
    _set(turn, zone=_sub(turn)["zone"])
    turn.say("nudges.saved")
    return await _show(turn)


# --- time zone ----------------------------------------------------------------------------


def _confirm(turn: Turn, zone: str) -> str:
    turn.data["candidate"] = zone
    turn.data["candidate_time"] = turn.now.astimezone(ZoneInfo(zone)).strftime("%H:%M")
    return "zone_ok"


async def _zone_typed(turn: Turn, text: str) -> str:
    told = parse_time(text)
    finder = _finder()
    zones = finder.by_local_time(turn.now, told // 60, told % 60) if told is not None else []
    zones = zones or finder.find(text)
    if not zones:
        turn.say("nudges.zone_unknown" if told is None else "nudges.zone_no_offset")
        return "zone"
    if len(zones) == 1:
        return _confirm(turn, zones[0])
    turn.data["zones"] = zones
    return "zone_pick"


async def _zone_options(turn: Turn) -> list[Option]:
    return [
        Option(f"z{n}", f"{zone} · {turn.now.astimezone(ZoneInfo(zone)):%H:%M}", literal=True)
        for n, zone in enumerate(turn.data.get("zones", []))
    ]


async def _zone_picked(turn: Turn, option: str) -> str:
    if option == "other":
        return "zone"
    _sub(turn)["zone"] = turn.data["zones"][int(option[1:])]
    return await _enable_or_show(turn)


async def _zone_confirmed(turn: Turn, option: str) -> str:
    if option == "no":
        return "zone"
    _sub(turn)["zone"] = turn.data["candidate"]
    return await _enable_or_show(turn)


# --- time of day, how often, quiet hours, pause -------------------------------------------


async def _time_options(turn: Turn) -> list[Option]:
    return [Option(f"t{clock(m).replace(':', '')}", clock(m), literal=True) for m in TIME_PRESETS]


async def _time_set(turn: Turn, minute: int) -> str:
    turn.data["time"] = clock(minute)
    if turn.data.pop("enabling", False):
        sub = _sub(turn)
        _set(turn, status="on", zone=sub["zone"], at_minute=minute)
        turn.say("nudges.enabled", time=clock(minute), zone=sub["zone"])
    else:
        _set(turn, at_minute=minute)
        turn.say("nudges.saved")
    return await _show(turn)


async def _time_typed(turn: Turn, text: str) -> str:
    minute = parse_time(text)
    if minute is None:
        turn.say("nudges.time_invalid")
        return "time"
    return await _time_set(turn, minute)


async def _time_picked(turn: Turn, option: str) -> str:
    return await _time_set(turn, int(option[1:3]) * 60 + int(option[3:5]))


async def _often(turn: Turn, option: str) -> str:
    _set(turn, every=EVERY[option])
    turn.say("nudges.saved")
    return await _show(turn)


async def _quiet_options(turn: Turn) -> list[Option]:
    return [
        Option(f"q{a // 60:02d}{b // 60:02d}", f"{clock(a)}–{clock(b)}", literal=True)
        for a, b in QUIET_PRESETS
    ]


async def _quiet_set(turn: Turn, hours: tuple[int, int] | None) -> str:
    start, end_ = hours or (None, None)
    _set(turn, quiet_start=start, quiet_end=end_)
    turn.say("nudges.saved")
    return await _show(turn)


async def _quiet_typed(turn: Turn, text: str) -> str:
    hours = parse_range(text)
    if hours is None:
        turn.say("nudges.quiet_invalid")
        return "quiet"
    return await _quiet_set(turn, hours)


async def _quiet_picked(turn: Turn, option: str) -> str:
    if option == "none":
        return await _quiet_set(turn, None)
    return await _quiet_set(turn, (int(option[1:3]) * 60, int(option[3:5]) * 60))


async def _pause_until(turn: Turn, until: date) -> str:
    _set(turn, paused_until=until)
    turn.say("nudges.paused_note", until=until.isoformat())
    return await _show(turn)


async def _pause_typed(turn: Turn, text: str) -> str:
    until = parse_date(text, _today(turn))
    if until is None:
        turn.say("nudges.pause_invalid")
        return "pause"
    return await _pause_until(turn, until)


async def _pause_picked(turn: Turn, option: str) -> str:
    return await _pause_until(turn, date.fromordinal(_today(turn).toordinal() + PAUSES[option]))


# --- anti-fatigue -------------------------------------------------------------------------


async def _fatigue(turn: Turn, option: str) -> str:
    if option == "stop":
        _set(turn, status="off")
        return "fatigue_stop"
    _set(turn, status="on", every=EVERY.get(option, 1))
    return {"alternate": "fatigue_less", "weekly": "fatigue_less"}.get(option, "fatigue_keep")


def _views() -> list[State]:
    return [
        State(
            name,
            f"nudges.{name}",
            options_from=_menu,
            on_option=_picked,
            goes_to=(*EDITS, *VIEWS, "stopped", "done"),
        )
        for name in VIEWS
    ]


def _menu_return(*more: str) -> tuple[str, ...]:
    return (*VIEWS, *more)


NUDGES = Dialog.of(
    "nudges",
    "nudges.title",
    State("begin", route=_begin, goes_to=("fatigue", "intro", *VIEWS), start=True),
    State(
        "intro",
        "nudges.intro",
        options=(Option("yes", "nudges.intro_yes"), Option("no", "nudges.intro_no")),
        on_option=_intro,
        goes_to=("zone", "zone_ok", "declined"),
    ),
    *_views(),
    State("zone", "nudges.zone", on_text=_zone_typed, goes_to=("zone", "zone_ok", "zone_pick")),
    State(
        "zone_ok",
        "nudges.zone_ok",
        options=(Option("yes", "nudges.yes"), Option("no", "nudges.zone_no")),
        on_option=_zone_confirmed,
        goes_to=_menu_return("zone", "time"),
    ),
    # Typing a place or a time instead of choosing starts the look-up again ("Berlin" after
    # the zones offered for "8:30").
    State(
        "zone_pick",
        "nudges.zone_pick",
        options=(Option("other", "nudges.zone_other"),),
        options_from=_zone_options,
        on_option=_zone_picked,
        on_text=_zone_typed,
        goes_to=(*_menu_return("zone", "time"), "zone_ok", "zone_pick"),
    ),
    State(
        "time",
        "nudges.time",
        options_from=_time_options,
        on_option=_time_picked,
        on_text=_time_typed,
        goes_to=_menu_return("time"),
    ),
    State(
        "often",
        "nudges.often",
        options=tuple(Option(k, f"nudges.every_{v}") for k, v in EVERY.items()),
        on_option=_often,
        goes_to=_menu_return(),
    ),
    State(
        "quiet",
        "nudges.quiet",
        options=(Option("none", "nudges.quiet_none"),),
        options_from=_quiet_options,
        on_option=_quiet_picked,
        on_text=_quiet_typed,
        goes_to=_menu_return("quiet"),
    ),
    State(
        "pause",
        "nudges.pause",
        options=tuple(Option(k, f"nudges.pause_{k}") for k in PAUSES),
        on_option=_pause_picked,
        on_text=_pause_typed,
        goes_to=_menu_return("pause"),
    ),
    State(
        "weekly_day",
        "nudges.weekly_day",
        options_from=_weekly_days,
        on_option=_weekly_day_picked,
        goes_to=_menu_return(),
    ),
    State(
        "fatigue",
        "nudges.fatigue",
        options=(
            Option("alternate", "nudges.fatigue_alternate"),
            Option("weekly", "nudges.fatigue_weekly"),
            Option("stop", "nudges.fatigue_stop_button"),
            Option("keep", "nudges.fatigue_keep_button"),
        ),
        on_option=_fatigue,
        goes_to=("fatigue_less", "fatigue_stop", "fatigue_keep"),
    ),
    end("declined", "nudges.declined"),
    end("stopped", "nudges.stopped"),
    end("done", "nudges.done"),
    end("fatigue_less", "nudges.fatigue_less"),
    end("fatigue_stop", "nudges.fatigue_stopped"),
    end("fatigue_keep", "nudges.fatigue_kept"),
)
