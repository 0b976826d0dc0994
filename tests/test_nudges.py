"""Conversation tests for daily nudges: /nudges settings, and the nudges themselves as the
user sees them (delivered by the sweep on a simulated clock): snooze, skip today, the evening
follow-up, anti-fatigue, quiet hours, weekdays only, pause, opting out."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, select

from bot.scheduler import plans
from bot.store import reads
from bot.store.schema import (
    goals,
    moods,
    nudge_deliveries,
    nudge_subscriptions,
    problems,
    steps,
    users,
)
from bot.types import ConversationKey
from dialogs import catalog
from tests.conftest import Chat, column, make_engine, one
from tests.nudge_support import (
    Clock,
    RecordingSender,
    let_time_pass,
    make_sweep,
    show,
    subscribe,
    utc,
)

MONDAY = utc(2026, 6, 1, 5, 0)  # 07:00 in Berlin


@pytest.fixture
def setup(store, texts, monkeypatch):
    """A clock that the engine, the sweep and the rows the store stamps all share."""

    def make(now=MONDAY):
        clock = Clock(now)
        monkeypatch.setattr("bot.store.store.now", clock)
        engine = make_engine(store, texts, clock=clock)
        sender = RecordingSender(clock)
        return clock, engine, sender, make_sweep(store, engine, sender)

    return make


async def deliveries(store, kind: str) -> list[tuple]:
    """(local date, status) of every delivery of one kind, oldest first."""
    query = select(nudge_deliveries.c.local_date, nudge_deliveries.c.status).where(
        nudge_deliveries.c.kind == kind
    )
    return sorted(tuple(r) for r in await store.rows(query))


async def sub_row(store, user_id: int):
    return (
        await store.rows(
            select(nudge_subscriptions).where(nudge_subscriptions.c.user_id == user_id)
        )
    )[0]


# --- /nudges ------------------------------------------------------------------------------


async def test_opting_in_with_a_city_then_seeing_and_changing_the_settings(store, setup) -> None:
    clock, engine, sender, sweep = setup()
    chat = Chat(engine)
    await chat.command("nudges")
    assert "once a day" in chat.text
    await chat.click("Yes, please")
    assert "city or country" in chat.text
    await chat.say("munich")
    assert "Europe/Berlin: it's 07:00 there now" in chat.text
    await chat.click("Yes")
    assert "What time" in chat.text and "08:00" in chat.buttons
    await chat.say("8:30")
    assert "every day at 08:30 (Europe/Berlin time)" in chat.text
    assert "Your check-in comes at 08:30, Europe/Berlin time" in chat.text
    assert "Weekdays only: off" in chat.buttons
    user_id = await one(store, select(users.c.id))
    row = await sub_row(store, user_id)
    assert (row.status, row.zone, row.at_minute) == ("on", "Europe/Berlin", 510)
    assert plans.aware(row.next_due_at) == utc(2026, 6, 1, 6, 30)
    assert await one(store, select(users.c.timezone)) == "Europe/Berlin"  # for /progress too

    await chat.click("Time of day")
    await chat.click("09:00")
    await chat.click("How often")
    await chat.click("Every other day")
    assert "How often: every other day" in chat.buttons
    await chat.click("Done")
    row = await sub_row(store, user_id)
    assert (row.at_minute, row.every) == (540, 2)
    await let_time_pass(sweep, clock, utc(2026, 6, 1, 8))
    assert [d.at for d in sender.sent] == [utc(2026, 6, 1, 7, 0)]


async def test_time_zone_from_the_time_it_is_now_or_a_country_with_several(store, setup) -> None:
    _clock, engine, _, _ = setup(utc(2026, 1, 15, 13, 0))
    chat = Chat(engine)
    await chat.command("nudges")
    await chat.click("Yes, please")
    await chat.say("Qwxyz")
    assert "I don't know that place" in chat.text
    await chat.say("08:02")  # 13:00 UTC in January: New York and neighbours
    assert chat.buttons[0] == "America/New_York · 08:00"
    await chat.click("America/New_York")
    await chat.say("7am")
    await chat.command("nudges")
    assert "America/New_York time" in chat.text
    await chat.click("Time zone")
    await chat.say("USA")
    assert "America/Los_Angeles · 05:00" in chat.buttons
    await chat.click("Los_Angeles")
    assert "America/Los_Angeles time" in chat.text


async def test_a_place_typed_instead_of_picking_a_zone_starts_again_from_it(store, setup) -> None:
    _clock, engine, _, _ = setup(utc(2026, 1, 15, 13, 0))
    chat = Chat(engine)
    await chat.command("nudges")
    await chat.click("Yes, please")
    await chat.say("08:02")  # meant as the check-in time: zones at that offset are offered
    assert chat.buttons[0] == "America/New_York · 08:00"
    await chat.say("Berlin")  # what they meant
    assert "Europe/Berlin" in chat.text and "14:00" in chat.text
    await chat.click("Yes")
    await chat.say("7am")
    await chat.command("nudges")
    assert "Europe/Berlin time" in chat.text


async def test_opt_out_stops_every_nudge(store, setup) -> None:
    clock, engine, sender, sweep = setup()
    await subscribe(store, "u1", clock.now)
    chat = Chat(engine)
    await chat.command("nudges")
    await chat.click("Turn check-ins off")
    assert "Check-ins are off" in chat.text
    await let_time_pass(sweep, clock, clock.now + timedelta(days=3), step_minutes=30)
    assert sender.sent == []
    await chat.command("nudges")
    assert "Would you like that?" in chat.text  # off: offered again


async def test_pause_until_a_date_then_nudges_come_back_by_themselves(store, setup) -> None:
    clock, engine, sender, sweep = setup()
    await subscribe(store, "u1", clock.now)
    chat = Chat(engine)
    await chat.command("nudges")
    await chat.click("Pause")
    await chat.say("yesterday")
    assert "I need a date after today" in chat.text
    await chat.say("4.6.")
    assert "paused until 2026-06-04" in chat.text and "Resume now" in chat.buttons
    await let_time_pass(sweep, clock, utc(2026, 6, 5, 12), step_minutes=30)
    assert [d.key.user_id for d in sender.sent] == ["u1", "u1"]
    assert [d.at.date() for d in sender.sent] == [date(2026, 6, 4), date(2026, 6, 5)]


async def test_quiet_hours_hold_the_nudge_until_they_end(store, setup) -> None:
    clock, engine, sender, sweep = setup(utc(2026, 6, 1, 3))
    await subscribe(store, "u1", clock.now, at="06:00")
    chat = Chat(engine)
    await chat.command("nudges")
    await chat.click("Quiet hours")
    await chat.say("22 till 7")
    assert "couldn't read that" in chat.text
    await chat.say("22:30-7:15")
    assert "never during your quiet hours (22:30–07:15)" in chat.text
    await let_time_pass(sweep, clock, utc(2026, 6, 2, 12), step_minutes=5)
    assert [d.at for d in sender.sent] == [utc(2026, 6, 1, 5, 15), utc(2026, 6, 2, 5, 15)]


async def test_weekdays_only(store, setup) -> None:
    clock, engine, sender, sweep = setup(utc(2026, 6, 4, 12))  # a Thursday
    await subscribe(store, "u1", clock.now)
    chat = Chat(engine)
    await chat.command("nudges")
    await chat.click("Weekdays only: off")
    assert "Weekdays only: on" in chat.buttons
    await let_time_pass(sweep, clock, utc(2026, 6, 9, 12), step_minutes=30)
    assert [d.at.strftime("%a") for d in sender.sent] == ["Fri", "Mon", "Tue"]


# --- the nudge itself ---------------------------------------------------------------------


async def test_the_nudge_opens_the_checkin_with_snooze_and_skip_and_rotates(store, setup) -> None:
    clock, engine, sender, sweep = setup()
    await subscribe(store, "u1", clock.now)
    chat = Chat(engine)
    openings = []
    for day in range(6):
        await let_time_pass(sweep, clock, utc(2026, 6, 1 + day, 12), step_minutes=30)
        nudge = sender.sent[-1]
        assert nudge.buttons == ["1 😞", "2 🙁", "3 😐", "4 🙂", "5 😄", "Snooze 1 h", "Skip today"]
        openings.append(nudge.text)
        await show(chat, nudge).click("4")  # answered: no anti-fatigue question
    assert all(a != b for a, b in itertools.pairwise(openings))
    assert len(set(openings)) == 5


async def test_snooze_asks_again_an_hour_later(store, setup) -> None:
    clock, engine, sender, sweep = setup()
    await subscribe(store, "u1", clock.now)
    chat = Chat(engine)
    await let_time_pass(sweep, clock, utc(2026, 6, 1, 6, 40))
    await show(chat, sender.sent[-1]).click("Snooze")
    assert "in an hour" in chat.text
    await let_time_pass(sweep, clock, utc(2026, 6, 1, 9))
    assert [d.at for d in sender.sent] == [utc(2026, 6, 1, 6, 30), utc(2026, 6, 1, 7, 40)]
    later = sender.sent[-1]
    assert "you snoozed" in later.text and "Snooze 1 h" not in later.buttons
    await show(chat, later).click("3")
    assert "Anything behind" in chat.text or "add a line" in chat.text


async def test_skip_today_means_nothing_more_today(store, setup) -> None:
    clock, engine, sender, sweep = setup()
    await subscribe(store, "u1", clock.now)
    chat = Chat(engine)
    await let_time_pass(sweep, clock, utc(2026, 6, 1, 7))
    await show(chat, sender.sent[-1]).click("Skip today")
    assert "skip" in chat.text.lower()
    await let_time_pass(sweep, clock, utc(2026, 6, 2, 7), step_minutes=15)
    assert [d.at for d in sender.sent] == [utc(2026, 6, 1, 6, 30), utc(2026, 6, 2, 6, 30)]


async def test_the_evening_follow_up_asks_about_the_days_one_thing(store, setup) -> None:
    clock, engine, sender, sweep = setup()
    await subscribe(store, "u1", clock.now)
    chat = Chat(engine)
    await let_time_pass(sweep, clock, utc(2026, 6, 1, 7))
    await show(chat, sender.sent[-1]).click("4")
    await chat.click("Skip")
    await chat.say("Call my sister")
    await let_time_pass(sweep, clock, utc(2026, 6, 1, 19))
    evening = sender.sent[-1]
    assert evening.at == utc(2026, 6, 1, 18)  # 20:00 in Berlin
    assert '"Call my sister"' in evening.text
    await show(chat, evening).click("Done")
    assert "Well done" in chat.text or "followed through" in chat.text
    assert await column(store, select(goals.c.outcome)) == ["done"]
    # the next day without a one thing: no evening message
    await let_time_pass(sweep, clock, utc(2026, 6, 2, 21), step_minutes=15)
    assert len(sender.sent) == 3


async def test_after_three_unanswered_nudges_it_asks_once_whether_to_nudge_less(
    store, setup
) -> None:
    clock, engine, sender, sweep = setup()
    user_id = await subscribe(store, "u1", clock.now)
    chat = Chat(engine)
    await let_time_pass(sweep, clock, utc(2026, 6, 4, 12), step_minutes=30)
    assert len(sender.sent) == 4
    question = sender.sent[-1]
    assert "less often" in question.text
    assert question.buttons == ["Every other day", "Once a week", "Stop for now", "Keep it daily"]
    await let_time_pass(sweep, clock, utc(2026, 6, 7, 12), step_minutes=30)
    assert len(sender.sent) == 4  # asked once, and nothing more until an answer
    await show(chat, question).click("Once a week")
    assert "less often" in chat.text
    row = await sub_row(store, user_id)
    assert (row.status, row.every, row.unanswered) == ("on", 7, 0)
    await let_time_pass(sweep, clock, utc(2026, 6, 15, 12), step_minutes=60)
    assert [d.at.date() for d in sender.sent[4:]] == [date(2026, 6, 11)]


async def test_stop_from_the_fatigue_question(store, setup) -> None:
    clock, engine, _sender, sweep = setup()
    user_id = await subscribe(store, "u1", clock.now)
    await let_time_pass(sweep, clock, utc(2026, 6, 4, 12), step_minutes=30)
    chat = Chat(engine)
    await chat.command("nudges")  # the question waits in /nudges too
    assert "less often" in chat.text
    await chat.click("Stop for now")
    assert (await sub_row(store, user_id)).status == "off"


async def test_a_nudge_pauses_the_current_flow_and_hands_back_to_it(store, setup) -> None:
    clock, engine, sender, sweep = setup()
    await subscribe(store, "u1", clock.now)
    chat = Chat(engine)
    await chat.command("reframe")
    await chat.say("My exam went badly")
    await let_time_pass(sweep, clock, utc(2026, 6, 1, 7))
    await show(chat, sender.sent[-1]).click("Skip today")
    assert "back to where we were" in chat.text or "pick up where we left off" in chat.text


async def test_a_user_who_checked_in_already_today_gets_no_nudge(store, setup) -> None:
    clock, engine, sender, sweep = setup(utc(2026, 6, 1, 4))
    await subscribe(store, "u1", clock.now)
    chat = Chat(engine)
    await chat.command("checkin")
    await chat.click("3")
    await let_time_pass(sweep, clock, utc(2026, 6, 2, 7), step_minutes=15)
    assert [d.at for d in sender.sent] == [utc(2026, 6, 2, 6, 30)]


async def test_privacy_delete_removes_the_subscription_and_the_ledger(store, setup) -> None:
    clock, engine, _sender, sweep = setup()
    await subscribe(store, "u1", clock.now)
    await let_time_pass(sweep, clock, utc(2026, 6, 1, 7))
    chat = Chat(engine)
    await chat.command("privacy")
    await chat.click("Delete everything")
    await chat.click("Yes, delete it all")
    for table in (nudge_subscriptions, nudge_deliveries):
        assert await one(store, select(func.count()).select_from(table)) == 0


async def test_every_nudges_text_exists(texts) -> None:
    keys = {f"checkin.nudge_{n}" for n in range(5)} | {"checkin.later", "checkin.snooze"}
    keys |= {f"nudges.btn_{k}" for k in ("time", "zone", "quiet", "pause", "resume", "off", "done")}
    keys |= {
        f"nudges.btn_{k}_{v}" for k in ("weekdays", "evening", "weekly") for v in ("on", "off")
    }
    keys |= {"nudges.btn_weekly_day", "nudges.weekly_on", "nudges.weekly_off"}
    keys |= {"steps.reminder_one", "steps.reminder_other"}
    keys |= {f"nudges.btn_every_{n}" for n in (1, 2, 7)}
    keys |= {
        f"nudges.{k}"
        for k in (
            "saved",
            "enabled",
            "resumed",
            "paused_note",
            "zone_unknown",
            "zone_no_offset",
            "time_invalid",
            "quiet_invalid",
            "pause_invalid",
            "was_unreachable",
            "console_notice",
        )
    }
    for dialog in catalog():
        for state in dialog.states.values():
            keys |= {state.say} if state.say and "{" not in state.say else set()
            keys |= {o.label for o in state.options if not o.literal}
    assert [k for k in keys if not texts.has(k)] == []


# --- the weekly summary -------------------------------------------------------------------


async def seed_mornings(store, user_id: int, moods_: list[int]) -> None:
    """A check-in every morning from 1 June (07:00 in Berlin): no check-in nudge goes out."""
    rows = [
        {"user_id": user_id, "mood": m, "created_at": utc(2026, 6, 1 + n, 5)}
        for n, m in enumerate(moods_)
    ]
    await store.run(lambda conn: conn.execute(insert(moods), rows))


async def seed_steps(store, user_id: int, done: dict[str, object]) -> None:
    """A problem with steps; `done` maps each step's text to when it was done (or None)."""
    at = utc(2026, 5, 30)

    def work(conn) -> None:
        problem = {"user_id": user_id, "title": "Move house", "created_at": at, "done_at": None}
        pid = conn.execute(insert(problems).values(**problem)).inserted_primary_key[0]
        for n, (text, done_at) in enumerate(done.items()):
            step = {"problem_id": pid, "position": n, "text": text, "created_at": at}
            conn.execute(insert(steps).values(user_id=user_id, done_at=done_at, **step))

    await store.run(work)


