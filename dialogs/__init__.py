"""The coaching flows. `catalog()` lists them in menu order."""

from __future__ import annotations

from dialogs.dsl import Dialog


def catalog() -> tuple[Dialog, ...]:
    from dialogs.privacy import PRIVACY
    from dialogs.reframe import REFRAME
    from dialogs.steps import STEPS

    return (REFRAME, STEPS, PRIVACY)
