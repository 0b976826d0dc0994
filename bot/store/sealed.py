"""Free text encrypted at rest (Fernet) when DATA_ENCRYPTION_KEY is set.

Columns of type `SealedText` are sealed on write and opened on read, so the rest of the code
never sees ciphertext. The sealer belongs to one database engine (set on its dialect), not to
the module. Several comma-separated keys rotate: the first seals, any of them opens, and
`coach db rotate-key` re-seals every value with the first (plain values get sealed too).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Connection, Dialect, Table, Text, select, update
from sqlalchemy.types import TypeDecorator

PREFIX = "fernet:"  # tells sealed values from plain ones written before a key was set


class SealError(RuntimeError):
    pass


class Sealer:
    def __init__(self, keys: Sequence[str]) -> None:
        self._fernet = MultiFernet([Fernet(key.strip().encode()) for key in keys])

    def seal(self, text: str) -> str:
        return PREFIX + self._fernet.encrypt(text.encode()).decode()

    def open(self, stored: str) -> str:
        if not stored.startswith(PREFIX):
            return stored
        try:
            return self._fernet.decrypt(stored[len(PREFIX) :].encode()).decode()
        except InvalidToken:
            raise SealError("a value was sealed with a key not in DATA_ENCRYPTION_KEY") from None


def sealer_of(dialect: Dialect) -> Sealer | None:
    return getattr(dialect, "coach_sealer", None)


def attach(dialect: Dialect, sealer: Sealer | None) -> None:
    dialect.coach_sealer = sealer  # type: ignore[attr-defined]


class SealedText(TypeDecorator[str]):
    """TEXT in the database; Fernet-sealed there when the engine has a sealer."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        sealer = sealer_of(dialect)
        return sealer.seal(value) if sealer and value is not None else value

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or not value.startswith(PREFIX):
            return value
        sealer = sealer_of(dialect)
        if sealer is None:
            raise SealError("the database holds encrypted text: set DATA_ENCRYPTION_KEY")
        return sealer.open(value)


def sealed_columns(tables: Sequence[Table]) -> Iterator[tuple[Table, str]]:
    for table in tables:
        for column in table.columns:
            if isinstance(column.type, SealedText):
                yield table, column.name


def reseal_all(conn: Connection, tables: Sequence[Table]) -> int:
    """Re-seal every sealed value with the current key (run by `coach db rotate-key`).
    Reading opens with any key and writing seals with the first, so a read-write does it."""
    if sealer_of(conn.dialect) is None:
        raise SealError("set DATA_ENCRYPTION_KEY (new key first, then the old ones) to rotate")
    count = 0
    for table, name in sealed_columns(tables):
        keys = list(table.primary_key.columns)
        rows = conn.execute(select(*keys, table.c[name]).where(table.c[name].is_not(None)))
        for row in rows.all():
            where = [key == row._mapping[key] for key in keys]
            conn.execute(update(table).where(*where).values({name: row._mapping[name]}))
            count += 1
    return count