async def seed_week(store, user_id: int) -> None:
    """Check-ins from 1 to 10 June, and one step done on Tuesday 2 June."""
    await seed_mornings(store, user_id, [3, 4, 5] + [2] * 7)
    await seed_steps(store, user_id, {"Book a van": utc(2026, 6, 2, 9)})


async def test_the_weekly_summary_comes_once_a_week_on_the_chosen_day_with_real_numbers(
    store, setup
) -> None:
    clock, engine, sender, sweep = setup()
    user_id = await subscribe(store, "u1", clock.now)
    await seed_week(store, user_id)
    chat = Chat(engine)
    await chat.command("nudges")
    assert "Weekly summary: off" in chat.buttons
    assert not any(b.startswith("Summary day") for b in chat.buttons)
    await chat.click("Weekly summary: off")
    assert "every Sunday" in chat.text and "Weekly summary: on" in chat.buttons
    await chat.click("Summary day: Sunday")
    await chat.click("Wednesday")
    assert "every Wednesday" in chat.text and "Summary day: Wednesday" in chat.buttons
    await chat.click("Done")
    row = await sub_row(store, user_id)
    assert (row.weekly_summary, row.weekly_day) == (True, 2)

    await let_time_pass(sweep, clock, utc(2026, 6, 11, 5), step_minutes=15)
    await sweep.run()  # once more: nothing goes twice
    assert [d.at for d in sender.sent] == [utc(2026, 6, 3, 18, 15), utc(2026, 6, 10, 18, 15)]
    first, second = (d.text for d in sender.sent)
    assert "Check-ins: 3, on 3 days" in first and "Average mood: 4.0 of 5" in first
    assert "Small steps done: 1" in first and '"Book a van"' in first
    assert "Check-in streak: 3 days" in first
    assert "Check-ins: 7, on 7 days" in second and "Average mood: 2.0 of 5" in second
    assert "Small steps" not in second and "Check-in streak: 10 days" in second
    assert sender.sent[0].buttons  # ends like any flow, with the way back to the menu
    assert await deliveries(store, "weekly") == [
        (date(2026, 6, 3), "sent"),
        (date(2026, 6, 10), "sent"),
    ]


