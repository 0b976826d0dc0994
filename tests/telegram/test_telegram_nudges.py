"""The Telegram nudge sender over real HTTP: delivered, refused for good, or to be retried."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from adapters.telegram import nudge_sender
from bot.delivery import Outcome
from bot.metrics import Metrics
from bot.ratelimit import Pacers
from bot.types import Choice, ConversationKey, Reply
from tests.conftest import make_engine
from tests.telegram.harness import ANN, TOKEN, Telegram, settings_for
from tests.telegram.standin import BotAPI, Person

NUDGE = Reply("How are you today, 1 to 5?", (Choice("o:checkin.mood.m3", "3"),))


@pytest.fixture
def app(api: BotAPI, monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_BASE_URL", api.base_url)
    api.new_message(ANN.private_chat(), ANN.as_user(), text="/start")  # the chat exists
    return SimpleNamespace(metrics=Metrics(), pacers=Pacers())


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


async def test_replies_and_nudges_keep_to_one_pace_together(
    api: BotAPI, app, engine, texts, db_url
) -> None:
    """`coach run` gives the adapter and the nudge sender one limiter: at 2 messages a second,
    a reply and three nudges going out at once still make at most 2 in any second."""
    settings = settings_for(api, send_rate=2)
    bot = Telegram(
        api,
        engine,
        settings,
        lambda store: make_engine(store, texts),
        db_url,
        limiter=app.pacers.get("telegram", settings.limits),
    )
    people = [Person(7000 + n, f"P{n}", "en") for n in range(3)]
    for person in people:  # their chats exist
        api.new_message(person.private_chat(), person.as_user(), text="/start")
    await bot.start()
    try:
        keys = [ConversationKey("telegram", str(p.id), str(p.id)) for p in people]
        async with nudge_sender(app) as sender:
            replies = asyncio.create_task(bot.user_sends("/checkin"))
            await asyncio.gather(*(sender.send(key, [NUDGE]) for key in keys))
            await replies
            await api.wait_until(lambda: len(api.sent) >= 4, 10)
    finally:
        await bot.close()
    times = sorted(call.at for call in api.calls_of("sendMessage"))
    assert len(times) == 4
    # Any three consecutive messages span at least a second (minus the HTTP hop's jitter).
    assert all(later - first > 0.9 for first, later in zip(times, times[2:], strict=False))
