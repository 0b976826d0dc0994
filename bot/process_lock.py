"""One process at a time for a named role (e.g. "the Telegram poller of this token"), across
every process that shares the database.

- PostgreSQL: a session-level advisory lock, `pg_try_advisory_lock(NAMESPACE,
  hashtext(name))`, taken on a dedicated connection (not from the store's pool) and held for
  as long as the role runs. The connection's `application_name` names the holder, so a process
  that is refused can say who holds it (pg_locks joined to pg_stat_activity). If the holder
  dies, its connection closes and PostgreSQL releases the lock. If the connection drops while
  the holder lives, `Lease.lost` is set: the holder must stop that role (another process may
  take it over).
- SQLite: an OS file lock (`fcntl.flock`) on `<database file>.<name>.lock` next to the
  database; the holder writes who it is into the file. The kernel releases it when the process
  exits, however it exits. Like SQLite itself, this is for processes on one machine and a
  local disk (flock is unreliable on network file systems).

Several processes on one SQLite file are not a supported deployment in general; the lock only
stops the mistake that breaks most loudly (two pollers of one Telegram token).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import logging
import os
import re
import socket
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.config import SettingsError

log = logging.getLogger(__name__)

NAMESPACE = 7_142_002  # first key of our two-key advisory locks (the migration lock is 7_142_001)
WATCH_SECONDS = 10.0  # how often the holder checks that its lock connection is still alive
_SLUG = re.compile(r"[^A-Za-z0-9_.-]+")


class AlreadyRunning(SettingsError):
    """Another process holds the role: a start refused because of how processes are set up."""


def process_label(role: str) -> str:
    """Who we are, for the other process's refusal message."""
    command = " ".join(["coach", *sys.argv[1:]]) if sys.argv else "coach"
    return f"{role}: `{command}`, pid {os.getpid()} on {socket.gethostname()}"


class Lease:
    """A held role. `lost` is set if the lock may have been released while we still run."""

    def __init__(self) -> None:
        self.lost = asyncio.Event()


@contextlib.asynccontextmanager
async def exclusive(
    database_url: str, name: str, role: str, refusal: str = ""
) -> AsyncIterator[Lease]:
    """Hold `name` for the life of the block, or raise AlreadyRunning naming the holder.
    `refusal` is what to tell the operator then, with `{holder}` where the holder goes
    (by default: which process runs as `role`)."""
    url = make_url(database_url)
    refusal = refusal or f"another process already runs as {role} ({{holder}})"
    if url.get_backend_name() == "postgresql":
        async with _postgres(url.set(drivername="postgresql"), name, role, refusal) as lease:
            yield lease
    elif url.get_backend_name() == "sqlite":
        async with _file(url.database, name, role, refusal) as lease:
            yield lease
    else:  # pragma: no cover - the settings accept nothing else
        raise ValueError(f"no process lock for {url.get_backend_name()}")


# --- PostgreSQL -------------------------------------------------------------------------------

_HOLDER = """
SELECT a.application_name, a.client_addr::text AS addr, a.backend_start
FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
  AND l.classid = $1::oid AND l.objid = hashtext($2)::oid
"""


@contextlib.asynccontextmanager
async def _postgres(url: object, name: str, role: str, refusal: str) -> AsyncIterator[Lease]:
    import asyncpg

    dsn = url.render_as_string(hide_password=False)  # type: ignore[attr-defined]
    label = process_label(role)
    # application_name is cut to 63 bytes by the server: keep the useful part first.
    short = f"coach {role} pid={os.getpid()} host={socket.gethostname()}"[:63]
    conn = await asyncpg.connect(dsn, server_settings={"application_name": short})
    try:
        got = await conn.fetchval("SELECT pg_try_advisory_lock($1, hashtext($2))", NAMESPACE, name)
        if not got:
            row = await conn.fetchrow(_HOLDER, NAMESPACE, name)
            raise AlreadyRunning(refusal.format(holder=_pg_holder(row)))
        lease = Lease()
        conn.add_termination_listener(lambda _c: lease.lost.set())
        watch = asyncio.create_task(_watch(conn, lease), name=f"lock watch {name}")
        log.info("holding the %s lock", role, extra={"lock": name, "holder": label})
        try:
            yield lease
        finally:
            watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watch
            if not lease.lost.is_set():
                with contextlib.suppress(Exception):
                    await conn.execute(
                        "SELECT pg_advisory_unlock($1, hashtext($2))", NAMESPACE, name
                    )
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(conn.close(), 5)


async def _watch(conn: object, lease: Lease) -> None:
    while not lease.lost.is_set():
        await asyncio.sleep(WATCH_SECONDS)
        try:
            await asyncio.wait_for(conn.fetchval("SELECT 1"), WATCH_SECONDS)  # type: ignore[attr-defined]
        except Exception as exc:  # closed, timed out, server gone
            log.error("lost the connection holding a process lock: %s", exc)
            lease.lost.set()


def _pg_holder(row: object) -> str:
    if row is None:  # released between our try and our look
        return "a process that has just stopped; try again"
    name, addr, since = row["application_name"], row["addr"], row["backend_start"]  # type: ignore[index]
    where = f" from {addr}" if addr else ""
    when = f", since {since:%Y-%m-%d %H:%M:%S %Z}" if since else ""
    return f"{name or 'a process without a name'}{where}{when}"


# --- SQLite: a file lock next to the database ---------------------------------------------


def lock_path(database: str | None, name: str) -> Path | None:
    if not database or database == ":memory:" or database.startswith("file:"):
        return None  # a memory database cannot be shared by two processes anyway
    return Path(f"{database}.{_SLUG.sub('-', name)}.lock")


@contextlib.asynccontextmanager
async def _file(database: str | None, name: str, role: str, refusal: str) -> AsyncIterator[Lease]:
    path = lock_path(database, name)
    if path is None:
        yield Lease()
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AlreadyRunning(refusal.format(holder=_file_holder(fd))) from None
        holder = {"holder": process_label(role), "since": datetime.now(UTC).isoformat()}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(holder).encode(), 0)
        log.info("holding the %s lock", role, extra={"lock": str(path)})
        try:
            yield Lease()
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _file_holder(fd: int) -> str:
    try:
        found = json.loads(os.pread(fd, 4096, 0) or b"{}")
    except ValueError:
        found = {}
    if not found:
        return "a process that is just starting"
    since = found.get("since", "")[:19].replace("T", " ")
    return f"{found.get('holder', 'another process')}, since {since} UTC"
