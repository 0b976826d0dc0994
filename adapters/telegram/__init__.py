"""Telegram adapter (python-telegram-bot 22): translate updates to `Inbound`, render `Reply`s.

Start it with `serve(engine, store, load_telegram_settings(), stop)`; set `stop` to shut down.
"""

from adapters.telegram.app import build_application, serve
from adapters.telegram.nudges import nudge_sender
from adapters.telegram.settings import TelegramSettings, load_telegram_settings
from adapters.telegram.translate import PLATFORM

__all__ = [
    "PLATFORM",
    "TelegramSettings",
    "build_application",
    "load_telegram_settings",
    "nudge_sender",
    "serve",
]
