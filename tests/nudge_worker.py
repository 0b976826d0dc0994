"""A nudge worker process for the multi-process tests: `coach run --worker` with a sender
that appends one line per delivered message to a file ("<pid> <user>"), so the test can count
what really went out, across processes and kills.

    python -m tests.nudge_worker DATABASE_URL OUT_FILE

Scheduler settings come from NUDGE_* environment variables, as for `coach run --worker`."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys

from bot.app import running
from bot.config import load_settings
from bot.delivery import Outcome
from bot.scheduler.settings import SchedulerSettings
from bot.scheduler.worker import serve
from bot.types import ConversationKey, Reply

PLATFORM = "test"


class FileSender:
    """One O_APPEND write per delivery: whole lines, even with several writers."""

    platform = PLATFORM

    def __init__(self, path: str) -> None:
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._pid = os.getpid()

    async def send(self, key: ConversationKey, replies: list[Reply]) -> Outcome:
        await asyncio.sleep(0.002)  # a platform round trip
        os.write(self._fd, f"{self._pid} {key.user_id}\n".encode())
        return Outcome.SENT


async def main(url: str, out: str) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with running(load_settings(database_url=url)) as app:
        await serve(app, [FileSender(out)], SchedulerSettings(), stop)


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)  # tracebacks on stderr, for the test to show
    asyncio.run(main(sys.argv[1], sys.argv[2]))
