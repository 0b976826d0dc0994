"""Coaching words, loaded from data/<locale>/*.toml; code only ever names a key."""

from __future__ import annotations

import tomllib
import zlib
from dataclasses import dataclass
from pathlib import Path


class _Blank(dict):
    """Leaves an unknown {placeholder} visible instead of raising mid-conversation."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _flatten(prefix: str, table: dict, into: dict[str, tuple[str, ...]]) -> None:
    for name, value in table.items():
        key = f"{prefix}.{name}" if prefix else name
        if isinstance(value, dict):
            _flatten(key, value, into)
        elif isinstance(value, str):
            into[key] = (value,)
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            into[key] = tuple(value)
        else:
            raise ValueError(f"text {key!r} must be a string or a list of strings")


@dataclass(frozen=True)
class Texts:
    """All texts of all locales; a key missing in one locale falls back to the default one."""

    by_locale: dict[str, dict[str, tuple[str, ...]]]
    default_locale: str

    @classmethod
    def load(cls, texts_dir: Path, default_locale: str = "en") -> Texts:
        """`texts_dir` holds one folder per locale, e.g. data/texts/en/*.toml."""
        by_locale: dict[str, dict[str, tuple[str, ...]]] = {}
        for folder in sorted(p for p in texts_dir.iterdir() if p.is_dir()):
            texts: dict[str, tuple[str, ...]] = {}
            for file in sorted(folder.glob("*.toml")):
                _flatten(file.stem, tomllib.loads(file.read_text("utf-8")), texts)
            if texts:
                by_locale[folder.name] = texts
        if default_locale not in by_locale:
            raise ValueError(f"no texts for the default locale {default_locale!r} in {texts_dir}")
        return cls(by_locale, default_locale)

    def has(self, key: str) -> bool:
        return key in self.by_locale[self.default_locale]

    def variants(self, key: str, locale: str | None = None) -> tuple[str, ...]:
        table = self.by_locale.get(self.locale_for(locale), {})
        found = table.get(key) or self.by_locale[self.default_locale].get(key)
        if found is None:
            raise KeyError(f"no text {key!r}")
        return found

    def locale_for(self, hint: str | None) -> str:
        """'de-AT' -> 'de' when German texts exist, else the default locale."""
        if hint:
            base = hint.replace("_", "-").split("-")[0].lower()
            if base in self.by_locale:
                return base
        return self.default_locale

    def say(self, key: str, locale: str | None = None, seed: int = 0, **values: object) -> str:
        """One variant of `key`; a different `seed` each turn keeps wording from repeating."""
        options = self.variants(key, locale)
        pick = (seed + zlib.crc32(key.encode())) % len(options)
        return options[pick].format_map(_Blank(values)).strip()
