"""The terminal chat as a real subprocess: piped stdin in, stdout out, history kept on disk."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from adapters.console import parse
from bot.types import Choice, ConversationKey


def coach(tmp_path: Path, *lines: str, args: tuple[str, ...] = ("run",)) -> str:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_BOT_TOKEN")}
    env |= {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}", "USER": "ada"}
    done = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input="".join(f"{line}\n" for line in lines),
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_newcomer_is_welcomed_and_can_finish_a_flow(tmp_path: Path) -> None:
    out = coach(tmp_path, "1", "Rain ruined the trip", "Weather", "Plans", "Pack a poncho", "1")
    assert "not a person and not therapy" in out
    assert "  1. Why me? → What can I do?" in out
    assert '"Pack a poncho"' in out
    assert out.rstrip().endswith("pick up where we left off.")


def test_a_second_run_resumes_where_the_first_stopped(tmp_path: Path) -> None:
    coach(tmp_path, "/steps", "Write my CV")
    out = coach(tmp_path, "Update the job list")
    assert "not a person" not in out  # no second welcome
    assert "Step 1" in out and "Write my CV" in out  # resumed straight into the question
    assert "Step 2" in out


def test_choices_can_be_typed_by_name_and_bad_numbers_are_text(tmp_path: Path) -> None:
    out = coach(tmp_path, "break a big problem into steps", "/cancel", "99", "")
    assert "What's the big thing" in out or "What feels too big" in out
    assert "stopped" in out.lower()


def test_dialogs_can_be_drawn(tmp_path: Path) -> None:
    out = coach(tmp_path, args=("dialogs", "show", "reframe"))
    assert out.startswith("stateDiagram-v2")
    assert "commit --> close: yes" in out


def test_an_invalid_setting_names_the_variable(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        env={**os.environ, "LOG_LEVEL": "LOUD"},
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 2
    assert "LOG_LEVEL" in done.stderr


def test_parse_maps_numbers_labels_and_commands() -> None:
    key = ConversationKey("console", "u", "u")
    shown = (Choice("c:reframe", "Why me?"), Choice("c:steps", "Steps"))
    assert parse("2", key, shown).value == "c:steps"
    assert parse("why me?", key, shown).value == "c:reframe"
    assert parse("/start steps", key, shown).arg == "steps"
    assert parse("3", key, shown).kind == "text"


def test_an_export_is_saved_as_a_file(tmp_path: Path) -> None:
    out = coach(tmp_path, "/privacy", "Download my data")
    saved = tmp_path / "my-coach-data.json"
    assert f"📎 Saved as {saved}" in out
    assert '"external_id": "ada"' in saved.read_text()


def test_a_crisis_message_in_the_terminal_gets_helplines(tmp_path: Path) -> None:
    out = coach(tmp_path, "/steps", "I have been starving myself for days to lose weight", "1")
    assert "Are you safe right now?" in out
    assert "findahelpline.com" in out or "call" in out
    assert "glad you're safe" in out
