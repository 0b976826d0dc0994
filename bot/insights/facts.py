"""What the insights are computed from: plain values, gathered from the user's rows by the
lookups in bot.store.reads (`mood_history`, `progress_facts`, `week_facts`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class Rated:
    """A rated strategy: how the user felt before and after, 0-10."""

    strategy: str
    before: int
    after: int


@dataclass(frozen=True)
class MoodHistory:
    """The check-ins of the days `first`..`last` (the user's calendar days)."""

    first: date
    last: date
    checkins: int  # check-ins within first..last
    # The average mood (1-5) of each day with a check-in: first..last and the six days
    # before `first`, so the 7-day average is whole from the chart's first day.
    by_day: dict[date, float]
    step_days: frozenset[date] = frozenset()  # days the user finished a small step
    locale: str | None = None

    @property
    def shown(self) -> dict[date, float]:
        """The daily moods of first..last."""
        return {d: m for d, m in sorted(self.by_day.items()) if self.first <= d <= self.last}

    @property
    def average(self) -> float | None:
        """The mean of the shown days' moods (a day with three check-ins weighs as one)."""
        shown = self.shown
        return sum(shown.values()) / len(shown) if shown else None


@dataclass(frozen=True)
class ProgressFacts:
    today: date
    checkin_days: frozenset[date]  # every day the user checked in
    paused: frozenset[date]  # days the user paused nudges: they don't break a streak
    steps_this_week: int  # since Monday, the user's time
    steps_total: int
    problems_done: int
    predictions_checked: int
    predictions_spared: int  # checked fears that did not happen
    best: tuple[Rated, ...] = ()  # up to three, best gain first
    locale: str | None = None

    @property
    def empty(self) -> bool:
        counted = (self.checkin_days, self.steps_total, self.problems_done)
        return not any(counted) and not (self.predictions_checked or self.best)


@dataclass(frozen=True)
class WeekFacts:
    """The days `first`..`last` (seven, the user's calendar, `last` being the day it is sent)."""

    first: date
    last: date
    checkins: int
    mood_by_day: dict[date, float] = field(default_factory=dict)
    steps_done: tuple[str, ...] = ()  # the steps finished, latest first
    problems_done: tuple[str, ...] = ()  # problems whose steps were all finished, latest first
    strengths: tuple[str, ...] = ()  # strengths the user named, latest first
    best_rating: Rated | None = None  # the week's best-rated strategy use
    streak: int = 0  # check-in days in a row up to `last`
    locale: str | None = None

    @property
    def quiet(self) -> bool:
        """Nothing recorded this week."""
        return not (
            self.checkins
            or self.steps_done
            or self.problems_done
            or self.strengths
            or self.best_rating
        )

    @property
    def mood_average(self) -> float | None:
        days = self.mood_by_day
        return sum(days.values()) / len(days) if days else None
