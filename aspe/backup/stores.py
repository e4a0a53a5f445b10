"""The databases a backup reads and a restore writes, on one connection of our own.

The event store, the notifications store and the access log are opened as ASPE opens them
(which creates their tables if need be) to learn their tables' names; rows are then read
and written on one connection: on PostgreSQL, all of them are in one schema, read in one
``REPEATABLE READ READ ONLY`` transaction (one snapshot) and written in one transaction; on
SQLite, the store's files are attached to one connection, each read in a snapshot of its
own (WAL) and written in one transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg

from aspe.access_log import store as access_log
from aspe.backup.tables import TABLES, Spec
from aspe.bootstrap import build_application
from aspe.projections.view import TableView
from aspe.settings import Settings
from aspe.workers import inbox

SQLITE_BATCH = 1_000
POSTGRES_FETCH = 5_000
TABLE_STORES = {"notifications": inbox, "access_log": access_log}
"""The table stores a backup holds besides the event store, by name."""
EVENT_STORE_SUFFIXES = {"events": "", "chain": "_chain", "data_keys": "_data_keys",
                        "data_subjects": "_data_subjects"}  # fmt: skip
"""The event store's tables: the events table's name and these suffixes (``aspe.audit``,
``aspe.privacy.keys``)."""


@dataclass
class Store:
    """One connection to every database of a store, and its tables' names there."""

    kind: str
    """``sqlite`` or ``postgres``."""
    connection: Any
    names: dict[str, str]
    """Each archive table's name in this store (qualified, quoted where needed)."""

    @property
    def events(self) -> str:
        return self.names["events"]

    def columns(self, spec: Spec) -> str:
        return ", ".join(column.in_store(self.kind) for column in spec.columns)

    def rows(self, spec: Spec) -> Iterator[Sequence[Any]]:
        """The table's rows in order, streamed (a server-side cursor on PostgreSQL)."""
        order = next(c for c in spec.columns if c.name == spec.order_by).in_store(self.kind)
        query = f"SELECT {self.columns(spec)} FROM {self.names[spec.name]} ORDER BY {order}"
        if self.kind == "sqlite":
            yield from self.connection.execute(query)
            return
        with self.connection.cursor(name=f"aspe_backup_{spec.name.replace('.', '_')}") as cursor:
            cursor.itersize = POSTGRES_FETCH
            cursor.execute(query)
            yield from cursor

    def scalar(self, query: str, params: Sequence[Any] = ()) -> Any:
        row = self.connection.execute(query, params).fetchone()
        return None if row is None else row[0]

    def insert(self, spec: Spec, rows: Iterable[Sequence[Any]]) -> int:
        """Insert ``rows`` (in the store's own values) as they are; how many."""
        table, columns = self.names[spec.name], self.columns(spec)
        if self.kind == "postgres":
            return self._copy(table, columns, rows)
        marks = ", ".join("?" * len(spec.columns))
        statement = f"INSERT INTO {table} ({columns}) VALUES ({marks})"
        count, batch = 0, []
        for row in rows:
            batch.append(row)
            if len(batch) == SQLITE_BATCH:
                count += self._insert_batch(statement, batch)
        return count + self._insert_batch(statement, batch)

    def _insert_batch(self, statement: str, batch: list[Sequence[Any]]) -> int:
        self.connection.executemany(statement, batch)
        count = len(batch)
        batch.clear()
        return count

    def _copy(self, table: str, columns: str, rows: Iterable[Sequence[Any]]) -> int:
        count = 0
        with (
            self.connection.cursor() as cursor,
            cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
                count += 1
        return count

    def finish_restore(self) -> None:
        """New events are numbered after the restored ones (PostgreSQL's sequence; SQLite
        numbers after its largest rowid by itself), and the planner knows the tables' new
        size (without it, each page of the verification that follows is a full scan)."""
        if self.kind == "postgres":
            for table in self.names.values():
                self.connection.execute(f"ANALYZE {table}")
            self.scalar(
                "SELECT setval(pg_get_serial_sequence(%s, 'notification_id'), "
                f"(SELECT MAX(notification_id) FROM {self.events})) "
                f"WHERE EXISTS (SELECT 1 FROM {self.events})",
                (self.events,),
            )


# ------------------------------------------------------------------------- opening
def _names(settings: Settings) -> dict[str, str]:
    """Every archive table's name in the store ``settings`` name, its tables created."""
    with closing(build_application(settings)) as app:
        recorder: Any = app.recorder
        base = recorder.events_table_name
        prefix = f'"{recorder.datastore.schema}".' if settings.uses_postgres else ""
    names = {name: f'{prefix}"{base}{suffix}"' for name, suffix in EVENT_STORE_SUFFIXES.items()}
    for store_name, module in TABLE_STORES.items():
        view: TableView = module.open_store(settings)
        try:
            for spec in TABLES:
                if spec.store == store_name:
                    table = next(t for t in view.tables if f"{store_name}.{t.name}" == spec.name)
                    names[spec.name] = _attached(settings, store_name, view.name_of(table))
        finally:
            module.close_store(settings)
    return names


def _attached(settings: Settings, store_name: str, name: str) -> str:
    """On SQLite, a table store's file is attached to the event store's connection."""
    return name if settings.uses_postgres else f'"{store_name}".{name}'


def _postgres(settings: Settings) -> psycopg.Connection[Any]:
    env = settings.eventsourcing_env("events")
    return psycopg.connect(
        dbname=env["POSTGRES_DBNAME"],
        host=env["POSTGRES_HOST"],
        port=env["POSTGRES_PORT"],
        user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"] or None,
        connect_timeout=int(env["POSTGRES_CONNECT_TIMEOUT"]),
    )


def _sqlite(settings: Settings) -> sqlite3.Connection:
    connection = sqlite3.connect(settings.sqlite_path("events"), isolation_level=None)
    for store_name in TABLE_STORES:
        connection.execute(
            "ATTACH DATABASE ? AS ?", (str(settings.sqlite_path(store_name)), store_name)
        )
    return connection


@contextmanager
def reading(settings: Settings) -> Iterator[Store]:
    """The store, read in one snapshot (SQLite: one per file), never written."""
    names = _names(settings)
    if settings.uses_postgres:
        with _postgres(settings) as connection:
            connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            connection.read_only = True
            yield Store("postgres", connection, names)
            connection.rollback()
        return
    with closing(_sqlite(settings)) as sqlite:
        sqlite.execute("BEGIN")  # each file's snapshot is taken at its first read
        try:
            yield Store("sqlite", sqlite, names)
        finally:
            sqlite.execute("ROLLBACK")


@contextmanager
def writing(settings: Settings) -> Iterator[Store]:
    """The store, in one write transaction holding the lock every writer of events takes;
    committed if the block ends normally, rolled back otherwise."""
    names = _names(settings)
    if settings.uses_postgres:
        with _postgres(settings) as connection, connection.transaction():
            connection.execute(f"LOCK TABLE {names['events']} IN EXCLUSIVE MODE")
            yield Store("postgres", connection, names)
        return
    with closing(_sqlite(settings)) as sqlite:
        sqlite.execute("BEGIN IMMEDIATE")  # SQLite's write lock, taken now
        try:
            yield Store("sqlite", sqlite, names)
        except BaseException:
            sqlite.execute("ROLLBACK")
            raise
        sqlite.execute("COMMIT")
