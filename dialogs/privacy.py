"""What the bot keeps, and deleting all of it (after a confirmation)."""

from __future__ import annotations

from bot.effects import ForgetUser
from dialogs.dsl import Dialog, Option, Turn, end, pick


async def _forget(turn: Turn) -> None:
    turn.write(ForgetUser())


PRIVACY = Dialog.of(
    "privacy",
    "privacy.title",
    pick(
        "overview",
        "privacy.overview",
        Option("delete", "privacy.delete_button", to="confirm"),
        Option("keep", "privacy.keep_button", to="kept"),
        start=True,
    ),
    pick(
        "confirm",
        "privacy.confirm",
        Option("yes", "privacy.confirm_button", to="deleted"),
        Option("no", "privacy.keep_button", to="kept"),
    ),
    end("deleted", "privacy.deleted", on_enter=_forget),
    end("kept", "privacy.kept"),
    in_menu=False,
)
