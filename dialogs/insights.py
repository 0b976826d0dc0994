"""/mood: a chart of the last 30 days of check-ins. /progress: the user's own numbers.

Both only read: every number comes from the user's stored rows (bot.store.reads lookups), and
the words come from data/texts (insights.*).
"""

from __future__ import annotations

from bot.insights import progress_values
from bot.insights.summary import mood_label
from bot.store import reads
from bot.types import Attachment
from dialogs.dsl import Dialog, State, Turn, end

MIN_CHECKINS = 3  # fewer, and a chart would say nothing: a kind text instead
CHART_DAYS = 30


async def _mood(turn: Turn) -> str:
    history = await turn.read(reads.mood_history, turn.now, CHART_DAYS, turn.default_zone)
    turn.data["checkins"] = history.checkins
    if history.checkins == 0:
        return "none"
    if history.checkins < MIN_CHECKINS:
        return "few"
    assert history.average is not None
    turn.data["average"] = mood_label(history.average)
    from bot.insights.chart import ChartWords, draw  # matplotlib: ~40 MB, only for /mood

    png = await draw(history, ChartWords.of(turn.texts, history.locale or turn.locale))
    turn.attach(Attachment("mood.png", png, "image/png"))
    return "chart"


async def _progress(turn: Turn) -> str:
    facts = await turn.read(reads.progress_facts, turn.now, turn.default_zone)
    if facts.empty:
        return "empty"
    turn.data |= progress_values(facts, turn.texts, facts.locale or turn.locale)
    return "shown"


MOOD = Dialog.of(
    "mood",
    "insights.mood_title",
    State("begin", route=_mood, goes_to=("chart", "few", "none"), start=True),
    end("chart", "insights.mood_chart"),
    end("few", "insights.mood_few"),
    end("none", "insights.mood_none"),
)

PROGRESS = Dialog.of(
    "progress",
    "insights.progress_title",
    State("begin", route=_progress, goes_to=("shown", "empty"), start=True),
    end("shown", "insights.progress"),
    end("empty", "insights.progress_empty"),
)
