"""What the user typed: cleaned and bounded, matched to an option, or shortened to quote back."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dialogs.dsl import Option

QUOTE_CHARS = 120  # the user's words quoted back in a prompt
# Control characters (Unicode Cc) except newline and tab, and lone surrogates (Cs).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def cleaned(raw: str, limit: int) -> tuple[str, bool]:
    """Without control characters and surrounding space, cut to `limit`; and whether it was."""
    text = _CONTROL.sub("", raw).strip()
    if len(text) > limit:
        return text[:limit].rstrip(), True
    return text, False


def chosen(text: str, options: list[Option], labels: list[str]) -> Option | None:
    """A typed answer that names an option ("done", "Yes", or "4" for "4 🙂") counts as a press.
    A label's first word counts only when no other option starts with it."""
    wanted = text.casefold().strip(" .!")
    firsts = [label.casefold().split(" ")[0].strip(",.!?") for label in labels]
    for option, label, first in zip(options, labels, firsts, strict=True):
        if wanted in (option.id, label.casefold()) or (
            wanted == first and firsts.count(first) == 1
        ):
            return option
    return None


def quoted(text: str, limit: int = QUOTE_CHARS) -> str:
    """Short enough to quote back: one line, cut with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
