"""Discord settings, read from the environment and `.env` like the core settings."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class DiscordSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    discord_bot_token: SecretStr | None = Field(
        None, description="Bot token from the Discord developer portal (Bot tab)"
    )
    # NoDecode: a comma-separated list, not the JSON pydantic-settings expects for lists.
    discord_guild_ids: Annotated[tuple[int, ...], NoDecode] = Field(
        (),
        description="Comma-separated server ids: commands are registered there only and show "
        "up at once (for trying the bot out). Empty: global commands, usable in DMs too.",
    )

    @field_validator("discord_guild_ids", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            if not all(p.isdigit() for p in parts):
                raise ValueError("use server ids separated by commas, e.g. 123,456")
            return tuple(int(p) for p in parts)
        if isinstance(value, int):
            return (value,)
        return value
