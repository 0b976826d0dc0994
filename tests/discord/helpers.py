"""Small drivers for simcord results: what the bot said, and typing an answer in the modal."""

from __future__ import annotations

from typing import Any

ANSWER = "Type your answer"


def said(result: Any) -> list[Any]:
    """A slash command's replies: the first one replaces the deferred "thinking" message."""
    return [m for m in (result.response, *result.followups) if m is not None]


def answered(result: Any) -> list[Any]:
    """Replies to a button or a modal: followups only (the response is the pressed message)."""
    return list(result.followups)


def labels(message: Any) -> list[str]:
    return [
        c["label"]
        for row in message.components
        for c in row.get("components", [])
        if c.get("type") == 2
    ]


async def type_answer(actor: Any, message: Any, text: str) -> list[Any]:
    """Press "Type your answer" under `message`, fill the modal, submit; the replies."""
    shown = await actor.click(message, label=ANSWER)
    assert shown.modal is not None, "the answer button should open a modal"
    field = shown.modal["components"][0]["components"][0]["custom_id"]
    return answered(await actor.submit_modal(shown, {field: text}))


async def answer_all(actor: Any, message: Any, *texts: str) -> Any:
    """Answer several prompts in a row through the modal; the last message the bot sent."""
    for text in texts:
        replies = await type_answer(actor, message, text)
        assert replies, f"no reply to {text!r}"
        message = replies[-1]
    return message
