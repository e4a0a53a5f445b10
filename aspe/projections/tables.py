"""Read-model tables, described once, created and written in SQLite or PostgreSQL.

A read model declares its tables as data (``Table``); the two ``Dialect``s turn that into
DDL, bulk upserts and value conversions, so no read model writes SQL for one backend only.
Values in rows are plain Python: ``str``, ``int``, ``bool``, ``float``, ``None`` and, for
``JSON`` columns, lists and dicts. Dates are ISO strings (they sort), amounts integer cents.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from types import NoneType, UnionType
from typing import Any, ClassVar, Generic, TypeVar, get_args, get_type_hints

TEXT = "text"
INT = "int"
BOOL = "bool"
REAL = "real"
JSON = "json"

R = TypeVar("R", bound=Mapping[str, object])
"""A table's row type: a ``TypedDict`` naming each column and the Python type of its values."""

Row = dict[str, Any]
Key = tuple[Any, ...]

_KINDS: Mapping[object, str] = {str: TEXT, bool: BOOL, int: INT, float: REAL}


def column_kind(annotation: object) -> str:
    """A column's type from its value's: ``X | None`` is ``X``'s; anything that is not a
    ``str``, ``bool``, ``int`` or ``float`` (a list, a dict) is stored as ``JSON``."""
    if isinstance(annotation, UnionType):
        (annotation,) = (member for member in get_args(annotation) if member is not NoneType)
    return _KINDS.get(annotation, JSON)


@dataclass(frozen=True)
class Table(Generic[R]):
    """One table of a read model: its row type (which names and types its columns), key and
    secondary indexes. The row type is the one declaration of a column: the database's
    tables are made from it, and what the read side returns is typed by it.

    ``append_only`` tables are only ever inserted into (the audit trail): the projection
    neither reads nor updates their rows, so a rebuild streams them in bulk.
    """

    name: str
    row_type: type[R] = field(hash=False, repr=False)
    key: tuple[str, ...]
    indexes: tuple[tuple[str, ...], ...] = ()
    append_only: bool = False

    @cached_property
    def columns(self) -> Mapping[str, str]:
        """Column name → type, in the row type's order."""
        return {
            column: column_kind(annotation)
            for column, annotation in get_type_hints(self.row_type).items()
        }

    def key_of(self, row: Mapping[str, Any]) -> Key:
        return tuple(row[column] for column in self.key)

    def fingerprint(self) -> str:
        shape = [self.name, sorted(self.columns.items()), self.key, self.indexes]
        return hashlib.sha256(json.dumps(shape).encode()).hexdigest()[:12]


def schema_fingerprint(tables: Sequence[Table[Any]], salt: str = "") -> str:
    """Changes whenever a table's shape (or ``salt``) changes, so a stale read model is rebuilt."""
    shape = "".join(table.fingerprint() for table in tables) + salt
    return hashlib.sha256(shape.encode()).hexdigest()[:16]


class Dialect:
    """How one database spells types, placeholders and values."""

    placeholder: str
    types: ClassVar[Mapping[str, str]]

    def create(self, table: Table[Any], name: str) -> str:
        columns = ", ".join(
            f"{column} {self.types[kind]}" for column, kind in table.columns.items()
        )
        return (
            f"CREATE TABLE IF NOT EXISTS {name} ({columns}, PRIMARY KEY ({', '.join(table.key)}))"
        )

    def create_indexes(self, table: Table[Any], name: str, bare_name: str) -> list[str]:
        return [
            f"CREATE INDEX IF NOT EXISTS {bare_name}_{'_'.join(index)}_idx "
            f"ON {name} ({', '.join(index)})"
            for index in table.indexes
        ]

    def upsert(self, table: Table[Any], name: str) -> str:
        columns = list(table.columns)
        marks = ", ".join([self.placeholder] * len(columns))
        updates = [c for c in columns if c not in table.key]
        conflict = (
            f"DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in updates)}"
            if updates
            else "DO NOTHING"
        )
        return (
            f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({marks}) "
            f"ON CONFLICT ({', '.join(table.key)}) {conflict}"
        )

    def insert(self, table: Table[Any], name: str) -> str:
        marks = ", ".join([self.placeholder] * len(table.columns))
        return f"INSERT INTO {name} ({', '.join(table.columns)}) VALUES ({marks})"

    def where_key(self, table: Table[Any]) -> str:
        return " AND ".join(f"{column} = {self.placeholder}" for column in table.key)

    def encode(self, table: Table[Any], row: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(
            self.encode_value(kind, row.get(column)) for column, kind in table.columns.items()
        )

    def encode_value(self, kind: str, value: Any) -> Any:
        if value is not None and kind == JSON:
            return json.dumps(value, sort_keys=True, ensure_ascii=False)
        return value

    def decode(self, table: Table[Any], row: Mapping[str, Any]) -> Row:
        return {
            column: self.decode_value(kind, row[column]) for column, kind in table.columns.items()
        }

    def decode_value(self, kind: str, value: Any) -> Any:
        if value is not None and kind == JSON:
            return json.loads(value)
        return value


TEXT_TYPES: Mapping[str, str] = {TEXT: "TEXT", JSON: "TEXT"}
"""The types both dialects spell alike: JSON is written and read back as text."""


class SQLiteDialect(Dialect):
    placeholder = "?"
    types: ClassVar[Mapping[str, str]] = {
        **TEXT_TYPES,
        INT: "INTEGER",
        BOOL: "INTEGER",  # 0 and 1: encode_value and decode_value convert
        REAL: "REAL",
    }

    def encode_value(self, kind: str, value: Any) -> Any:
        if value is not None and kind == BOOL:
            return int(value)
        return super().encode_value(kind, value)

    def decode_value(self, kind: str, value: Any) -> Any:
        if value is not None and kind == BOOL:
            return bool(value)
        return super().decode_value(kind, value)


class PostgresDialect(Dialect):
    placeholder = "%s"
    types: ClassVar[Mapping[str, str]] = {
        **TEXT_TYPES,
        INT: "BIGINT",
        BOOL: "BOOLEAN",
        REAL: "DOUBLE PRECISION",
    }
