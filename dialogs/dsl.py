"""A small DSL for coaching dialogs: graphs of *named* states, checked when declared.

A state says something (a text key from data/), then waits for a typed answer, a choice, or
both. Simple states are pure declarations; a state with logic gives an async handler and lists
the states it may go to (`goes_to`), so the graph can still be checked and drawn.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from bot.effects import Effect
from bot.texts import Texts
from bot.types import Attachment

NAME = re.compile(r"^[a-z][a-z0-9_]{0,15}$")  # short: names travel inside button ids


class Reads(Protocol):
    """Runs a lookup from bot.store.reads while deciding (writes go through Turn.write)."""

    async def run(self, work: Callable[..., Any], *args: Any) -> Any: ...


@dataclass
class Turn:
    """What a handler sees and may change during one turn."""

    user_id: int
    data: dict[str, Any]
    reads: Reads
    now: datetime
    texts: Texts  # for words that go into something other than a reply (a chart's labels)
    locale: str | None = None
    default_zone: str = "UTC"  # DEFAULT_TIMEZONE: the calendar of users who set no zone
    effects: list[Effect] = field(default_factory=list)
    notes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)

    def say(self, key: str, **values: Any) -> None:
        """Queue a message to send before the next state's prompt."""
        self.notes.append((key, values))

    def write(self, effect: Effect) -> None:
        self.effects.append(effect)

    def attach(self, attachment: Attachment) -> None:
        """Send a file (an export, a chart) with the next message."""
        self.attachments.append(attachment)

    async def read(self, lookup: Callable[..., Any], *args: Any) -> Any:
        """`lookup(connection, user_id, *args)` from bot.store.reads, for this user."""
        return await self.reads.run(lookup, self.user_id, *args)


TextHandler = Callable[[Turn, str], Awaitable[str]]
OptionsSource = Callable[[Turn], Awaitable[list["Option"]]]
Hook = Callable[[Turn], Awaitable[None]]
Router = Callable[[Turn], Awaitable[str]]


@dataclass(frozen=True)
class Option:
    """A choice. `label` is a text key, or literal text when `literal` (e.g. the user's steps)."""

    id: str
    label: str
    to: str | None = None
    literal: bool = False


@dataclass(frozen=True)
class State:
    name: str
    say: str | None = None  # text key of the prompt; "{x}" in it is filled from data
    options: tuple[Option, ...] = ()
    save: str | None = None  # a typed answer is stored as data[save] and journaled ...
    then: str | None = None  # ... and leads here
    on_text: TextHandler | None = None  # or: custom handling of a typed answer
    on_option: TextHandler | None = None  # custom handling of any option (gets its id)
    options_from: OptionsSource | None = None  # options computed per turn
    route: Router | None = None  # a pass-through state: decides the next state on entry
    on_enter: Hook | None = None
    goes_to: tuple[str, ...] = ()  # where the custom handlers may lead
    in_full: tuple[str, ...] = ()  # data shown whole; the user's own words are shortened
    start: bool = False
    end: bool = False

    @property
    def takes_text(self) -> bool:
        return self.then is not None or self.on_text is not None

    def targets(self) -> set[str]:
        found = {o.to for o in self.options if o.to} | set(self.goes_to)
        if self.then:
            found.add(self.then)
        return found


def ask(name: str, say: str, save: str, then: str, *, start: bool = False, **kw: Any) -> State:
    """Ask for a typed answer, keep it under `save`, go on to `then`."""
    return State(name, say, save=save, then=then, start=start, **kw)


def pick(name: str, say: str, *options: Option, start: bool = False, **kw: Any) -> State:
    return State(name, say, options=options, start=start, **kw)


def end(name: str, say: str, **kw: Any) -> State:
    return State(name, say, end=True, **kw)


class DialogError(ValueError):
    """A malformed dialog, reported when it is declared rather than when a user hits it."""


