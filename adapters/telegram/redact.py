"""Keep the token out of every log record, whichever handler ends up writing it.

PTB builds `{base_url}{token}/{method}` and httpx logs that URL at INFO. A filter on the root
*handler* (bot.logs.configure) misses handlers added elsewhere (pytest's caplog, a library's
own), so the Redactor also sits on the loggers that emit such records: a logger's filters run
before any handler sees the record.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from bot.logs import Redactor

# Libraries that talk to the Bot API or serve the webhook; their child loggers are covered too.
NAMESPACES = ("httpx", "httpcore", "telegram", "tornado", "hpack", "h2", "adapters")
KNOWN = (
    "httpx",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "tornado.access",
    "tornado.application",
    "tornado.general",
)

_redactor = Redactor()


def protect(secrets: Iterable[str]) -> Redactor:
    """Add `secrets` to the shared redactor and attach it to every relevant logger (idempotent)."""
    for secret in secrets:
        if secret and secret not in _redactor.secrets:
            _redactor.secrets.append(secret)
    for logger in _loggers():
        if _redactor not in logger.filters:
            logger.addFilter(_redactor)
    return _redactor


def _loggers() -> list[logging.Logger]:
    names = set(KNOWN)
    names.update(
        name for name in list(logging.root.manager.loggerDict) if name.split(".")[0] in NAMESPACES
    )
    return [logging.getLogger(name) for name in sorted(names)]
