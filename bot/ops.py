"""The operator's HTTP port (OPS_PORT): liveness, readiness and Prometheus metrics.

- `GET /healthz`: 200 while the process's event loop answers (liveness: restart me if not).
- `GET /readyz`: 200 when the database answers a trivial query and every service of this
  process reports ready (Telegram polling or its webhook listening, Discord started, nudge
  sweep running); 503 otherwise. The body is JSON naming each check.
- `GET /metrics`: Prometheus text format from this process's own registry (bot.metrics).

Nothing here shows a user's words or ids.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.config import SettingsError
from bot.metrics import CONTENT_TYPE, Metrics

log = logging.getLogger(__name__)

Probe = Callable[[], Awaitable[object]]
PROBE_SECONDS = 2.0  # a database slower than this to answer SELECT 1 is not ready


class Readiness:
    """Named services flip their flag; named probes (the database) run at each request."""

    def __init__(self) -> None:
        self._services: dict[str, bool] = {}
        self._probes: dict[str, Probe] = {}

    def expect(self, name: str) -> Callable[[bool], None]:
        """Register a service, not ready yet; returns the setter it calls as it comes and goes."""
        self._services[name] = False

        def set_ready(ready: bool) -> None:
            self._services[name] = ready

        return set_ready

    def probe(self, name: str, check: Probe) -> None:
        self._probes[name] = check

    async def report(self) -> tuple[bool, dict[str, str]]:
        checks: dict[str, str] = {}
        names = list(self._probes)
        results = await asyncio.gather(
            *(asyncio.wait_for(self._probes[n](), PROBE_SECONDS) for n in names),
            return_exceptions=True,
        )
        for name, result in zip(names, results, strict=True):
            if isinstance(result, BaseException):
                checks[name] = f"failing: {type(result).__name__}"
            else:
                checks[name] = "ok"
        for name, ready in self._services.items():
            checks[name] = "ok" if ready else "not ready"
        return all(v == "ok" for v in checks.values()), checks


def web_app(metrics: Metrics, readiness: Readiness) -> web.Application:
    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(_request: web.Request) -> web.Response:
        ready, checks = await readiness.report()
        body = {"status": "ready" if ready else "not ready", "checks": checks}
        return web.Response(
            text=json.dumps(body), status=200 if ready else 503, content_type="application/json"
        )

    async def metrics_page(_request: web.Request) -> web.Response:
        response = web.Response(body=metrics.render())
        response.headers["Content-Type"] = CONTENT_TYPE
        return response

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_page)
    return app


async def serve(
    metrics: Metrics, readiness: Readiness, host: str, port: int, stop: asyncio.Event
) -> None:
    """Serve the ops port until `stop` is set."""
    runner = web.AppRunner(web_app(metrics, readiness), access_log=None, shutdown_timeout=1)
    await runner.setup()
    try:
        try:
            await web.TCPSite(runner, host, port).start()
        except OSError as exc:
            raise SettingsError(
                f"Invalid setting OPS_PORT: cannot listen on {host}:{port} ({exc.strerror})"
            ) from None
        log.info("ops port listening", extra={"host": host, "port": port})
        await stop.wait()
    finally:
        with contextlib.suppress(Exception):
            await runner.cleanup()
