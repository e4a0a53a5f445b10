"""Application recorders that write each event's link in the event's own transaction.

The application chooses them by topic (``APPLICATION_RECORDER_TOPIC``, set by
``Settings.eventsourcing_env`` for the event store): the library's factories build them in
place of their own application recorders, which they extend at the hook each offers after
the notification ids are known. Snapshots are derived data, not history: their recorder is
the library's, creating its table one process at a time as the others do
(``aspe.creation_lock``; on PostgreSQL through ``AspePostgresFactory``). The same
recorders create the table of the households' data keys (``aspe.privacy.keys``), which
belongs with the events it opens.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from typing import Any
from uuid import UUID

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresFactory,
)
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteDatastore
from eventsourcing.utils import retry
from psycopg import Connection, Cursor
from psycopg import Error as DriverError
from psycopg.abc import Query
from psycopg.pq import TransactionStatus
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composable, Identifier, Literal

from aspe.audit.links import Link, StoredRow
from aspe.audit.tables import COLUMNS, ChainTable, postgres_table, sqlite_table
from aspe.creation_lock import creating_tables
from aspe.privacy.keys import KeyStatements, postgres_statements, sqlite_statements


def _rows(
    table: ChainTable, ids: Sequence[int], events: Sequence[StoredEvent], stored_id: Any = None
) -> list[StoredRow]:
    """The inserted events at their positions, each originator id as the store holds it."""
    as_stored = stored_id or (lambda originator_id: originator_id)
    return [
        StoredRow(position, table.to_bytes(as_stored(event.originator_id)),
                  event.originator_version, event.topic, event.state)
        for position, event in zip(ids, events, strict=True)
    ]  # fmt: skip


def _sqlite_id(originator_id: UUID | str) -> str:
    """SQLite keeps a UUID as its hex text (the library's aggregate recorder)."""
    return originator_id.hex if isinstance(originator_id, UUID) else originator_id


class ChainedSQLiteApplicationRecorder(SQLiteApplicationRecorder):
    """SQLite's application recorder, linking each event as it inserts it."""

    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = "stored_events"):
        self.chain = sqlite_table(events_table_name)
        self.keys: KeyStatements = sqlite_statements(events_table_name)
        super().__init__(datastore, events_table_name)

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), self.chain.create, *self.keys.create]

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        if ids:  # the inserts hold SQLite's write lock until the transaction ends
            self.chain.append(c, _rows(self.chain, ids, stored_events, _sqlite_id))
        return ids


class ChainedPostgresApplicationRecorder(PostgresApplicationRecorder):
    """PostgreSQL's application recorder, linking each event as it inserts it."""

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        self.chain = postgres_table(
            datastore.schema, events_table_name, datastore.originator_id_type
        )
        self.keys: KeyStatements = postgres_statements(datastore.schema, events_table_name)
        self.check_identifier_length(f"{events_table_name}_chain")
        self.check_identifier_length(f"{events_table_name}_data_subjects")

    def create_table(self) -> None:
        with creating_tables(self.datastore):
            super().create_table()

    def _create_table(self, curs: Cursor[DictRow]) -> None:
        super()._create_table(curs)
        for statement in (self.chain.create, *self.keys.create):
            curs.execute(statement.encode(), prepare=False)

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        if ids:  # the insert holds the events table's EXCLUSIVE lock until commit
            self.chain.append(curs, _rows(self.chain, ids, stored_events))
        return ids


