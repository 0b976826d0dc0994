"""Offline crisis detector: is a message a sign of suicide risk, self-harm, abuse or an eating
disorder, or does the user say that someone close to them is at risk?

Pure Python: regexes and lexicons from data/safety/<lang>.toml plus a few context rules (whose
feeling is it, is it quoted from a song or the news, is it an idiom). No network, no model
weights, so every machine gives the same answer. One pass over a message finds which of the
hundreds of patterns could match it at all (bot/needles.py); only those run, so an ordinary
message costs about 10-25 microseconds.
It leans towards recall for first-person distress: a gentle check-in that was not needed costs
far less than a missed crisis. See the data file's header for how a rule is applied.
"""

from __future__ import annotations

import logging
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot import needles

SAFETY_DIR = Path(__file__).resolve().parent.parent / "data" / "safety"
CATEGORIES = ("suicide", "self_harm", "abuse", "eating_disorder", "someone_else")
SOMEONE_ELSE = "someone_else"  # the user is worried about another person at risk
SUBJECTS = ("none", "open", "first", "other")
QUOTE_LOOKBACK = 25  # tokens searched back for a media word or a reporting speaker

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Assessment:
    crisis: bool
    category: str | None  # one of CATEGORIES when crisis, else None
    rule: str | None = field(default=None, compare=False)  # rule id, for logs (never the text)

    @property
    def about_user(self) -> bool:
        """The one at risk is the user, not someone they are worried about."""
        return self.crisis and self.category != SOMEONE_ELSE


SAFE = Assessment(False, None)

# Invisible characters used to split words past a filter, and combining marks ("zalgo" text).
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180e\u200b-\u200f"
    "\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]"
)
_MARKS = re.compile(
    "[\u0300-\u036f\u0483-\u0489\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]"
)
_APOSTROPHES = re.compile("['’‘`´ʼʻ′]")
_LEET_INSIDE = re.compile(r"(?<=[a-z])[013457@$!|*]+(?=[a-z])")
_LEET_START = re.compile(r"(?<![a-z0-9])[@$]+(?=[a-z]{2})")  # digits: "40kg" stays
_LEET_END = re.compile(r"(?<=[a-z]{2})[01345$]+(?![a-z0-9])")
# "k m s", "k.m.s", "k-i-l-l": three or more single letters with one or two separators.
_SPACED = re.compile(r"(?<![a-z0-9])(?:[a-z][ .\-_*/+~]{1,2}){2,}[a-z](?![a-z0-9])")
_SPACED_SEP = re.compile(r"[ .\-_*/+~]")
_SENTENCE_END = re.compile(r"[.!?;:…\n\r]+")
_COMMAS = re.compile(r",+")
_NOT_WORD = re.compile(r"[^a-z0-9.,]+")
_MARKERS = re.compile(r"\s*([.,])\s*")
_REPEATS = re.compile(r"([a-z])\1{2,}")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True)
class _Rule:
    id: str
    category: str
    patterns: needles.Patterns  # searched as one alternation, in the data file's order
    unless: re.Pattern[str] | None
    requires: re.Pattern[str] | None
    subject: str  # "none": the pattern names the user; others: see the data file
    needs_distress: bool
    quotes_count: bool  # abuse: "he said he would kill me" is itself the signal


class _Normaliser:
    """Turns raw text into lower-case words separated by single spaces, with " . " and " , "
    kept as clause markers; every character map and replacement comes from the data file."""

    def __init__(self, conf: Mapping[str, Any]) -> None:
        self._chars = str.maketrans(dict(conf.get("chars", {})))
        self._leet = str.maketrans(dict(conf.get("leet", {})))
        # Each with the strings one of which it needs ("" when unknown): most messages need
        # only a few of the replacements, and `in` is far cheaper than a regex scan.
        self._replace = [
            (re.compile(p), r, tuple(needles.needles(p) or ("",)))
            for p, r in conf.get("replace", [])
        ]

    def variants(self, text: str) -> list[str]:
        """The normal form, plus a second one when letters were stretched ("diiiie" -> "die")."""
        base = self._flatten(text)
        if not _REPEATS.search(base):
            return [self._rewrite(base)]
        doubled = _REPEATS.sub(r"\1\1", base)  # "killlll" -> "kill"
        single = _REPEATS.sub(r"\1", base)  # "diiiie" -> "die"
        return [self._rewrite(doubled), self._rewrite(single)]

    def _flatten(self, text: str) -> str:
        text = unicodedata.normalize("NFKC", text).lower()
        text = _INVISIBLE.sub("", text)
        if not text.isascii():
            text = _MARKS.sub("", unicodedata.normalize("NFD", text)).translate(self._chars)
        text = _APOSTROPHES.sub("", text)
        text = _LEET_INSIDE.sub(self._unleet, text)
        text = _LEET_START.sub(self._unleet, text)
        text = _LEET_END.sub(self._unleet, text)
        text = _SPACED.sub(lambda m: _SPACED_SEP.sub("", m.group()), text)
        text = _SENTENCE_END.sub(" . ", text)
        text = _COMMAS.sub(" , ", text)
        text = _NOT_WORD.sub(" ", text)
        return _MARKERS.sub(r" \1 ", text).strip()

    def _unleet(self, match: re.Match[str]) -> str:
        return match.group().translate(self._leet)

    def _rewrite(self, text: str) -> str:
        for pattern, replacement, needed in self._replace:
            for needle in needed:
                if needle in text:
                    text = pattern.sub(replacement, text)
                    break
        return text


