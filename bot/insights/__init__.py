"""Insights from the user's own rows: check-in streaks, /progress, the weekly summary and the
mood chart. Pure functions over facts gathered by lookups in bot.store.reads; no storage here.

The chart lives in `bot.insights.chart` and is not imported here, so reading the store never
loads matplotlib."""

from __future__ import annotations

from bot.insights.facts import MoodHistory, ProgressFacts, Rated, WeekFacts
from bot.insights.streaks import local_day, local_midnight, streak, zone_of
from bot.insights.summary import progress_values, weekly_summary

__all__ = [
    "MoodHistory",
    "ProgressFacts",
    "Rated",
    "WeekFacts",
    "local_day",
    "local_midnight",
    "progress_values",
    "streak",
    "weekly_summary",
    "zone_of",
]
