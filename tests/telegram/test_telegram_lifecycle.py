"""End to end over HTTP: start-up, restart, shutdown and webhook mode."""

from __future__ import annotations

import asyncio
import json
import socket

import aiohttp
import pytest

from tests.conftest import make_engine
from tests.telegram.harness import ANN, Telegram, settings_for, variants

SECRET = "s3cret-Token_for_the_hook"


async def test_commands_are_registered_for_private_chats(tg, texts) -> None:
    commands = tg.api.commands[("all_private_chats", "")]
    names = [c["command"] for c in commands]
    assert names[:2] == ["start", "menu"]
    assert {"reframe", "steps", "help", "cancel", "privacy"} <= set(names)
    flows = [d.name for d in tg.engine.dialogs.values() if d.in_menu]
    assert [n for n in names if n in flows] == flows, "every flow, in menu order"
    assert all(c["description"] for c in commands)
    assert json.loads(tg.api.calls_of("setMyCommands")[0].params["scope"]) == {
        "type": "all_private_chats"
    }


async def test_a_failed_command_registration_is_not_fatal(api, engine, texts, db_url) -> None:
    api.fail("setMyCommands", 500)
    tg = Telegram(api, engine, settings_for(api), lambda s: make_engine(s, texts), db_url)
    await tg.start()
    try:
        await tg.say("/start", replies=2)
    finally:
        await tg.close()
    assert api.commands == {}


async def test_restart_mid_flow_resumes_and_nothing_sent_meanwhile_is_lost(tg, texts) -> None:
    await tg.say("/reframe")
    await tg.say("I lost my job")
    await tg.stop()
    await tg.user_sends("The economy")  # while the bot is down
    await tg.restart()
    (inside,) = await tg.wait_for_messages(1)
    assert inside["text"] in variants(texts, "reframe.inside", situation="I lost my job")
    for call in tg.api.calls_of("deleteWebhook"):
        assert call.params.get("drop_pending_updates") in (None, "False", "false")
    assert tg.rows("SELECT COUNT(*) FROM inbound") == [(3,)]


async def test_a_redelivered_update_is_handled_once(tg) -> None:
    sent = await tg.user_sends("/reframe")
    await tg.wait_for_messages(1)
    await tg.api.push("message", sent)  # Telegram sends the same message again
    await tg.wait_for_messages(0)
    assert tg.rows("SELECT COUNT(*) FROM inbound") == [(1,)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def post(url: str, update: dict, secret: str | None) -> int:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
    async with aiohttp.ClientSession() as http:
        for _ in range(50):  # the server starts listening just after setWebhook
            try:
                async with http.post(url, json=update, headers=headers) as response:
                    return response.status
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.02)
    raise AssertionError("webhook server never listened")


async def test_webhook_accepts_the_secret_and_rejects_anything_else(
    api, engine, texts, db_url
) -> None:
    port = free_port()
    settings = settings_for(
        api,
        mode="webhook",
        webhook_url="https://coach.example.org/tg/hook",
        webhook_listen="127.0.0.1",
        webhook_port=port,
        webhook_secret=SECRET,
    )
    tg = Telegram(api, engine, settings, lambda s: make_engine(s, texts), db_url)
    await tg.start()
    try:
        hook = api.webhook
        assert hook["url"] == "https://coach.example.org/tg/hook"
        assert hook["secret_token"] == SECRET
        assert hook.get("drop_pending_updates") in (None, "False", "false")

        message = api.new_message(ANN.private_chat(), ANN.as_user(), text="/start")
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": 6}]
        url = f"http://127.0.0.1:{port}/tg/hook"
        assert await post(url, {"update_id": 1, "message": message}, "wrong") == 403
        assert await post(url, {"update_id": 1, "message": message}, None) == 403
        await tg.wait_for_messages(0)
        assert tg.rows("SELECT COUNT(*) FROM inbound") == [(0,)], "no turn was handled"

        assert await post(url, {"update_id": 1, "message": message}, SECRET) == 200
        welcome, _menu = await tg.wait_for_messages(2)
        assert welcome["text"] in variants(texts, "core.welcome")
    finally:
        await tg.close()


async def test_a_rejected_token_is_a_clear_error_that_does_not_quote_it(api, engine) -> None:
    from adapters.telegram import serve
    from bot.config import SettingsError

    wrong = "987654321:AAWrongTokenWrongTokenWrongToken00"
    with pytest.raises(SettingsError, match="TELEGRAM_BOT_TOKEN") as caught:
        await serve(engine, engine.store, settings_for(api, bot_token=wrong), asyncio.Event())
    assert wrong not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
