"""The crisis detector's shortcut: needles must never hide a match, and the shortcut must give
the very same answers as running every pattern."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bot import safety
from bot.needles import Index, Patterns, needles

WORDS = ["i", "want", "to", "die", "kill", "myself", "my", "dad", "hits", "me", "not", "sold"]


def test_needles_spell_out_short_alternatives() -> None:
    found = needles(r"\b(?:i )?(?:want|wish) to (?:die|kms)\b")
    spelled = {"want to die", "want to kms", "wish to die", "wish to kms"}
    assert found == spelled | {f"i {s}" for s in spelled}


def test_needles_skip_gaps_and_optional_parts() -> None:
    found = needles(r"\b(?:my ex|he) (?:[a-z]+ ){0,3}?(?:broke|forced his way) in(?:to)? my home\b")
    assert found is not None and min(map(len, found)) >= len("broke in my home")
    for text in ("he then broke into my home", "my ex forced his way in my home"):
        assert any(n in text for n in found)


def test_needles_unknown_when_anything_goes() -> None:
    assert needles(r".*") is None
    assert needles(r"[^x]+") is None
    assert needles(r"(?i)die") is None  # case-insensitive: a literal test would be wrong


def test_patterns_search_like_one_alternation() -> None:
    sources = [r"\bkill\b", r"\bkill myself\b", r"\bmyself\b"]
    text = "i kill myself and myself"
    union = [m.span() for m in re.finditer("|".join(sources), text)]
    ours = [m.span() for m in Patterns(sources).finditer(text, range(3))]
    assert ours == union == [(2, 6), (7, 13), (18, 24)]


def test_index_names_only_patterns_whose_needles_are_present() -> None:
    sets = [Patterns([r"\bdie\b", r"\bkill myself\b"]), Patterns([r"\bhits me\b"])]
    index = Index(sets)
    assert index.picks("i want to die") == {0: {0}}
    assert index.picks("he hits me and i want to die") == {0: {0}, 1: {0}}
    assert index.picks("a quiet day") == {}


# Random patterns from a small grammar, random texts from a small alphabet.
_atoms = st.sampled_from(["a", "b", "ab", "ba", " ", r"\b", "[ab]", "[a-c]", ".", r"\w", "c"])


def _grow(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.lists(inner, min_size=1, max_size=4).map("".join),
        st.lists(inner, min_size=2, max_size=3).map(lambda xs: "(?:" + "|".join(xs) + ")"),
        inner.map(lambda x: f"(?:{x})?"),
        inner.map(lambda x: f"(?:{x})+"),
        inner.map(lambda x: f"(?:{x}){{1,2}}"),
        inner.map(lambda x: f"(?:{x})*?"),
        inner.map(lambda x: f"(?={x})"),
        inner.map(lambda x: f"(?!{x})"),
    )


_patterns = st.recursive(_atoms, _grow, max_leaves=8)


@settings(max_examples=600, deadline=None)
@given(_patterns, st.text(alphabet="abc .", max_size=12))
def test_every_match_contains_a_needle(pattern: str, text: str) -> None:
    found = needles(pattern)
    match = re.search(pattern, text)
    if found is not None and match is not None:
        assert any(n in text for n in found), (pattern, text, found)


@settings(max_examples=300, deadline=None)
@given(st.lists(_patterns, min_size=1, max_size=4), st.text(alphabet="abc .", max_size=12))
def test_running_the_picked_patterns_finds_what_the_alternation_finds(
    sources: list[str], text: str
) -> None:
    patterns = Patterns(sources)
    picks = Index([patterns]).picks(text).get(0, set())
    union = re.compile("|".join(f"(?:{s})" for s in sources))
    expected = [m.span() for m in union.finditer(text)]
    got = [m.span() for m in patterns.finditer(text, picks)]
    assert got == expected


# The shipped data: with and without the shortcut, every answer is the same.


def _detectors() -> tuple[safety.CrisisDetector, safety.CrisisDetector]:
    with (safety.SAFETY_DIR / "en.toml").open("rb") as fh:
        config = tomllib.load(fh)
    return safety.detector(), safety.CrisisDetector(config, prefilter=False)


FAST, SLOW = _detectors()
_EVAL = [
    line.split("\t")[-1]
    for name in ("crisis_eval.tsv", "intents_eval.tsv")
    for line in (Path(__file__).parent / "data" / name).read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
]


def test_shortcut_agrees_on_every_evaluation_message() -> None:
    for message in _EVAL:
        assert FAST.assess(message) == SLOW.assess(message), message
        assert FAST.assess(message).rule == SLOW.assess(message).rule, message


_eval_words = sorted({w for m in _EVAL for w in m.split()})


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_eval_words + WORDS), min_size=1, max_size=14))
def test_shortcut_agrees_on_mixed_up_messages(words: list[str]) -> None:
    message = " ".join(words)
    fast, slow = FAST.assess(message), SLOW.assess(message)
    assert (fast, fast.rule) == (slow, slow.rule), message
