"""Operating pieces in process: metrics, readiness and the ops port over HTTP, the process lock
(file lock on SQLite, advisory lock on PostgreSQL), Discord shard settings."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from adapters.telegram.app import SECOND_POLLER
from bot import ops
from bot.app import running
from bot.config import SettingsError, load_settings
from bot.metrics import Metrics
from bot.process_lock import AlreadyRunning, exclusive, lock_path
from bot.report import TurnReport
from bot.types import ConversationKey, Inbound
from tests.telegram.test_telegram_lifecycle import free_port


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            found[(s.name, frozenset(s.labels.items()))] = s.value
    return found


def report(**kw: object) -> TurnReport:
    values: dict = dict(
        platform="telegram", conversation="abc", flow="steps", state="step", outcome="saved"
    )
    return TurnReport(**(values | {"seconds": 0.004} | kw))  # type: ignore[arg-type]


def test_metrics_count_turns_crises_429s_and_nudges_on_their_own_registry() -> None:
    first, second = Metrics(), Metrics()
    first.observe(report())
    first.observe(report(flow=None, outcome="duplicate"))
    first.observe(report(flow="safety", crisis=True, seconds=0.2))
    first.rate_limited("telegram")
    first.nudge("sent", 3)
    first.nudge("failed")
    first.nudges_pending(lambda: 12)
    got = samples(first.render().decode())
    turns = "coach_turns_total"
    assert (
        got[
            (
                turns,
                frozenset({"platform": "telegram", "flow": "steps", "outcome": "saved"}.items()),
            )
        ]
        == 1
    )
    assert (
        got[
            (
                turns,
                frozenset({"platform": "telegram", "flow": "none", "outcome": "duplicate"}.items()),
            )
        ]
        == 1
    )
    assert got[("coach_turn_seconds_count", frozenset({("platform", "telegram")}))] == 3
    assert got[("coach_crisis_events_total", frozenset({("platform", "telegram")}))] == 1
    assert got[("coach_platform_rate_limited_total", frozenset({("platform", "telegram")}))] == 1
    assert got[("coach_nudges_total", frozenset({("outcome", "sent")}))] == 3
    assert got[("coach_nudges_total", frozenset({("outcome", "failed")}))] == 1
    assert got[("coach_nudges_pending", frozenset())] == 12
    # Nothing leaked into another instance (no global default registry).
    assert not any(k[0] == turns for k in samples(second.render().decode()))
    # Counts only: no conversation hash and no text in the exposition.
    assert "abc" not in first.render().decode()  # fmt: skip


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.text()


async def test_ops_port_answers_health_readiness_and_metrics(tmp_path: Path) -> None:
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'coach.db'}", _env_file=None)
    port = free_port()
    stop = asyncio.Event()
    async with running(settings) as app:
        set_telegram = app.readiness.expect("telegram")
        server = asyncio.create_task(ops.serve(app.metrics, app.readiness, "127.0.0.1", port, stop))
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                status, body = await get(f"{base}/healthz")
                break
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.02)
        assert (status, body) == (200, '{"status": "ok"}')

        status, body = await get(f"{base}/readyz")
        assert status == 503 and '"telegram": "not ready"' in body and '"database": "ok"' in body
        set_telegram(True)
        status, body = await get(f"{base}/readyz")
        assert status == 200, body

        key = ConversationKey("telegram", "7", "7")
        await app.engine.handle(Inbound.command(key, "steps", update_id="m:7:1"))
        status, body = await get(f"{base}/metrics")
        assert status == 200
        got = samples(body)
        labels = frozenset({"platform": "telegram", "flow": "steps", "outcome": "saved"}.items())
        assert got[("coach_turns_total", labels)] == 1

        stop.set()
        await asyncio.wait_for(server, 5)


async def test_readiness_fails_when_the_database_does_not_answer() -> None:
    readiness = ops.Readiness()

    async def broken() -> None:
        raise ConnectionRefusedError

    async def slow() -> None:
        await asyncio.sleep(10)

    readiness.probe("database", broken)
    ready, checks = await readiness.report()
    assert not ready and checks == {"database": "failing: ConnectionRefusedError"}
    readiness.probe("database", slow)
    ready, checks = await asyncio.wait_for(readiness.report(), ops.PROBE_SECONDS + 1)
    assert not ready and checks["database"].startswith("failing")


async def test_ops_port_in_use_is_a_clear_settings_error() -> None:
    port = free_port()
    blocker = await asyncio.start_server(lambda r, w: None, "127.0.0.1", port)
    try:
        with pytest.raises(SettingsError, match="OPS_PORT"):
            await ops.serve(Metrics(), ops.Readiness(), "127.0.0.1", port, asyncio.Event())
    finally:
        blocker.close()
        await blocker.wait_closed()


# --- the process lock ----------------------------------------------------------------------


async def test_file_lock_refuses_a_second_holder_and_names_the_first(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'coach.db'}"
    async with exclusive(url, "telegram-poll-abc", "telegram poller"):
        assert lock_path(str(tmp_path / "coach.db"), "telegram-poll-abc").exists()
        with pytest.raises(AlreadyRunning) as refused:
            async with exclusive(url, "telegram-poll-abc", "telegram poller", SECOND_POLLER):
                pass
        message = str(refused.value)
        assert "already polls Telegram" in message and f"pid {os.getpid()}" in message
        assert "telegram poller" in message and "--no-poll" in message
        async with exclusive(url, "telegram-poll-other-token", "telegram poller"):
            pass  # another token is another lock
    async with exclusive(url, "telegram-poll-abc", "telegram poller"):
        pass  # released


@pytest.mark.postgres
async def test_advisory_lock_refuses_a_second_holder_and_names_the_first(pg_url: str) -> None:
    async with exclusive(pg_url, "telegram-poll-abc", "telegram poller") as lease:
        with pytest.raises(AlreadyRunning) as refused:
            async with exclusive(pg_url, "telegram-poll-abc", "telegram poller"):
                pass
        assert f"pid={os.getpid()}" in str(refused.value)
        assert "coach telegram poller" in str(refused.value)
        assert not lease.lost.is_set()
    async with exclusive(pg_url, "telegram-poll-abc", "telegram poller"):
        pass  # released on exit


@pytest.mark.postgres
async def test_losing_the_lock_connection_is_noticed(pg_url: str) -> None:
    import asyncpg

    async with exclusive(pg_url, "telegram-poll-abc", "telegram poller") as lease:
        admin = await asyncpg.connect(pg_url.replace("+asyncpg", ""))
        try:
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name LIKE 'coach telegram poller%'"
            )
        finally:
            await admin.close()
        await asyncio.wait_for(lease.lost.wait(), 15)
        # The lock went with the connection: another process may take the role now.
        async with exclusive(pg_url, "telegram-poll-abc", "telegram poller"):
            pass


# --- Discord shards ------------------------------------------------------------------------


def test_discord_shard_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from adapters.discord.shards import describe, load_shard_settings, shard_options

    for name in ("DISCORD_SHARD_COUNT", "DISCORD_SHARD_IDS"):
        monkeypatch.delenv(name, raising=False)
    assert shard_options(load_shard_settings(_env_file=None)) is None
    split = load_shard_settings(_env_file=None, discord_shard_count="4", discord_shard_ids="2,3")
    assert shard_options(split) == {"shard_count": 4, "shard_ids": [2, 3]}
    assert describe(split) == "shards 2,3 of 4"
    auto = load_shard_settings(_env_file=None, discord_shard_count="auto")
    assert shard_options(auto) == {"shard_count": None}
    with pytest.raises(SettingsError, match="DISCORD_SHARD_IDS needs DISCORD_SHARD_COUNT"):
        load_shard_settings(_env_file=None, discord_shard_ids="0")
    with pytest.raises(SettingsError, match="not below"):
        load_shard_settings(_env_file=None, discord_shard_count="2", discord_shard_ids="0,2")
    with pytest.raises(SettingsError, match="DISCORD_SHARD_COUNT"):
        load_shard_settings(_env_file=None, discord_shard_count="zero")


async def test_create_bot_runs_the_configured_shards(
    monkeypatch: pytest.MonkeyPatch, engine
) -> None:
    import discord

    from adapters.discord.bot import CoachBot, ShardedCoachBot, create_bot

    monkeypatch.delenv("DISCORD_SHARD_IDS", raising=False)
    monkeypatch.delenv("DISCORD_SHARD_COUNT", raising=False)
    async with create_bot(engine, engine.store) as plain:
        assert type(plain) is CoachBot
    monkeypatch.setenv("DISCORD_SHARD_COUNT", "4")
    monkeypatch.setenv("DISCORD_SHARD_IDS", "1,3")
    async with create_bot(engine, engine.store) as sharded:  # as adapters.discord.run does
        assert isinstance(sharded, ShardedCoachBot)
        assert isinstance(sharded, discord.AutoShardedClient)
        assert sharded.shard_ids == [1, 3] and sharded.shard_count == 4
