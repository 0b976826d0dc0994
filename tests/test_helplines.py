"""Helplines data and lookup: every entry is reachable, sourced and dated; paired services
stay together; unknown countries get the international fallback."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from bot.helplines import (
    FALLBACK,
    HELPLINES_FILE,
    Helplines,
    country_from_locale,
    default_helplines,
)
from bot.safety import CATEGORIES

REQUIRED = {"US", "GB", "IE", "CA", "AU", "NZ", "DE", "AT", "CH", "FR", "NL", "ES", "IT", "IN"}
TOPICS = {*CATEGORIES, "crisis"}


@pytest.fixture(scope="module")
def helplines() -> Helplines:
    return Helplines.load(HELPLINES_FILE)


def test_every_required_country_has_lines_and_an_emergency_number(helplines: Helplines) -> None:
    assert helplines.countries >= REQUIRED
    for code in REQUIRED:
        assert helplines.for_country(code), code
        assert helplines.emergency_number(code), code


@pytest.mark.parametrize(
    ("code", "number"),
    [("US", "911"), ("CA", "911"), ("GB", "999"), ("IE", "112"), ("AU", "000"), ("NZ", "111")],
)
def test_emergency_numbers(helplines: Helplines, code: str, number: str) -> None:
    assert number in (helplines.emergency_number(code) or "")


def test_every_entry_is_reachable_sourced_and_dated(helplines: Helplines) -> None:
    for code in [*helplines.countries, FALLBACK]:
        for line in helplines.for_country(code):
            assert line.phone or line.text or line.web, line
            assert re.match(r"https?://[a-z0-9.-]+\.[a-z]{2,}", line.source), line
            assert date.fromisoformat(line.checked), line
            assert line.who, line
            assert set(line.topics) <= TOPICS, line


def test_the_file_says_plainly_that_entries_are_not_verified_online(helplines: Helplines) -> None:
    lines = [h for code in helplines.countries for h in helplines.for_country(code)]
    if any(not h.verified_online for h in lines):
        header = HELPLINES_FILE.read_text(encoding="utf-8")[:600]
        assert "NOT VERIFIED ONLINE" in header
        assert "verified_online = false" in HELPLINES_FILE.read_text(encoding="utf-8")


@pytest.mark.parametrize("code", [None, "", "ZZ", "xx", "BR"])
def test_an_unknown_country_gets_the_international_fallback(
    helplines: Helplines, code: str | None
) -> None:
    lines = helplines.for_country(code)
    assert any("findahelpline.com" in (h.web or "") for h in lines)
    assert helplines.emergency_number(code) is None
    assert "emergency" in helplines.emergency(code)


def test_a_known_country_shows_only_its_own_lines(helplines: Helplines) -> None:
    assert {h.country for h in helplines.for_country("DE")} == {"DE"}


def test_codes_are_case_insensitive_and_uk_means_gb(helplines: Helplines) -> None:
    assert helplines.for_country("gb") == helplines.for_country("GB")
    assert helplines.for_country("UK") == helplines.for_country("GB")


def test_paired_services_are_adjacent_in_every_country(helplines: Helplines) -> None:
    for code in helplines.countries:
        for topic in (None, *CATEGORIES):
            pairs = [h.pair for h in helplines.for_country(code, topic) if h.pair]
            seen: list[str] = []
            for pair in pairs:
                if seen and seen[-1] != pair:
                    assert pair not in seen, (code, topic, pairs)
                seen.append(pair)


def test_adult_and_youth_lines_are_grouped_together(helplines: Helplines) -> None:
    groups = helplines.groups("GB", "eating_disorder")
    assert [h.who for h in groups[0]] == ["adults", "youth"]
    crisis = next(g for g in helplines.groups("AU") if len(g) > 1)
    assert {h.who for h in crisis} == {"all", "youth"}


def test_a_topic_puts_its_own_lines_first_and_keeps_general_ones(helplines: Helplines) -> None:
    lines = helplines.for_country("US", "abuse")
    assert "abuse" in lines[0].topics
    assert any("crisis" in h.topics for h in lines)
    assert len(helplines.for_country("CH", "eating_disorder")) >= 1  # general lines at least


@pytest.mark.parametrize(
    ("locale", "country"),
    [
        ("en-GB", "GB"),
        ("de", "DE"),
        ("pt-BR", "BR"),
        ("en", None),
        ("en-US", "US"),
        ("en_GB.UTF-8", "GB"),
        ("zh-Hant-TW", "TW"),
        ("de-AT", "AT"),
        ("EN-gb", "GB"),
        ("en-UK", "GB"),
        ("es-419", None),
        ("es", None),
        ("C", None),
        ("", None),
        (None, None),
        ("not a locale", None),
    ],
)
def test_country_from_locale(locale: str | None, country: str | None) -> None:
    assert country_from_locale(locale) == country


def test_language_defaults_can_be_passed_in() -> None:
    assert country_from_locale("fr", {"fr": "CA"}) == "CA"


def test_the_default_data_is_loaded_once() -> None:
    assert default_helplines() is default_helplines()


def test_data_without_a_fallback_or_a_source_is_rejected(tmp_path: Path) -> None:
    no_fallback = tmp_path / "a.toml"
    no_fallback.write_text('[countries.US]\nname = "US"\nemergency = "911"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="fallback"):
        Helplines.load(no_fallback)
    no_source = tmp_path / "b.toml"
    no_source.write_text(
        '[countries.INTL]\nname = "x"\n[[countries.INTL.lines]]\nname = "x"\nweb = "https://x.org"\n',
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="source"):
        Helplines.load(no_source)
