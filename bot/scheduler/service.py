"""One APScheduler job per process: the sweep, on an interval. APScheduler 3 cannot share a
job store between processes, and a job per user is the wrong shape at a million users, so the
schedule lives in the subscription rows and every process runs this same small job; the
leases in those rows keep the processes apart. The job also prunes the delivery ledger, the
processed update ids and (when retention is set) the journal."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.metrics import Metrics
from bot.scheduler import claims
from bot.scheduler.sweep import Sweep, SweepStats
from bot.store import Store
from bot.store.retention import INBOUND_KEEP, purge_inbound, purge_journal

log = logging.getLogger(__name__)

PRUNE_EVERY = timedelta(hours=1)
PRUNE_BATCH = 10_000


class NudgeService:
    def __init__(
        self,
        sweep: Sweep,
        store: Store,
        every_seconds: float,
        keep: timedelta = timedelta(days=30),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        metrics: Metrics | None = None,
        journal_days: int = 0,  # JOURNAL_RETENTION_DAYS; 0 keeps the journal
    ) -> None:
        self.sweep = sweep
        self.store = store
        self.every_seconds = every_seconds
        self.keep = keep
        self.clock = clock
        self.metrics = metrics
        self.journal_days = journal_days
        self.totals = SweepStats()
        self._stop = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._pruned_at: datetime | None = None
        self._scheduler: AsyncIOScheduler | None = None

    def start(self) -> None:
        """Needs a running event loop; the first sweep starts at once."""
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self._scheduler.add_job(
            self.tick,
            "interval",
            seconds=self.every_seconds,
            next_run_time=datetime.now(UTC),
            id="nudge-sweep",
            coalesce=True,
            max_instances=2,  # a long sweep makes the next tick return at once (below), quietly
            misfire_grace_time=None,
        )
        self._scheduler.start()

    async def tick(self) -> None:
        if not self._idle.is_set() or self._stop.is_set():
            return
        self._idle.clear()
        try:
            stats = await self.sweep.run(self._stop)
            self.totals.add(stats)
            if stats.claimed:
                log.info("nudge sweep", extra={"stats": stats.__dict__})
            await self._report(stats)
            await self._prune()
        except Exception:
            log.exception("nudge sweep failed; the next tick tries again")
        finally:
            self._idle.set()

    async def _report(self, stats: SweepStats) -> None:
        if self.metrics is None:
            return
        for outcome in ("sent", "failed", "retried", "unreachable", "skipped"):
            if count := getattr(stats, outcome):
                self.metrics.nudge("retry" if outcome == "retried" else outcome, count)
        self.metrics.nudges_pending(await self.store.run(claims.due_count, self.clock()))

    async def _prune(self) -> None:
        now = self.clock()
        if self._pruned_at is not None and now - self._pruned_at < PRUNE_EVERY:
            return
        self._pruned_at = now
        await self._in_batches(claims.prune, (now - self.keep).date())
        await self._in_batches(purge_inbound, now - INBOUND_KEEP)
        if self.journal_days:
            await self._in_batches(purge_journal, now - timedelta(days=self.journal_days))

    async def _in_batches(self, purge: Callable[..., int], before: object) -> None:
        """Short transactions: turns wait for the database no longer than one batch."""
        deleted = PRUNE_BATCH
        while deleted == PRUNE_BATCH and not self._stop.is_set():
            deleted = await self.store.run(purge, before, PRUNE_BATCH)

    async def stop(self) -> None:
        """Stop claiming; let the batch in hand finish (its rows get their outcome)."""
        self._stop.set()
        if self._scheduler is not None:
            self._scheduler.pause()  # no new ticks
        await self._idle.wait()
        if self._scheduler is not None:
            # Only now: shutting down cancels a job still running, mid-batch.
            self._scheduler.shutdown(wait=False)
