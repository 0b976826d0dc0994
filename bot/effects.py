"""What a turn writes besides the session. Dialogs return these values; the store applies
them in the same transaction as the session, so a turn is saved whole or not at all."""

from __future__ import annotations

from dataclasses import dataclass


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
class ForgetUser:
    """Delete every row the bot holds about the user (all tables cascade from users)."""


Effect = Journal | NewProblem | StepDone | ProblemDone | ForgetUser
