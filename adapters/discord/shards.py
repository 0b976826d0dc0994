"""Discord sharding, so the gateway connections of a large bot can be split over processes.

Discord requires a bot in 2,500 servers or more to shard: each shard is one gateway connection
serving the servers whose `(guild_id >> 22) % shard_count` is its id. Settings:

- `DISCORD_SHARD_COUNT`: the total number of shards over all processes, or `auto` (one
  process runs all the shards Discord recommends). Unset: no sharding (one connection).
- `DISCORD_SHARD_IDS`: comma-separated shard ids this process runs, e.g. `0,1` in one process
  and `2,3` in another with `DISCORD_SHARD_COUNT=4`. Unset: all of them.

Direct messages always arrive on shard 0: the process that runs shard 0 serves every DM.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.config import SettingsError


class ShardSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", env_ignore_empty=True)

    discord_shard_count: str | None = Field(
        None, description="Total shards over all processes, or `auto` (Discord's advice)"
    )
    discord_shard_ids: Annotated[tuple[int, ...], NoDecode] = Field(
        (), description="Comma-separated shard ids run by this process; empty: all"
    )

    @field_validator("discord_shard_count", mode="before")
    @classmethod
    def _count(cls, value: object) -> object:
        if isinstance(value, int):
            value = str(value)
        if isinstance(value, str):
            value = value.strip().lower()
            if value != "auto" and not (value.isdigit() and int(value) >= 1):
                raise ValueError("use a number of shards (1 or more) or `auto`")
        return value

    @field_validator("discord_shard_ids", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            if not all(p.isdigit() for p in parts):
                raise ValueError("use shard ids separated by commas, e.g. 0,1")
            return tuple(int(p) for p in parts)
        if isinstance(value, int):
            return (value,)
        return value

    @model_validator(mode="after")
    def _ids_fit(self) -> ShardSettings:
        if self.discord_shard_ids:
            if self.count is None:
                raise ValueError("DISCORD_SHARD_IDS needs DISCORD_SHARD_COUNT (a number)")
            wrong = [i for i in self.discord_shard_ids if i >= self.count]
            if wrong:
                raise ValueError(f"shard ids {wrong} are not below DISCORD_SHARD_COUNT")
        return self

    @property
    def count(self) -> int | None:
        value = self.discord_shard_count
        return int(value) if value and value != "auto" else None

    @property
    def sharded(self) -> bool:
        return self.discord_shard_count is not None


def load_shard_settings(**overrides: object) -> ShardSettings:
    """Settings from the environment; a bad value raises SettingsError naming the variable."""
    try:
        return ShardSettings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            message = str(err["msg"]).removeprefix("Value error, ")
            if err["loc"]:
                message = f"{str(err['loc'][0]).upper()}: {message}"
            lines.append(message)
        raise SettingsError("Invalid setting " + "; ".join(lines)) from None


def shard_options(settings: ShardSettings | None = None) -> dict[str, Any] | None:
    """Keyword arguments for `discord.AutoShardedClient`, or None when not sharding."""
    settings = settings or load_shard_settings()
    if not settings.sharded:
        return None
    options: dict[str, Any] = {"shard_count": settings.count}
    if settings.discord_shard_ids:
        options["shard_ids"] = list(settings.discord_shard_ids)
    return options


def describe(settings: ShardSettings | None = None) -> str:
    options = shard_options(settings)
    if options is None:
        return "unsharded"
    if options["shard_count"] is None:
        return "all shards (count from Discord)"
    ids = options.get("shard_ids") or range(options["shard_count"])
    return f"shards {','.join(map(str, ids))} of {options['shard_count']}"
