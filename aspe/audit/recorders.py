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
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresFactory,
)
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteDatastore
from psycopg import Cursor
from psycopg.rows import DictRow

from aspe.audit.links import StoredRow
from aspe.audit.tables import ChainTable, postgres_table, sqlite_table
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
    application_recorder_class = ChainedPostgresApplicationRecorder


POSTGRES_TOPIC = f"{__name__}:{ChainedPostgresApplicationRecorder.__qualname__}"
