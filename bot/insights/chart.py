"""The /mood chart: one PNG, 1080 x 720, readable on a phone.

Matplotlib's object API on the Agg canvas only (a `Figure` and a `FigureCanvasAgg`): no pyplot,
no global state, no display. Rendering takes ~0.1 s of CPU, so the dialog runs it on one
dedicated thread (`draw`) instead of blocking the event loop; one thread also keeps
matplotlib's per-thread font cache warm and renders one chart at a time.
"""

from __future__ import annotations

import asyncio
import io
import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.insights.facts import MoodHistory
from bot.texts import Texts

WIDTH, HEIGHT, DPI = 7.2, 4.8, 150  # inches at 150 dpi: 1080 x 720 pixels
AVERAGE_DAYS = 7
STEP_ROW = 0.45  # where finished steps are marked, below mood 1
TICK_EVERY = 7  # days between date labels, counted back from today

DAILY_COLOR = "#3566a8"
AVERAGE_COLOR = "#e07b39"
STEP_COLOR = "#2e9b5b"
INK = "#222222"
GRID = "#dddddd"

_WORKER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chart")


@dataclass(frozen=True)
class ChartWords:
    """Every word drawn on the chart, from data/texts (insights.chart_*)."""

    title: str
    axis: str
    daily: str
    average: str
    step: str
    today: str
    date: str  # "{day} {month}"
    months: tuple[str, ...]  # twelve short month names

    @classmethod
    def of(cls, texts: Texts, locale: str | None = None) -> ChartWords:
        def say(key: str) -> str:
            return texts.say(f"insights.{key}", locale)

        return cls(
            title=say("chart_title"),
            axis=say("chart_axis"),
            daily=say("chart_daily"),
            average=say("chart_average"),
            step=say("chart_step"),
            today=say("chart_today"),
            date=texts.variants("insights.date", locale)[0],
            months=tuple(say(f"month_{n}") for n in range(1, 13)),
        )

    def day(self, day: date) -> str:
        return self.date.format(day=day.day, month=self.months[day.month - 1])


def rolling_average(
    by_day: dict[date, float], first: date, last: date, days: int = AVERAGE_DAYS
) -> dict[date, float]:
    """For each day first..last: the mean of the daily moods of that day and the `days - 1`
    before it that have a check-in; days whose window holds none are left out."""
    found: dict[date, float] = {}
    day = first
    while day <= last:
        window = [by_day[d] for d in _span(day - timedelta(days=days - 1), day) if d in by_day]
        if window:
            found[day] = sum(window) / len(window)
        day += timedelta(days=1)
    return found


def _span(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def render_mood_chart(history: MoodHistory, words: ChartWords) -> bytes:
    """The chart as PNG bytes: daily mood dots, the 7-day average line, finished steps marked
    along the bottom, dates in the user's calendar with today at the right."""
    days = _span(history.first, history.last)
    x = {day: i for i, day in enumerate(days)}
    shown = history.shown

    fig = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)
    fig.subplots_adjust(left=0.1, right=0.96, top=0.78, bottom=0.13)
    ax = fig.add_subplot()

    ax.plot(
        [x[day] for day in shown],
        list(shown.values()),
        linestyle="none",
        marker="o",
        markersize=12,
        markerfacecolor=DAILY_COLOR,
        markeredgecolor="white",
        markeredgewidth=1.5,
        label=words.daily,
        zorder=3,
    )
    average = rolling_average(history.by_day, history.first, history.last)
    ax.plot(  # NaN breaks the line where a whole week had no check-in
        range(len(days)),
        [average.get(day, math.nan) for day in days],
        color=AVERAGE_COLOR,
        linewidth=4,
        solid_capstyle="round",
        label=words.average,
        zorder=2,
    )
    steps = sorted(x[day] for day in history.step_days if day in x)
    ax.plot(
        steps,
        [STEP_ROW] * len(steps),
        linestyle="none",
        marker="^",
        markersize=14,
        color=STEP_COLOR,
        label=words.step,
        zorder=3,
    )

    ax.set_xlim(-0.8, len(days) - 0.2)
    ax.set_ylim(0.1, 5.4)
    ax.set_yticks([1, 2, 3, 4, 5])
    ax.set_ylabel(words.axis, fontsize=14, color=INK)
    ticks = list(range(len(days) - 1, -1, -TICK_EVERY))[::-1]
    ax.set_xticks(ticks)
    ax.set_xticklabels([words.today if i == len(days) - 1 else words.day(days[i]) for i in ticks])
    ax.tick_params(labelsize=16, colors=INK, length=0, pad=8)
    ax.grid(axis="y", color=GRID, linewidth=1)
    ax.set_axisbelow(True)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_color("#999999")

    fig.suptitle(words.title, fontsize=21, fontweight="bold", color=INK, x=0.5, y=0.975)
    fig.legend(
        loc="upper center",
        bbox_to_anchor=(0.5, 0.9),
        ncol=3,
        frameon=False,
        fontsize=15,
        handlelength=1.4,
        columnspacing=1.6,
    )
    out = io.BytesIO()
    fig.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()


async def draw(history: MoodHistory, words: ChartWords) -> bytes:
    """`render_mood_chart` on the chart thread, so the event loop keeps serving other users."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_WORKER, render_mood_chart, history, words)
