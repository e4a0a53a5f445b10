"""What a backup holds, table by table, and how each value is written in the archive.

Each table is named by what it is, not by where a backend keeps it: ``events`` is
``stored_events`` on SQLite and ``<schema>.aspe_events`` on PostgreSQL. A row is a JSON
array of its columns in the order given here; each column has a kind that says how its value
is written (bytes in base64, an originator id as its canonical UUID text), so an archive of
one backend reads into the other.

Snapshots are left out: they are derived from the events and made again as cases are saved.
Read models are left out: they are rebuilt from the events after a restore.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from aspe.access_log.store import ENTRIES
from aspe.projections.tables import INT, Table
from aspe.workers.inbox import DELIVERIES, INBOX

TEXT, INTEGER, BYTES, FLAG, ORIGINATOR = "text", "int", "bytes", "bool", "originator"


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    sqlite_name: str | None = None
    """Where SQLite keeps it, when elsewhere (the events' position is SQLite's ``rowid``)."""

    def in_store(self, kind: str) -> str:
        return self.sqlite_name if kind == "sqlite" and self.sqlite_name else self.name


@dataclass(frozen=True)
class Spec:
    """One table of the archive: its name there, its columns, its store."""

    name: str
    columns: tuple[Column, ...]
    store: str
    """``events`` (the event store's database) or a table store's name."""
    order_by: str
    """The column rows are written in the order of (a restore inserts them in that order)."""


_POSITION = Column("notification_id", INTEGER, sqlite_name="rowid")
_EVENT = (Column("originator_id", ORIGINATOR), Column("originator_version", INTEGER))


def _store_table(table: Table[Any], store: str) -> Spec:
    """A table store's table (notifications, access log): its columns from its row type."""
    columns = tuple(
        Column(name, INTEGER if kind == INT else TEXT) for name, kind in table.columns.items()
    )
    return Spec(f"{store}.{table.name}", columns, store, table.key[0])


TABLES: tuple[Spec, ...] = (
    Spec(
        "data_keys",
        (
            Column("household_id", TEXT),
            Column("data_key", BYTES),
            Column("wrapped", FLAG),
            Column("created_at", TEXT),
            Column("destroyed_at", TEXT),
        ),
        "events",
        "household_id",
    ),
    Spec(
        "data_subjects",
        (Column("originator_id", TEXT), Column("household_id", TEXT)),
        "events",
        "originator_id",
    ),
    Spec(
        "events",
        (_POSITION, *_EVENT, Column("topic", TEXT), Column("state", BYTES)),
        "events",
        "notification_id",
    ),
    Spec(
        "chain",
        (
            Column("notification_id", INTEGER),
            *_EVENT,
            Column("topic", TEXT),
            Column("state_sha256", BYTES),
            Column("hash", BYTES),
        ),
        "events",
        "notification_id",
    ),
    _store_table(DELIVERIES, "notifications"),
    _store_table(INBOX, "notifications"),
    _store_table(ENTRIES, "access_log"),
)
"""Every table a backup holds, in the order it writes and a restore inserts them: the keys
first, so that a restore under another master key is refused before the events stream in."""

BY_NAME = {spec.name: spec for spec in TABLES}


# ------------------------------------------------------------------------ the values
def _originator_out(value: Any) -> str:
    return str(value if isinstance(value, UUID) else UUID(value))


def _bytes_out(value: Any) -> str:
    return base64.b64encode(bytes(value)).decode("ascii")


_OUT: dict[str, Callable[[Any], Any]] = {
    TEXT: str,
    INTEGER: int,
    BYTES: _bytes_out,
    FLAG: bool,
    ORIGINATOR: _originator_out,
}


def encode(spec: Spec, row: Sequence[Any]) -> list[Any]:
    """A row as the store gave it, to the archive's JSON values."""
    return [
        None if value is None else _OUT[column.kind](value)
        for column, value in zip(spec.columns, row, strict=True)
    ]


def _originator_in(kind: str) -> Callable[[Any], Any]:
    # SQLite keeps a UUID as its hex text (the library's recorder), PostgreSQL as a uuid.
    return (lambda text: UUID(text).hex) if kind == "sqlite" else UUID


def decoders(kind: str) -> dict[str, Callable[[Any], Any]]:
    """For a store of ``kind``: each column kind's archive value, to what the store takes."""
    return {
        TEXT: str,
        INTEGER: int,
        BYTES: base64.b64decode,
        FLAG: bool,
        ORIGINATOR: _originator_in(kind),
    }


def decoder(spec: Spec, kind: str) -> Callable[[Sequence[Any]], list[Any]]:
    """An archive row of ``spec`` to the values a store of ``kind`` takes (its converters
    looked up once: a restore decodes millions of rows)."""
    into = decoders(kind)
    converters = [into[column.kind] for column in spec.columns]

    def decode(values: Sequence[Any]) -> list[Any]:
        if len(values) != len(converters):
            raise ValueError(f"{spec.name}: {len(values)} values for {len(converters)} columns")
        return [
            None if value is None else convert(value)
            for convert, value in zip(converters, values, strict=True)
        ]

    return decode


def originator_bytes(kind: str, originator_id: str) -> bytes:
    """The originator id's bytes a chain link of a ``kind`` store covers (``aspe.audit``):
    SQLite's hex text, PostgreSQL's 16 bytes."""
    uuid = UUID(originator_id)
    return uuid.hex.encode() if kind == "sqlite" else uuid.bytes
