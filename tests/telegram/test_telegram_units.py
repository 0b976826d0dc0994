"""The adapter's pure parts: settings, rendering and command parsing."""

from __future__ import annotations

import pytest

from adapters.telegram import load_telegram_settings
from adapters.telegram.app import commands
from adapters.telegram.render import keyboard, render, split, units
from adapters.telegram.translate import command_of
from bot.config import SettingsError
from bot.types import Choice, Reply

TOKEN = "123456789:AAH-unit_test_token_abcdefghijklmnop"


def test_settings_defaults_to_polling_against_telegram(monkeypatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    settings = load_telegram_settings(_env_file=None)
    assert settings.mode == "polling"
    assert settings.base_url == "https://api.telegram.org/bot"
    assert settings.token == TOKEN
    assert TOKEN not in repr(settings)


def test_webhook_settings_take_the_path_from_the_url(monkeypatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_MODE", "Webhook")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_URL", "https://coach.example.org/tg/hook")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "abc_DEF-123")
    settings = load_telegram_settings(_env_file=None)
    assert settings.mode == "webhook" and settings.listen_path == "/tg/hook"
    assert settings.webhook_listen == "0.0.0.0"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({}, "TELEGRAM_BOT_TOKEN"),
        ({"TELEGRAM_BOT_TOKEN": "not a token"}, "TELEGRAM_BOT_TOKEN"),
        ({"TELEGRAM_MODE": "carrier-pigeon"}, "TELEGRAM_MODE"),
        ({"TELEGRAM_BASE_URL": "api.telegram.org"}, "TELEGRAM_BASE_URL"),
        ({"TELEGRAM_WEBHOOK_PORT": "99999"}, "TELEGRAM_WEBHOOK_PORT"),
        ({"TELEGRAM_WEBHOOK_SECRET": "has spaces"}, "TELEGRAM_WEBHOOK_SECRET"),
        ({"TELEGRAM_MODE": "webhook"}, "TELEGRAM_WEBHOOK_URL"),
        (
            {"TELEGRAM_MODE": "webhook", "TELEGRAM_WEBHOOK_URL": "https://x.org/hook"},
            "TELEGRAM_WEBHOOK_SECRET",
        ),
    ],
)
def test_a_bad_setting_names_its_variable(monkeypatch, env, named) -> None:
    if "TELEGRAM_BOT_TOKEN" not in env and env:
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=named) as caught:
        load_telegram_settings(_env_file=None)
    assert "not a token" not in str(caught.value), "a bad token is never echoed"


def test_text_is_escaped_and_buttons_go_under_the_last_part() -> None:
    long = ("word " * 1000).strip()  # 4,999 characters
    out = render([Reply(long + " <i>&", (Choice("o:x.y.z", "Go"),))])
    assert len(out) == 2 and out[0].markup is None
    assert out[1].html.endswith("&lt;i&gt;&amp;")
    assert out[1].markup.inline_keyboard[0][0].callback_data == "o:x.y.z"


def test_split_counts_utf16_units_and_prefers_breaks() -> None:
    text = "🌱" * 3000  # 6,000 units
    parts = split(text)
    assert [units(p) for p in parts] == [4096, 6000 - 4096]
    lines = "\n".join(f"line {i:04}" for i in range(1000))  # 9,999 characters
    parts = split(lines)
    assert all(units(p) <= 4096 for p in parts) and len(parts) == 3
    assert "\n".join(parts) == lines, "cut at line ends, nothing lost"
    assert split("  short  ") == ["short"]


def test_a_callback_id_over_64_bytes_is_refused() -> None:
    assert keyboard((Choice("o:" + "x" * 62, "ok"),)) is not None
    with pytest.raises(ValueError, match="64"):
        keyboard((Choice("o:" + "é" * 32, "too long"),))


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("/start", ("start", "")),
        ("/start reframe", ("start", "reframe")),
        ("/start\n  reframe ", ("start", "reframe")),
        ("/ start", None),
        ("/Steps@Coach_Test_Bot", ("steps", "")),
        ("/help@other_bot", None),
        ("hello /start", None),
        ("/", None),
    ],
)
def test_commands_are_parsed_like_telegram_clients_send_them(text, parsed) -> None:
    assert command_of(text, "coach_test_bot") == parsed


def test_every_flow_in_the_menu_gets_a_command(engine) -> None:
    names = [c.command for c in commands(engine)]
    assert names[:2] == ["start", "menu"]
    assert {d.name for d in engine.dialogs.values() if d.in_menu} <= set(names)
    assert all(1 <= len(c.description) <= 256 for c in commands(engine))