@dataclass(frozen=True)
class Dialog:
    name: str
    title: str  # text key of its menu label
    states: dict[str, State]
    start: str
    in_menu: bool = True
    due: Callable[[Turn], Awaitable[str | None]] | None = None  # a menu label when due
    # When it interrupted another flow and ends: "prompt" goes straight back to that flow's
    # question; "offer" leaves it waiting behind a "continue" button (after a crisis).
    hand_back: str = "prompt"

    @classmethod
    def of(
        cls,
        name: str,
        title: str,
        *states: State,
        in_menu: bool = True,
        due: Callable[[Turn], Awaitable[str | None]] | None = None,
        hand_back: str = "prompt",
    ) -> Dialog:
        by_name: dict[str, State] = {}
        for state in states:
            if state.name in by_name:
                raise DialogError(f"{name}: state {state.name!r} declared twice")
            by_name[state.name] = state
        starts = [s.name for s in states if s.start]
        if len(starts) != 1:
            raise DialogError(f"{name}: needs exactly one start state, has {starts or 'none'}")
        if hand_back not in ("prompt", "offer"):
            raise DialogError(f"{name}: hand_back must be 'prompt' or 'offer'")
        dialog = cls(name, title, by_name, starts[0], in_menu, due, hand_back)
        dialog._check()
        return dialog

    def _check(self) -> None:
        for bad in [n for n in [self.name, *self.states] if not NAME.match(n)]:
            raise DialogError(f"{self.name}: {bad!r} is not a short lowercase name")
        for state in self.states.values():
            self._check_state(state)
        reachable = _closure([self.start], self._edges)
        if unreachable := set(self.states) - reachable:
            raise DialogError(f"{self.name}: unreachable states {sorted(unreachable)}")
        ends = {n for n, s in self.states.items() if s.end}
        for name in self.states:
            if not _closure([name], self._edges) & ends:
                raise DialogError(f"{self.name}: no end can be reached from {name!r}")

    def _check_state(self, state: State) -> None:
        where = f"{self.name}.{state.name}"
        if missing := state.targets() - set(self.states):
            raise DialogError(f"{where}: goes to unknown states {sorted(missing)}")
        if state.end and (state.targets() or state.takes_text or state.route):
            raise DialogError(f"{where}: an end state cannot lead anywhere")
        waits = state.options or state.options_from or state.takes_text
        if not state.end and not state.route and not waits:
            raise DialogError(f"{where}: neither takes an answer nor ends")
        if state.route and not state.goes_to:
            raise DialogError(f"{where}: a route must list goes_to")
        if state.save and not state.then:
            raise DialogError(f"{where}: save= needs then=")
        for option in state.options:
            if not NAME.match(option.id):
                raise DialogError(f"{where}: option id {option.id!r} is not short and lowercase")
            if option.to is None and state.on_option is None:
                raise DialogError(f"{where}: option {option.id!r} has no target and no handler")
        if (state.options_from or state.on_option) and not state.goes_to:
            raise DialogError(f"{where}: custom option handling must list goes_to")

    def _edges(self, name: str) -> Iterable[str]:
        return self.states[name].targets()

    def mermaid(self) -> str:
        """The graph as a Mermaid state diagram (`coach dialogs show NAME`)."""
        lines = ["stateDiagram-v2", f"    [*] --> {self.start}"]
        for state in self.states.values():
            for option in state.options:
                if option.to:
                    lines.append(f"    {state.name} --> {option.to}: {option.id}")
            if state.then:
                lines.append(f"    {state.name} --> {state.then}: text")
            for target in sorted(set(state.goes_to)):
                lines.append(f"    {state.name} --> {target}")
            if state.end:
                lines.append(f"    {state.name} --> [*]")
        return "\n".join(lines)


def _closure(start: list[str], edges: Callable[[str], Iterable[str]]) -> set[str]:
    seen: set[str] = set()
    todo = list(start)
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(edges(name))
    return seen
