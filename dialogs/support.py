"""Professional support: when self-help is not enough, what therapy is, and how to find it."""

from __future__ import annotations

from dialogs.dsl import Dialog, Option, end, pick


def _more(then: str) -> tuple[Option, ...]:
    return (Option("more", "support.more", to=then), Option("enough", "support.enough", to="close"))


SUPPORT = Dialog.of(
    "support",
    "support.title",
    pick("when", "support.when", *_more("therapy"), start=True),
    pick("therapy", "support.therapy", *_more("online")),
    pick("online", "support.online", *_more("find")),
    end("find", "support.find"),
    end("close", "support.close"),
)
