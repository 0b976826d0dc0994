"""Free text is encrypted at rest when DATA_ENCRYPTION_KEY is set, and keys rotate."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import select

from bot.store import Store
from bot.store.schema import journal
from bot.store.sealed import Sealer
from tests.conftest import Chat, column, make_engine

SECRET = "My landlord is selling the flat"


def raw(path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(path) as db:
        return db.execute(sql).fetchall()


async def write_reframe(store: Store, texts) -> None:
    chat = Chat(make_engine(store, texts))
    await chat.command("reframe")
    await chat.say(SECRET)


async def test_with_a_key_the_file_holds_no_user_words(tmp_path: Path, texts) -> None:
    path = tmp_path / "coach.db"
    store = await Store.open(f"sqlite:///{path}", Sealer([Fernet.generate_key().decode()]))
    try:
        await write_reframe(store, texts)
        assert await column(store, select(journal.c.text)) == [SECRET]  # the code sees words
    finally:
        await store.close()
    on_disk = raw(path, "SELECT text FROM journal") + raw(path, "SELECT data FROM sessions")
    assert all(value.startswith("fernet:") for (value,) in on_disk)
    assert SECRET not in path.read_bytes().decode("latin-1")


async def test_without_a_key_the_data_is_plain(tmp_path: Path, texts) -> None:
    path = tmp_path / "coach.db"
    store = await Store.open(f"sqlite:///{path}")
    try:
        await write_reframe(store, texts)
    finally:
        await store.close()
    assert raw(path, "SELECT text FROM journal") == [(SECRET,)]


def test_rotate_key_reseals_old_and_plain_values(tmp_path: Path) -> None:
    path = tmp_path / "coach.db"
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}", "USER": "ada"}

    def coach(*args: str, key: str | None, stdin: str = "") -> subprocess.CompletedProcess:
        extra = {"DATA_ENCRYPTION_KEY": key} if key else {}
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            input=stdin,
            text=True,
            capture_output=True,
            env={**env, **extra},
            cwd=tmp_path,
            timeout=60,
        )

    coach("chat", key=None, stdin="/reframe\nplain words\n")
    coach("chat", key=old, stdin=f"/reframe\n{SECRET}\n")
    assert coach("db", "rotate-key", key=f"{new},{old}").returncode == 0
    values = [v for (v,) in raw(path, "SELECT text FROM journal")]
    assert len(values) == 2 and all(v.startswith("fernet:") for v in values)
    opened = {Sealer([new]).open(v) for v in values}  # the new key alone opens everything
    assert opened == {"plain words", SECRET}

    failed = coach("chat", key=None, stdin="/resume\n")
    assert failed.returncode == 2 and "DATA_ENCRYPTION_KEY" in failed.stderr
    bad = coach("chat", key="not-a-key")
    assert bad.returncode == 2 and "DATA_ENCRYPTION_KEY" in bad.stderr
