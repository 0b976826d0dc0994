"""Sending with the platform's failure modes handled.

429 is retried by the adapter's rate limiter (app.PacedRequests waits `retry_after`). Here:
5xx and timeouts are resent with backoff, 403 marks the user unreachable, anything else is
logged and dropped. The
engine has committed the turn before we send, so a failed send never loses what the user said;
/resume shows the question again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable

from telegram import Bot, InputFile, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError

from adapters.telegram.render import Outgoing
from adapters.telegram.translate import PLATFORM
from bot.store import Store

log = logging.getLogger(__name__)


class Sender:
    def __init__(self, store: Store, retries: int, backoff: float) -> None:
        self.store = store
        self.retries = retries
        self.backoff = backoff

    async def send(
        self,
        bot: Bot,
        chat_id: int,
        messages: list[Outgoing],
        *,
        user_id: str | None = None,
        reply_to: int | None = None,
    ) -> bool:
        """Send in order; stop at the first message that cannot be delivered.

        `user_id` is marked unreachable on 403 (only meaningful in a private chat)."""
        for message in messages:
            if not await self._one(bot, chat_id, message, user_id, reply_to):
                return False
        return True

    async def _one(
        self, bot: Bot, chat_id: int, message: Outgoing, user_id: str | None, reply_to: int | None
    ) -> bool:
        delay = self.backoff
        quote = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
        for attempt in range(self.retries + 1):
            try:
                await transmit(bot, chat_id, message, quote)
                return True
            except Forbidden:
                await self._blocked(user_id)
                return False
            except BadRequest:
                log.warning("telegram refused a message", exc_info=True)
                return False
            except NetworkError as exc:  # 5xx and timeouts (TimedOut is a NetworkError)
                # A timeout may hide a delivered message: a rare duplicate beats a lost reply.
                if attempt == self.retries:
                    log.warning("giving up on a message after %d tries: %s", attempt + 1, exc)
                    return False
                log.info("resending after %s (try %d)", exc, attempt + 1)
                await asyncio.sleep(delay)
                delay *= 2
            except TelegramError:  # a 429 the rate limiter gave up on, or something new
                log.warning("could not send a message", exc_info=True)
                return False
        return False

    async def _blocked(self, user_id: str | None) -> None:
        if user_id is None:  # a group that removed the bot: nobody to mark
            log.info("telegram refused delivery to a group (403)")
            return
        log.info("user blocked the bot; marked unreachable")
        await self.store.mark_unreachable(PLATFORM, user_id)


def transmit(
    bot: Bot, chat_id: int, message: Outgoing, quote: ReplyParameters | None
) -> Awaitable[object]:
    if message.attachment is None:
        return bot.send_message(
            chat_id,
            message.html,
            parse_mode=ParseMode.HTML,
            reply_markup=message.markup,
            reply_parameters=quote,
        )
    file = InputFile(message.attachment.data, filename=message.attachment.filename)
    if message.attachment.mime.startswith("image/"):
        return bot.send_photo(chat_id, file)  # a chart shows inline
    return bot.send_document(chat_id, file)


async def quietly(action: Awaitable[object], what: str) -> None:
    """Await a cosmetic call (answer a press, remove a keyboard); its failure changes nothing."""
    try:
        await action
    except TelegramError as exc:
        log.debug("%s failed: %s", what, exc)