class PreparedPostgresApplicationRecorder(ChainedPostgresApplicationRecorder):
    """The chained recorder, inserting in fewer round trips and prepared statements.

    One transaction per call, as the library's: one round trip sends ``BEGIN``, the
    library's own ``SET LOCAL lock_timeout`` and ``LOCK TABLE … IN EXCLUSIVE MODE``
    statements and its ``NOTIFY`` on the table's channel, in its order (insert order =
    commit order for the notification log's readers, and the runners' LISTEN wakes at
    commit), then reads the chain's head under that lock; then one prepared ``INSERT …
    RETURNING notification_id`` per event; then the links' one INSERT and ``COMMIT``, in one
    round trip. A one-event save is three round trips, without the library's pipeline and
    its ``unnest`` of a composite array adapted in Python (``bench/README.md``, issue 17).

    It overrides ``insert_events`` itself, the smallest hook that can: the library's
    finer hooks (``_insert_events``, ``_insert_stored_events``,
    ``_fetch_ids_after_insert_events``) all run inside its pipeline and
    ``conn.transaction()``, which fix the transaction's start (its own round trip outside a
    pipeline) and the insert statement. It keeps the library's retry
    (``retry`` on ``InterfaceError`` and ``OperationalError``, as the library's decorator
    says), its error translation (``datastore.get_connection``: a version conflict is still
    the library's ``IntegrityError``), and falls back to the library's path for DB
    functions and for a call without events.
    """

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        notify = SQL("NOTIFY {0}").format(Identifier(self.channel_name))  # _notify_channel's
        statements: list[Query] = [SQL("BEGIN"), *self.lock_table_statements, notify]
        self.begin_statement = "; ".join(
            [*(_text(statement) for statement in statements), self.chain.head_query()]
        ).encode()
        self.insert_event_statement = (
            SQL(
                "INSERT INTO {0}.{1} (originator_id, originator_version, topic, state) "
                "VALUES (%s, %s, %s, %s) RETURNING notification_id"
            )
            .format(Identifier(datastore.schema), Identifier(events_table_name))
            .as_bytes()
        )

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if not stored_events or self.datastore.enable_db_functions:
            library: Sequence[int] | None = super().insert_events(stored_events, **kwargs)
            return library
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            try:
                ids = self._insert_in_transaction(curs, stored_events, **kwargs)
            except BaseException:
                _roll_back(conn)
                raise
        return ids

    def _insert_in_transaction(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> list[int]:
        curs.execute(self.begin_statement, prepare=False)  # several statements: never prepared
        while curs.nextset():  # the head is the last statement's row
            pass
        head = self.chain.head(curs.fetchone())
        self._insert_events(curs, stored_events, **kwargs)  # the library's hook (a no-op here)
        ids = []
        for event in stored_events:
            values = (event.originator_id, event.originator_version, event.topic, event.state)
            curs.execute(self.insert_event_statement, values, prepare=True)
            row = curs.fetchone()
            assert row is not None  # RETURNING gives one row per inserted row
            ids.append(row["notification_id"])
        links = self.chain.links_after(curs, _rows(self.chain, ids, stored_events), head)
        curs.execute(self._links_and_commit(links, curs), prepare=False)
        return ids

    def _links_and_commit(self, links: list[Link], curs: Cursor[DictRow]) -> bytes:
        """The links' INSERT and ``COMMIT``: one round trip. The links exist only once the
        inserts returned their positions, so their values are bound here, as literals."""
        rows = b", ".join(
            b"(%s)" % b", ".join(_literal(value, curs) for value in self.chain.values(link))
            for link in links
        )
        return b"INSERT INTO %s (%s) VALUES %s; COMMIT" % (
            self.chain.name.encode(),
            COLUMNS.encode(),
            rows,
        )


def _literal(value: object, curs: Cursor[DictRow]) -> bytes:
    """A link's value as a SQL literal: ints, digests and UUIDs written directly (their text
    cannot quote), anything else (a topic, a text id) escaped by psycopg's ``Literal``, as
    its ``ClientCursor`` binds parameters."""
    if isinstance(value, int):
        return b"%d" % value
    if isinstance(value, bytes):
        return b"E'\\\\x%s'::bytea" % value.hex().encode()  # whatever standard_conforming_strings
    if isinstance(value, UUID):
        return b"'%s'::uuid" % str(value).encode()
    return Literal(value).as_bytes(curs)


def _text(statement: Query) -> str:
    """One of the library's statements as the text it sends."""
    if isinstance(statement, Composable):
        return statement.as_string()
    if isinstance(statement, bytes | str):
        return statement.decode() if isinstance(statement, bytes) else statement
    raise TypeError(f"unexpected statement {statement!r}")


def _roll_back(conn: Connection[DictRow]) -> None:
    """End the transaction a failed insert left open (the connection is in autocommit
    mode: psycopg did not start it); a broken connection is the pool's to discard."""
    if conn.pgconn.transaction_status in (TransactionStatus.INTRANS, TransactionStatus.INERROR):
        with suppress(DriverError):
            conn.execute(b"ROLLBACK", prepare=False)


SQLITE_TOPIC = f"{__name__}:{ChainedSQLiteApplicationRecorder.__qualname__}"


class SnapshotPostgresRecorder(PostgresAggregateRecorder):
    """The library's recorder of snapshots, creating its table one process at a time."""

    def create_table(self) -> None:
        with creating_tables(self.datastore):
            super().create_table()


class AspePostgresFactory(PostgresFactory):
    """The library's PostgreSQL factory with the recorders above: the event store's
    (``PERSISTENCE_MODULE``, set by ``Settings.eventsourcing_env``)."""

    aggregate_recorder_class = SnapshotPostgresRecorder
    application_recorder_class = PreparedPostgresApplicationRecorder


POSTGRES_TOPIC = f"{__name__}:{PreparedPostgresApplicationRecorder.__qualname__}"