async def test_turning_the_weekly_summary_off_stops_it(store, setup) -> None:
    clock, engine, sender, sweep = setup()
    user_id = await subscribe(store, "u1", clock.now, weekly_summary=True, weekly_day=0)
    await seed_week(store, user_id)
    chat = Chat(engine)
    await chat.command("nudges")
    await chat.click("Weekly summary: on")
    assert "No more weekly summaries" in chat.text
    await let_time_pass(sweep, clock, utc(2026, 6, 9), step_minutes=15)
    assert sender.sent == []


# --- the reminder of open steps -----------------------------------------------------------


async def test_open_steps_are_recalled_once_a_week_until_none_is_left(store, setup) -> None:
    clock, engine, sender, sweep = setup()
    user_id = await subscribe(store, "u1", clock.now)
    await seed_mornings(store, user_id, [3] * 17)
    await seed_steps(store, user_id, {"Book a van": None, "Pack the books": None})
    chat = Chat(engine)
    await let_time_pass(sweep, clock, utc(2026, 6, 4), step_minutes=15)
    (first,) = sender.sent
    assert first.at == utc(2026, 6, 3, 6, 45)  # Wednesday, after the (skipped) 08:30 check-in
    assert 'You have 2 open steps, e.g. "Book a van"' in first.text
    await show(chat, first).click("Book a van")
    assert "Book a van" in chat.text  # celebrated, and the other one is still there to tick
    await let_time_pass(sweep, clock, utc(2026, 6, 11), step_minutes=15)
    assert len(sender.sent) == 2
    assert 'You have one open step: "Pack the books"' in sender.sent[1].text
    await show(chat, sender.sent[1]).click("Pack the books")
    await let_time_pass(sweep, clock, utc(2026, 6, 18), step_minutes=15)
    assert len(sender.sent) == 2  # none open: no more reminders
    assert await deliveries(store, "steps") == [
        (date(2026, 6, 3), "sent"),
        (date(2026, 6, 10), "sent"),
    ]


