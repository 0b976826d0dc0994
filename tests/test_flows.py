"""Conversation scripts for the coaching flows beyond the two signature ones."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.store.schema import goals, moods, outreach, predictions, ratings, strengths
from dialogs import catalog
from dialogs.learn import LESSONS
from dialogs.safety import CATEGORIES
from dialogs.steps import STAGES
from dialogs.strategies import STRATEGIES
from tests.conftest import Chat, column, make_engine


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def test_checkin_stores_mood_note_and_the_days_one_thing(engine) -> None:
    chat = Chat(engine)
    await chat.command("checkin")
    assert chat.buttons == ["1 😞", "2 🙁", "3 😐", "4 🙂", "5 😄"]
    await chat.click("4")
    await chat.say("Slept well for once")
    assert "one thing" in chat.text.lower() or "small step" in chat.text.lower()
    await chat.say("Call the dentist")
    assert "Call the dentist" in chat.text
    rows = await engine.store.rows(select(moods.c.mood, moods.c.note, moods.c.created_at))
    assert [(r.mood, r.note) for r in rows] == [(4, "Slept well for once")]
    assert rows[0].created_at is not None
    assert await column(engine.store, select(goals.c.text)) == ["Call the dentist"]


async def test_checkin_note_and_goal_can_be_skipped(engine) -> None:
    chat = Chat(engine)
    await chat.command("checkin")
    await chat.say("2")  # typing the number picks it
    await chat.click("Skip")
    await chat.say("skip")
    assert "check" in chat.text.lower()
    assert await column(engine.store, select(moods.c.mood)) == [2]
    assert await column(engine.store, select(goals.c.text)) == []


async def test_perspective_records_a_prediction_and_asks_on_the_day(store, texts) -> None:
    clock = Clock()
    chat = Chat(make_engine(store, texts, clock=clock))
    await chat.command("perspective")
    for answer in ("I'll fail the interview", "They laugh at me", "I get the job", "It's okay"):
        await chat.say(answer)
    assert "a month" in chat.text
    await chat.click("Probably not")
    await chat.say("My preparation")
    await chat.say("Their decision")
    assert "They laugh at me" in chat.text
    await chat.click("In a week")
    assert "In a week" in chat.text
    check_at = await column(store, select(predictions.c.check_at))
    assert len(check_at) == 1

    await chat.command("menu")  # not due yet: the menu doesn't mention it
    assert not any("A worry to check" in b for b in chat.buttons)
    clock.now += timedelta(days=8)
    await chat.command("menu")
    assert chat.buttons[0] == "A worry to check: did it happen?"
    await chat.click("A worry to check")
    assert "They laugh at me" in chat.text
    await chat.click("It didn't happen")
    assert "1 of 1 feared outcomes did not happen" in chat.text or "1 of your 1" in chat.text


async def test_predictions_shows_the_users_own_hit_rate(store, texts) -> None:
    clock = Clock()
    chat = Chat(make_engine(store, texts, clock=clock))
    for fear in ("A", "B", "C"):
        await chat.command("perspective")
        for answer in (fear, fear, "best", "likely"):
            await chat.say(answer)
        await chat.click("Probably not")
        await chat.say("x")
        await chat.say("y")
        await chat.click("Tomorrow")
    fresh = Chat(chat.engine, "u2")
    await fresh.command("predictions")
    assert "No worries recorded yet" in fresh.text
    await chat.command("predictions")
    assert "Worries waiting to be checked: 3." in chat.text
    clock.now += timedelta(days=2)
    await chat.command("predictions")
    for outcome in ("It didn't happen", "It happened", "It didn't happen"):
        await chat.click(outcome)
    assert "2 of 3" in chat.text or "2 of your 3" in chat.text
    assert await column(store, select(predictions.c.outcome)) == ["not", "happened", "not"]


async def test_past_saves_strengths_and_shows_them_back(engine) -> None:
    chat = Chat(engine)
    await chat.command("past")
    await chat.say("Losing my job in 2020")
    assert "Losing my job in 2020" in chat.text or "helped" in chat.text
    await chat.say("My sister and long walks")
    await chat.say("I ask for help")
    assert '"I ask for help"' in chat.text
    await chat.command("past")
    assert "I ask for help" in chat.text
    assert await column(engine.store, select(strengths.c.text)) == ["I ask for help"]


async def test_selfcare_rates_a_strategy_and_offers_the_best_first_next_time(engine) -> None:
    chat = Chat(engine)
    await chat.command("selfcare")
    await chat.click("Badly")
    assert "sleep" in chat.text.lower() or "eat" in chat.text.lower()
    await chat.click("A bit")
    await chat.click("A little")
    assert "Slow breathing" in chat.buttons and "A short walk" in chat.buttons
    await chat.click("A short walk")
    assert chat.buttons == [str(n) for n in range(11)]
    await chat.click("3")
    assert "five minutes" in chat.text
    await chat.click("Done")
    await chat.click("6")
    assert "3 to 6" in chat.text
    assert await engine.store.rows(
        select(ratings.c.strategy, ratings.c.before, ratings.c.after)
    ) == [("walk", 3, 6)]

    await chat.command("selfcare")
    for level in ("Well", "Yes, properly", "Yes"):
        await chat.click(level)
    assert "Last time a walk took you from 3 to 6. Try it again?" in chat.text
    assert chat.buttons[0] == "A short walk"


async def test_connect_drafts_a_message_and_asks_later_how_it_went(engine) -> None:
    chat = Chat(engine)
    await chat.command("connect")
    await chat.say("Sam")
    assert "Sam" in chat.text
    await chat.say("i've had a rough week")
    assert "Sam" in chat.text and "I've had a rough week. " in chat.text  # a sentence of it
    await chat.click("I'll send it")
    assert "Sam" in chat.text
    await chat.command("menu")
    assert chat.buttons[0].startswith("How did it go")
    await chat.command("connect")
    assert "Sam" in chat.text
    await chat.click("It went well")
    assert "lovely" in chat.text
    await chat.click("Not now")
    assert await column(engine.store, select(outreach.c.outcome)) == ["well"]


async def test_a_message_draft_never_greets_a_description_as_a_name(engine) -> None:
    for user in ("u1", "u2"):  # both wordings
        chat = Chat(engine, user)
        await chat.command("connect")
        await chat.say("my sister")
        await chat.say("I miss our walks!")
        assert "my sister" in chat.text  # who it is for, outside the message
        assert "my sister," not in chat.text and "I miss our walks! " in chat.text


async def test_learn_never_repeats_a_lesson_back_to_back(engine) -> None:
    chat = Chat(engine)
    shown = []
    for _ in range(len(LESSONS) + 2):
        await chat.command("learn")
        shown.append(chat.replies[-1].text)
    assert all(a != b for a, b in itertools.pairwise(shown))
    assert len(set(shown)) == len(LESSONS)
    await chat.click("Apply it")
    await chat.say("My neighbour")
    assert "saved" in chat.text.lower() or "journal" in chat.text.lower()


async def test_support_explains_therapy_and_the_not_therapy_notice(engine) -> None:
    chat = Chat(engine)
    await chat.command("support")
    await chat.click("Tell me more")
    assert "confidential" in chat.text
    await chat.click("Tell me more")
    assert "about equally" in chat.text
    await chat.click("Tell me more")
    assert "not therapy and not for emergencies" in chat.text


async def test_every_text_a_flow_names_exists(texts) -> None:
    fills = {"strategy": STRATEGIES, "lesson": LESSONS, "topic": CATEGORIES, "stage": STAGES}
    for dialog in catalog():
        keys = {dialog.title}
        for state in dialog.states.values():
            keys |= {o.label for o in state.options if not o.literal}
            if state.say and "{" in state.say:
                field = state.say.split("{")[1].split("}")[0]
                keys |= {state.say.format(**{field: v}) for v in fills[field]}
            elif state.say:
                keys.add(state.say)
        missing = [k for k in keys if not texts.has(k)]
        assert not missing, f"{dialog.name}: {missing}"


async def test_no_flow_sends_the_same_sentence_twice_in_a_row(engine) -> None:
    """Run each flow twice back to back; consecutive messages always differ."""
    chat = Chat(engine)
    sent: list[str] = []
    for flow in ("checkin", "learn", "support", "reframe", "perspective", "connect"):
        for _ in range(2):
            await chat.command(flow)
            sent += [r.text for r in chat.replies]
            for _ in range(8):
                if not chat.replies[-1].choices and not chat.replies[-1].expects_text:
                    break
                if chat.replies[-1].expects_text:
                    await chat.say("something I wrote")
                else:
                    await chat.click(chat.buttons[0])
                sent += [r.text for r in chat.replies]
    repeats = [a for a, b in itertools.pairwise(sent) if a == b]
    assert not repeats


def test_strategies_and_lessons_are_short_ids() -> None:
    assert all(len(s) <= 16 for s in (*STRATEGIES, *LESSONS))
    assert max(len(f"o:{d.name}.{s}.x") for d in catalog() for s in d.states) <= 64


async def test_words_where_a_button_was_expected_can_switch_to_the_flow_they_name(engine) -> None:
    chat = Chat(engine)
    await chat.command("learn")
    options = chat.buttons
    await chat.say("why does this always happen to me")
    assert chat.buttons[: len(options)] == options  # the question stands
    assert chat.buttons[-1] == "Why me? → What can I do?"
    await chat.click("Why me?")
    assert "a sentence or two" in chat.text.lower()  # the reframe flow's first question

    await chat.command("learn")
    await chat.say("hmm")  # names nothing: just the options again
    assert chat.buttons == options


async def test_words_after_a_flow_command_answer_its_first_question(engine) -> None:
    chat = Chat(engine)
    await chat.command("reframe", "My flat flooded")
    assert "can't you change" in chat.text or "out of your hands" in chat.text
    await chat.command("steps", "Move to a new city")
    assert "Step 1" in chat.text and "Move to a new city" in chat.text
    await chat.command("checkin", "4")  # names an option of the first question
    assert chat.buttons == ["Skip"]  # the mood is taken: now the line about why
    await chat.command("learn", "whatever")  # a question that takes no words: asked as usual
    assert chat.buttons and "whatever" not in chat.text


async def test_unclear_words_between_flows_get_the_menu_in_one_message(engine, texts) -> None:
    chat = Chat(engine)
    replies = await chat.say("asdfgh")
    assert len(replies) == 1
    assert replies[0].text in {v.strip() for v in texts.variants("core.idle")}
    assert "Why me? → What can I do?" in chat.buttons
