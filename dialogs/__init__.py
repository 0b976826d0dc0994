"""The coaching flows. `catalog()` lists them in menu order."""

from __future__ import annotations

from dialogs.dsl import Dialog


def catalog() -> tuple[Dialog, ...]:
    from dialogs.checkin import CHECKIN
    from dialogs.connect import CONNECT
    from dialogs.evening import EVENING
    from dialogs.insights import MOOD, PROGRESS
    from dialogs.learn import LEARN
    from dialogs.nudges import NUDGES
    from dialogs.past import PAST
    from dialogs.perspective import PERSPECTIVE
    from dialogs.predictions import PREDICTIONS
    from dialogs.privacy import PRIVACY
    from dialogs.reframe import REFRAME
    from dialogs.safety import SAFETY
    from dialogs.selfcare import SELFCARE
    from dialogs.steps import STEPS
    from dialogs.support import SUPPORT
    from dialogs.weekly import WEEKLY

    return (
        REFRAME,
        STEPS,
        CHECKIN,
        PERSPECTIVE,
        PAST,
        CONNECT,
        SELFCARE,
        LEARN,
        SUPPORT,
        MOOD,
        PROGRESS,
        NUDGES,
        PREDICTIONS,
        EVENING,
        WEEKLY,
        PRIVACY,
        SAFETY,
    )
