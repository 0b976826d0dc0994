"""Insights: streak rules and day boundaries (table tests), the mood chart rendered from seeded
rows, /mood and /progress conversations with numbers from stored rows, the weekly summary."""

from __future__ import annotations

import io
import struct
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from matplotlib.image import imread
from sqlalchemy import Table, insert, update

from bot.insights import WeekFacts, local_day, streak, weekly_summary
from bot.insights.chart import ChartWords, render_mood_chart, rolling_average
from bot.insights.facts import MoodHistory, Rated
from bot.store import Store, reads
from bot.store.schema import moods, predictions, problems, ratings, steps, strengths, users
from bot.types import ConversationKey
from tests.conftest import Chat, make_engine

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # a Wednesday
TODAY = NOW.date()
D = [TODAY - timedelta(days=n) for n in range(40)]  # D[0] today, D[1] yesterday...
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def utc(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def local(day: date, hour: int, minute: int, zone: str) -> datetime:
    """A moment given in the user's wall-clock time, stored (like every stamp) in UTC."""
    moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(zone))
    return moment.astimezone(UTC)


async def new_user(store: Store, user: str = "u1", timezone: str | None = None) -> int:
    """The user a `Chat(engine, user)` talks as, created first so rows can be seeded."""
    record = await store.user(ConversationKey("test", user, user))
    if timezone:
        query = update(users).where(users.c.id == record.id).values(timezone=timezone)
        await store.run(lambda conn: conn.execute(query))
    return record.id


async def seed(store: Store, table: Table, *rows: dict) -> list[int]:
    def work(conn) -> list[int]:
        return [conn.execute(insert(table).values(**row)).inserted_primary_key[0] for row in rows]

    return await store.run(work)


async def seed_moods(store: Store, uid: int, *entries: tuple[datetime, int]) -> None:
    await seed(store, moods, *({"user_id": uid, "mood": m, "created_at": t} for t, m in entries))


async def seed_problem(
    store: Store, uid: int, title: str, done: dict[str, datetime | None], finished: bool = False
) -> None:
    """A problem with steps; `done` maps each step's text to when it was done (or None)."""
    stamp = utc(D[20])
    finished_at = max(t for t in done.values() if t) if finished else None
    (pid,) = await seed(
        store,
        problems,
        {"user_id": uid, "title": title, "created_at": stamp, "done_at": finished_at},
    )
    await seed(
        store,
        steps,
        *(
            {
                "user_id": uid,
                "problem_id": pid,
                "position": i,
                "text": text,
                "created_at": stamp,
                "done_at": at,
            }
            for i, (text, at) in enumerate(done.items())
        ),
    )


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk."""
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


# --- streak rules -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("checked_in", "paused", "expected"),
    [
        pytest.param([], [], 0, id="never checked in"),
        pytest.param([0], [], 1, id="today only"),
        pytest.param([0, 1, 2], [], 3, id="three days in a row"),
        pytest.param([1, 2], [], 2, id="not yet today: the day is not over"),
        pytest.param([2, 3], [], 0, id="missed yesterday: broken"),
        pytest.param([0, 1, 3, 4, 5], [], 2, id="a gap breaks it"),
        pytest.param([0, 0, 1], [], 2, id="two check-ins a day count once"),
        pytest.param([0, 1, 3], [2], 3, id="a paused day bridges the gap"),
        pytest.param([0, 4], [1, 2, 3], 2, id="a paused stretch bridges the gap"),
        pytest.param([4], [0, 1, 2, 3], 1, id="paused up to today keeps it"),
        pytest.param([0, 1, 2], [1], 3, id="a check-in on a paused day counts"),
        pytest.param([0, 2, 3], [5], 1, id="a pause elsewhere does not bridge"),
        pytest.param([1], [0], 1, id="paused today, in yesterday"),
        pytest.param([-1, 0], [], 1, id="days after today are ignored"),
    ],
)
def test_streak_rules(checked_in: list[int], paused: list[int], expected: int) -> None:
    days = {TODAY - timedelta(days=n) for n in checked_in}
    off = {TODAY - timedelta(days=n) for n in paused}
    assert streak(days, TODAY, off) == expected


@pytest.mark.parametrize(
    ("moment", "zone", "day"),
    [
        pytest.param(local(D[1], 23, 30, "Europe/Berlin"), "Europe/Berlin", D[1], id="Berlin"),
        pytest.param(local(D[1], 23, 30, "America/New_York"), "America/New_York", D[1], id="NY"),
        pytest.param(local(D[1], 0, 15, "Asia/Tokyo"), "Asia/Tokyo", D[1], id="Tokyo"),
        pytest.param(local(D[1], 23, 30, "Asia/Kolkata"), "Asia/Kolkata", D[1], id="Kolkata"),
        pytest.param(datetime(2026, 3, 29, 22, 30), "Europe/Berlin", date(2026, 3, 30), id="DST"),
        pytest.param(datetime(2026, 11, 24, 23, 30), "UTC", date(2026, 11, 24), id="naive=UTC"),
    ],
)
def test_a_check_in_belongs_to_the_users_own_day(moment: datetime, zone: str, day: date) -> None:
    assert local_day(moment, ZoneInfo(zone)) == day


async def test_a_check_in_at_2330_local_counts_for_that_local_day(store) -> None:
    """In New York 23:30 is already tomorrow in UTC: counted in UTC these two check-ins fall
    on one day; in the user's calendar they are two days in a row."""
    uid = await new_user(store, timezone="America/New_York")
    zone = "America/New_York"
    now = local(D[0], 12, 0, zone)
    await seed_moods(store, uid, (local(D[2], 23, 30, zone), 3), (local(D[1], 0, 30, zone), 4))
    await seed_moods(store, uid, (local(D[0], 8, 0, zone), 4))
    facts = await store.run(reads.progress_facts, uid, now)
    assert facts.checkin_days == {D[2], D[1], D[0]}
    assert streak(facts.checkin_days, facts.today, facts.paused) == 3
    utc_days = {t.date() for t in (local(D[2], 23, 30, zone), local(D[1], 0, 30, zone))}
    assert len(utc_days) == 1  # the case that would break a UTC count