class CrisisDetector:
    """Built once from a data file; `assess` is pure and thread-safe."""

    def __init__(self, config: Mapping[str, Any], *, prefilter: bool = True) -> None:
        """`prefilter=False` runs every pattern on every message: the same answers, slower
        (tests compare the two)."""
        self._max_chars = int(config.get("max_chars", 20000))
        self._window = int(config.get("window_chars", 120))
        self._normaliser = _Normaliser(config.get("normalise", {}))
        self._lexicon = {k: _alternation(v) for k, v in config.get("lexicon", {}).items()}
        ctx = config.get("context", {})
        self._breaks = frozenset(ctx.get("clause_breaks", ()))
        self._first = frozenset(ctx.get("first_person", ()))
        self._others = frozenset(ctx.get("other_person", ()))
        self._speech = frozenset(ctx.get("speech", ()))
        self._media = frozenset(ctx.get("media", ()))
        self._idioms = self._compile(ctx.get("idioms", ()))
        self._distress = self._compile(ctx.get("distress", ()))
        self._rules = tuple(self._rule(r) for r in config.get("rule", ()))
        if not self._rules:
            raise ValueError("the safety data has no [[rule]] entries")
        self._index = needles.Index([r.patterns for r in self._rules]) if prefilter else None

    @classmethod
    def from_file(cls, path: Path) -> CrisisDetector:
        with path.open("rb") as fh:
            return cls(tomllib.load(fh))

    def assess(self, text: object, recent: Sequence[str] = ()) -> Assessment:
        """Check one message; `recent` are the user's previous messages (newest last), used only
        as context for questions that are harmless alone (tallest bridges after a loss)."""
        try:
            return self._assess(_as_text(text, self._max_chars), recent)
        except Exception:  # a detector bug must not take the turn down; it is logged loudly
            log.exception("crisis check failed")
            return SAFE

    def _assess(self, text: str, recent: Sequence[str]) -> Assessment:
        if not text.strip():
            return SAFE
        memo: list[bool] = []  # the distress check runs at most once, and only if a rule asks
        for norm in self._normaliser.variants(text):
            picks = self._picks(norm)
            for n, rule in enumerate(self._rules):
                if n in picks and self._fires(rule, picks[n], norm, recent, memo):
                    return Assessment(True, rule.category, rule.id)
        return SAFE

    def _picks(self, text: str) -> dict[int, set[int]]:
        """Which patterns of which rules could match `text` (all of them without the index)."""
        if self._index is not None:
            return self._index.picks(text)
        return {n: set(range(len(r.patterns.regexes))) for n, r in enumerate(self._rules)}

    def _fires(
        self, rule: _Rule, picks: set[int], text: str, recent: Sequence[str], memo: list[bool]
    ) -> bool:
        if rule.requires is not None and not rule.requires.search(text):
            return False
        for match in rule.patterns.finditer(text, picks):
            lo, hi = self._sentence(text, match.start(), match.end())
            if rule.unless is not None and rule.unless.search(text, lo, hi):
                continue
            if self._idiom(text, match, lo, hi):
                continue
            before = text[lo : match.start()].split()
            owner = before + match.group().split() if rule.subject == "first" else before
            if not self._owned(owner, rule.subject) or self._quoted(before, rule.quotes_count):
                continue
            if rule.needs_distress and not self._distressed(text, recent, memo):
                continue
            return True
        return False

    def _idiom(self, text: str, match: re.Match[str], lo: int, hi: int) -> bool:
        if self._idioms is None:
            return False
        spans = (m.span() for m in self._idioms.finditer(text, lo, hi))
        return any(start < match.end() and end > match.start() for start, end in spans)

    def _sentence(self, text: str, start: int, end: int) -> tuple[int, int]:
        lo = text.rfind(" . ", max(0, start - self._window), start)
        hi = text.find(" . ", end, end + self._window)
        lo = max(0, start - self._window) if lo < 0 else lo + 3
        return lo, (min(len(text), end + self._window) if hi < 0 else hi)

    def _owned(self, before: list[str], subject: str) -> bool:
        """Whose feeling is it? The nearest person word in the clause decides."""
        if subject == "none":
            return True
        if subject == "other":  # someone else acts on the user: look across the sentence
            return self._other_acts(before)
        for token in reversed(before):
            if token in self._breaks:
                break
            if token in self._first:
                return True
            if token in self._others:
                return False
        return subject == "open"  # a fragment like "want to die" is the user's own

    def _other_acts(self, before: list[str]) -> bool:
        for token in reversed(before):
            if token in self._others:
                return True
            if token in self._first or token == ".":
                return False
        return False

    def _quoted(self, before: list[str], quotes_count: bool) -> bool:
        """A line from a song, a book or the news, or someone else's words ("she said ...")."""
        seen_first = seen_speech = False
        for token in reversed(before[-QUOTE_LOOKBACK:]):
            if token == ".":
                break
            if token in self._breaks and seen_first:
                return False  # the user's own clause starts here ("... and now i want to die")
            if token in self._speech:
                seen_speech = True
            elif token in self._media:
                return seen_speech or not seen_first
            elif token in self._first:
                seen_first = True
            elif seen_speech and not quotes_count and token in self._others:
                return True
        return False

    def _distressed(self, text: str, recent: Sequence[str], memo: list[bool]) -> bool:
        if not memo:
            found = self._distress is not None and (
                bool(self._distress.search(text)) or any(self._recent_hit(r) for r in recent)
            )
            memo.append(found)
        return memo[0]

    def _recent_hit(self, message: str) -> bool:
        assert self._distress is not None
        raw = _as_text(message, self._max_chars)
        return any(self._distress.search(v) for v in self._normaliser.variants(raw))

    def _rule(self, raw: Mapping[str, Any]) -> _Rule:
        rule_id = str(raw.get("id", "?"))
        category = raw.get("category")
        subject = raw.get("subject", "none")
        if category not in CATEGORIES or subject not in SUBJECTS:
            raise ValueError(f"rule {rule_id}: bad category {category!r} or subject {subject!r}")
        patterns = [rf"\b(?:{self._expanded(p)})\b" for p in raw.get("patterns", ())]
        if not patterns:
            raise ValueError(f"rule {rule_id} has no patterns")
        return _Rule(
            id=rule_id,
            category=category,
            patterns=needles.Patterns(patterns),
            unless=self._compile(raw.get("unless", ())),
            requires=self._compile(raw.get("requires", ())),
            subject=subject,
            needs_distress=bool(raw.get("needs_distress", False)),
            quotes_count=bool(raw.get("quotes_count", False)),
        )

    def _compile(self, patterns: Iterable[str]) -> re.Pattern[str] | None:
        expanded = [self._expanded(p) for p in patterns]
        if not expanded:
            return None
        # Every pattern starts and ends on a word edge: "ill" must not fire inside "still".
        # One \b in front of them all: inside a word the search moves on at once.
        return re.compile(r"\b(?:" + "|".join(rf"(?:{p})\b" for p in expanded) + ")")

    def _expanded(self, pattern: str) -> str:
        if "\\\\" in pattern:  # normalised text has no backslash: this is a quoting slip
            raise ValueError(
                f"pattern {pattern[:50]!r}... looks for a backslash, which a normalised message "
                "never has: in a TOML literal string write \\b, not \\\\b"
            )
        return _PLACEHOLDER.sub(self._expand, pattern)

    def _expand(self, match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in self._lexicon:
            raise ValueError(f"unknown lexicon entry {{{name}}}")
        return self._lexicon[name]


def _alternation(words: Iterable[str]) -> str:
    # Longest first, so "want to" wins over "want" and the gap words that follow still fit.
    return "(?:" + "|".join(sorted(words, key=len, reverse=True)) + ")"


def _as_text(value: object, max_chars: int) -> str:
    """Any input as a bounded str; a very long message keeps its head and its tail."""
    if value is None:
        return ""
    if isinstance(value, bytes | bytearray | memoryview):
        text = bytes(value).decode("utf-8", errors="replace")
    else:
        text = value if isinstance(value, str) else str(value)
    if len(text) > max_chars:
        head = max_chars * 3 // 4
        text = text[:head] + "\n" + text[-(max_chars - head) :]
    return text.encode("utf-8", errors="replace").decode("utf-8")  # lone surrogates


@lru_cache(maxsize=8)
def detector(lang: str = "en") -> CrisisDetector:
    """The detector for a language, loaded once from data/safety/<lang>.toml."""
    return CrisisDetector.from_file(SAFETY_DIR / f"{lang}.toml")


def assess(text: str, recent: Sequence[str] = ()) -> Assessment:
    """Check one message with the English data; see `CrisisDetector.assess`."""
    return detector().assess(text, recent)
