"""Scheduler settings, read from the environment and `.env` (prefix NUDGE_)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.config import SettingsError
from bot.scheduler.sweep import SweepConfig


class SchedulerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NUDGE_", env_file=".env", extra="ignore")

    sweep_seconds: float = Field(15, gt=0, le=600, description="How often due nudges are swept")
    batch: int = Field(500, ge=1, le=10_000, description="Subscriptions claimed at a time")
    concurrency: int = Field(64, ge=1, le=1000, description="Turns and sends in flight")
    lease_seconds: float = Field(
        300, gt=0, description="A claimed row is another worker's after this (if not finished)"
    )
    max_late_minutes: float = Field(120, gt=0, description="Older due slots are skipped")
    retry_seconds: float = Field(60, gt=0, description="First wait before resending")
    max_attempts: int = Field(5, ge=1, le=50, description="Sends tried before giving up")
    fatigue_after: int = Field(3, ge=1, le=30, description="Unanswered nudges before asking")
    keep_days: int = Field(30, ge=2, description="Days the delivery ledger is kept")

    def sweep_config(self) -> SweepConfig:
        return SweepConfig(
            batch=self.batch,
            concurrency=self.concurrency,
            lease=timedelta(seconds=self.lease_seconds),
            max_late=timedelta(minutes=self.max_late_minutes),
            retry_after=timedelta(seconds=self.retry_seconds),
            max_attempts=self.max_attempts,
            fatigue_after=self.fatigue_after,
        )


def load_scheduler_settings() -> SchedulerSettings:
    try:
        return SchedulerSettings()
    except ValidationError as exc:
        names = [f"NUDGE_{str(e['loc'][0]).upper()}: {e['msg']}" for e in exc.errors()]
        raise SettingsError("Invalid setting " + "; ".join(names)) from None
