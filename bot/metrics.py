"""Prometheus metrics for one process, on its own registry (never the global default one, so
two apps in one test process never share counters).

Counts only: no user words, no platform ids, no conversation hashes as labels.

Fed by:
- `Metrics.observe`: an engine observer, called with a `TurnReport` after every turn;
- `Metrics.rate_limited(platform)`: an adapter saw a 429 from its platform;
- `Metrics.nudge(outcome)` and `Metrics.nudges_pending(...)`: the nudge sweep (see below).
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from bot.report import TurnReport

# Turns are a few milliseconds on SQLite; seconds mean a database or lock problem.
TURN_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
NO_FLOW = "none"  # label for a turn that left the user between flows

CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        ProcessCollector(registry=r)  # memory, CPU, open files of this process
        PlatformCollector(registry=r)  # the Python version
        self.turns = Counter(
            "coach_turns",
            "Turns handled, by platform, the flow the turn left the user in, and outcome "
            "(saved, duplicate, busy, failed, flooded)",
            ("platform", "flow", "outcome"),
            registry=r,
        )
        self.turn_seconds = Histogram(
            "coach_turn_seconds",
            "Time to handle one turn (lock, load, step, commit), by platform",
            ("platform",),
            buckets=TURN_BUCKETS,
            registry=r,
        )
        self.crisis = Counter(
            "coach_crisis_events",
            "Messages answered with the safety flow",
            ("platform",),
            registry=r,
        )
        self.rate_limits = Counter(
            "coach_platform_rate_limited",
            "429 answers (rate limited) seen from a platform's API",
            ("platform",),
            registry=r,
        )
        self.nudges = Counter(
            "coach_nudges", "Scheduled nudges by outcome", ("outcome",), registry=r
        )
        self.pending = Gauge(
            "coach_nudges_pending", "Nudges due and not yet sent or given up", registry=r
        )
        for outcome in ("sent", "failed"):  # present (at 0) before the first sweep
            self.nudges.labels(outcome)

    # --- turns (an engine observer) -------------------------------------------------------

    def observe(self, report: TurnReport) -> None:
        self.turns.labels(report.platform, report.flow or NO_FLOW, report.outcome).inc()
        self.turn_seconds.labels(report.platform).observe(report.seconds)
        if report.crisis:
            self.crisis.labels(report.platform).inc()

    # --- platforms ------------------------------------------------------------------------

    def rate_limited(self, platform: str) -> None:
        self.rate_limits.labels(platform).inc()

    # --- nudges: for the scheduler to call -------------------------------------------------

    def nudge(self, outcome: str, count: int = 1) -> None:
        """Count nudges that reached an outcome: "sent", "failed" (given up), "retry" (will be
        tried again), "unreachable" (the user blocked the bot), "skipped"."""
        self.nudges.labels(outcome).inc(count)

    def nudges_pending(self, value: float | Callable[[], float]) -> None:
        """Set the pending gauge: a number (set after each sweep), or a callable read at each
        scrape (it must be quick and must not touch the database: return a cached count)."""
        if callable(value):
            self.pending.set_function(value)
        else:
            self.pending.set(value)

    # --- exposition -----------------------------------------------------------------------

    def render(self) -> bytes:
        return generate_latest(self.registry)
