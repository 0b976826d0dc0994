"""The one path every turn takes: bound the input, check safety, lock the conversation, load the
session by name, run the state's step, save everything in one transaction, return replies."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from bot import answers
from bot.effects import CrisisNoted, Effect, ForgetUser, Journal
from bot.flood import FloodGate, Verdict
from bot.locks import KeyedLock
from bot.report import Observer, TurnReport, conversation_hash
from bot.store import Commit, SessionRecord, Store, UserRecord
from bot.texts import Texts
from bot.types import Choice, Inbound, Reply
from dialogs import safety as safety_flow
from dialogs.dsl import Dialog, Option, State, Turn

log = logging.getLogger(__name__)

RECENT, RECENT_CHARS = 3, 300  # earlier texts the safety check sees ("after a loss...")
NUDGE_HOLD = timedelta(hours=24)  # no nudges after a crisis message, unless the user is safe
SAFETY = "safety"  # the dialog a crisis message opens
ASIDES = frozenset({"core.stale"})  # notes about the interaction, not the conversation
MAX_HOPS = 8  # pass-through states in a row, so a routing loop cannot spin
CACHE_SIZE = 10_000


class Assessment(Protocol):
    crisis: bool
    category: str | None

    @property
    def about_user(self) -> bool: ...  # False: the user is worried about someone else


Safety = Callable[[str, Sequence[str]], Assessment]  # text, the user's recent texts
Router = Callable[[str], list[str]]  # free text -> flow names, best first


@dataclass
class _Run:
    """One turn in progress: where the conversation is and what it will say and write."""

    user: UserRecord
    locale: str | None
    seed: int
    dialog: Dialog | None
    state: str | None
    turn: Turn
    platform: str
    recent: list[str] = field(default_factory=list)  # the user's last texts, for the safety check
    replies: list[Reply] = field(default_factory=list)

    @property
    def effects(self) -> list[Effect]:
        return self.turn.effects


_Outcome = tuple[str, "_Run | None"]  # how a turn ended, and the run when it got that far


class _LRU(OrderedDict):
    def remember(self, key: Any, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        if len(self) > CACHE_SIZE:
            self.popitem(last=False)


class Engine:
    def __init__(
        self,
        store: Store,
        texts: Texts,
        dialogs: Iterable[Dialog],
        *,
        safety: Safety | None = None,
        router: Router | None = None,
        max_input_chars: int = 2000,
        retries: int = 5,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        flood: FloodGate | None = None,
        observers: Sequence[Observer] = (),
        default_zone: str = "UTC",
    ) -> None:
        self.store = store
        self.texts = texts
        self.dialogs = {d.name: d for d in dialogs}
        self.safety = safety
        self.router = router
        self.max_input_chars = max_input_chars
        self.retries = retries
        self.clock = clock
        self.flood = flood or FloodGate(0)
        self.observers = tuple(observers)
        self.default_zone = default_zone
        self._locks = KeyedLock()
        self._users = _LRU()
        # A hint only: the version check at commit catches a session changed elsewhere.
        self._sessions = _LRU()

    async def handle(self, inbound: Inbound) -> list[Reply]:
        """Answer one inbound; never raises, always says something unless it is a repeat."""
        started = time.perf_counter()
        key = inbound.key
        outcome: _Outcome = ("flooded", None)
        if not inbound.interrupt:  # scheduled turns are ours, not the user's flood
            verdict = self.flood.check((key.platform, key.user_id))
            if verdict is not Verdict.OK:
                self._report(inbound, outcome, started)
                slow = Reply(self.texts.say("core.slow_down", inbound.locale))
                return [slow] if verdict is Verdict.WARN else []
        try:
            async with self._locks.hold((key.platform, key.user_id)):
                replies, outcome = await self._handle(inbound)
        except Exception:
            log.exception("turn failed", extra={"platform": key.platform})
            replies, outcome = (
                [Reply(self.texts.say("core.error", inbound.locale))],
                ("failed", None),
            )
        self._report(inbound, outcome, started)
        return replies

    async def care_in_public(self, text: str, locale: str | None, platform: str) -> str | None:
        """A message addressed to the bot where it does not coach (a group chat): only the
        crisis check runs. A crisis gets care and the lines right there, since the person may
        never open a private chat; it is counted, and nothing about them is stored."""
        found = self.safety(self._bounded(text)[0], ()) if self.safety else None
        if found is None or not found.crisis:
            return None
        category = found.category or "unknown"
        log.warning("crisis message in a shared chat", extra={"category": category})
        await self.store.count_safety_event(platform, category)
        return safety_flow.care_in_public(self.texts, locale, found.category)

    def _report(self, inbound: Inbound, outcome: _Outcome, started: float) -> None:
        """One log line per turn (no words, no ids) and the same facts to each observer."""
        if not self.observers and not log.isEnabledFor(logging.INFO):
            return
        name, run = outcome
        report = TurnReport(
            platform=inbound.key.platform,
            conversation=conversation_hash(inbound.key),
            flow=run.dialog.name if run and run.dialog else None,
            state=run.state if run else None,
            outcome=name,
            seconds=time.perf_counter() - started,
            crisis=bool(run and any(isinstance(e, CrisisNoted) for e in run.effects)),
            proactive=inbound.interrupt,
        )
        log.info("turn", extra={k: v for k, v in asdict(report).items() if v is not None})
        for observe in self.observers:
            observe(report)

    async def _handle(self, inbound: Inbound) -> tuple[list[Reply], _Outcome]:
        user = await self._user(inbound)
        update = (inbound.key.platform, inbound.update_id) if inbound.update_id else None
        for _ in range(self.retries):
            session = self._sessions.get(user.id) or await self.store.session(user.id)
            run = self._start(user, session, inbound)
            await self._step(run, inbound)
            saved = self._saved(run, session)
            result = await self.store.commit(user.id, session.version, saved, run.effects, update)
            if result is Commit.SAVED:
                self._sessions.remember(user.id, replace(saved, version=saved.version + 1))
                if any(isinstance(e, ForgetUser) for e in run.effects):
                    self.forget(user.id)
                return run.replies, ("saved", run)
            self._sessions.pop(user.id, None)
            if result is Commit.DUPLICATE:
                return [], ("duplicate", None)
        return [Reply(self.texts.say("core.busy", user.locale))], ("busy", None)

    async def _user(self, inbound: Inbound) -> UserRecord:
        key = inbound.key
        user = self._users.get(key)
        if user is None:
            user = await self.store.user(key, inbound.locale)
            self._users.remember(key, user)
        return user

    def forget(self, user_id: int) -> None:
        """Drop cached rows of a user whose data was deleted."""
        self._sessions.pop(user_id, None)
        for key in [k for k, u in self._users.items() if u.id == user_id]:
            del self._users[key]

    # --- one turn -------------------------------------------------------------------------

    def _start(self, user: UserRecord, session: SessionRecord, inbound: Inbound) -> _Run:
        dialog = self.dialogs.get(session.dialog or "")
        state = session.state if dialog and session.state in dialog.states else None
        locale = user.locale or inbound.locale
        data = dict(session.data)
        recent = data.pop("_recent", [])
        turn = Turn(user.id, data, self.store, self.clock(), self.texts, locale, self.default_zone)
        run = _Run(user, locale, session.version, dialog, state, turn, inbound.key.platform, recent)
        if session.dialog and state is None:
            # A deploy renamed or removed the state this user was in: start over kindly.
            log.info("stored state vanished", extra={"dialog": session.dialog})
            run.dialog, run.turn.data = None, {}
            self._note(run, "core.reset")
        return run

    def _saved(self, run: _Run, before: SessionRecord) -> SessionRecord:
        kept = {"_recent": run.recent} if run.recent else {}
        if run.dialog is None:
            return SessionRecord(None, None, kept, before.version)
        return SessionRecord(run.dialog.name, run.state, run.turn.data | kept, before.version)

    async def _step(self, run: _Run, inbound: Inbound) -> None:
        if inbound.kind == "command" and inbound.interrupt and inbound.value in self.dialogs:
            await self._begin(run, self.dialogs[inbound.value], inbound.arg, interrupt=True)
        elif inbound.kind == "command":
            # Words typed after a command ("/reframe I can't go on") are the user's too.
            if not await self._crisis_in(run, self._bounded(inbound.arg)[0]):
                await self._command(run, inbound.value, inbound.arg)
        elif inbound.kind == "choice" and inbound.value.startswith("c:"):
            await self._command(run, inbound.value[2:], "")
        elif inbound.kind == "choice":
            await self._choice(run, inbound.value)
        else:
            await self._text(run, inbound.value)

    async def _text(self, run: _Run, raw: str, checked: bool = False) -> None:
        text, cut = self._bounded(raw)
        if not text:
            self._note(run, "core.empty")
            return await self._prompt_or_menu(run)
        if cut:
            self._note(run, "core.truncated", limit=self.max_input_chars)
        if not checked and await self._crisis_in(run, text):
            return None
        if run.dialog is None or run.state is None:
            return await self._idle_text(run, text)
        state = run.dialog.states[run.state]
        options = await self._options(run, state)
        chosen = answers.chosen(text, options, self._labels(run, options))
        if chosen is not None:
            return await self._option(run, state, chosen)
        if not state.takes_text:
            return await self._not_an_option(run, text)
        await self._go(run, await self._typed(run, state, text))

    async def _answerable(self, run: _Run, text: str) -> bool:
        """Whether words can answer the current question: it takes text, or they name an
        option ("/checkin 4")."""
        assert run.dialog is not None and run.state is not None
        state = run.dialog.states[run.state]
        if state.takes_text:
            return True
        options = await self._options(run, state)
        return answers.chosen(text, options, self._labels(run, options)) is not None

    async def _not_an_option(self, run: _Run, text: str) -> None:
        """Words where a button was expected: ask again, and when they name another flow
        ("why does this always happen to me"), offer it beside the options."""
        assert run.dialog is not None
        elsewhere = [d for d in self._fits(text)[:1] if d != run.dialog.name]
        if not elsewhere:
            self._note(run, "core.pick_one")
            return await self._prompt(run)
        self._note(run, "core.pick_or_switch")
        switch = Choice(f"c:{elsewhere[0]}", self._say(run, self.dialogs[elsewhere[0]].title))
        await self._prompt(run, extra=(switch,))

    async def _typed(self, run: _Run, state: State, text: str) -> str:
        if state.on_text is not None:
            return await state.on_text(run.turn, text)
        assert state.save and state.then and run.dialog
        run.turn.data[state.save] = text
        run.turn.write(Journal(run.dialog.name, state.name, text))
        return state.then

    async def _choice(self, run: _Run, value: str) -> None:
        where, _, option_id = value.removeprefix("o:").rpartition(".")
        current = f"{run.dialog.name}.{run.state}" if run.dialog else None
        if where != current or run.dialog is None or run.state is None:
            self._note(run, "core.stale")
            return await self._prompt_or_menu(run)
        state = run.dialog.states[run.state]
        options = {o.id: o for o in await self._options(run, state)}
        if option_id not in options:
            self._note(run, "core.stale")
            return await self._prompt(run)
        await self._option(run, state, options[option_id])

    async def _option(self, run: _Run, state: State, option: Option) -> None:
        if state.on_option is not None:
            await self._go(run, await state.on_option(run.turn, option.id))
        else:
            assert option.to is not None
            await self._go(run, option.to)

    async def _go(self, run: _Run, target: str, prompt: bool = True) -> None:
        """Enter `target`, following pass-through states, then prompt (unless the caller will
        answer it at once) or finish."""
        assert run.dialog is not None
        for _ in range(MAX_HOPS):
            state = run.dialog.states[target]  # targets were checked when the dialog was built
            run.state = target
            if state.on_enter is not None:
                await state.on_enter(run.turn)
            if state.route is None:
                break
            target = await state.route(run.turn)
            if target not in state.goes_to:
                raise RuntimeError(f"{run.dialog.name}.{state.name} routed to {target!r}")
        if prompt or state.end:
            await self._prompt(run)
        if state.end:
            await self._finish(run)

    async def _begin(
        self,
        run: _Run,
        dialog: Dialog,
        arg: str = "",
        interrupt: bool = False,
        answer: bool = False,
    ) -> None:
        """Start `dialog`. An interruption (a nudge, a crisis) keeps the current flow aside in
        the new one's data; it resumes when the interruption ends. With `answer`, `arg` is the
        user's words after the command ("/reframe My flat flooded"): they answer the first
        question when it takes them."""
        data: dict[str, Any] = {"arg": arg} if arg else {}
        if interrupt and run.dialog is not None and run.state is not None:
            paused = run.turn.data.get("_paused") if run.dialog.name == dialog.name else None
            data["_paused"] = paused or {
                "dialog": run.dialog.name,
                "state": run.state,
                "data": run.turn.data,
            }
        run.dialog, run.turn.data = dialog, data
        await self._go(run, dialog.start, prompt=not answer)
        if answer and run.dialog is dialog and run.state is not None:
            if await self._answerable(run, arg):
                return await self._text(run, arg, checked=True)
            await self._prompt(run)

    async def _finish(self, run: _Run) -> None:
        """Leave the current flow; go back to one it interrupted, if it still exists."""
        ending = run.dialog
        paused = run.turn.data.get("_paused") or {}
        dialog = self.dialogs.get(paused.get("dialog", ""))
        if dialog is None or paused.get("state") not in dialog.states:
            run.dialog, run.state, run.turn.data = None, None, {}
            return
        run.dialog, run.state, run.turn.data = dialog, paused["state"], paused["data"]
        if ending is not None and ending.hand_back == "offer":
            resume = Choice("c:resume", self._say(run, "core.resume_button"))
            menu = Choice("c:menu", self._say(run, "core.menu_button"))
            self._reply(run, self._say(run, "core.paused"), (resume, menu))
            return
        self._note(run, "core.back")
        await self._prompt(run)

    # --- commands -------------------------------------------------------------------------

    async def _command(self, run: _Run, name: str, arg: str) -> None:
        if name in self.dialogs:
            return await self._begin(run, self.dialogs[name], arg, answer=bool(arg))
        if name == "start":
            if arg in self.dialogs:  # a deep link that opens a flow
                return await self._begin(run, self.dialogs[arg])
            self._note(run, "core.welcome")
            return await self._menu(run)
        if name == "help":
            self._note(run, "core.help")
            return await self._prompt_or_menu(run, menu=False)
        if name == "menu":
            return await self._menu(run)
        if name in ("resume", "continue"):
            return await self._prompt_or_menu(run)
        if name == "hello":  # a client opening: welcome newcomers, bring others back in
            return await self._command(run, "start" if run.seed == 0 else "resume", "")
        if name == "cancel":
            if run.dialog is None:
                self._note(run, "core.nothing_to_cancel")
                return await self._menu(run)
            self._note(run, "core.cancelled")
            await self._finish(run)
            if run.dialog is None:
                await self._menu(run)
            return None
        self._note(run, "core.unknown_command", command=name[:32])
        await self._prompt_or_menu(run, menu=False)

    async def _menu(self, run: _Run, prompt: str = "core.menu") -> None:
        """Flows with something due for this user first, then the rest."""
        due: list[Choice] = []
        for dialog in self.dialogs.values():
            label = await dialog.due(run.turn) if dialog.due else None
            if label:
                due.append(Choice(f"c:{dialog.name}", self._say(run, label)))
        choices = due + [
            Choice(f"c:{d.name}", self._say(run, d.title))
            for d in self.dialogs.values()
            if d.in_menu
        ]
        if run.dialog is not None:
            choices.insert(0, Choice("c:resume", self._say(run, "core.resume_button")))
        self._reply(run, self._say(run, prompt), tuple(choices))

    async def _idle_text(self, run: _Run, text: str) -> None:
        """Between flows, offer the flows that fit what the user wrote, best first."""
        fits = self._fits(text)
        if not fits:
            return await self._menu(run, "core.idle")  # its own lead-in, not one more
        choices = [Choice(f"c:{name}", self._say(run, self.dialogs[name].title)) for name in fits]
        choices.append(Choice("c:menu", self._say(run, "core.other_button")))
        self._reply(run, self._say(run, "core.suggest"), tuple(choices))

    def _fits(self, text: str) -> list[str]:
        """The flows free text asks for, best first (none without a router)."""
        return [d for d in (self.router(text) if self.router else []) if d in self.dialogs]

    async def _crisis_in(self, run: _Run, text: str) -> bool:
        """Check the user's words; on a crisis, the safety flow takes over (True)."""
        if not text:
            return False
        found = self.safety(text, run.recent) if self.safety else None
        run.recent = [*run.recent, text[:RECENT_CHARS]][-RECENT:]
        if found is None or not found.crisis:
            return False
        await self._crisis(run, found, run.platform)
        return True

    async def _crisis(self, run: _Run, found: Assessment, platform: str) -> None:
        """Stop coaching: the flow waits (resumable) while the safety flow takes over. Nudges
        hold for a while when the user is the one at risk."""
        category = found.category
        hold = run.turn.now + NUDGE_HOLD if found.about_user else None
        run.turn.write(CrisisNoted(category or "unknown", platform, hold))
        log.warning("crisis message", extra={"category": category, "platform": platform})
        await self._begin(run, self.dialogs[SAFETY], category or "", interrupt=True)

    # --- rendering ------------------------------------------------------------------------

    async def _prompt_or_menu(self, run: _Run, menu: bool = True) -> None:
        if run.dialog is not None and run.state is not None:
            await self._prompt(run)
        elif menu:
            await self._menu(run)
        else:
            self._flush(run)

    async def _prompt(self, run: _Run, extra: tuple[Choice, ...] = ()) -> None:
        assert run.dialog is not None and run.state is not None
        state = run.dialog.states[run.state]
        if state.say is None:
            return self._flush(run)
        options = await self._options(run, state)
        labels = self._labels(run, options)
        prefix = f"o:{run.dialog.name}.{state.name}."
        choices = tuple(
            Choice(prefix + o.id, label) for o, label in zip(options, labels, strict=True)
        )
        if state.end:  # a flow that hands back to a paused one offers that instead
            handing_back = "_paused" in run.turn.data
            choices = (
                () if handing_back else (Choice("c:menu", self._say(run, "core.menu_button")),)
            )
        values = {k: v if k in state.in_full else _quoted(v) for k, v in run.turn.data.items()}
        key = state.say.format_map(run.turn.data) if "{" in state.say else state.say
        self._reply(run, self._say(run, key, **values), choices + extra, state.takes_text)

    async def _options(self, run: _Run, state: State) -> list[Option]:
        found = list(await state.options_from(run.turn)) if state.options_from else []
        return found + list(state.options)

    def _labels(self, run: _Run, options: list[Option]) -> list[str]:
        return [o.label if o.literal else self._say(run, o.label) for o in options]

    def _say(self, run: _Run, key: str, **values: Any) -> str:
        return self.texts.say(key, run.locale, run.seed, **values)

    def _note(self, run: _Run, key: str, **values: Any) -> None:
        run.turn.say(key, **values)

    def _flush(self, run: _Run) -> None:
        """Send queued notes as their own messages."""
        for key, values in run.turn.notes:
            run.replies.append(Reply(self._say(run, key, **values), aside=key in ASIDES))
        run.turn.notes.clear()

    def _reply(
        self, run: _Run, text: str, choices: tuple[Choice, ...] = (), takes_text: bool = False
    ) -> None:
        self._flush(run)
        attachment = run.turn.attachments.pop(0) if run.turn.attachments else None
        run.replies.append(Reply(text, choices, takes_text, attachment))

    def _bounded(self, raw: str) -> tuple[str, bool]:
        return answers.cleaned(raw, self.max_input_chars)


def _quoted(value: Any) -> Any:
    return answers.quoted(value) if isinstance(value, str) else value


__all__ = ["Engine"]