async def test_no_step_reminder_without_nudges_or_open_steps(store, setup) -> None:
    clock, _engine, sender, sweep = setup()
    done = await subscribe(store, "u1", clock.now)
    await seed_mornings(store, done, [3] * 10)
    await seed_steps(store, done, {"Book a van": utc(2026, 5, 31)})
    record = await store.user(ConversationKey("test", "u2", "u2"))  # never opted in
    await seed_steps(store, record.id, {"Call the bank": None})
    await let_time_pass(sweep, clock, utc(2026, 6, 11), step_minutes=15)
    assert sender.sent == []


# --- pauses, kept for check-in streaks ----------------------------------------------------


async def test_pauses_are_kept_and_do_not_break_the_check_in_streak(store, setup) -> None:
    clock, engine, _, _ = setup()
    user_id = await subscribe(store, "u1", clock.now)
    days = [utc(2026, 5, 31, 9), utc(2026, 6, 3, 9), utc(2026, 6, 4, 9), utc(2026, 6, 12, 9)]
    rows = [{"user_id": user_id, "mood": 3, "created_at": at} for at in days]
    await store.run(lambda conn: conn.execute(insert(moods), rows))
    chat = Chat(engine)
    await chat.command("nudges")
    await chat.click("Pause")
    await chat.click("A week")  # 1 June, until 8 June
    clock.now = utc(2026, 6, 3, 5)
    await chat.command("nudges")
    await chat.click("Resume now")  # back on 3 June
    clock.now = utc(2026, 6, 5, 5)
    await chat.command("nudges")
    await chat.click("Pause")
    await chat.click("A week")  # 5 June, until 12 June
    zone = ZoneInfo("Europe/Berlin")
    paused = await store.run(reads.paused_days, user_id, zone)
    expected = {date(2026, 6, 1), date(2026, 6, 2)} | {date(2026, 6, d) for d in range(5, 12)}
    assert paused == expected
    facts = await store.run(reads.week_facts, user_id, utc(2026, 6, 12, 10))
    assert facts.streak == 4  # 31 May, 3 and 4 June, 12 June: the paused days between don't count


