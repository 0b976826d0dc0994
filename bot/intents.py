"""Offline free-text routing: which coaching flow does a typed message ask for?

Each flow has a weighted lexicon of words and phrases in data/intents/<locale>.toml; this module
only normalises text and adds up weights. No network and no model weights, so a message costs
well under a millisecond and the result is the same on every machine.

Crisis text never gets here: the safety check runs before any routing.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

INTENTS_DIR = Path(__file__).resolve().parent.parent / "data" / "intents"
FLOWS = ("reframe", "steps", "perspective", "past", "connect", "selfcare", "support", "checkin")

WILDCARD = "*"  # in a lexicon phrase: up to `phrase_max_gap` words of anything
NUMBER = "0"  # every number becomes this token, so "3 out of 5" and "4 out of 10" match alike

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'"})
_JOINERS = re.compile(r"[-‐‑‒/_+&]")  # self-help, to-do, check-in: one word each side
_TOKENS = re.compile(r"[^\W_]+(?:'[^\W_]+)*|[.,;:!?()…—–\n]")
_VOWELS = frozenset("aeiouy")


@dataclass(frozen=True, slots=True)
class _Doc:
    """A normalised message: stems, and where a clause ends (negation and phrases stop there)."""

    tokens: tuple[str, ...]
    words: tuple[str, ...]  # the same before stemming, where typos are easier to see
    breaks: frozenset[int]  # i in breaks: a clause starts at token i


@dataclass(frozen=True, slots=True)
class _Language:
    """How to turn raw text into stems; all word lists come from the data file."""

    contractions: Mapping[str, str]
    clitics: Mapping[str, str]
    irregular: Mapping[str, str]
    keep: frozenset[str]
    break_words: frozenset[str]
    negators: frozenset[str]
    real_words: frozenset[str]  # never read as a typo of a lexicon word
    max_chars: int

    def doc(self, text: object) -> _Doc:
        words: list[str] = []
        breaks: set[int] = set()
        for raw in _TOKENS.findall(_clean(text, self.max_chars)):
            if not raw[0].isalnum() or raw in self.break_words:
                breaks.add(len(words))
                continue
            words.extend(self._expand(raw))
        return _Doc(tuple(map(self.stem, words)), tuple(words), frozenset(breaks))

    def stems(self, text: str) -> tuple[str, ...]:
        """Stems of a lexicon entry, which goes through exactly the path a message does."""
        return self.doc(text).tokens

    def stem(self, word: str) -> str:
        if word.isdigit():
            return NUMBER
        word = self.irregular.get(word, word)
        return word if word in self.keep else _strip_suffixes(word)

    def _expand(self, raw: str) -> list[str]:
        """can't -> can not, I've -> I have, dont -> do not (people skip apostrophes)."""
        if raw in self.contractions:
            return self.contractions[raw].split()
        if "'" not in raw:
            return [raw]
        for clitic, full in self.clitics.items():
            if raw.endswith(clitic):
                return [raw[: -len(clitic)], *full.split()]
        return [raw.replace("'", "")]


def _clean(text: object, max_chars: int) -> str:
    """Any input to plain casefolded text; never raises, clips huge input for speed."""
    if isinstance(text, bytes | bytearray):
        text = bytes(text[: max_chars * 4]).decode("utf-8", "replace")
    if not isinstance(text, str):
        return ""
    text = unicodedata.normalize("NFKC", text[:max_chars]).casefold()
    return _JOINERS.sub(" ", text.translate(_APOSTROPHES))


def _strip_suffixes(word: str) -> str:
    """A light stemmer: worries/worried -> worry, feelings -> feel, tired/tire -> tir.

    It only has to map a word's forms to one stem consistently, since the lexicon goes
    through it too; readable stems do not matter.
    """
    if len(word) <= 3:
        return word
    if word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for _ in range(2):  # tiredness -> tired -> tir
        word, changed = _strip_one(word)
        if not changed:
            break
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz" + "aeiou":
        word = word[:-1]  # stopping -> stopp -> stop
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]  # move/moving/moved all -> mov
    return word


def _strip_one(word: str) -> tuple[str, bool]:
    for suffix, repl in (("iness", "y"), ("ness", ""), ("ied", "y"), ("ing", ""), ("ed", "")):
        if word.endswith(suffix):
            base = word[: -len(suffix)] + repl
            if len(base) >= 3 and _VOWELS.intersection(base):
                return base, True
    return word, False


@dataclass(frozen=True, slots=True)
class _Phrase:
    words: tuple[str, ...]  # may hold WILDCARD
    weights: Mapping[str, float]  # flow -> weight; one phrase can hint at several flows
    needs: frozenset[str]  # its literal words

    @property
    def size(self) -> int:
        return sum(w != WILDCARD for w in self.words)


@dataclass(frozen=True, slots=True)
class IntentModel:
    """Weighted lexicons, one per flow, and the rules for combining their hits."""

    language: _Language
    order: tuple[str, ...]  # tie-break: earlier wins
    related: Mapping[str, tuple[str, ...]]  # runner-up when only one flow scores
    terms: Mapping[str, Mapping[str, float]]  # stem -> flow -> weight
    negatable: Mapping[str, frozenset[str]]  # flow -> stems whose meaning flips under "not"
    phrases: Mapping[str, tuple[_Phrase, ...]]  # first word -> phrases starting with it
    fuzzy: Mapping[str, str]  # a lexicon word with one letter dropped -> its stem
    prefixes: tuple[str, ...]  # "re": reorganise hints like organise
    min_score: float
    runner_up_min: float
    negation_window: int
    phrase_max_gap: int
    fuzzy_weight: float
    fuzzy_min_len: int
    fuzzy_long_len: int  # a missing letter is only trusted in words this long
    fuzzy_max_len: int  # longer "words" (a pasted hash, "aaaa...") are nobody's typo

    @classmethod
    def load(cls, path: Path) -> IntentModel:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
        settings, norm, flows = data["settings"], data["normalise"], data["flows"]
        language = _Language(
            contractions=dict(norm["contractions"]),
            clitics=dict(norm["clitics"]),
            irregular=dict(norm["irregular"]),
            keep=frozenset(norm["keep"]),
            break_words=frozenset(norm["break_words"]),
            negators=frozenset(norm["negators"]),
            real_words=frozenset(norm.get("real_words", ())),
            max_chars=int(settings["max_chars"]),
        )
        order = tuple(settings["order"])
        if sorted(order) != sorted(FLOWS) or sorted(flows) != sorted(FLOWS):
            raise ValueError(f"{path}: settings.order and [flows.*] must name each of {FLOWS}")
        related = {f: tuple(flows[f].get("related", ())) for f in FLOWS}
        if unknown := {r for rs in related.values() for r in rs} - set(FLOWS):
            raise ValueError(f"{path}: unknown flows in related: {sorted(unknown)}")
        lexicons = {f: flows[f]["words"] for f in FLOWS}
        terms, phrases = _index(language, lexicons, data.get("ignore", {}).get("phrases", ()))
        long_len = int(settings["fuzzy_long_len"])
        return cls(
            language=language,
            order=order,
            related=related,
            terms=terms,
            negatable={
                f: frozenset(s for w in flows[f].get("negatable", ()) for s in language.stems(w))
                for f in FLOWS
            },
            phrases=phrases,
            prefixes=tuple(norm.get("prefixes", ())),
            fuzzy=_dropped_letters(language, lexicons, long_len),
            min_score=float(settings["min_score"]),
            runner_up_min=float(settings["runner_up_min"]),
            negation_window=int(settings["negation_window"]),
            phrase_max_gap=int(settings["phrase_max_gap"]),
            fuzzy_weight=float(settings["fuzzy_weight"]),
            fuzzy_min_len=int(settings["fuzzy_min_len"]),
            fuzzy_long_len=long_len,
            fuzzy_max_len=max(map(len, terms)) + 4,
        )

    def scores(self, text: str) -> dict[str, float]:
        """Each flow's score for the text; flows with no hit are left out."""
        doc = self.language.doc(text)
        totals: dict[str, float] = {}
        covered = self._score_phrases(doc, totals)
        self._score_terms(doc, covered, totals)
        return totals

    def ranked(self, text: str, limit: int = 2) -> list[str]:
        """The best flow first, then runners-up; empty when nothing scores high enough."""
        if limit <= 0:
            return []
        scores = self.scores(text)
        best = sorted(scores, key=lambda f: (-scores[f], self.order.index(f)))
        if not best or scores[best[0]] < self.min_score:
            return []
        picks = [best[0], *(f for f in best[1:] if scores[f] >= self.runner_up_min)]
        # A lone hit still gets a sensible second choice: the flow most often needed next.
        for flow in (*self.related[best[0]], *self.order):
            if flow not in picks:
                picks.append(flow)
        return picks[:limit]

    def classify(self, text: str) -> str | None:
        picks = self.ranked(text, 1)
        return picks[0] if picks else None

    def _score_phrases(self, doc: _Doc, totals: dict[str, float]) -> set[int]:
        """Longest phrases win their words, so "check on me" is not also "check" + "me"."""
        found: dict[tuple[str, ...], tuple[_Phrase, tuple[int, ...]]] = {}
        present = set(doc.tokens)
        for start, word in enumerate(doc.tokens):
            for phrase in self.phrases.get(word, ()):
                # The first occurrence is enough, and a phrase missing a word cannot match:
                # both keep long or repetitive text fast.
                if phrase.words in found or not phrase.needs <= present:
                    continue
                where = self._match(phrase.words, doc, start)
                if where is not None:
                    found[phrase.words] = (phrase, where)
        hits = sorted(
            found.values(),
            key=lambda hit: (-hit[0].size, -max(hit[0].weights.values(), default=0), hit[1][0]),
        )
        covered: set[int] = set()
        for phrase, where in hits:
            if covered.intersection(where):
                continue
            covered.update(where)
            _add(totals, phrase.weights, 1.0)
        return covered

    def _match(self, words: tuple[str, ...], doc: _Doc, start: int) -> tuple[int, ...] | None:
        """Positions of the phrase's words from `start`, within one clause, or None."""
        if WILDCARD not in words:  # the common case, as a slice compare
            end = start + len(words)
            if doc.tokens[start:end] != words or _crosses(doc, start, end - 1):
                return None
            return tuple(range(start, end))
        where: list[int] = []
        pos = start
        gap = 0
        for word in words:
            if word == WILDCARD:
                gap = self.phrase_max_gap
                continue
            hit = next(
                (
                    p
                    for p in range(pos, min(pos + gap + 1, len(doc.tokens)))
                    if doc.tokens[p] == word and not (where and _crosses(doc, where[-1], p))
                ),
                None,
            )
            if hit is None:
                return None
            where.append(hit)
            pos, gap = hit + 1, 0
        return tuple(where)

    def _score_terms(self, doc: _Doc, covered: set[int], totals: dict[str, float]) -> None:
        seen: set[str] = set()  # a word repeated ten times is still one hint
        for i, word in enumerate(doc.tokens):
            if i in covered or word in seen:
                continue
            seen.add(word)
            weights, factor = self.terms.get(word), 1.0
            if weights is None:
                weights, factor = self._near_miss(doc.words[i]), self.fuzzy_weight
            if not weights:
                continue
            flipped = {f for f in weights if word in self.negatable[f] and self._negated(doc, i)}
            _add(totals, {f: w for f, w in weights.items() if f not in flipped}, factor)

    def _negated(self, doc: _Doc, i: int) -> bool:
        """A negator shortly before, in the same clause: "not lonely" is no hint of loneliness."""
        for j in range(i - 1, max(-1, i - 1 - self.negation_window), -1):
            if j + 1 in doc.breaks:
                return False
            if doc.tokens[j] in self.language.negators:
                return True
        return False

    def _near_miss(self, word: str) -> Mapping[str, float] | None:
        """An unknown word (before stemming) that is a known one with a prefix or a typo."""
        if not self.fuzzy_min_len <= len(word) <= self.fuzzy_max_len or not word.isalpha():
            return None
        if word in self.language.real_words:
            return None  # "handed" is "handled" less an l, but people mean "handed"
        for prefix in self.prefixes:
            base = word.removeprefix(prefix)
            if base != word and (hit := self._long_term(base)):
                return hit
        return self._typo(word)

    def _typo(self, word: str) -> Mapping[str, float] | None:
        """Two neighbouring letters swapped ("lonley", "freinds"), or, in a long word, one
        letter missing ("exausted"); never the first letter, which people rarely get wrong.
        Not a letter too many or a letter changed: those turn everyday words into lexicon
        words ("present" / "resent", "lovely" / "lonely")."""
        if word in self.fuzzy:
            return self.terms[self.fuzzy[word]]
        for i in range(1, len(word) - 1):
            swapped = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
            if swapped != word and (hit := self._long_term(swapped)):
                return hit
        return None

    def _long_term(self, word: str) -> Mapping[str, float] | None:
        """The weights of a word whose stem is a lexicon term, if the stem is long enough not
        to be hit by chance ("tried" swapped is "tired", but its stem "tir" is too short)."""
        stem = self.language.stem(word)
        return self.terms.get(stem) if len(stem) >= self.fuzzy_min_len else None


