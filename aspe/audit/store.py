"""The chain of an application's event store: its table, read transactions, sealing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from eventsourcing.application import Application

from aspe.audit.recorders import (
    ChainedPostgresApplicationRecorder,
    ChainedSQLiteApplicationRecorder,
)
from aspe.audit.tables import ChainTable, OpenCursor, fetch
from aspe.audit.verify import Progress, Verification, verify_store

Chained = ChainedSQLiteApplicationRecorder | ChainedPostgresApplicationRecorder


class NotChained(Exception):
    """The application's recorder does not chain its events (it was not built from
    ``Settings``)."""


def _recorder(app: Application[Any]) -> Chained:
    recorder = app.recorder
    if not isinstance(recorder, Chained):
        raise NotChained(type(recorder).__qualname__)
    return recorder


def chain_table(app: Application[Any]) -> ChainTable:
    return _recorder(app).chain


def read_cursor(app: Application[Any]) -> OpenCursor:
    datastore = _recorder(app).datastore
    return lambda: datastore.transaction(commit=False)


def verify(
    app: Application[Any],
    *,
    mark: int | None = None,
    start: Any = None,
) -> Verification:
    """Re-compute the application's chain (``start(total)`` gives a progress callback)."""
    return verify_store(chain_table(app), read_cursor(app), mark=mark, start=start)


def seal(app: Application[Any]) -> int:
    """Link the events stored without a link after the last one (a store written before
    the chain); how many were linked. Holds the store's write lock while it runs."""
    table = chain_table(app)
    with _writing(app) as cursor:
        before = _links(table, cursor)
        until, _ = table.extent(cursor)
        table.seal(cursor, until)
        return _links(table, cursor) - before


def _links(table: ChainTable, cursor: Any) -> int:
    return int(fetch(cursor, f"SELECT COUNT(*) FROM {table.name}")[0][0])


@contextmanager
def _writing(app: Application[Any]) -> Iterator[Any]:
    """A write transaction holding the lock every writer of events takes."""
    recorder = _recorder(app)
    if isinstance(recorder, ChainedPostgresApplicationRecorder):
        with recorder.datastore.transaction(commit=True) as cursor:
            cursor.execute(f"LOCK TABLE {recorder.chain.events} IN EXCLUSIVE MODE".encode())
            yield cursor
        return
    with recorder.datastore.get_connection(commit=True) as connection:
        sqlite_cursor = connection.cursor()
        sqlite_cursor.execute("BEGIN IMMEDIATE")  # SQLite's write lock, taken now
        try:
            yield sqlite_cursor
        except BaseException:
            connection.rollback()
            raise
        connection.commit()


__all__ = ["NotChained", "Progress", "chain_table", "read_cursor", "seal", "verify"]
