"""Settings from the environment and `.env` (pydantic-settings); every field is documented."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.store.sealed import Sealer

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", validate_default=True)

    data_dir: Path = Field(DATA_DIR, description="Folder with the coaching texts")
    database_url: str = Field(
        "sqlite:///coach.db",
        description="SQLAlchemy URL: sqlite:///file.db or postgresql+asyncpg://...",
    )
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING or ERROR")
    default_locale: str = Field("en", description="Language of the coaching texts")
    default_timezone: str = Field("UTC", description="IANA zone for users who set none")
    max_input_chars: int = Field(2000, ge=100, le=20000, description="Longer messages are cut")
    journal_retention_days: int = Field(
        0, ge=0, description="Journal entries older than this are purged; 0 keeps them"
    )
    flood_limit: int = Field(
        30, ge=0, description="Messages a minute from one user before 'slow down'; 0: off"
    )
    data_encryption_key: SecretStr | None = Field(
        None,
        description="Fernet key(s), comma-separated, newest first: free text encrypted at rest",
    )
    ops_port: int = Field(
        0,
        ge=0,
        le=65535,
        description="HTTP port for /healthz, /readyz and /metrics; 0: not served",
    )
    ops_host: str = Field(
        "127.0.0.1", description="Address the ops port binds; 0.0.0.0 in a container"
    )
    telegram_bot_token: SecretStr | None = Field(None, description="Token from @BotFather")
    discord_bot_token: SecretStr | None = Field(None, description="Discord bot token")

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, url: str) -> str:
        if url.startswith(("postgres://", "postgresql://")):
            url = "postgresql+asyncpg://" + url.split("://", 1)[1]
        if not url.startswith(("sqlite:", "sqlite+", "postgresql+asyncpg://")):
            raise ValueError("use sqlite:///path.db or postgresql+asyncpg://host/db")
        return url

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, level: str) -> str:
        if level.upper() not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return level.upper()

    @field_validator("default_timezone")
    @classmethod
    def _known_zone(cls, zone: str) -> str:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{zone!r} is not an IANA time zone such as Europe/Berlin") from None
        return zone

    @field_validator("default_locale")
    @classmethod
    def _known_locale(cls, locale: str, info) -> str:
        data_dir = info.data.get("data_dir", DATA_DIR)
        if not (Path(data_dir) / "texts" / locale).is_dir():
            raise ValueError(f"no texts for {locale!r} in {data_dir}")
        return locale

    @field_validator("data_encryption_key")
    @classmethod
    def _fernet_keys(cls, key: SecretStr | None) -> SecretStr | None:
        if key is not None:
            try:
                Sealer(key.get_secret_value().split(","))
            except ValueError:
                raise ValueError(
                    "each key must be a Fernet key: python -c 'from cryptography.fernet "
                    "import Fernet; print(Fernet.generate_key().decode())'"
                ) from None
        return key

    def sealer(self) -> Sealer | None:
        key = self.data_encryption_key
        return Sealer(key.get_secret_value().split(",")) if key else None


class SettingsError(Exception):
    """Raised with a message that names the environment variable at fault."""


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = str(err["loc"][0]).upper() if err["loc"] else "settings"
            lines.append(f"{name}: {err['msg']}")
        raise SettingsError("Invalid setting " + "; ".join(lines)) from None