def _index(
    language: _Language, lexicons: Mapping[str, Mapping[str, float]], ignore: Iterable[str]
) -> tuple[dict[str, dict[str, float]], dict[str, tuple[_Phrase, ...]]]:
    """Split each flow's entries into single stems and phrases, merged across flows.

    Ignored phrases become phrases with no weight: they only take their words.
    """
    terms: dict[str, dict[str, float]] = {}
    grouped: dict[tuple[str, ...], dict[str, float]] = {}
    for entry in ignore:
        grouped.setdefault(_phrase_words(language, entry), {})
    for flow, entries in lexicons.items():
        for entry, weight in entries.items():
            words = _phrase_words(language, entry)
            if not words:
                raise ValueError(f"lexicon entry {entry!r} of {flow!r} has no words")
            if len(words) == 1:
                table = terms.setdefault(words[0], {})
            else:
                table = grouped.setdefault(words, {})
            table[flow] = max(table.get(flow, 0.0), float(weight))  # friend, friends: one stem
    phrases: dict[str, list[_Phrase]] = {}
    for words, weights in grouped.items():
        needs = frozenset(words) - {WILDCARD}
        phrases.setdefault(words[0], []).append(_Phrase(words, weights, needs))
    return terms, {first: tuple(group) for first, group in phrases.items()}


