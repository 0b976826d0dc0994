"""Helplines per country, from data/helplines.toml, for the reply to a crisis.

A country's own lines are shown (with paired services side by side, e.g. an adult and a youth
line); the international fallback only when the country is unknown. Every entry carries its
source and the date it was checked; the file says whether anyone verified it online.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

HELPLINES_FILE = Path(__file__).resolve().parent.parent / "data" / "helplines.toml"
FALLBACK = "INTL"
ANY_CRISIS = "crisis"  # topic of a general line, shown for every kind of crisis

_SUBTAG = re.compile(r"[-_]")


@dataclass(frozen=True)
class Helpline:
    country: str
    name: str
    who: str  # "all", "youth", "adults", ...
    topics: tuple[str, ...]
    source: str  # the organisation's official web address
    checked: str  # ISO date the entry was last checked
    verified_online: bool
    phone: str | None = None
    text: str | None = None  # e.g. "HOME to 741741"
    web: str | None = None
    pair: str | None = None  # entries with the same key are shown together

    def covers(self, topic: str | None) -> bool:
        return topic is None or topic in self.topics or ANY_CRISIS in self.topics


@dataclass(frozen=True)
class Country:
    code: str
    name: str
    emergency: str | None
    lines: tuple[Helpline, ...]


class Helplines:
    def __init__(
        self,
        countries: Mapping[str, Country],
        language_countries: Mapping[str, str],
        region_aliases: Mapping[str, str],
        emergency_note: str,
        country_names: Mapping[str, str] | None = None,
    ) -> None:
        if FALLBACK not in countries:
            raise ValueError(f"the helplines data needs a {FALLBACK} fallback")
        self._countries = dict(countries)
        self.language_countries = dict(language_countries)
        self.region_aliases = dict(region_aliases)
        self.emergency_note = emergency_note  # what to say when the number is unknown
        self.country_names = dict(country_names or {})  # typed names -> code

    @classmethod
    def load(cls, path: Path = HELPLINES_FILE) -> Helplines:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
        defaults = {
            "checked": str(raw.get("checked", "")),
            "verified_online": bool(raw.get("verified_online", False)),
        }
        countries = {
            code.upper(): _country(code.upper(), body, defaults)
            for code, body in raw.get("countries", {}).items()
        }
        note = str(raw.get("countries", {}).get(FALLBACK, {}).get("emergency_note", ""))
        return cls(
            countries,
            {k.lower(): v.upper() for k, v in raw.get("language_countries", {}).items()},
            {k.upper(): v.upper() for k, v in raw.get("region_aliases", {}).items()},
            note,
            {k.casefold(): v.upper() for k, v in raw.get("country_names", {}).items()},
        )

    @property
    def countries(self) -> frozenset[str]:
        return frozenset(self._countries) - {FALLBACK}

    def for_country(self, code: str | None, topic: str | None = None) -> list[Helpline]:
        """The country's lines (the fallback when it is unknown), paired services adjacent.
        With a topic ("abuse"...), lines for that topic come first, then general ones."""
        lines = self._country(code).lines
        if topic is not None:
            chosen = _with_pairs([h for h in lines if h.covers(topic)], lines)
            specific = [h for h in chosen if topic in h.topics]
            lines = tuple(_adjacent_pairs(specific + [h for h in chosen if h not in specific]))
        return list(_adjacent_pairs(lines))

    def groups(self, code: str | None, topic: str | None = None) -> list[tuple[Helpline, ...]]:
        """The same lines, each pair as one group, for rendering them side by side."""
        out: list[tuple[Helpline, ...]] = []
        for line in self.for_country(code, topic):
            if out and line.pair is not None and out[-1][0].pair == line.pair:
                out[-1] = (*out[-1], line)
            else:
                out.append((line,))
        return out

    def code_for(self, said: str) -> str | None:
        """The country a user typed ("Germany", "de", "UK"), if we have lines for it."""
        wanted = said.strip().strip(".!").casefold()
        for country in self._countries.values():
            if country.code == FALLBACK:
                continue
            if wanted in (country.code.casefold(), country.name.casefold()):
                return country.code
        found = self.country_names.get(wanted) or self.region_aliases.get(wanted.upper())
        return found if found in self._countries else None

    def emergency_number(self, code: str | None) -> str | None:
        """The number for immediate danger, or None when the country is unknown."""
        country = self._countries.get(self._code(code) or "")
        return None if country is None or country.code == FALLBACK else country.emergency

    def emergency(self, code: str | None) -> str:
        """The number, or the fallback wording ("your local emergency number")."""
        return self.emergency_number(code) or self.emergency_note

    def _country(self, code: str | None) -> Country:
        return self._countries.get(self._code(code) or "", self._countries[FALLBACK])

    def _code(self, code: str | None) -> str | None:
        if not code:
            return None
        code = code.strip().upper()
        return self.region_aliases.get(code, code)


def country_from_locale(
    locale: str | None, language_countries: Mapping[str, str] | None = None
) -> str | None:
    """ISO country of a locale tag: "en-GB" -> "GB", "pt-BR" -> "BR", "de" -> "DE" (a language
    spoken mainly in one country), "en" -> None. Accepts "en_GB.UTF-8" and script subtags."""
    if not locale or not isinstance(locale, str):
        return None
    tag = locale.strip().split(".")[0].split("@")[0]
    parts = [p for p in _SUBTAG.split(tag) if p]
    if not parts or not parts[0].isalpha() or len(parts[0]) not in (2, 3):
        return None  # "C", "POSIX", junk
    defaults = _default().language_countries if language_countries is None else language_countries
    for part in parts[1:]:
        if len(part) == 2 and part.isalpha():
            region = part.upper()
            return _default().region_aliases.get(region, region)
        if len(part) == 3 and part.isdigit():
            return None  # a UN region such as 419 (Latin America), not a country
    return defaults.get(parts[0].lower())


@lru_cache(maxsize=1)
def _default() -> Helplines:
    return Helplines.load()


def default_helplines() -> Helplines:
    """The helplines from data/helplines.toml, loaded once."""
    return _default()


def _country(code: str, body: Mapping[str, Any], defaults: Mapping[str, Any]) -> Country:
    lines = tuple(_line(code, raw, defaults) for raw in body.get("lines", ()))
    emergency = body.get("emergency")
    return Country(code, str(body.get("name", code)), emergency and str(emergency), lines)


def _line(code: str, raw: Mapping[str, Any], defaults: Mapping[str, Any]) -> Helpline:
    name = str(raw.get("name", ""))
    if not (raw.get("phone") or raw.get("text") or raw.get("web")):
        raise ValueError(f"{code} / {name!r}: give a phone, text or web contact")
    if not raw.get("source"):
        raise ValueError(f"{code} / {name!r}: every helpline needs its source")
    return Helpline(
        country=code,
        name=name,
        who=str(raw.get("who", "all")),
        topics=tuple(raw.get("topics", (ANY_CRISIS,))),
        source=str(raw["source"]),
        checked=str(raw.get("checked", defaults["checked"])),
        verified_online=bool(raw.get("verified_online", defaults["verified_online"])),
        phone=raw.get("phone"),
        text=raw.get("text"),
        web=raw.get("web"),
        pair=raw.get("pair"),
    )


def _with_pairs(chosen: list[Helpline], pool: Iterable[Helpline]) -> list[Helpline]:
    """Bring back the partners of chosen lines: paired services are shown together."""
    pairs = {h.pair for h in chosen if h.pair is not None}
    return [h for h in pool if h in chosen or (h.pair is not None and h.pair in pairs)]


def _adjacent_pairs(lines: Iterable[Helpline]) -> Iterable[Helpline]:
    """Keep the order, but pull each line's partners up next to the first of its pair."""
    lines = list(lines)
    placed: set[int] = set()
    for i, line in enumerate(lines):
        if i in placed:
            continue
        placed.add(i)
        yield line
        if line.pair is None:
            continue
        for j in range(i + 1, len(lines)):
            if j not in placed and lines[j].pair == line.pair:
                placed.add(j)
                yield lines[j]
