"""Rated strategies, as states any flow can splice in: offer a strategy (the user's own
best-rated first), rate 0-10 before, guide it, rate 0-10 after, keep both numbers."""

from __future__ import annotations

from bot.effects import Rating
from bot.store import reads
from dialogs.dsl import Option, State, TextHandler, Turn

# Ids only; what each is called and how to do it live in data/texts/*/strategies.toml.
STRATEGIES = ("breathe", "walk", "call", "write", "stretch", "step")
SCALE = tuple(Option(f"r{n}", str(n), literal=True) for n in range(11))


async def _offer(turn: Turn) -> None:
    best = await turn.read(reads.best_strategies)
    turn.data["best"] = [b.strategy for b in best]
    if best:  # "Last time a walk took you from 3 to 6. Try it again?"
        turn.say(f"strategies.again_{best[0].strategy}", before=best[0].before, after=best[0].after)


async def _options(turn: Turn) -> list[Option]:
    best = [s for s in turn.data.get("best", []) if s in STRATEGIES]
    ordered = best + [s for s in STRATEGIES if s not in best]
    return [Option(s, f"strategies.{s}") for s in ordered]


async def _chosen(turn: Turn, option: str) -> str:
    turn.data["strategy"] = option
    return "before"


async def _before(turn: Turn, option: str) -> str:
    turn.data["before"] = int(option[1:])
    return "practice"


def _after(then: str) -> TextHandler:
    async def after(turn: Turn, option: str) -> str:
        before, now = turn.data["before"], int(option[1:])
        turn.write(Rating(turn.data["strategy"], before, now))
        turn.say(
            "strategies.better" if now > before else "strategies.noted", before=before, after=now
        )
        return then

    return after


def rated_strategy(then: str, say: str = "strategies.offer") -> tuple[State, ...]:
    """The states `strategy` -> `before` -> `practice` -> `after`, then `then`."""
    return (
        State(
            "strategy",
            say,
            options_from=_options,
            on_option=_chosen,
            on_enter=_offer,
            goes_to=("before",),
        ),
        State(
            "before", "strategies.before", options=SCALE, on_option=_before, goes_to=("practice",)
        ),
        State(
            "practice",
            "strategies.{strategy}_how",
            options=(Option("done", "strategies.done", to="after"),),
        ),
        State("after", "strategies.after", options=SCALE, on_option=_after(then), goes_to=(then,)),
    )