async def test_a_user_without_a_zone_counts_in_the_default_zone(store) -> None:
    uid = await new_user(store)
    await seed_moods(store, uid, (utc(D[1], 23, 30), 3), (utc(D[0], 0, 30), 4))
    facts = await store.run(reads.progress_facts, uid, NOW)
    assert facts.checkin_days == {D[1], D[0]}
    berlin = await store.run(reads.progress_facts, uid, NOW, "Europe/Berlin")
    assert berlin.checkin_days == {D[0]}  # 23:30 UTC is 00:30 in Berlin


# --- the mood chart -----------------------------------------------------------------------


async def seeded_history(store: Store) -> MoodHistory:
    uid = await new_user(store, timezone="Europe/Berlin")
    zone = "Europe/Berlin"
    entries = [(local(D[n], 8, 0, zone), 1 + n % 5) for n in range(0, 34, 2)]
    entries += [(local(D[3], 8, 0, zone), 2), (local(D[3], 23, 30, zone), 5)]  # D[3]: 3.5
    await seed_moods(store, uid, *entries)
    await seed_problem(
        store, uid, "Move flat", {"Call movers": local(D[2], 0, 30, zone), "Pack": None}
    )
    return await store.run(reads.mood_history, uid, NOW)


async def test_mood_history_averages_each_local_day(store) -> None:
    history = await seeded_history(store)
    assert (history.first, history.last) == (D[29], D[0])
    assert history.checkins == 15 + 2  # D[0], D[2] .. D[28], and two on D[3]
    assert history.by_day[D[3]] == 3.5
    assert history.by_day[D[32]] == 1 + 32 % 5  # kept for the first days' 7-day average
    assert D[32] not in history.shown and D[28] in history.shown
    assert history.step_days == {D[2]}  # 00:30 in Berlin, still D[3] in UTC
    assert history.locale is None


def test_the_seven_day_average_uses_the_days_with_a_check_in() -> None:
    by_day = {D[6]: 1.0, D[3]: 3.0, D[0]: 5.0, D[9]: 4.0}
    found = rolling_average(by_day, D[2], D[0])
    assert found == {D[2]: 2.0, D[1]: 2.0, D[0]: 3.0}  # D[9] is 9 days back: out of every week
    assert rolling_average({D[20]: 3.0}, D[2], D[0]) == {}  # no check-in in the window: a gap


async def test_the_chart_renders_from_seeded_rows_as_a_phone_sized_png(store, texts) -> None:
    history = await seeded_history(store)
    png = render_mood_chart(history, ChartWords.of(texts))
    assert png_size(png) == (1080, 720)
    assert 20_000 < len(png) < 400_000
    pixels = imread(io.BytesIO(png), format="png")  # decodes
    assert pixels.shape[:2] == (720, 1080)
    assert pixels.std() > 0.05  # something is drawn, not a blank canvas


def test_the_charts_words_come_from_the_texts(texts) -> None:
    words = ChartWords.of(texts)
    assert words.title == texts.say("insights.chart_title")
    assert words.day(date(2026, 11, 3)) == "3 Nov"
    assert len(words.months) == 12