def _dropped_letters(
    language: _Language, lexicons: Mapping[str, Mapping[str, float]], min_len: int
) -> dict[str, str]:
    """Each long single-word entry with one letter (not the first) left out -> its stem."""
    index: dict[str, str] = {}
    for entries in lexicons.values():
        for entry in entries:
            doc = language.doc(entry)
            if len(doc.words) == 1 and len(word := doc.words[0]) >= min_len:
                index.update((_drop(word, i), doc.tokens[0]) for i in range(1, len(word)))
    return index


def _phrase_words(language: _Language, entry: str) -> tuple[str, ...]:
    parts = [language.stems(part) for part in entry.split(WILDCARD)]
    words: list[str] = []
    for n, part in enumerate(parts):
        if n:
            words.append(WILDCARD)
        words.extend(part)
    if words and WILDCARD in (words[0], words[-1]):
        raise ValueError(f"lexicon entry {entry!r}: a wildcard must sit between words")
    return tuple(words)


def _crosses(doc: _Doc, after: int, upto: int) -> bool:
    return any(b in doc.breaks for b in range(after + 1, upto + 1))


def _drop(word: str, i: int) -> str:
    return word[:i] + word[i + 1 :]


def _add(totals: dict[str, float], weights: Mapping[str, float], factor: float) -> None:
    for flow, weight in weights.items():
        totals[flow] = totals.get(flow, 0.0) + weight * factor


def model(locale: str = "en") -> IntentModel:
    """The lexicon for a locale ("de", "de-DE"); English when there is none for it."""
    language = locale.split("-")[0].split("_")[0].lower()
    if not (language.isalpha() and (INTENTS_DIR / f"{language}.toml").is_file()):
        language = "en"
    return _load(language)


@lru_cache(maxsize=8)
def _load(language: str) -> IntentModel:
    """Each lexicon is read once per process; the instance is immutable, so sharing is safe."""
    return IntentModel.load(INTENTS_DIR / f"{language}.toml")


def ranked(text: str, limit: int = 2) -> list[str]:
    """The best flow for free text and the runner-up (offered as two choices); [] if none fits."""
    return model().ranked(text, limit)


def classify(text: str) -> str | None:
    """The flow free text asks for, or None when nothing fits ("hello", "asdf", "")."""
    return model().classify(text)
