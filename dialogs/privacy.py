"""What the bot keeps, and deleting all of it (after a confirmation)."""

from __future__ import annotations

import json

from bot.effects import ForgetUser
from bot.store import reads
from bot.types import Attachment
from dialogs.dsl import Dialog, Option, Turn, end, pick


async def _forget(turn: Turn) -> None:
    turn.write(ForgetUser())


async def _export(turn: Turn) -> None:
    rows = await turn.read(reads.everything)
    data = json.dumps(rows, default=str, ensure_ascii=False, indent=2).encode()
    turn.attach(Attachment("my-coach-data.json", data, "application/json"))


PRIVACY = Dialog.of(
    "privacy",
    "privacy.title",
    pick(
        "overview",
        "privacy.overview",
        Option("export", "privacy.export_button", to="exported"),
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
    end("exported", "privacy.exported", on_enter=_export),
    end("deleted", "privacy.deleted", on_enter=_forget),
    end("kept", "privacy.kept"),
    in_menu=False,
)
