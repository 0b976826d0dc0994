"""The sweep: claim due subscriptions batch by batch, run each slot's proactive turn through the
engine, hand its replies to the platform's sender, record what happened and when the next slot
is due. Batches stream: at most two in memory (the one being sent, the next one claimed
ahead), however many rows the table holds.

Exactly once, and the one exception: the ledger row for a slot is written when the slot is
claimed, the engine turn carries the ledger key as its update id (a repeat is a no-op) and the
outcome is committed right after the send. A process that dies after sending and before that
commit leaves the slot pending under a lease; when the lease runs out another sweep claims it,
finds the turn already taken and sends the question again. So a crash can repeat one message
per slot in flight, never lose one, and never send a slot that was recorded as sent."""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.delivery import Outcome, Sender
from bot.engine import Engine
from bot.scheduler import claims
from bot.scheduler.claims import FAILED, SENT, SKIPPED, ClaimRequest, Finish, Job
from bot.scheduler.outcomes import OutcomeWriter
from bot.scheduler.plans import ON, UNREACHABLE
from bot.scheduler.slots import Slot, next_slot
from bot.store import Store
from bot.types import Inbound, Reply

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepConfig:
    batch: int = 500  # rows claimed per transaction
    concurrency: int = 64  # turns and sends in flight
    lease: timedelta = timedelta(minutes=5)  # > the time 2 batches take, rate limits included
    max_late: timedelta = timedelta(hours=2)  # an older slot is skipped, not sent late
    retry_after: timedelta = timedelta(minutes=1)
    max_attempts: int = 5  # then the slot is recorded as failed and the schedule moves on
    fatigue_after: int = 3  # nudges in a row without an answer before asking


@dataclass
class SweepStats:
    claimed: int = 0
    sent: int = 0
    skipped: int = 0
    retried: int = 0
    unreachable: int = 0
    failed: int = 0
    lost: int = 0  # lease gone at the end (the user changed the schedule meanwhile)
    expired: int = 0  # waited too long for its turn: left for the next claim

    def add(self, other: SweepStats) -> None:
        for name, value in other.__dict__.items():
            setattr(self, name, getattr(self, name) + value)


