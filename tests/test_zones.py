"""Finding a time zone offline, and reading the times and dates people type."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.config import DATA_DIR
from bot.zones import ZoneFinder
from dialogs.clock_input import parse_date, parse_range, parse_time


@pytest.fixture(scope="module")
def finder() -> ZoneFinder:
    return ZoneFinder.load(DATA_DIR / "zones" / "en.toml")


@pytest.mark.parametrize(
    ("typed", "zones"),
    [
        ("Berlin", ["Europe/Berlin"]),
        ("munich", ["Europe/Berlin"]),  # from the data file
        ("  São Paulo ", ["America/Sao_Paulo"]),  # accents, case, spaces
        ("new york", ["America/New_York"]),
        ("Europe/Lisbon", ["Europe/Lisbon"]),  # the IANA name itself
        ("India", ["Asia/Kolkata"]),
        ("Tokio", ["Asia/Tokyo"]),  # a typo
        ("buenos", ["America/Argentina/Buenos_Aires"]),  # a beginning
        ("Qwxyz", []),
        ("x", []),
    ],
)
def test_places(finder: ZoneFinder, typed: str, zones: list[str]) -> None:
    assert finder.find(typed) == zones


def test_a_country_with_several_zones_offers_them_all_most_populous_first(finder) -> None:
    found = finder.find("USA")
    assert found[:4] == [
        "America/New_York",
        "America/Chicago",
        "America/Denver",
        "America/Los_Angeles",
    ]
    assert "Pacific/Honolulu" in found


def test_the_time_it_is_now_gives_the_zones_at_that_offset(finder) -> None:
    january = datetime(2026, 1, 15, 13, 0, tzinfo=UTC)
    assert finder.by_local_time(january, 14, 3)[:2] == ["Europe/Berlin", "Europe/Paris"]
    assert finder.by_local_time(january, 8, 0)[0] == "America/New_York"
    assert finder.by_local_time(january, 18, 30) == ["Asia/Kolkata", "Asia/Colombo"]
    july = datetime(2026, 7, 15, 13, 0, tzinfo=UTC)  # summer time moves Berlin an hour on
    assert finder.by_local_time(july, 15, 0)[0] == "Europe/Berlin"
    assert finder.by_local_time(january, 22, 22) == []  # no zone is 9:15 ahead


@pytest.mark.parametrize(
    ("typed", "minute"),
    [
        ("8:30", 510),
        ("08.30", 510),
        ("8", 480),
        ("7pm", 1140),
        ("7.30 p.m.", 1170),
        ("19h", 1140),
        ("12am", 0),
        ("12pm", 720),
        ("24:00", None),
        ("13pm", None),
        ("soon", None),
    ],
)
def test_times(typed: str, minute: int | None) -> None:
    assert parse_time(typed) == minute


def test_ranges_and_dates() -> None:
    assert parse_range("22-7") == (1320, 420)
    assert parse_range("10pm – 6:30am") == (1320, 390)
    assert parse_range("7-7") is None
    today = date(2026, 11, 27)
    assert parse_date("2026-12-24", today) == date(2026, 12, 24)
    assert parse_date("24.12.", today) == date(2026, 12, 24)
    assert parse_date("3.1.", today) == date(2027, 1, 3)  # already past this year: next year
    assert parse_date("10", today) == date(2026, 12, 7)  # days from today
    assert parse_date("2025-01-01", today) is None  # the past
    assert parse_date("2030-01-01", today) is None  # more than a year ahead
    assert parse_date("31.02.", today) is None
