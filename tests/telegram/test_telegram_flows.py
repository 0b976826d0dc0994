"""End to end over HTTP: coaching flows, rendering and the kinds of message Telegram delivers."""

from __future__ import annotations

import json

from tests.telegram.harness import ANN, buttons, labels, variants
from tests.telegram.standin import Person, group_chat


async def test_start_then_the_whole_reframe_flow_with_buttons_and_free_text(tg, texts) -> None:
    welcome, menu = await tg.say("/start", replies=2)
    assert welcome["text"] in variants(texts, "core.welcome")
    assert {texts.say("reframe.title"), texts.say("steps.title")} <= set(labels(menu))
    assert all(len(b["callback_data"].encode()) <= 64 for b in buttons(menu))

    (situation,) = await tg.click("Why me")
    assert situation["text"] in variants(texts, "reframe.situation")
    assert "reply_markup" not in menu, "the pressed keyboard is removed"
    assert len(tg.api.answered) == 1, "the press was answered (no endless spinner)"

    await tg.say("I lost my job")
    (inside,) = await tg.say("The economy")
    assert '"I lost my job"' in inside["text"]
    await tg.say("My CV, my network")
    (commit,) = await tg.say("Send three applications this week")
    assert labels(commit) == [texts.say("reframe.commit_yes"), texts.say("reframe.commit_smaller")]

    (close,) = await tg.click("Yes")
    assert "I lost my job" in close["text"] and "Send three applications" in close["text"]
    assert labels(close) == [texts.say("core.menu_button")]
    assert "reply_markup" not in commit

    journal = tg.rows("SELECT field, text FROM journal ORDER BY id")
    assert ("situation", "I lost my job") in journal
    assert ("reframed", "I lost my job -> Send three applications this week") in journal
    locale = tg.rows("SELECT locale FROM users WHERE external_id = ?", str(ANN.id))
    assert locale == [("en",)]


async def test_steps_flow_marks_a_step_done(tg, texts) -> None:
    await tg.say("/steps")
    await tg.say("Taxes")
    for step in ("Find receipts", "Fill the form", "Submit"):
        await tg.say(step)
    (pick,) = await tg.click("Done")
    assert labels(pick) == ["Find receipts", "Fill the form", "Submit"]
    (saved,) = await tg.click("Find receipts")
    assert "Find receipts" in saved["text"]

    (review,) = await tg.say("/steps")
    assert labels(review)[:3] == ["Find receipts", "Fill the form", "Submit"]
    celebrate, again = await tg.click("Find receipts", replies=2)
    assert celebrate["text"] in variants(texts, "steps.celebrate", step="Find receipts")
    assert "Find receipts" not in labels(again)

    done = tg.rows("SELECT text FROM steps WHERE done_at IS NOT NULL")
    assert done == [("Find receipts",)]


async def test_a_deep_link_payload_opens_that_flow(tg, texts) -> None:
    (first,) = await tg.say("/start steps")
    assert first["text"] in variants(texts, "steps.problem")


async def test_user_text_cannot_inject_formatting(tg) -> None:
    await tg.say("/reframe")
    await tg.say("<b>not bold</b> & <script>x</script>")
    (inside,) = await tg.say("The weather")
    assert "<b>not bold</b> & <script>x</script>" in inside["text"], "shown literally"
    sent = tg.api.html_of[(ANN.id, inside["message_id"])]
    assert "&lt;b&gt;not bold&lt;/b&gt; &amp; &lt;script&gt;" in sent
    assert tg.api.calls_of("sendMessage")[-1].params["parse_mode"] == "HTML"


async def test_a_reply_longer_than_4096_is_split(api, store, texts, db_url) -> None:
    from bot.texts import Texts
    from tests.conftest import make_engine
    from tests.telegram.harness import Telegram, settings_for

    paragraph = "Breathe in slowly, and notice five things you can see around you. " * 10
    long_help = "\n\n".join([paragraph.strip()] * 8)  # ~5,300 characters
    assert len(long_help) > 5000
    en = {**texts.by_locale["en"], "core.help": (long_help,)}
    long_texts = Texts({**texts.by_locale, "en": en}, "en")
    tg = Telegram(
        api,
        make_engine(store, long_texts),
        settings_for(api),
        lambda s: make_engine(s, long_texts),
        db_url,
    )
    await tg.start()
    try:
        first, second = await tg.say("/help", replies=2)
    finally:
        await tg.close()
    assert len(first["text"]) <= 4096 and len(second["text"]) <= 4096
    assert first["text"] + "\n\n" + second["text"] == long_help


async def test_a_stale_button_gets_a_short_answer(tg, texts) -> None:
    await tg.say("/reframe")
    for answer in ("Exams", "The date", "How I study"):
        await tg.say(answer)
    (commit,) = await tg.say("Study one hour a day")
    # Typing the answer instead of pressing leaves that keyboard in place...
    await tg.say(texts.say("reframe.commit_smaller"))
    assert labels(commit), "the old keyboard is still showing"
    # ...so its other button can still be pressed, now out of turn.
    stale, prompt = await tg.click("Yes", message=commit, replies=2)
    assert stale["text"] in variants(texts, "core.stale")
    assert prompt["text"] in variants(texts, "reframe.smaller")
    assert not tg.rows("SELECT 1 FROM journal WHERE field = 'reframed'")


