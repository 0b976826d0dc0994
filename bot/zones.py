"""Finding a user's IANA time zone offline: from a place they type (a city or a country), or
from the time it is for them now. Built from zoneinfo's own zone names plus a data file of
common countries and cities (data/zones/<locale>.toml)."""

from __future__ import annotations

import difflib
import tomllib
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

AREAS = (
    "Africa",
    "America",
    "Antarctica",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
)
MAX_CANDIDATES = 6
STEP = timedelta(minutes=15)  # every zone's offset is a multiple of this
TYPO_CUTOFF = 0.8


def normalize(text: str) -> str:
    """'São_Paulo ' -> 'sao paulo': no accents, no case, single spaces."""
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch)).casefold()
    for sep in "_-./,'’":
        plain = plain.replace(sep, " ")
    return " ".join(plain.split())


@dataclass(frozen=True)
class ZoneFinder:
    places: dict[str, tuple[str, ...]]  # normalized place name -> zones, most likely first
    zones: frozenset[str]
    common: tuple[str, ...]  # the order zones are offered in when only the time is known

    @classmethod
    def load(cls, path: Path) -> ZoneFinder:
        data = tomllib.loads(path.read_text("utf-8"))
        zones = frozenset(
            z for z in available_timezones() if z.split("/")[0] in AREAS or z == "UTC"
        )
        places: dict[str, tuple[str, ...]] = {"utc": ("UTC",), "gmt": ("UTC",)}
        for zone in sorted(zones):
            for key in (normalize(zone.rsplit("/", 1)[-1]), normalize(zone)):
                places.setdefault(key, (zone,))
        for name, found in data.get("places", {}).items():
            places[normalize(name)] = (found,) if isinstance(found, str) else tuple(found)
        common = tuple(z for z in data.get("common", ()) if z in zones)
        return cls(places, zones, common)

    def find(self, text: str) -> list[str]:
        """Zones for a typed place: exact, then by prefix, then allowing a typo."""
        key = normalize(text)
        if len(key) < 2:
            return []
        if key in self.places:
            return list(self.places[key])
        found: list[str] = []
        if len(key) >= 3:
            for name in sorted(k for k in self.places if k.startswith(key)):
                found += self.places[name]
        if not found:
            for name in difflib.get_close_matches(key, self.places, n=3, cutoff=TYPO_CUTOFF):
                found += self.places[name]
        return _unique(found)[:MAX_CANDIDATES]

    def by_local_time(self, now: datetime, hour: int, minute: int) -> list[str]:
        """Zones where it is about hour:minute at `now` (UTC): the offset is rounded to the
        quarter hour, so a clock a few minutes off still matches."""
        utc = now.astimezone(ZoneInfo("UTC"))
        told = utc.replace(hour=hour, minute=minute, second=0, microsecond=0)
        delta = (told - utc.replace(second=0, microsecond=0)) % timedelta(days=1)
        offset = round(delta / STEP) * STEP
        if offset > timedelta(hours=14):  # west of UTC: the local day is behind
            offset -= timedelta(days=1)
        matching = [z for z in self.common if ZoneInfo(z).utcoffset(utc) == offset]
        if not matching:
            matching = sorted(z for z in self.zones if ZoneInfo(z).utcoffset(utc) == offset)
        return matching[:MAX_CANDIDATES]


def _unique(zones: list[str]) -> list[str]:
    return list(dict.fromkeys(zones))