async def test_a_summary_held_past_midnight_by_quiet_hours_still_sums_up_its_own_week(
    store, setup
) -> None:
    clock, _engine, sender, sweep = setup()
    quiet = {"quiet_start": 19 * 60, "quiet_end": 8 * 60}
    user_id = await subscribe(store, "u1", clock.now, weekly_summary=True, weekly_day=2, **quiet)
    await seed_week(store, user_id)  # also checked in on Thursday at 07:00, before it comes
    await let_time_pass(sweep, clock, utc(2026, 6, 4, 7), step_minutes=15)
    (summary,) = sender.sent
    assert summary.at == utc(2026, 6, 4, 6, 15)  # Thursday 08:01 in Berlin, then the sweep
    assert "Check-ins: 3, on 3 days" in summary.text  # Monday to Wednesday, not Thursday's


async def test_a_summary_in_the_middle_of_a_flow_leaves_it_behind_a_continue_button(
    store, setup
) -> None:
    clock, engine, sender, sweep = setup()
    user_id = await subscribe(store, "u1", clock.now, weekly_summary=True, weekly_day=0)
    await seed_week(store, user_id)
    chat = Chat(engine)
    await chat.command("steps")  # asks for a problem, typed
    await let_time_pass(sweep, clock, utc(2026, 6, 1, 19), step_minutes=15)
    (summary,) = sender.sent
    assert "Check-ins: 1, on 1 day" in summary.text
    await show(chat, summary).click("Continue where we were")
    assert "What feels too big right now?" in chat.text
