"""Chart benchmark: rendering one /mood chart (30 days, daily moods, the 7-day average, steps)
to PNG, beside a floor measured in the same run: an empty Figure of the same size saved to PNG
by the same Agg canvas. Prints medians; target: one chart < 300 ms. Asserts nothing.

    .venv/bin/python benchmarks/chart.py [-n 30]
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import time
from collections.abc import Callable
from datetime import date, timedelta

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.config import DATA_DIR
from bot.insights.chart import DPI, HEIGHT, WIDTH, ChartWords, render_mood_chart
from bot.insights.facts import MoodHistory
from bot.texts import Texts

TARGET_MS = 300


def history(days: int = 30) -> MoodHistory:
    """A busy month: a check-in most days (some twice), a step every few days."""
    rng = random.Random(8)
    last = date(2026, 11, 25)
    first = last - timedelta(days=days - 1)
    by_day, steps, checkins = {}, set(), 0
    for n in range(days + 6):
        day = first - timedelta(days=6) + timedelta(days=n)
        if rng.random() < 0.85:
            moods = [rng.randint(1, 5) for _ in range(rng.choice((1, 1, 2)))]
            by_day[day] = sum(moods) / len(moods)
            checkins += len(moods) if day >= first else 0
        if day >= first and rng.random() < 0.3:
            steps.add(day)
    return MoodHistory(first, last, checkins, by_day, frozenset(steps))


def empty_figure() -> bytes:
    fig = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)
    out = io.BytesIO()
    fig.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()


def median_ms(work: Callable[[], bytes], runs: int) -> tuple[float, int]:
    size = len(work())  # warm up: fonts, caches
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--runs", type=int, default=30)
    args = parser.parse_args()
    words = ChartWords.of(Texts.load(DATA_DIR / "texts"))
    month = history()
    floor, floor_size = median_ms(empty_figure, args.runs)
    chart, chart_size = median_ms(lambda: render_mood_chart(month, words), args.runs)
    print(f"median of {args.runs} renders, {int(WIDTH * DPI)}x{int(HEIGHT * DPI)} px")
    print(f"floor (empty figure to PNG) {floor:7.1f} ms  {floor_size / 1000:6.1f} kB")
    print(f"mood chart                  {chart:7.1f} ms  {chart_size / 1000:6.1f} kB")
    verdict = "ok" if chart < TARGET_MS else "OVER"
    print(f"chart / floor = {chart / floor:.1f}; target < {TARGET_MS} ms: {verdict}")


if __name__ == "__main__":
    main()
