"""The Telegram nudge sender over real HTTP: delivered, refused for good, or to be retried."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from adapters.telegram import nudge_sender
from bot.delivery import Outcome
from bot.metrics import Metrics
from bot.types import Choice, ConversationKey, Reply
from tests.telegram.harness import ANN, TOKEN
from tests.telegram.standin import BotAPI

NUDGE = Reply("How are you today, 1 to 5?", (Choice("o:checkin.mood.m3", "3"),))


@pytest.fixture
def app(api: BotAPI, monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_BASE_URL", api.base_url)
    api.new_message(ANN.private_chat(), ANN.as_user(), text="/start")  # the chat exists
    return SimpleNamespace(metrics=Metrics())


async def test_a_nudge_arrives_with_its_buttons(api: BotAPI, app) -> None:
    key = ConversationKey("telegram", str(ANN.id), str(ANN.id))
    async with nudge_sender(app) as sender:
        assert await sender.send(key, [NUDGE]) is Outcome.SENT
    (sent,) = api.sent
    assert sent["text"] == NUDGE.text
    assert sent["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "o:checkin.mood.m3"


@pytest.mark.parametrize(("status", "outcome"), [(403, Outcome.UNREACHABLE), (500, Outcome.RETRY)])
async def test_failures_map_to_what_the_sweep_does_next(api: BotAPI, app, status, outcome) -> None:
    api.fail("sendMessage", status, times=10)
    key = ConversationKey("telegram", str(ANN.id), str(ANN.id))
    async with nudge_sender(app) as sender:
        assert await sender.send(key, [NUDGE]) is outcome
    assert api.sent == []