async def test_a_double_tap_runs_the_choice_once(tg, texts) -> None:
    await tg.say("/reframe")
    for answer in ("Exams", "The date", "How I study", "Study one hour a day"):
        await tg.say(answer)
    await tg.user_clicks("Yes", times=2)  # both presses arrive before the keyboard is gone
    close, stale, menu = await tg.wait_for_messages(3)
    assert "Study one hour a day" in close["text"]
    assert stale["text"] in variants(texts, "core.stale")
    assert menu["text"] in variants(texts, "core.menu")
    assert len(tg.rows("SELECT 1 FROM journal WHERE field = 'reframed'")) == 1
    assert len(tg.api.answered) == 2, "both presses answered"


async def test_sticker_and_photo_get_a_kind_text_only_answer(tg, texts) -> None:
    await tg.say("/reframe")
    await tg.user_sends_sticker()
    (answer,) = await tg.wait_for_messages(1)
    assert answer["text"] in variants(texts, "telegram.text_only")
    await tg.user_sends_photo()
    (answer,) = await tg.wait_for_messages(1)
    assert answer["text"] in variants(texts, "telegram.text_only")
    # The flow did not move: the next text is still the answer to the first question.
    (outside,) = await tg.say("My flat flooded")
    assert outside["text"] in variants(texts, "reframe.outside")


async def test_the_words_under_a_photo_are_read(tg, texts) -> None:
    await tg.say("/reframe")
    await tg.user_sends_photo(caption="My flat flooded")
    note, outside = await tg.wait_for_messages(2)
    assert note["text"] == texts.say("telegram.caption_read")
    assert outside["text"] in variants(texts, "reframe.outside")  # the flow moved on

    await tg.user_sends_photo(caption="I don't want to be alive anymore")
    _note, care = await tg.wait_for_messages(2)
    assert care["text"].rstrip().endswith("Are you safe right now?")


async def test_groups_get_a_private_link_and_chatter_is_ignored(tg, texts) -> None:
    group = group_chat()
    bob = Person(222222, "Bob")
    await tg.user_sends("anyone up for lunch?", bob, group)
    await tg.user_sends("/start@some_other_bot", bob, group)
    await tg.user_sends("/reframe@coach_test_bot", bob, group)
    (redirect,) = await tg.wait_for_messages(1, chat_id=group["id"])
    assert redirect["text"] == texts.say("telegram.group")
    (button,) = buttons(redirect)
    assert button == {
        "text": texts.say("telegram.open_private"),
        "url": "https://t.me/coach_test_bot?start=reframe",
    }
    assert redirect["reply_to_message"]["text"] == "/reframe@coach_test_bot"

    await tg.user_sends("hey @coach_test_bot can you help me?", bob, group)
    (mentioned,) = await tg.wait_for_messages(1, chat_id=group["id"])
    assert buttons(mentioned)[0]["url"] == "https://t.me/coach_test_bot?start=menu"

    await tg.user_replies_in_group("why not?", to=redirect, user=bob)
    await tg.wait_for_messages(1, chat_id=group["id"])
    await tg.user_sends("ok see you all", bob, group)
    await tg.wait_for_messages(0, chat_id=group["id"])
    assert tg.rows("SELECT COUNT(*) FROM users") == [(0,)], "nobody is coached in a group"
    assert tg.rows("SELECT COUNT(*) FROM inbound") == [(0,)]


async def test_a_crisis_said_to_the_bot_in_a_group_gets_the_lines_there(tg, texts) -> None:
    group = group_chat()
    bob = Person(222223, "Bob", "en-GB")
    await tg.user_sends("honestly i want to kill myself lol", bob, group)  # not to the bot
    await tg.wait_for_messages(0, chat_id=group["id"])

    await tg.user_sends("@coach_test_bot I don't want to be alive anymore", bob, group)
    (care,) = await tg.wait_for_messages(1, chat_id=group["id"])
    assert "Samaritans: call 116 123" in care["text"] and "999" in care["text"]
    assert buttons(care)[0]["url"] == "https://t.me/coach_test_bot?start=safety"
    assert tg.rows("SELECT category, platform FROM safety_events") == [("suicide", "telegram")]
    assert tg.rows("SELECT COUNT(*) FROM users") == [(0,)], "nothing kept about who said it"

    # The link opens the private chat on the same care, with "Are you safe right now?".
    await tg.user_sends("/start safety", bob)
    (private,) = await tg.wait_for_messages(1, chat_id=bob.id)
    assert private["text"].rstrip().endswith("Are you safe right now?")


async def test_the_privacy_export_is_sent_as_a_document(tg, texts) -> None:
    await tg.say("/privacy")
    await tg.click("Download my data", replies=2)
    ((_chat, kind, name, data),) = tg.api.files
    assert (kind, name) == ("document", "my-coach-data.json")
    assert json.loads(data)["users"][0]["platform"] == "telegram"


async def test_a_crisis_message_gets_care_helplines_and_the_safety_question(tg, texts) -> None:
    await tg.say("/reframe")
    (care,) = await tg.say("I don't want to be alive anymore")
    assert care["text"].rstrip().endswith("Are you safe right now?")
    assert "Samaritans" in care["text"] or "findahelpline.com" in care["text"]
    assert labels(care)[:2] == [texts.say("safety.safe"), texts.say("safety.unsafe")]
    assert tg.rows("SELECT category FROM safety_events") == [("suicide",)]
