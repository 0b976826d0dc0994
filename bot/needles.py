"""Which literal strings must every match of a regex contain? A cheap test before a costly one.

`needles(pattern)` reads the pattern's parse tree (the stdlib's own parser, so there is no
second grammar to drift) and returns strings of which every match contains at least one, or
None when it cannot tell. `Index` finds every needle of many patterns in one pass over a
text, so the crisis detector runs only the few of its hundreds of patterns that could match.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as parser  # type: ignore[attr-defined]

import ahocorasick

LIMIT = 256  # strings kept for one piece before it counts as "too many to list"
CLASS_LIMIT = 16  # a character class with more members is "any character"
_CASE_FLAGS = re.IGNORECASE | re.LOCALE
_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)


@dataclass(frozen=True)
class _Facts:
    exact: frozenset[str] | None  # every string the piece can match, when few
    need: frozenset[str] | None  # one of these occurs in every match, when known


_UNKNOWN = _Facts(None, None)
_EMPTY = _Facts(frozenset({""}), None)  # zero width: \b, ^, lookarounds


def needles(pattern: str) -> frozenset[str] | None:
    """Strings one of which every match of `pattern` contains; None if unknown."""
    parsed = parser.parse(pattern)
    if parsed.state.flags & _CASE_FLAGS:
        return None
    return _needed(_sequence(parsed))


class Patterns:
    """Regex alternatives searched as one `a|b|c` regex would be (leftmost match first, the
    earlier alternative on a tie), running only the alternatives a caller picks."""

    def __init__(self, sources: Sequence[str]) -> None:
        self.regexes = tuple(re.compile(s) for s in sources)
        self.needles = tuple(needles(s) for s in sources)
        # An alternative without needles might match anywhere, even an empty string: then
        # the whole alternation runs, as written.
        self.whole = (
            re.compile("|".join(f"(?:{s})" for s in sources)) if not all(self.needles) else None
        )

    def finditer(self, text: str, picks: Iterable[int]) -> Iterator[re.Match[str]]:
        """The matches in `text`. `picks` must name every alternative whose needles `text`
        contains (the others cannot match it)."""
        if self.whole is not None:
            yield from self.whole.finditer(text)
            return
        # Every alternative has needles, so none matches an empty string: each search can
        # start where the last match ended.
        regexes = [self.regexes[i] for i in sorted(picks)]
        pos = 0
        while True:
            best: re.Match[str] | None = None
            for regex in regexes:
                found = regex.search(text, pos)
                if found is not None and (best is None or found.start() < best.start()):
                    best = found
            if best is None:
                return
            yield best
            pos = best.end()


class Index:
    """One pass over a text (Aho-Corasick) tells which alternatives of each `Patterns` might
    match it: those whose needles it contains (all, for a set with an alternative without)."""

    def __init__(self, sets: Sequence[Patterns]) -> None:
        owners: dict[str, list[tuple[int, int]]] = {}
        for set_no, patterns in enumerate(sets):
            for pattern_no, found in enumerate(patterns.needles):
                for needle in found or ():
                    owners.setdefault(needle, []).append((set_no, pattern_no))
        self._automaton = ahocorasick.Automaton()
        for needle, owned in owners.items():
            self._automaton.add_word(needle, tuple(owned))
        self._automaton.make_automaton()
        self._always = [n for n, patterns in enumerate(sets) if patterns.whole is not None]

    def picks(self, text: str) -> dict[int, set[int]]:
        """For each set that may match `text`: the alternatives to run."""
        found: dict[int, set[int]] = {n: set() for n in self._always}
        if len(self._automaton):
            for _end, owned in self._automaton.iter(text):
                for set_no, pattern_no in owned:
                    found.setdefault(set_no, set()).add(pattern_no)
        return found


def _needed(facts: _Facts) -> frozenset[str] | None:
    if facts.exact is not None and "" not in facts.exact:
        return _better(facts.need, facts.exact)
    return facts.need


def _better(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    """The more selective of two needle sets: longer shortest string, then fewer strings."""
    if a is None or b is None:
        return a or b
    return max(a, b, key=lambda s: (min(map(len, s)), -len(s)))


def _product(a: frozenset[str], b: frozenset[str]) -> frozenset[str] | None:
    if len(a) * len(b) > LIMIT:
        return None
    return frozenset(x + y for x in a for y in b)


def _sequence(items: Iterable[tuple[object, object]]) -> _Facts:
    exact: frozenset[str] | None = frozenset({""})
    run = frozenset({""})  # strings the current stretch of known pieces spells, in order
    need: frozenset[str] | None = None
    for op, av in items:
        facts = _item(op, av)
        need = _better(need, _needed(facts))
        if facts.exact is None:
            need, run, exact = _better(need, _needed(_Facts(run, None))), frozenset({""}), None
            continue
        joined = _product(run, facts.exact)
        if joined is None:  # too many to spell: keep what we had, start again here
            need, joined = _better(need, _needed(_Facts(run, None))), facts.exact
        run = joined
        exact = _product(exact, facts.exact) if exact is not None else None
    need = _better(need, _needed(_Facts(run, None)))
    return _Facts(exact, need)


def _item(op: object, av: object) -> _Facts:
    if op is sre.LITERAL:
        return _Facts(frozenset({chr(av)}), None)  # type: ignore[arg-type]
    if op in (sre.AT, sre.ASSERT, sre.ASSERT_NOT):
        return _EMPTY
    if op is sre.IN:
        return _Facts(_members(av), None)  # type: ignore[arg-type]
    if op is sre.SUBPATTERN:
        _group, add_flags, _del_flags, body = av  # type: ignore[misc]
        return _UNKNOWN if add_flags & _CASE_FLAGS else _sequence(body)
    if op is sre.ATOMIC_GROUP:
        return _sequence(av)  # type: ignore[arg-type]
    if op is sre.BRANCH:
        return _branch(av[1])  # type: ignore[index]
    if op in _REPEATS:
        return _repeat(*av)  # type: ignore[misc]
    return _UNKNOWN  # any character, back-references, conditionals...


def _members(items: list[tuple[object, object]]) -> frozenset[str] | None:
    chars: set[str] = set()
    for op, av in items:
        if op is sre.LITERAL:
            chars.add(chr(av))  # type: ignore[arg-type]
        elif op is sre.RANGE and av[1] - av[0] < CLASS_LIMIT:  # type: ignore[index,operator]
            chars.update(map(chr, range(av[0], av[1] + 1)))  # type: ignore[index,operator]
        else:
            return None  # negated, a category, a wide range
    return frozenset(chars) if len(chars) <= CLASS_LIMIT else None


def _branch(alternatives: list[list[tuple[object, object]]]) -> _Facts:
    facts = [_sequence(alt) for alt in alternatives]
    exact: set[str] | None = set()
    need: set[str] | None = set()
    for f in facts:
        if exact is not None and f.exact is not None and len(exact) + len(f.exact) <= LIMIT:
            exact |= f.exact
        else:
            exact = None
        alt_need = _needed(f)
        need = need | alt_need if need is not None and alt_need is not None else None
    return _Facts(
        frozenset(exact) if exact is not None else None,
        frozenset(need) if need is not None else None,
    )


def _repeat(low: int, high: int, body: list[tuple[object, object]]) -> _Facts:
    facts = _sequence(body)
    if low == 0:
        optional = facts.exact | {""} if high == 1 and facts.exact is not None else None
        return _Facts(optional, None)
    if low == high == 1:
        return facts
    return _Facts(None, _needed(facts))  # at least once: its needles still hold
