"""Settings, the command-sync digest, and the adapter's tables."""

from __future__ import annotations

import pytest
import simcord
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import adapters.discord.tables  # noqa: F401  (declares the adapter's tables on the metadata)
from adapters.discord import DiscordSettings, create_bot, sync_commands
from adapters.discord.records import Records, Tally
from adapters.discord.sync import digest
from bot.store import Store
from bot.store.schema import metadata
from tests.conftest import make_engine

GUILD = 4242 << 22  # a snowflake


def test_guild_ids_are_comma_separated(monkeypatch) -> None:
    monkeypatch.setenv("DISCORD_GUILD_IDS", "123, 456")
    monkeypatch.setenv("DISCORD_BOT_TOKEN", "secret")
    settings = DiscordSettings(_env_file=None)
    assert settings.discord_guild_ids == (123, 456)
    assert "secret" not in repr(settings)
    monkeypatch.setenv("DISCORD_GUILD_IDS", "abc")
    with pytest.raises(ValueError, match="server ids"):
        DiscordSettings(_env_file=None)


def _diff(conn) -> list:
    return compare_metadata(MigrationContext.configure(conn), metadata)


async def test_migrations_create_the_declared_discord_tables(store) -> None:
    assert await store.run(_diff) == []


async def test_the_tally_on_postgres(pg_url) -> None:
    store = await Store.open(pg_url)
    try:
        assert await store.run(_diff) == []
        records = Records(store)
        await records.set_tally_channel("1", "2")
        await records.set_tally_channel("1", "3")  # the upsert path of each dialect
        assert await records.tally_channel("1") == "3"
        await records.save_digest("app:global", "abc")
        await records.save_digest("app:global", "def")
        assert await records.synced_digest("app:global") == "def"
        assert await records.tally("1") == Tally(0, 0, 0)
    finally:
        await store.close()


async def test_a_start_syncs_only_when_the_commands_changed(simcord_env, store, texts) -> None:
    bot = simcord_env.bot
    assert _syncs(simcord_env) == 1  # first start: nothing recorded yet
    await simcord_env.restart_bot(create_bot(make_engine(store, texts), store, bot.settings))
    assert _syncs(simcord_env) == 1

    changed = create_bot(make_engine(store, texts), store, bot.settings)
    changed.tree.remove_command("privacy")
    assert digest(changed, None) != digest(bot, None)
    await simcord_env.restart_bot(changed)
    assert _syncs(simcord_env) == 2


async def test_guild_scoped_commands_and_sync_on_demand(store, texts) -> None:
    settings = DiscordSettings(_env_file=None, discord_guild_ids=f"{GUILD}")
    bot = create_bot(make_engine(store, texts), store, settings)
    env = simcord.Env(bot)  # built by hand: the server must exist before the bot starts
    guild = env.create_guild(id=GUILD)
    other = env.create_guild("Elsewhere")
    await env.start()
    try:
        member = guild.add_member(env.create_user("alice"))
        assert "reframe" in member.available_commands(guild.create_text_channel("general"))
        stranger = other.add_member(env.create_user("bob"))
        assert "reframe" not in stranger.available_commands(other.create_text_channel("x"))

        assert await sync_commands(bot, other.id) == len(bot.tree.get_commands())
        assert "reframe" in stranger.available_commands(other.create_text_channel("y"))
    finally:
        await env.shutdown()


def _syncs(env) -> int:
    return sum(1 for r in env.http_requests if r.method == "PUT" and r.path.endswith("/commands"))
