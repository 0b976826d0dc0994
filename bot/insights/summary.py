"""The words of /progress and of the weekly summary, built from facts. Pure: the same facts
and texts always give the same message; every word comes from data/texts (insights.*)."""

from __future__ import annotations

from datetime import date

from bot.answers import quoted
from bot.insights.facts import ProgressFacts, Rated, WeekFacts
from bot.insights.streaks import streak
from bot.texts import Texts

QUOTE_CHARS = 60  # the user's own words quoted in a summary


def day_label(day: date, texts: Texts, locale: str | None = None) -> str:
    """'25 Nov', in the words of the locale."""
    month = texts.say(f"insights.month_{day.month}", locale)
    return texts.say("insights.date", locale, day=day.day, month=month)


def days_label(n: int, texts: Texts, locale: str | None = None) -> str:
    return texts.say("insights.days_one" if n == 1 else "insights.days_other", locale, n=n)


def mood_label(mood: float) -> str:
    return f"{mood:.1f}"


def _name(rated: Rated, texts: Texts, locale: str | None) -> str:
    """A strategy's name (strategies.toml); its id if it has been renamed since."""
    key = f"strategies.{rated.strategy}"
    return texts.say(key, locale) if texts.has(key) else rated.strategy


def _strategy(rated: Rated, texts: Texts, locale: str | None) -> str:
    name = _name(rated, texts, locale)
    return texts.say(
        "insights.best_item", locale, name=name, before=rated.before, after=rated.after
    )


def _streak_label(run: int, texts: Texts, locale: str | None) -> str:
    return days_label(run, texts, locale) if run else texts.say("insights.streak_none", locale)


def progress_values(
    facts: ProgressFacts, texts: Texts, locale: str | None = None
) -> dict[str, str | int]:
    """The values of the `insights.progress` text."""
    locale = locale or facts.locale
    run = streak(facts.checkin_days, facts.today, facts.paused)
    if facts.predictions_checked:
        record = texts.say(
            "insights.record",
            locale,
            spared=facts.predictions_spared,
            checked=facts.predictions_checked,
        )
    else:
        record = texts.say("insights.record_none", locale)
    best = ", ".join(_strategy(r, texts, locale) for r in facts.best[:3])
    return {
        "streak": _streak_label(run, texts, locale),
        "steps_week": facts.steps_this_week,
        "steps_total": facts.steps_total,
        "problems": facts.problems_done,
        "record": record,
        "best": best or texts.say("insights.best_none", locale),
    }


def _numbers(facts: WeekFacts, texts: Texts, locale: str | None) -> list[str]:
    lines = []
    if facts.checkins:
        days = days_label(len(facts.mood_by_day), texts, locale)
        lines.append(texts.say("insights.week_checkins", locale, n=facts.checkins, days=days))
    if facts.mood_average is not None:
        lines.append(texts.say("insights.week_mood", locale, mood=mood_label(facts.mood_average)))
    if facts.steps_done:
        lines.append(texts.say("insights.week_steps", locale, n=len(facts.steps_done)))
    if facts.problems_done:
        lines.append(texts.say("insights.week_problems", locale, n=len(facts.problems_done)))
    if facts.streak >= 2:
        days = days_label(facts.streak, texts, locale)
        lines.append(texts.say("insights.week_streak", locale, days=days))
    return lines


def _best_day(facts: WeekFacts) -> tuple[date, float] | None:
    """The day with the highest mood (the latest on a tie), when there are days to compare."""
    if len(facts.mood_by_day) < 2 or len(set(facts.mood_by_day.values())) < 2:
        return None
    return max(facts.mood_by_day.items(), key=lambda item: (item[1], item[0]))


def encouragement(facts: WeekFacts, texts: Texts, locale: str | None, seed: int) -> str:
    """One line about something the user did this week, the most concrete thing first."""
    if facts.steps_done:
        step = quoted(facts.steps_done[0], QUOTE_CHARS)
        return texts.say("insights.encourage_step", locale, seed, step=step)
    if facts.problems_done:
        problem = quoted(facts.problems_done[0], QUOTE_CHARS)
        return texts.say("insights.encourage_problem", locale, seed, problem=problem)
    if facts.best_rating is not None:
        rated = facts.best_rating
        name = _name(rated, texts, locale)
        return texts.say(
            "insights.encourage_rating",
            locale,
            seed,
            strategy=name,
            before=rated.before,
            after=rated.after,
        )
    if facts.strengths:
        strength = quoted(facts.strengths[0], QUOTE_CHARS)
        return texts.say("insights.encourage_strength", locale, seed, strength=strength)
    if best := _best_day(facts):
        day, mood = best
        weekday = texts.say(f"insights.weekday_{day.weekday()}", locale)
        return texts.say(
            "insights.encourage_best_day", locale, seed, weekday=weekday, mood=mood_label(mood)
        )
    days = days_label(len(facts.mood_by_day), texts, locale)
    return texts.say("insights.encourage_checkins", locale, seed, days=days)


def weekly_summary(
    facts: WeekFacts, texts: Texts, locale: str | None = None, seed: int | None = None
) -> str:
    """The weekly message: the week's numbers and one line of encouragement that names
    something the user did (a finished step, a strength, their best day...).

    `seed` picks among the wordings; by default it is the week's number, so two weeks in a
    row are worded differently. A week with nothing recorded gets a kind, short invitation.
    """
    locale = locale or facts.locale
    if seed is None:
        seed = facts.last.toordinal() // 7
    if facts.quiet:
        return texts.say("insights.week_quiet", locale, seed)
    numbers = _numbers(facts, texts, locale)
    cheer = encouragement(facts, texts, locale, seed)
    if not numbers:  # only a strength or a rating this week: the line says it all
        return texts.say("insights.week_short", locale, seed, encouragement=cheer)
    return texts.say(
        "insights.week",
        locale,
        seed,
        first=day_label(facts.first, texts, locale),
        last=day_label(facts.last, texts, locale),
        numbers="\n".join(numbers),
        encouragement=cheer,
    )
