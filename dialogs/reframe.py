"""Signature flow: turn "Why me?" into "What can I do about this?"."""

from __future__ import annotations

from bot.effects import Journal
from dialogs.dsl import Dialog, Option, Turn, ask, end, pick


async def _close(turn: Turn) -> None:
    # The reframed sentence is built from the user's own words, and kept.
    sentence = f"{turn.data.get('situation', '')} -> {turn.data.get('action', '')}"
    turn.write(Journal("reframe", "reframed", sentence))


REFRAME = Dialog.of(
    "reframe",
    "reframe.title",
    ask("situation", "reframe.situation", save="situation", then="outside", start=True),
    ask("outside", "reframe.outside", save="outside", then="inside"),
    ask("inside", "reframe.inside", save="inside", then="action"),
    ask("action", "reframe.action", save="action", then="commit"),
    pick(
        "commit",
        "reframe.commit",
        Option("yes", "reframe.commit_yes", to="close"),
        Option("smaller", "reframe.commit_smaller", to="smaller"),
    ),
    ask("smaller", "reframe.smaller", save="action", then="commit"),
    end("close", "reframe.close", on_enter=_close),
)