class Sweep:
    def __init__(
        self,
        store: Store,
        engine: Engine,
        senders: Mapping[str, Sender],
        config: SweepConfig | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.engine = engine
        self.senders = dict(senders)
        self.config = config or SweepConfig()
        self.clock = clock
        self._worker = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._outcomes = OutcomeWriter(store)
        self._claims = 0

    async def run(self, stop: asyncio.Event | None = None) -> SweepStats:
        """Work through everything due now. Once `stop` is set no more is claimed, and what
        was claimed is still finished (each row gets its outcome, and its lease back)."""
        stats = SweepStats()
        if not self.senders:
            return stats
        first = await self._claim(stats)
        if not first:
            return stats
        lost_before = self._outcomes.lost
        # The next batch is claimed while this one is being sent: no idle tail between
        # batches, and at most two batches in memory.
        queue: asyncio.Queue[Job | None] = asyncio.Queue(maxsize=self.config.batch)
        workers = min(self.config.concurrency, len(first))
        await asyncio.gather(
            self._claim_into(queue, first, workers, stats, stop),
            *(self._work_from(queue, stats) for _ in range(workers)),
        )
        stats.lost = self._outcomes.lost - lost_before
        return stats

    async def _claim(self, stats: SweepStats) -> list[Job]:
        jobs = await self.store.run(claims.claim, self._request())
        stats.claimed += len(jobs)
        return jobs

    async def _claim_into(
        self,
        queue: asyncio.Queue[Job | None],
        jobs: list[Job],
        workers: int,
        stats: SweepStats,
        stop: asyncio.Event | None,
    ) -> None:
        try:
            while True:
                for job in jobs:
                    await queue.put(job)
                if len(jobs) < self.config.batch or (stop is not None and stop.is_set()):
                    break
                jobs = await self._claim(stats)
        finally:
            for _ in range(workers):
                await queue.put(None)  # no more: each worker stops after this

    async def _work_from(self, queue: asyncio.Queue[Job | None], stats: SweepStats) -> None:
        while (job := await queue.get()) is not None:
            if self.clock() > job.lease_until - self.config.lease / 2:
                # Half its lease is gone: it may run out before the send, and another worker
                # would then send it too. Untouched, the row is simply claimed again.
                stats.expired += 1
                continue
            try:
                await self._dispatch(job, stats)
            except Exception:  # one bad row must not stop the sweep: its lease runs out
                log.exception("nudge dispatch failed", extra={"platform": job.key.platform})

    def _request(self) -> ClaimRequest:
        now = self.clock()
        self._claims += 1
        return ClaimRequest(
            platforms=tuple(self.senders),
            now=now,
            limit=self.config.batch,
            token=f"{self._worker}/{self._claims}",
            lease_until=now + self.config.lease,
            stale_before=now - self.config.max_late,
            fatigue_after=self.config.fatigue_after,
        )

    async def _dispatch(self, job: Job, stats: SweepStats) -> None:
        if job.action is None:
            stats.skipped += 1
            return await self._finish(job, None, self._next(job))
        replies = await self._turn(job)
        if replies is None:
            outcome = Outcome.RETRY
        elif not replies:  # the user moved on before we could ask: nothing to send
            stats.skipped += 1
            return await self._finish(job, SKIPPED, self._next(job))
        else:
            outcome = await self.senders[job.key.platform].send(job.key, replies)
        if outcome is Outcome.SENT:
            stats.sent += 1
            await self._finish(job, SENT, self._next(job))
        elif outcome is Outcome.UNREACHABLE:
            stats.unreachable += 1
            await self._finish(job, UNREACHABLE, None, status=UNREACHABLE)
        elif job.attempts + 1 >= self.config.max_attempts:
            stats.failed += 1
            await self._finish(job, FAILED, self._next(job))
        else:
            stats.retried += 1
            await self._retry(job)

    async def _turn(self, job: Job) -> list[Reply] | None:
        """The slot's proactive turn. [] if the user is no longer where it left them (nothing
        to send); None if the engine could not answer properly (an error, or busy)."""
        inbound = Inbound.command(
            job.key,
            job.flow,
            job.arg,
            interrupt=True,
            update_id=job.update_id,
            locale=job.locale,
        )
        replies = await self.engine.handle(inbound)
        if not replies:  # taken before (a retry, or a sweep that died): ask again
            session = await self.store.session(job.user_id)
            if session.dialog != job.flow:
                return []
            replies = await self.engine.handle(Inbound.command(job.key, "resume", interrupt=True))
        # Every proactive flow stops at a question; anything else is core.error or core.busy,
        # which must not be pushed to someone who said nothing.
        if not replies or not replies[-1].choices:
            return None
        return replies

    def _next(self, job: Job) -> Slot | None:
        if job.status != ON:
            return None
        after = max(job.slot.at, self.clock() - self.config.max_late) if job.stale else job.slot.at
        return next_slot(job.plan, after)

    async def _finish(
        self, job: Job, ledger: str | None, slot: Slot | None, status: str | None = None
    ) -> None:
        done = Finish(
            user_id=job.user_id,
            token=job.token,
            slot=job.slot,
            ledger_status=ledger,
            next_due_at=slot.at if slot else None,
            next_kind=slot.kind if slot else None,
            next_on=slot.on if slot else None,
            attempts=0,
            status=status or job.status,
            now=self.clock(),
        )
        await self._outcomes.write(done)

    async def _retry(self, job: Job) -> None:
        """The platform could not take it now: same slot, a little later, still pending."""
        now = self.clock()
        done = Finish(
            user_id=job.user_id,
            token=job.token,
            slot=job.slot,
            ledger_status=None,
            next_due_at=now + self.config.retry_after * (job.attempts + 1),
            next_kind=job.slot.kind,
            next_on=job.slot.on,
            attempts=job.attempts + 1,
            status=job.status,
            now=now,
        )
        await self._outcomes.write(done)
