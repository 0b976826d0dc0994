"""The offline crisis detector: recall and false positives on a labelled set, edge inputs,
and the context rules (whose words, quoted media, idioms, recent messages)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.safety import CATEGORIES, SAFE, Assessment, CrisisDetector, assess, detector

EVAL = Path(__file__).parent / "data" / "crisis_eval.tsv"
MIN_RECALL = 0.97
MAX_FPR = 0.05
MIN_CATEGORY_ACCURACY = 0.90


def _rows() -> list[tuple[bool, str, str]]:
    rows = []
    for line in EVAL.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            label, category, message = line.split("\t")
            rows.append((label == "1", category, message))
    return rows


def test_eval_set_is_balanced_and_covers_every_category() -> None:
    rows = _rows()
    positives = [r for r in rows if r[0]]
    assert len(rows) >= 170
    assert 0.4 <= len(positives) / len(rows) <= 0.6
    assert {c for _, c, _ in positives} == set(CATEGORIES)


def test_recall_and_false_positive_rate() -> None:
    rows = _rows()
    results = [(crisis, category, msg, assess(msg)) for crisis, category, msg in rows]
    positives = [r for r in results if r[0]]
    negatives = [r for r in results if not r[0]]
    missed = [msg for _, _, msg, a in positives if not a.crisis]
    false_alarms = [(msg, a.rule) for _, _, msg, a in negatives if a.crisis]
    wrong_category = [
        (msg, cat, a.category) for _, cat, msg, a in positives if a.crisis and a.category != cat
    ]
    recall = 1 - len(missed) / len(positives)
    fpr = len(false_alarms) / len(negatives)
    category_accuracy = 1 - len(wrong_category) / len(positives)
    print(
        f"\ncrisis eval: recall {recall:.3f} on {len(positives)} positives, "
        f"false-positive rate {fpr:.3f} on {len(negatives)} negatives, "
        f"category accuracy {category_accuracy:.3f}"
    )
    assert recall >= MIN_RECALL, missed
    assert fpr <= MAX_FPR, false_alarms
    assert category_accuracy >= MIN_CATEGORY_ACCURACY, wrong_category


def test_a_typical_message_is_checked_well_under_a_millisecond() -> None:
    # A guard against a runaway pattern, not a benchmark: the bound is generous on purpose.
    messages = [msg for _, _, msg in _rows()]
    detector().assess("warm up")
    start = time.perf_counter()
    for message in messages:
        assess(message)
    average = (time.perf_counter() - start) / len(messages)
    print(f"\naverage check: {average * 1e6:.0f} us per message")
    assert average < 0.002


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t  ",
        "😀😂🙃🔥" * 50,
        "\x00\x01\x02" * 100,
        "a" * 200_000,
        "hello there " * 20_000,
        "i want to " * 5_000,
        "..." * 10_000,
        "k̷̢i̵l̶l̴",  # combining marks
        "\ud800 lone surrogate",
    ],
)
def test_edge_inputs_never_raise(text: str) -> None:
    start = time.perf_counter()
    result = assess(text)
    assert isinstance(result, Assessment)
    assert time.perf_counter() - start < 2.0
    assert (result.category in CATEGORIES) if result.crisis else result.category is None


def test_non_text_inputs_never_raise() -> None:
    d = detector()
    assert d.assess(os.urandom(4096)).category in (None, *CATEGORIES)
    assert d.assess(None) == SAFE  # type: ignore[arg-type]
    assert d.assess(12345) == SAFE  # type: ignore[arg-type]
    assert d.assess(b"i want to die") == Assessment(True, "suicide")  # type: ignore[arg-type]


def test_a_crisis_at_the_end_of_a_very_long_message_is_still_seen() -> None:
    assert assess("just rambling about my day " * 10_000 + " and i want to die").crisis


@pytest.mark.parametrize(
    "text",
    [
        "k m s",
        "K.M.S",
        "k-y-s myself",
        "I WANT TO DIE",
        "i wannnna diiiie",
        "i w4nt t0 k1ll mys3lf",
        "k\u200bill my\u200bself",  # zero-width spaces
        "і want to kіll myself",  # Cyrillic look-alikes
        "i want to kill myself",
        "want 2 die tbh",
        "ｉ ｗａｎｔ ｔｏ ｄｉｅ",  # full-width letters
    ],
)
def test_spelling_tricks_are_normalised(text: str) -> None:
    assert assess(text) == Assessment(True, "suicide")


@pytest.mark.parametrize(
    "text",
    [
        "she wants to die",  # someone else's feeling, and nobody the user names
        "my friend will kill herself laughing at this",
        "in the song he sings i want to die",  # a quote from media
        "the article said the lethal dose of paracetamol is lower than people think",
        "you should kys",  # an insult at someone else, not about the user
        "I could kill myself laughing at that",
        "this meeting is so boring I want to die lol",
        "I'd rather die than sing karaoke",
    ],
)
def test_third_persons_quotes_and_idioms_stay_quiet(text: str) -> None:
    assert assess(text) == SAFE


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("I don't want to kill myself but I think about it", "suicide"),  # negated, still a sign
        ("I watched a movie about suicide and now I want to die", "suicide"),  # own clause
        ("my friend's dad hits me when I stay over", "abuse"),
        ("he said he'd kill me if I leave him", "abuse"),  # reported threat is the signal
        ("I cut myself on purpose", "self_harm"),
        ("I took laxatives to lose weight", "eating_disorder"),
    ],
)
def test_first_person_signals_in_context(text: str, category: str) -> None:
    assert assess(text) == Assessment(True, category)


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("my friend told me she wants to kill herself", "someone_else"),
        ("my little brother has been cutting himself", "someone_else"),
        ("my friend and I both want to die", "suicide"),  # the user first
        ("my mum says she'd kill herself and honestly I want to die too", "suicide"),
    ],
)
def test_someone_close_at_risk_is_its_own_signal(text: str, category: str) -> None:
    assert assess(text) == Assessment(True, category)


def test_a_pattern_that_looks_for_a_backslash_is_refused_at_load() -> None:
    """In a TOML literal string '\\b' is two characters: a slip that silently never matches
    (it once switched off an idiom's exception, so "drown myself in the river" went unseen)."""
    rule = {"id": "t", "category": "suicide", "patterns": ["die\\\\b"]}
    with pytest.raises(ValueError, match="backslash"):
        CrisisDetector({"rule": [rule]})
    assert assess("I want to drown myself in the river") == Assessment(True, "suicide")


def test_a_means_question_counts_after_a_loss_in_an_earlier_message() -> None:
    question = "what are the tallest bridges around here"
    assert assess(question) == SAFE
    assert assess(question, recent=["my wife died last month"]) == Assessment(True, "suicide")
    assert assess(question, recent=["we went hiking today"]) == SAFE


def test_the_assessment_names_the_rule_but_compares_on_crisis_and_category() -> None:
    result = assess("kms")
    assert result.rule is not None and result.rule.startswith("suicide.")
    assert result == Assessment(True, "suicide")


def test_the_detector_is_loaded_once() -> None:
    assert detector() is detector()


def _config(**rule: object) -> dict[str, object]:
    base = {"id": "t", "category": "suicide", "patterns": ["x"]}
    return {"lexicon": {"w": ["a"]}, "rule": [{**base, **rule}]}


@pytest.mark.parametrize(
    "config",
    [
        _config(category="sadness"),
        _config(subject="someone"),
        _config(patterns=[]),
        _config(patterns=["{missing} word"]),
        {"rule": []},
    ],
)
def test_a_malformed_data_file_is_rejected_at_load(config: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        CrisisDetector(config)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_text_gives_a_well_formed_answer(text: str) -> None:
    result = assess(text)
    assert result.crisis == (result.category is not None)
    assert result.category is None or result.category in CATEGORIES
