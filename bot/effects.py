"""What a turn writes besides the session. Dialogs return these values; the store applies
them in the same transaction as the session, so a turn is saved whole or not at all."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Journal:
    """Something the user wrote, kept per flow."""

    flow: str
    field: str
    text: str


@dataclass(frozen=True)
class NewProblem:
    """A big problem broken into small steps; `steps` are in the order the user will do them."""

    title: str
    steps: tuple[str, ...]


@dataclass(frozen=True)
class StepDone:
    step_id: int


@dataclass(frozen=True)
class ProblemDone:
    problem_id: int


@dataclass(frozen=True)
class Mood:
    mood: int  # 1-5
    note: str | None = None


@dataclass(frozen=True)
class MoodNote:
    """A line about the user's latest mood, which is stored as soon as it is picked."""

    note: str


@dataclass(frozen=True)
class Goal:
    """The day's "one thing"."""

    text: str


@dataclass(frozen=True)
class Prediction:
    fear: str
    check_at: datetime


@dataclass(frozen=True)
class Resolve:
    """How something recorded earlier turned out: a prediction, a goal or an outreach."""

    table: str  # "predictions", "goals" or "outreach"
    row_id: int
    outcome: str


@dataclass(frozen=True)
class Strength:
    text: str


@dataclass(frozen=True)
class Rating:
    strategy: str
    before: int
    after: int


@dataclass(frozen=True)
class Outreach:
    person: str
    message: str


@dataclass(frozen=True)
class CrisisNoted:
    """A crisis message: counted without its text or its user; nudges hold for a while (not
    when the one at risk is someone else)."""

    category: str
    platform: str
    hold_until: datetime | None


@dataclass(frozen=True)
class SafeNow:
    """The user said they are safe: nudges may go on."""


@dataclass(frozen=True)
class SetCountry:
    code: str


@dataclass(frozen=True)
class ForgetUser:
    """Delete every row the bot holds about the user (all tables cascade from users)."""


Effect = (
    Journal
    | NewProblem
    | StepDone
    | ProblemDone
    | Mood
    | MoodNote
    | Goal
    | Prediction
    | Resolve
    | Strength
    | Rating
    | Outreach
    | CrisisNoted
    | SafeNow
    | SetCountry
    | ForgetUser
)


# --- Scheduled nudges: changes to the user's subscription (applied by bot.scheduler.plans).
# Each carries the turn's clock, so the next slot is computed from the time the user acted.


@dataclass(frozen=True)
class ChangeNudges:
    """Opt in or out, or change the plan: `changes` are subscription columns and values."""

    now: datetime
    changes: tuple[tuple[str, object], ...]

    @classmethod
    def of(cls, now: datetime, **changes: object) -> ChangeNudges:
        return cls(now, tuple(sorted(changes.items())))


@dataclass(frozen=True)
class SnoozeNudge:
    """Ask again in an hour (not if that falls in quiet hours)."""

    now: datetime


@dataclass(frozen=True)
class SkipToday:
    """No more check-in today: drops a pending snooze."""

    now: datetime


@dataclass(frozen=True)
class NudgeAnswered:
    """The user answered (or checked in by themselves): the unanswered streak starts over."""


Effect = Effect | ChangeNudges | SnoozeNudge | SkipToday | NudgeAnswered  # type: ignore[misc]
