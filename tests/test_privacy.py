"""/privacy tells what is kept and deletes all of it, in every table, after a confirmation."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.store.schema import metadata, steps, users
from bot.types import Inbound
from tests.conftest import Chat, one


async def rows_per_table(store) -> dict[str, int]:
    return {
        name: await one(store, select(func.count()).select_from(table))
        for name, table in metadata.tables.items()
    }


async def test_delete_needs_a_confirmation_and_removes_every_row(engine) -> None:
    chat, other = Chat(engine, "me"), Chat(engine, "other")
    await other.command("reframe")
    await other.say("Someone else's words")
    await chat.command("steps")
    for text in ("Exams", "Plan", "Revise", "Rest"):
        await chat.say(text)
    await chat.click("Done")
    await chat.click("Plan")
    before = await rows_per_table(engine.store)

    await chat.command("privacy")
    assert "journal" in chat.text
    await chat.click("Delete everything")
    assert "Are you sure" in chat.text
    await chat.click("Keep it")
    kept = await rows_per_table(engine.store)
    assert {k: kept[k] for k in ("users", "journal", "problems", "steps")} == {
        k: before[k] for k in ("users", "journal", "problems", "steps")
    }

    await chat.command("privacy")
    await chat.click("Delete everything")
    await chat.click("Yes, delete it all")
    assert "deleted" in chat.text
    after = await rows_per_table(engine.store)
    # only the other user's rows are left: their user, session, journal line and 2 updates
    left = {"users": 1, "sessions": 1, "journal": 1, "inbound": 2}
    assert after == dict.fromkeys(after, 0) | left

    await chat.command("start")  # a fresh start works
    assert "not a person" in chat.text


async def test_export_sends_every_row_of_the_user_as_json(engine) -> None:
    import json

    chat, other = Chat(engine, "me"), Chat(engine, "other")
    await other.command("reframe")
    await other.say("not mine")
    await chat.command("checkin")
    await chat.click("3")
    await chat.say("Tired but okay")
    await chat.command("privacy")
    await chat.click("Download my data")
    attachment = chat.replies[-1].attachment
    assert attachment is not None and attachment.mime == "application/json"
    exported = json.loads(attachment.data)
    assert exported["users"][0]["external_id"] == "me"
    assert [m["note"] for m in exported["moods"]] == ["Tired but okay"]
    assert "not mine" not in attachment.data.decode()
    assert set(exported) >= {"journal", "steps", "sessions", "predictions", "ratings"}


async def test_nobody_can_tick_off_or_read_another_users_steps(engine) -> None:
    alice, mallory = Chat(engine, "alice"), Chat(engine, "mallory")
    for chat, words in ((alice, ("Move", "Pack", "Van", "Keys")), (mallory, ("X", "a", "b", "c"))):
        await chat.command("steps")
        for text in words:
            await chat.say(text)
        await chat.click("Done")
        await chat.click(words[1])
    alices = await engine.store.rows(
        select(steps.c.id)
        .join(users, users.c.id == steps.c.user_id)
        .where(users.c.external_id == "alice")
    )
    await mallory.command("steps")  # mallory's review is showing: forge alice's step id
    forged = Inbound.choice(mallory.key, f"o:steps.review.s{alices[0].id}")
    mallory.replies = await engine.handle(forged)
    assert "earlier" in mallory.text.lower() or "older" in mallory.text.lower()
    assert "Pack" not in mallory.text and "Move" not in mallory.text
    open_steps = await engine.store.rows(select(steps.c.id).where(steps.c.done_at.is_(None)))
    assert {r.id for r in alices} <= {r.id for r in open_steps}