async def test_mood_sends_the_chart_with_a_short_text(store, texts) -> None:
    await seeded_history(store)
    chat = Chat(make_engine(store, texts, clock=Clock()))
    await chat.command("mood")
    (reply,) = chat.replies
    assert reply.attachment is not None
    assert (reply.attachment.filename, reply.attachment.mime) == ("mood.png", "image/png")
    assert png_size(reply.attachment.data) == (1080, 720)
    assert "17 check-ins" in reply.text
    assert "3.0" in reply.text  # the mean of the 16 shown days' averages: 48.5 / 16
    assert len(reply.text) < 200
    assert chat.buttons == ["Menu"]


@pytest.mark.parametrize("count", [0, 1, 2])
async def test_mood_with_fewer_than_three_check_ins_answers_kindly_in_text(
    store, texts, count: int
) -> None:
    uid = await new_user(store)
    await seed_moods(store, uid, *[(utc(D[n]), 4) for n in range(count)])
    await seed_moods(store, uid, (utc(D[40 - 1]), 4), (utc(D[35]), 4))  # older than 30 days
    chat = Chat(make_engine(store, texts, clock=Clock()))
    await chat.command("mood")
    assert all(r.attachment is None for r in chat.replies)
    assert "/checkin" in chat.text
    if count:
        assert f"{count} " in chat.text


# --- /progress ----------------------------------------------------------------------------


async def test_progress_shows_the_users_own_numbers(store, texts) -> None:
    uid = await new_user(store, timezone="Asia/Tokyo")
    zone = "Asia/Tokyo"
    now = local(D[0], 21, 0, zone)  # Wednesday evening in Tokyo
    # Check-ins yesterday and the day before (23:30 local), and 5 days ago: a streak of 2.
    await seed_moods(
        store,
        uid,
        (local(D[1], 8, 0, zone), 3),
        (local(D[2], 23, 30, zone), 4),
        (local(D[5], 9, 0, zone), 2),
    )
    # Monday 00:10 in Tokyo is still Sunday in UTC: it counts for this week.
    await seed_problem(
        store,
        uid,
        "Tax return",
        {"Find forms": local(D[9], 10, 0, zone), "Fill in": local(D[2], 0, 10, zone)},
        finished=True,
    )
    await seed_problem(store, uid, "Garden", {"Buy seeds": local(D[1], 18, 0, zone), "Dig": None})
    await seed(
        store,
        predictions,
        *(
            {
                "user_id": uid,
                "fear": f,
                "check_at": utc(D[3]),
                "created_at": utc(D[9]),
                "outcome": o,
            }
            for f, o in [("a", "not"), ("b", "happened"), ("c", "not"), ("d", None)]
        ),
    )
    await seed(
        store,
        ratings,
        *(
            {"user_id": uid, "strategy": s, "before": b, "after": a, "created_at": utc(D[4])}
            for s, b, a in [
                ("walk", 3, 7),
                ("breathe", 4, 6),
                ("write", 2, 5),
                ("stretch", 5, 6),
                ("call", 6, 4),
            ]
        ),
    )
    chat = Chat(make_engine(store, texts, clock=Clock(now)))
    await chat.command("progress")
    text = chat.text
    assert "streak: 2 days" in text
    assert "2 this week, 3 in all" in text
    assert "Problems finished: 1" in text
    assert "2 of 3 didn't happen" in text
    assert "A short walk (3→7), Write it down (2→5), Slow breathing (4→6)" in text
    assert "Stretch" not in text and "Call someone" not in text
    assert len(text.splitlines()) <= 6
    assert all(r.attachment is None for r in chat.replies)


async def test_progress_with_a_streak_kept_by_paused_days(store) -> None:
    uid = await new_user(store)
    await seed_moods(store, uid, (utc(D[0]), 3), (utc(D[3]), 3), (utc(D[4]), 3))
    facts = await store.run(reads.progress_facts, uid, NOW)
    assert facts.paused == frozenset()  # wired to nothing until nudges store pauses
    assert streak(facts.checkin_days, facts.today, facts.paused) == 1
    assert streak(facts.checkin_days, facts.today, {D[1], D[2]}) == 3


async def test_progress_with_nothing_yet_says_so_kindly(engine) -> None:
    chat = Chat(engine)
    await chat.command("progress")
    assert "Nothing to count yet" in chat.text or "still empty" in chat.text
    assert "0" not in chat.text


