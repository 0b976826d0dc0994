"""Writing the sweep's outcomes in groups: the outcomes that queue up while one group is being
written go into the next, as one executemany per statement. Each caller still returns only
once its own outcome is committed, so the time between a send and its record stays one short
transaction, whatever the batch size."""

from __future__ import annotations

import asyncio
import logging

from bot.scheduler import claims
from bot.scheduler.claims import Finish
from bot.store import Store

log = logging.getLogger(__name__)


class OutcomeWriter:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.lost = 0  # outcomes whose lease was gone (see claims.finish)
        self._queue: list[tuple[Finish, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def write(self, done: Finish) -> None:
        loop = asyncio.get_running_loop()
        written: asyncio.Future[None] = loop.create_future()
        self._queue.append((done, written))
        if self._writer is None:
            self._writer = loop.create_task(self._drain())
        await written

    async def _drain(self) -> None:
        try:
            while self._queue:
                group, self._queue = self._queue, []
                try:
                    kept = await self.store.run(claims.finish, [d for d, _ in group])
                    self.lost += len(group) - kept
                    results: list[BaseException | None] = [None] * len(group)
                except Exception:  # one bad outcome must not fail the others: write each alone
                    log.warning("writing a group of outcomes failed; writing them one by one")
                    results = [await self._alone(done) for done, _ in group]
                for (_, written), result in zip(group, results, strict=True):
                    if written.done():
                        continue
                    if result is None:
                        written.set_result(None)
                    else:
                        written.set_exception(result)
        finally:
            self._writer = None

    async def _alone(self, done: Finish) -> BaseException | None:
        try:
            self.lost += 1 - await self.store.run(claims.finish, [done])
        except Exception as exc:
            return exc
        return None
