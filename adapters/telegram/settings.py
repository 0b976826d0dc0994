"""Telegram settings, read from the environment and `.env` (prefix TELEGRAM_)."""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import urlparse

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.config import SettingsError
from bot.ratelimit import TELEGRAM, Limits, Rate

_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what Telegram allows for secret_token


class TelegramSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="TELEGRAM_", env_file=".env", extra="ignore", env_ignore_empty=True
    )

    bot_token: SecretStr = Field(description="Token from @BotFather, e.g. 123456:ABC-DEF...")
    base_url: str = Field(
        "https://api.telegram.org/bot",
        description="Bot API base URL as PTB takes it (ends in /bot); a local Bot API server "
        "works, e.g. http://localhost:8081/bot",
    )
    mode: Literal["polling", "webhook"] = Field(
        "polling", description="polling (one process) or webhook (behind HTTPS, many workers)"
    )
    webhook_url: str | None = Field(
        None, description="Public HTTPS URL Telegram posts updates to (webhook mode)"
    )
    webhook_listen: str = Field("0.0.0.0", description="Address the webhook server binds")
    webhook_port: int = Field(8443, ge=1, le=65535, description="Port the webhook server binds")
    webhook_path: str | None = Field(
        None, description="Path the webhook server answers on; default: the path of the URL"
    )
    webhook_secret: SecretStr | None = Field(
        None, description="Checked on every webhook request (1-256 of A-Z a-z 0-9 _ -)"
    )
    poll_timeout: int = Field(30, ge=0, le=50, description="Long-polling wait, seconds")
    send_retries: int = Field(3, ge=0, le=10, description="Resends after a 5xx or a timeout")
    send_rate: float = Field(
        30,
        gt=0,
        le=30,
        description="Messages a second this process may send (Telegram allows about 30 a "
        "second per bot in all): with N webhook workers, 30/N each",
    )
    retry_backoff: float = Field(1.0, ge=0, le=60, description="First wait before a resend, s")

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, token: SecretStr) -> SecretStr:
        if not _TOKEN.match(token.get_secret_value().strip()):
            # Never echo the value: it may be a real token pasted with a typo.
            raise ValueError("does not look like a token from @BotFather (123456:ABC-DEF...)")
        return SecretStr(token.get_secret_value().strip())

    @field_validator("mode", mode="before")
    @classmethod
    def _lower(cls, mode: object) -> object:
        return mode.strip().lower() if isinstance(mode, str) else mode

    @field_validator("base_url", "webhook_url")
    @classmethod
    def _http_url(cls, url: str | None) -> str | None:
        if url is not None and (urlparse(url).scheme not in ("http", "https") or "://" not in url):
            raise ValueError("must be an http(s):// URL")
        return url

    @field_validator("webhook_secret")
    @classmethod
    def _secret_shape(cls, secret: SecretStr | None) -> SecretStr | None:
        if secret is not None and not _SECRET.match(secret.get_secret_value()):
            raise ValueError("use 1-256 characters from A-Z, a-z, 0-9, _ and -")
        return secret

    @model_validator(mode="after")
    def _webhook_complete(self) -> TelegramSettings:
        if self.mode != "webhook":
            return self
        if not self.webhook_url:
            raise ValueError("TELEGRAM_WEBHOOK_URL is required when TELEGRAM_MODE=webhook")
        if self.webhook_secret is None:
            # Without it anyone who finds the URL can post fake updates as any user.
            raise ValueError("TELEGRAM_WEBHOOK_SECRET is required when TELEGRAM_MODE=webhook")
        return self

    @property
    def token(self) -> str:
        return self.bot_token.get_secret_value()

    @property
    def listen_path(self) -> str:
        path = self.webhook_path or urlparse(self.webhook_url or "").path or "/telegram"
        return path if path.startswith("/") else "/" + path

    @property
    def limits(self) -> Limits:
        """The pace of this process's messages, replies and nudges together."""
        return Limits(Rate(self.send_rate), TELEGRAM.per_chat, TELEGRAM.per_group)

    def secrets(self) -> list[str]:
        """Values that must never reach a log line."""
        found = [self.token]
        if self.webhook_secret is not None:
            found.append(self.webhook_secret.get_secret_value())
        return found


def load_telegram_settings(**overrides: object) -> TelegramSettings:
    """Settings from the environment; a bad value raises SettingsError naming the variable."""
    try:
        return TelegramSettings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            message = str(err["msg"]).removeprefix("Value error, ")
            if err["loc"]:
                message = f"TELEGRAM_{str(err['loc'][0]).upper()}: {message}"
            lines.append(message)
        raise SettingsError("Invalid setting " + "; ".join(lines)) from None
