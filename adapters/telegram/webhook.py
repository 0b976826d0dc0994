"""Our own webhook server (aiohttp), safe to run in several processes behind a load balancer.

PTB's built-in webhook server answers 200 as soon as an update is queued and compares the
secret with `!=`. This one:
1. checks `X-Telegram-Bot-Api-Secret-Token` in constant time (hmac.compare_digest): 403 if wrong;
2. parses the update (`Update.de_json`) and runs it through the Application's handlers, which
   commit the turn (and send the replies) before returning;
3. only then answers 200.

A crash or kill before step 3 leaves the update unacknowledged, so Telegram delivers it again
(to any worker); the engine has recorded the update id with the turn, in the same transaction,
so a redelivery of a committed turn is answered once and ignored after. On a clean stop the
server stops accepting and finishes the requests in hand.
"""

from __future__ import annotations

import hmac
import json
import logging

from aiohttp import web
from telegram import Update
from telegram.ext import Application

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1 << 20  # an update is a few KB; Telegram's largest are far below this
DRAIN_SECONDS = 20.0  # on stop: how long requests in hand may take to finish


def web_app(application: Application, path: str, secret: str) -> web.Application:
    expected = secret.encode()

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            log.warning("webhook request with a wrong or missing secret", extra={"status": 403})
            return web.Response(status=403)
        try:
            data = json.loads(await request.read())
        except (ValueError, UnicodeDecodeError):
            return web.Response(status=400, text="body is not JSON")
        if not isinstance(data, dict) or "update_id" not in data:
            return web.Response(status=400, text="not an update")
        try:
            update = Update.de_json(data, application.bot)
        except Exception as exc:  # Telegram would send it again and again: note it, let it go
            # Only the error's type: its message could quote what the user wrote.
            log.warning(
                "an update could not be parsed; skipped", extra={"error": type(exc).__name__}
            )
            return web.Response(status=200)
        # Runs the handlers to the end: the turn is committed and its replies sent. An error
        # inside a handler goes to the Application's error handler; an exception here (e.g.
        # cancelled by a hard stop) becomes a 500 and Telegram delivers the update again.
        await application.process_update(update)
        return web.Response(status=200)

    app = web.Application(client_max_size=MAX_BODY)
    app.router.add_post(path, receive)
    return app


class WebhookServer:
    def __init__(
        self, application: Application, listen: str, port: int, path: str, secret: str
    ) -> None:
        self.runner = web.AppRunner(
            web_app(application, path, secret), access_log=None, shutdown_timeout=DRAIN_SECONDS
        )
        self.listen, self.port = listen, port

    async def start(self) -> None:
        await self.runner.setup()
        try:
            await web.TCPSite(self.runner, self.listen, self.port).start()
        except OSError:
            await self.runner.cleanup()
            raise

    async def stop(self) -> None:
        """Stop listening, let the requests in hand finish (up to DRAIN_SECONDS), close."""
        await self.runner.cleanup()
