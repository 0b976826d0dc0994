"""The terminal chat shows the nudges that fell due since it last ran, as a real subprocess."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import update

from bot.store import Store
from bot.store.schema import nudge_subscriptions
from tests.test_console import coach


async def _make_due(url: str) -> None:
    now = datetime.now(UTC)
    store = await Store.open(url)
    due = update(nudge_subscriptions).values(
        next_due_at=now - timedelta(minutes=5), next_kind="nudge", next_on=now.date()
    )
    await store.run(lambda conn: conn.execute(due))
    await store.close()


def test_a_due_nudge_is_waiting_when_the_chat_starts(tmp_path: Path) -> None:
    out = coach(tmp_path, "/nudges", "Yes, please", "Reykjavik", "Yes", "9:00", "Done")
    assert "Atlantic/Reykjavik" in out and "every day at 09:00" in out
    asyncio.run(_make_due(f"sqlite:///{tmp_path / 'chat.db'}"))
    out = coach(tmp_path, "4")
    notice, question = out.split("\n", 2)[:2]
    assert "scheduled message from your coach" in notice
    assert "1 to 5" in question and "Snooze 1 h" in out
    assert "add a line" in out or "Anything behind" in out  # "4" answered the nudge
    assert "scheduled message" not in coach(tmp_path)  # delivered once
