"""Signature flow: break a big problem into 3-5 small steps, then celebrate each one done.

Also the weekly reminder of open steps: the scheduler starts it with arg "reminder", which
says how many are open and names one before the usual list to tick them off."""

from __future__ import annotations

from bot.effects import Journal, NewProblem, ProblemDone, StepDone
from bot.store import reads
from bot.store.reads import StepRecord
from dialogs.dsl import Dialog, Option, State, Turn, ask, end

MIN_STEPS, MAX_STEPS = 3, 5
STAGES = ("first", "next")  # how the step question is worded: steps.step_first / step_next
LABEL_CHARS = 40  # a step shown on a button


def _short(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1].rstrip() + "…"


async def _open(turn: Turn) -> list[StepRecord]:
    """Open steps, minus those ticked off earlier in this same turn (not yet committed)."""
    ticked = {e.step_id for e in turn.effects if isinstance(e, StepDone)}
    return [s for s in await turn.read(reads.open_steps) if s.id not in ticked]


async def _begin(turn: Turn) -> str:
    found = await _open(turn)
    if turn.data.get("arg") == "reminder":
        if not found:  # ticked off since the reminder was planned
            return "none_open"
        key = "steps.reminder_one" if len(found) == 1 else "steps.reminder_other"
        turn.say(key, n=len(found), first=_short(found[0].text))
    return "review" if found else "problem"


async def _open_options(turn: Turn) -> list[Option]:
    steps = await _open(turn)
    return [Option(f"s{s.id}", _short(s.text), literal=True) for s in steps]


async def _review_choice(turn: Turn, option: str) -> str:
    if option == "new":
        return "problem"
    if option == "later":
        return "later"
    steps = await _open(turn)
    done = next(s for s in steps if f"s{s.id}" == option)
    turn.write(StepDone(done.id))
    turn.say("steps.celebrate", step=done.text)
    left = [s for s in steps if s.id != done.id]
    if not any(s.problem_id == done.problem_id for s in left):
        turn.write(ProblemDone(done.problem_id))
        turn.say("steps.problem_done", problem=done.problem)
    return "review" if left else "all_done"


async def _add_step(turn: Turn, text: str) -> str:
    listed = [*turn.data.get("steps", []), text]
    turn.data["steps"] = listed
    turn.write(Journal("steps", "step", text))
    return "pick" if len(listed) >= MAX_STEPS else "step"


async def _count(turn: Turn) -> None:
    turn.data["n"] = len(turn.data.get("steps", [])) + 1
    turn.data["stage"] = STAGES[0] if turn.data["n"] == 1 else STAGES[1]  # "another" needs one


async def _step_option(turn: Turn, option: str) -> str:
    if len(turn.data.get("steps", [])) < MIN_STEPS:
        turn.say("steps.need_more", least=MIN_STEPS)
        return "step"
    return "pick"


async def _pick_options(turn: Turn) -> list[Option]:
    return [Option(f"p{i}", _short(s), literal=True) for i, s in enumerate(turn.data["steps"])]


async def _pick_first(turn: Turn, option: str) -> str:
    listed: list[str] = turn.data["steps"]
    first = listed[int(option[1:])]
    ordered = (first, *(s for s in listed if s is not first))
    turn.data["first"] = first
    turn.write(NewProblem(turn.data["problem"], ordered))
    return "saved"


STEPS = Dialog.of(
    "steps",
    "steps.title",
    State("begin", route=_begin, goes_to=("review", "problem", "none_open"), start=True),
    State(
        "review",
        "steps.review",
        options=(Option("new", "steps.new_problem"), Option("later", "steps.later")),
        options_from=_open_options,
        on_option=_review_choice,
        goes_to=("problem", "review", "later", "all_done"),
    ),
    ask("problem", "steps.problem", save="problem", then="step"),
    State(
        "step",
        "steps.step_{stage}",
        options=(Option("done", "steps.done"),),
        on_text=_add_step,
        on_option=_step_option,
        on_enter=_count,
        goes_to=("step", "pick"),
    ),
    State(
        "pick",
        "steps.pick",
        options_from=_pick_options,
        on_option=_pick_first,
        goes_to=("saved",),
    ),
    end("saved", "steps.saved"),
    end("later", "steps.see_you"),
    end("all_done", "steps.all_done"),
    end("none_open", "steps.none_open"),
)
