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
from typing import Any, ClassVar

TEXT = "text"
INT = "int"
BOOL = "bool"
REAL = "real"
JSON = "json"

SHARED_COLUMNS: Mapping[str, str] = {
    "account_id": TEXT,
    "aid_granted_cents": INT,
    "aid_requested_cents": INT,
    "association_id": TEXT,
    "body": TEXT,
    "case_id": TEXT,
    "city": TEXT,
    "closed_on": TEXT,
    "commission_session_on": TEXT,
    "completed_on": TEXT,
    "contact": TEXT,
    "decided_on": TEXT,
    "decision_notified_on": TEXT,
    "duration_months": INT,
    "email": TEXT,
    "ends_on": TEXT,
    "final_report_on": TEXT,
    "findings": JSON,
    "former_referents": JSON,
    "granted": BOOL,
    "household_id": TEXT,
    "household_name": TEXT,
    "household_still_housed": BOOL,
    "key": TEXT,
    "landlord_consent": BOOL,
    "landlord_id": TEXT,
    "measure_type": TEXT,
    "members": INT,
    "monthly_rent_cents": INT,
    "name": TEXT,
    "objectives": JSON,
    "opened_on": TEXT,
    "organisation_id": TEXT,
    "postcode": TEXT,
    "probation_months": INT,
    "proposed_duration_months": INT,
    "proposed_measure": TEXT,
    "proposed_objectives": JSON,
    "raised_on": TEXT,
    "referent_id": TEXT,
    "registered": BOOL,
    "registered_on": TEXT,
    "rent_arrears_cents": INT,
    "starts_on": TEXT,
    "status": TEXT,
    "stop_reason": TEXT,
    "stopped_on": TEXT,
    "street": TEXT,
    "subject": TEXT,
    "submitted": BOOL,
    "submitted_on": TEXT,
    "suspensions": JSON,
    "updated_at": TEXT,
    "version": INT,
}
"""The columns several read models hold, each with its one type."""


def columns(shared: str, **own: str) -> dict[str, str]:
    """A table's columns: the ``shared`` ones, named in one string and typed as every read
    model types them (``SHARED_COLUMNS``), then the table's ``own``, typed here."""
    return {**{name: SHARED_COLUMNS[name] for name in shared.split()}, **own}


Row = dict[str, Any]
Key = tuple[Any, ...]


@dataclass(frozen=True)
class Table:
    """One table of a read model: its columns (name → type), key and secondary indexes.

    ``append_only`` tables are only ever inserted into (the audit trail): the projection
    neither reads nor updates their rows, so a rebuild streams them in bulk.
    """

    name: str
    columns: Mapping[str, str] = field(hash=False)
    key: tuple[str, ...]
    indexes: tuple[tuple[str, ...], ...] = ()
    append_only: bool = False

    def key_of(self, row: Mapping[str, Any]) -> Key:
        return tuple(row[column] for column in self.key)

    def fingerprint(self) -> str:
        shape = [self.name, sorted(self.columns.items()), self.key, self.indexes]
        return hashlib.sha256(json.dumps(shape).encode()).hexdigest()[:12]


def schema_fingerprint(tables: Sequence[Table], salt: str = "") -> str:
    """Changes whenever a table's shape (or ``salt``) changes, so a stale read model is rebuilt."""
    shape = "".join(table.fingerprint() for table in tables) + salt
    return hashlib.sha256(shape.encode()).hexdigest()[:16]


class Dialect:
    """How one database spells types, placeholders and values."""

    placeholder: str
    types: ClassVar[Mapping[str, str]]

    def create(self, table: Table, name: str) -> str:
        columns = ", ".join(
            f"{column} {self.types[kind]}" for column, kind in table.columns.items()
        )
        return (
            f"CREATE TABLE IF NOT EXISTS {name} ({columns}, PRIMARY KEY ({', '.join(table.key)}))"
        )

    def create_indexes(self, table: Table, name: str, bare_name: str) -> list[str]:
        return [
            f"CREATE INDEX IF NOT EXISTS {bare_name}_{'_'.join(index)}_idx "
            f"ON {name} ({', '.join(index)})"
            for index in table.indexes
        ]

    def upsert(self, table: Table, name: str) -> str:
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

    def insert(self, table: Table, name: str) -> str:
        marks = ", ".join([self.placeholder] * len(table.columns))
        return f"INSERT INTO {name} ({', '.join(table.columns)}) VALUES ({marks})"

    def where_key(self, table: Table) -> str:
        return " AND ".join(f"{column} = {self.placeholder}" for column in table.key)

    def encode(self, table: Table, row: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(
            self.encode_value(kind, row.get(column)) for column, kind in table.columns.items()
        )

    def encode_value(self, kind: str, value: Any) -> Any:
        if value is not None and kind == JSON:
            return json.dumps(value, sort_keys=True, ensure_ascii=False)
        return value

    def decode(self, table: Table, row: Mapping[str, Any]) -> Row:
        return {
            column: self.decode_value(kind, row[column]) for column, kind in table.columns.items()
        }

    def decode_value(self, kind: str, value: Any) -> Any:
        if value is not None and kind == JSON:
            return json.loads(value)
        return value


class SQLiteDialect(Dialect):
    placeholder = "?"
    types: ClassVar[Mapping[str, str]] = {
        TEXT: "TEXT",
        INT: "INTEGER",
        BOOL: "INTEGER",
        REAL: "REAL",
        JSON: "TEXT",
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
        TEXT: "TEXT",
        INT: "BIGINT",
        BOOL: "BOOLEAN",
        REAL: "DOUBLE PRECISION",
        JSON: "TEXT",
    }
