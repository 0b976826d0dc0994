"""End to end over HTTP: what Telegram's errors do to delivery, and the token never logged."""

from __future__ import annotations

import logging

from tests.telegram.harness import ANN, TOKEN, eventually, variants


def deliveries(tg, method: str = "sendMessage") -> list[int]:
    return [c.status for c in tg.api.calls_of(method)]


async def test_429_waits_retry_after_then_delivers_once(tg, texts) -> None:
    tg.api.fail("sendMessage", 429, retry_after=1)
    (help_,) = await tg.say("/help", within=4)
    assert help_["text"] in variants(texts, "core.help")
    first, second = tg.api.calls_of("sendMessage")
    assert (first.status, second.status) == (429, 200)
    assert second.at - first.at >= 1.0, "resent only after retry_after"
    await tg.wait_for_messages(0)  # and only once


async def test_500_is_resent_with_backoff(tg, texts) -> None:
    tg.api.fail("sendMessage", 500, times=2)
    (help_,) = await tg.say("/help")
    assert help_["text"] in variants(texts, "core.help")
    assert deliveries(tg) == [500, 500, 200]
    calls = tg.api.calls_of("sendMessage")
    assert calls[2].at - calls[1].at > calls[1].at - calls[0].at, "the wait grows"


async def test_a_5xx_that_persists_gives_up_but_the_turn_is_kept(tg, texts) -> None:
    tg.api.fail("sendMessage", 502, times=10)
    await tg.user_sends("/reframe")
    await tg.api.wait_until(lambda: len(tg.api.calls_of("sendMessage")) == 4)  # 1 + 3 retries
    tg.api.faults.clear()
    (prompt,) = await tg.say("/resume")
    assert prompt["text"] in variants(texts, "reframe.situation")


async def test_403_marks_the_user_unreachable_and_stops_sending(tg) -> None:
    tg.api.fail("sendMessage", 403)
    await tg.user_sends("hello there")  # the answer would be two messages
    await tg.api.wait_until(lambda: tg.api.calls_of("sendMessage"))
    await tg.wait_for_messages(0)
    assert deliveries(tg) == [403], "no retry, no second message"
    row = tg.rows("SELECT unreachable_at FROM users WHERE external_id = ?", str(ANN.id))
    assert row and row[0][0] is not None
    assert tg.rows("SELECT COUNT(*) FROM inbound") == [(1,)], "what the user said was kept"


async def test_blocking_the_bot_marks_the_user_unreachable_at_once(tg) -> None:
    await tg.say("/start", replies=2)
    await tg.user_blocks_bot()
    await eventually(lambda: tg.rows("SELECT unreachable_at FROM users")[0][0] is not None)
    await tg.user_blocks_bot(blocked=False)  # unblocking makes them reachable again
    await eventually(lambda: tg.rows("SELECT unreachable_at FROM users")[0][0] is None)


async def test_the_token_never_appears_in_logs(api, tg, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "telegram", "tornado", "adapters"):
        caplog.set_level(logging.DEBUG, logger=name)  # whatever an earlier test configured
    await tg.restart()  # startup logs too, at DEBUG
    api.fail("sendMessage", 500)
    api.fail("getUpdates", 500)
    await tg.say("/start", replies=2)
    await tg.click("Why me")
    await tg.stop()

    records = caplog.records
    assert any("HTTP Request" in r.getMessage() for r in records), "httpx logged its URLs"
    assert any("/bot***/" in r.getMessage() for r in records)
    for record in records:
        assert TOKEN not in record.getMessage()
        assert TOKEN not in (record.exc_text or "")
    assert TOKEN not in caplog.text
    assert TOKEN.split(":")[1] not in caplog.text
