"""`coach run` as a real process with a Telegram token: it serves the stand-in over HTTP, stops
cleanly on SIGTERM, keeps what arrived while it was down, and never prints the token."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.telegram.harness import ANN, TOKEN
from tests.telegram.standin import BotAPI


async def start_coach(api: BotAPI, folder: Path) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DISCORD_"))}
    env |= {
        "DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'coach.db'}",
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_BASE_URL": api.base_url,
        "TELEGRAM_POLL_TIMEOUT": "1",
        "LOG_LEVEL": "DEBUG",
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=env,
        cwd=folder,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def user_sends(api: BotAPI, text: str) -> None:
    content: dict = {"text": text}
    if text.startswith("/"):
        content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
    await api.push("message", api.new_message(ANN.private_chat(), ANN.as_user(), **content))


async def replies(api: BotAPI, n: int, within: float = 20) -> list[str]:
    await api.wait_until(lambda: len(api.sent) >= n, within)
    return [m.get("text", "") for m in api.sent]


async def test_coach_run_serves_telegram_and_stops_cleanly(api: BotAPI, tmp_path: Path) -> None:
    coach = await start_coach(api, tmp_path)
    await user_sends(api, "/start")
    sent = await replies(api, 2)
    assert "not a person and not therapy" in sent[0]

    coach.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(coach.communicate(), 20)
    assert coach.returncode == 0, err.decode()[-2000:]

    await user_sends(api, "/steps")  # arrives while the bot is down
    coach = await start_coach(api, tmp_path)
    sent = await replies(api, 3)
    assert "big" in sent[2].lower()
    coach.send_signal(signal.SIGTERM)
    _, err2 = await asyncio.wait_for(coach.communicate(), 20)
    logged = (err + err2).decode()
    assert "telegram adapter running" in logged  # the logs were written, at DEBUG
    assert TOKEN not in logged and TOKEN.split(":")[1] not in logged
