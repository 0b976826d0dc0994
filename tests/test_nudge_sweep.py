"""The sweep's delivery guarantees, in one process: retries, unreachable users, a sweep that
dies mid-slot, concurrent sweeps, late starts, prediction checks, the ledger and the service."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from bot.delivery import Outcome
from bot.effects import ChangeNudges, Prediction
from bot.metrics import Metrics
from bot.scheduler import claims, plans
from bot.scheduler.claims import ClaimRequest
from bot.scheduler.service import NudgeService
from bot.store import Commit
from bot.store.schema import inbound, journal, nudge_deliveries, nudge_subscriptions, users
from bot.types import Inbound
from tests.conftest import Chat, column, make_engine, one
from tests.nudge_support import (
    PLATFORM,
    Clock,
    RecordingSender,
    let_time_pass,
    make_sweep,
    show,
    subscribe,
    utc,
)

MONDAY = utc(2026, 6, 1, 5, 0)


@pytest.fixture
def world(store, texts, monkeypatch):
    clock = Clock(MONDAY)
    monkeypatch.setattr("bot.store.store.now", clock)
    engine = make_engine(store, texts, clock=clock)
    sender = RecordingSender(clock)
    return clock, engine, sender, make_sweep(store, engine, sender)


async def ledger(store) -> list[tuple]:
    query = select(nudge_deliveries.c.kind, nudge_deliveries.c.action, nudge_deliveries.c.status)
    return [tuple(r) for r in await store.rows(query)]


async def test_a_message_the_platform_could_not_take_stays_pending_and_is_retried(
    store, world
) -> None:
    clock, _, sender, sweep = world
    await subscribe(store, "u1", clock.now)
    sender.outcomes = [Outcome.RETRY, Outcome.RETRY]
    await let_time_pass(sweep, clock, utc(2026, 6, 1, 6, 31), step_minutes=1)
    assert sender.sent == [] and await ledger(store) == [("nudge", "checkin", "pending")]
    await let_time_pass(sweep, clock, utc(2026, 6, 1, 6, 40), step_minutes=1)
    assert len(sender.sent) == 1 and "1 to 5" in sender.sent[0].text
    assert sender.sent[0].at == utc(2026, 6, 1, 6, 33)  # after 1 + 2 minutes of backing off
    assert await ledger(store) == [("nudge", "checkin", "sent")]
    # the turn ran once: one idempotency key, the resend only showed the question again
    assert await one(store, select(func.count()).select_from(inbound)) == 1


async def test_giving_up_after_the_last_attempt_moves_the_schedule_on(store, world) -> None:
    clock, _, sender, sweep = world
    await subscribe(store, "u1", clock.now)
    sender.outcomes = [Outcome.RETRY] * 5
    await let_time_pass(sweep, clock, utc(2026, 6, 1, 8))
    assert await ledger(store) == [("nudge", "checkin", "failed")]
    await let_time_pass(sweep, clock, utc(2026, 6, 2, 8), step_minutes=15)
    assert [d.at for d in sender.sent] == [utc(2026, 6, 2, 6, 30)]


async def test_an_unreachable_user_is_paused_until_they_turn_nudges_on_again(store, world) -> None:
    clock, engine, sender, sweep = world
    user_id = await subscribe(store, "u1", clock.now)
    sender.outcomes = [Outcome.UNREACHABLE]
    await let_time_pass(sweep, clock, utc(2026, 6, 3, 8), step_minutes=15)
    assert sender.sent == [] and await ledger(store) == [("nudge", "checkin", "unreachable")]
    row = (await store.rows(select(nudge_subscriptions)))[0]
    assert (row.status, row.next_due_at) == ("unreachable", None)
    assert await store.unreachable(PLATFORM, "u1")
    chat = Chat(engine)
    await chat.command("nudges")
    assert "couldn't reach you" in chat.text
    await chat.click("Yes, please")
    await chat.click("Yes")  # the zone it knows
    await chat.click("08:00")
    assert (await store.run(plans.row_of, user_id))["status"] == "on"


def _dying_claim(clock) -> ClaimRequest:
    """The claim of a sweep ("dead/1", a five-minute lease) whose process then dies."""
    return ClaimRequest(
        (PLATFORM,),
        clock.now,
        10,
        "dead/1",
        clock.now + timedelta(minutes=5),
        clock.now - timedelta(hours=2),
        3,
    )


async def _claim_and_turn(store, engine, clock) -> claims.Job:
    """What a sweep does up to the send, in a process that then dies."""
    (job,) = await store.run(claims.claim, _dying_claim(clock))
    replies = await engine.handle(
        Inbound.command(job.key, job.flow, job.arg, interrupt=True, update_id=job.update_id)
    )
    assert replies and replies[-1].choices
    return job


async def test_a_sweep_that_died_after_the_turn_is_finished_after_its_lease(store, world) -> None:
    clock, engine, sender, sweep = world
    await subscribe(store, "u1", clock.now)
    clock.now = utc(2026, 6, 1, 6, 30)
    await _claim_and_turn(store, engine, clock)  # ... and nothing sent, nothing recorded
    await let_time_pass(sweep, clock, utc(2026, 6, 1, 6, 35), step_minutes=1)
    assert sender.sent == []  # the lease still holds
    await let_time_pass(sweep, clock, utc(2026, 6, 1, 6, 40), step_minutes=1)
    (delivery,) = sender.sent
    assert delivery.at == utc(2026, 6, 1, 6, 36) and "1 to 5" in delivery.text
    assert "Snooze 1 h" in delivery.buttons
    assert await ledger(store) == [("nudge", "checkin", "sent")]
    chat = show(Chat(engine), delivery)
    await chat.click("4")  # the resent buttons work
    assert "line" in chat.text or "Anything" in chat.text


async def test_a_slot_decided_by_another_sweep_is_never_decided_again(store, world) -> None:
    clock, _, sender, sweep = world
    await subscribe(store, "u1", clock.now)
    clock.now = utc(2026, 6, 1, 6, 30)
    await store.run(claims.claim, _dying_claim(clock))  # decided; died before the turn
    await let_time_pass(sweep, clock, utc(2026, 6, 1, 7))
    assert len(sender.sent) == 1
    row = (await store.rows(select(nudge_subscriptions)))[0]
    assert row.unanswered == 1  # counted once, though two sweeps handled the slot


async def test_two_sweeps_at_once_deliver_each_slot_once(store, texts, monkeypatch) -> None:
    clock = Clock(MONDAY)
    monkeypatch.setattr("bot.store.store.now", clock)
    sender = RecordingSender(clock)
    sweeps = [
        make_sweep(store, make_engine(store, texts, clock=clock), sender, batch=7, concurrency=3)
        for _ in range(2)
    ]
    for n in range(60):
        await subscribe(store, f"u{n}", clock.now)
    clock.now = utc(2026, 6, 1, 6, 31)
    stats = await asyncio.gather(*(s.run() for s in sweeps))
    assert sorted(d.key.user_id for d in sender.sent) == sorted(f"u{n}" for n in range(60))
    assert all(s.claimed > 0 for s in stats)


async def test_a_slot_missed_by_hours_is_skipped_not_sent_late(store, world) -> None:
    clock, _, sender, sweep = world
    await subscribe(store, "u1", clock.now)
    clock.now = utc(2026, 6, 1, 11)  # the service was down from before 08:30 until 13:00
    await sweep.run()
    assert sender.sent == [] and await ledger(store) == []
    await let_time_pass(sweep, clock, utc(2026, 6, 2, 7), step_minutes=15)
    assert [d.at for d in sender.sent] == [utc(2026, 6, 2, 6, 30)]


async def test_a_schedule_change_during_a_send_is_kept(store, world) -> None:
    clock, engine, _, _ = world
    user_id = await subscribe(store, "u1", clock.now)
    clock.now = utc(2026, 6, 1, 6, 30)

    async def pause_meanwhile() -> None:  # the user pauses as the nudge goes out
        session = await store.session(user_id)
        pause = ChangeNudges.of(clock.now, paused_until=utc(2026, 6, 5).date())
        assert await store.commit(user_id, session.version, session, [pause]) is Commit.SAVED

    sender = RecordingSender(clock, before_send=pause_meanwhile)
    stats = await make_sweep(store, engine, sender).run()
    assert (stats.sent, stats.lost) == (1, 1)
    row = await store.run(plans.row_of, user_id)
    # theirs (after the pause), not the sweep's (this evening's follow-up)
    assert plans.aware(row["next_due_at"]) == utc(2026, 6, 5, 6, 30)


async def test_a_prediction_is_asked_about_at_midday_on_its_check_date(store, world) -> None:
    clock, engine, sender, sweep = world
    user_id = await subscribe(store, "u1", clock.now)
    await store.commit(
        user_id,
        0,
        await store.session(user_id),
        [
            Prediction("They will laugh at me", utc(2026, 6, 2, 9)),
        ],
    )
    chat = Chat(engine)
    await chat.command("nudges")
    await chat.click("Done")  # any settings turn picks the new check date up
    await let_time_pass(sweep, clock, utc(2026, 6, 3, 12), step_minutes=15)
    kinds = [(d.at, d.text.split(".")[0][:30]) for d in sender.sent]
    assert kinds[2][0] == utc(2026, 6, 2, 10)  # 12:00 in Berlin
    assert "They will laugh at me" in sender.sent[2].text
    await show(chat, sender.sent[2]).click("It didn't happen")
    assert ("predictions", "predictions", "sent") in await ledger(store)


async def test_old_ledger_rows_are_pruned(store, world) -> None:
    clock, _, _, sweep = world
    await subscribe(store, "u1", clock.now)
    await let_time_pass(sweep, clock, utc(2026, 6, 4, 8), step_minutes=30)
    assert len(await ledger(store)) == 7  # 4 nudges (the last one the question), 3 evenings
    assert await store.run(claims.prune, utc(2026, 6, 3).date(), 3) == 3
    assert await store.run(claims.prune, utc(2026, 6, 3).date(), 3) == 1
    assert await column(store, select(nudge_deliveries.c.local_date).distinct()) == [
        utc(2026, 6, 3).date(),
        utc(2026, 6, 4).date(),
    ]


async def test_the_service_runs_the_sweep_as_one_apscheduler_job(store, texts) -> None:
    engine = make_engine(store, texts)
    sender = RecordingSender(Clock(utc(2026, 6, 1)))
    sweep = make_sweep(store, engine, sender)
    sweep.clock = lambda: datetime.now(UTC)
    user_id = await subscribe(store, "u1", sweep.clock())
    due = sweep.clock() - timedelta(seconds=1)
    due_now = update(nudge_subscriptions).values(next_due_at=due, next_kind="nudge")
    await store.run(lambda conn: conn.execute(due_now))
    metrics = Metrics()
    service = NudgeService(sweep, store, every_seconds=0.05, metrics=metrics)
    service.start()
    for _ in range(100):
        if sender.sent:
            break
        await asyncio.sleep(0.02)
    await service.stop()
    assert len(sender.sent) == 1 and service.totals.sent == 1, service.totals
    exposed = metrics.render().decode()
    assert 'coach_nudges_total{outcome="sent"} 1.0' in exposed
    assert "coach_nudges_pending 0.0" in exposed
    assert (await store.run(plans.row_of, user_id))["lease_owner"] is None
    assert await one(store, select(users.c.id)) == user_id


async def test_a_nudge_turn_is_keyed_by_its_ledger_row(store, world) -> None:
    clock, _, _, _ = world
    await subscribe(store, "u1", clock.now)
    clock.now = utc(2026, 6, 1, 6, 30)
    (job,) = await store.run(
        claims.claim,
        ClaimRequest(
            (PLATFORM,),
            clock.now,
            10,
            "w/1",
            clock.now + timedelta(minutes=5),
            clock.now - timedelta(hours=2),
            3,
        ),
    )
    assert job.update_id == f"nudge:nudge:2026-06-01:{job.user_id}"
    assert (job.flow, job.arg) == ("checkin", "nudge:2026-06-01")
    assert len(f"nudge:predictions:2026-06-01:{2**63}") <= 64  # fits inbound.update_id


async def test_nudges_hold_after_a_crisis_message_until_the_hold_ends(store, world) -> None:
    clock, _, sender, sweep = world
    user_id = await subscribe(store, "u1", clock.now)
    hold = update(users).where(users.c.id == user_id).values(hold_nudges_until=utc(2026, 6, 2))
    await store.run(lambda conn: conn.execute(hold))  # as bot.safety leaves it
    await let_time_pass(sweep, clock, utc(2026, 6, 2, 7), step_minutes=15)
    assert [d.at for d in sender.sent] == [utc(2026, 6, 2, 6, 30)]
    assert ("nudge", "held", "skipped") in await ledger(store)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (  # spring forward, night of 28/29 March: 02:30 does not exist on the 29th
            utc(2026, 3, 27, 23),
            utc(2026, 3, 30, 12),
            {
                "08:30": ["2026-03-28 08:30", "2026-03-29 08:30", "2026-03-30 08:30"],
                "02:30": ["2026-03-28 02:30", "2026-03-29 03:30", "2026-03-30 02:30"],
            },
        ),
        (  # fall back, night of 24/25 October: 02:30 happens twice on the 25th
            utc(2026, 10, 23, 22),
            utc(2026, 10, 26, 12),
            {
                "08:30": ["2026-10-24 08:30", "2026-10-25 08:30", "2026-10-26 08:30"],
                "02:30": ["2026-10-24 02:30", "2026-10-25 02:30", "2026-10-26 02:30"],
            },
        ),
    ],
)
async def test_exactly_one_nudge_a_day_across_dst_with_the_sweep_running(
    store, texts, monkeypatch, start, end, expected
) -> None:
    clock = Clock(start)
    monkeypatch.setattr("bot.store.store.now", clock)
    sender = RecordingSender(clock)
    sweep = make_sweep(store, make_engine(store, texts, clock=clock), sender)
    for at in expected:
        await subscribe(store, at, clock.now, zone="Europe/Berlin", at=at, evening_minute=None)
    await let_time_pass(sweep, clock, end, step_minutes=10)
    berlin = ZoneInfo("Europe/Berlin")
    for at, days in expected.items():
        got = [f"{d.at.astimezone(berlin):%Y-%m-%d %H:%M}" for d in sender.to(at)]
        assert got == days


async def test_the_service_purges_old_journal_entries_when_retention_is_set(store, texts) -> None:
    engine = make_engine(store, texts)
    chat = Chat(engine)
    await chat.command("reframe")
    await chat.say("an old worry")
    await chat.say("a recent one")
    old = datetime.now(UTC) - timedelta(days=40)
    aged = update(journal).where(journal.c.text == "an old worry").values(created_at=old)
    await store.run(lambda conn: conn.execute(aged))
    sweep = make_sweep(store, engine, RecordingSender(Clock(utc(2026, 6, 1))))
    kept_all = NudgeService(sweep, store, every_seconds=60)  # retention off: nothing goes
    await kept_all.tick()
    assert len(await column(store, select(journal.c.text))) == 2
    purging = NudgeService(sweep, store, every_seconds=60, journal_days=30)
    await purging.tick()
    assert await column(store, select(journal.c.text)) == ["a recent one"]


async def test_the_service_forgets_update_ids_only_once_no_platform_can_redeliver_them(
    store, texts
) -> None:
    engine = make_engine(store, texts)
    chat = Chat(engine)
    await chat.command("reframe")
    await chat.say("a worry")
    ids = await column(store, select(inbound.c.update_id).order_by(inbound.c.created_at))
    aged = update(inbound).where(inbound.c.update_id == ids[0])
    await store.run(lambda conn: conn.execute(aged.values(created_at=utc(2026, 1, 1))))
    sweep = make_sweep(store, engine, RecordingSender(Clock(utc(2026, 6, 1))))
    await NudgeService(sweep, store, every_seconds=60).tick()
    assert await column(store, select(inbound.c.update_id)) == ids[1:]
    # The recent one still counts as handled: its redelivery is ignored.
    again = Inbound.text(chat.key, "a worry", update_id=ids[1])
    assert await engine.handle(again) == []