async def test_progress_counts_a_check_in_made_through_the_bot(engine) -> None:
    chat = Chat(engine)
    await chat.command("checkin")
    await chat.click("4")
    await chat.command("progress")
    assert "streak: 1 day" in chat.text
    assert "0 this week, 0 in all" in chat.text
    assert "none yet" in chat.text


# --- the weekly summary -------------------------------------------------------------------


def week(**kw: object) -> WeekFacts:
    return WeekFacts(**{"first": D[6], "last": D[0], "checkins": 0, **kw})  # type: ignore[arg-type]


def test_weekly_summary_has_the_numbers_and_names_a_finished_step(texts) -> None:
    facts = week(
        checkins=5,
        mood_by_day={D[6]: 2.0, D[4]: 3.5, D[2]: 4.0, D[0]: 4.5},
        steps_done=("Call the movers", "Buy boxes"),
        problems_done=("Move flat",),
        strengths=("I ask for help",),
        streak=3,
    )
    text = weekly_summary(facts, texts)
    assert "19 Nov to 25 Nov" in text
    assert "Check-ins: 5, on 4 days" in text
    assert "Average mood: 3.5 of 5" in text
    assert "Small steps done: 2" in text
    assert "Problems finished: 1" in text
    assert "streak: 3 days" in text
    assert '"Call the movers"' in text  # the latest step, in the user's words
    assert len(text) < 400 and len(text.splitlines()) <= 9


@pytest.mark.parametrize(
    ("facts", "mentions"),
    [
        pytest.param(week(problems_done=("Tax return",)), '"Tax return"', id="problem"),
        pytest.param(
            week(best_rating=Rated("walk", 3, 7), strengths=("Patience",)),
            "A short walk",
            id="rating",
        ),
        pytest.param(week(strengths=("Patience",)), '"Patience"', id="strength"),
        pytest.param(
            week(checkins=3, mood_by_day={D[5]: 2.0, D[1]: 4.5, D[0]: 3.0}),
            "Tuesday",  # D[1], the best day
            id="best day",
        ),
        pytest.param(week(checkins=1, mood_by_day={D[0]: 3.0}), "1 day", id="check-ins"),
    ],
)
def test_the_encouragement_refers_to_what_the_user_did(texts, facts, mentions) -> None:
    for seed in (0, 1):
        assert mentions in weekly_summary(facts, texts, seed=seed)


def test_weekly_summary_of_a_quiet_week_is_kind_and_has_no_numbers(texts) -> None:
    text = weekly_summary(week(), texts)
    assert "/checkin" in text
    assert not any(ch.isdigit() for ch in text)


def test_weekly_summary_wording_changes_from_one_week_to_the_next(texts) -> None:
    facts = week(checkins=2, mood_by_day={D[1]: 3.0, D[0]: 4.0}, steps_done=("Pack",))
    later = week(
        first=D[6] + timedelta(days=7),
        last=D[0] + timedelta(days=7),
        checkins=2,
        mood_by_day={D[1]: 3.0, D[0]: 4.0},
        steps_done=("Pack",),
    )
    assert (
        weekly_summary(facts, texts).splitlines()[0][:10]
        != (weekly_summary(later, texts).splitlines()[0][:10])
    )


async def test_week_facts_gathers_the_week_from_stored_rows(store, texts) -> None:
    uid = await new_user(store, timezone="Europe/Berlin")
    zone = "Europe/Berlin"
    await seed_moods(
        store,
        uid,
        (local(D[7], 23, 30, zone), 1),  # last week
        (local(D[6], 0, 30, zone), 2),  # still D[7] in UTC: this week's first day in Berlin
        (local(D[3], 9, 0, zone), 5),
        (local(D[3], 21, 0, zone), 4),
        (local(D[0], 7, 0, zone), 3),
    )
    await seed_problem(
        store,
        uid,
        "Move flat",
        {"Old step": local(D[8], 9, 0, zone), "Call the movers": local(D[1], 9, 0, zone)},
        finished=True,
    )
    await seed(store, strengths, {"user_id": uid, "text": "I ask for help", "created_at": NOW})
    facts = await store.run(reads.week_facts, uid, NOW)
    assert (facts.first, facts.last) == (D[6], D[0])
    assert facts.checkins == 4
    assert facts.mood_by_day == {D[6]: 2.0, D[3]: 4.5, D[0]: 3.0}
    assert facts.steps_done == ("Call the movers",)
    assert facts.problems_done == ("Move flat",)
    assert facts.strengths == ("I ask for help",)
    assert facts.streak == 1
    text = weekly_summary(facts, texts)
    assert "Check-ins: 4, on 3 days" in text
    assert '"Call the movers"' in text
