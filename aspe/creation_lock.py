"""One process at a time creates tables in a PostgreSQL schema.

The API, the runners, the notifier and the workers start together on a new schema, and each
creates the tables it needs. PostgreSQL's ``CREATE … IF NOT EXISTS`` (and the library's
``CREATE TYPE``, which has no ``IF NOT EXISTS``) fails when another session creates the same
object in the same instant ("tuple concurrently updated", "already exists"). A session
advisory lock per schema, held on a connection of its own, makes the others wait; the
event store's recorders and the read models' views both take it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from eventsourcing.postgres import PostgresDatastore


@contextmanager
def creating_tables(datastore: PostgresDatastore) -> Iterator[None]:
    """Hold the schema's table-creation lock while the body creates tables."""
    key = f"aspe:create-tables:{datastore.schema}"
    with datastore.get_connection() as connection:
        connection.execute("SELECT pg_advisory_lock(hashtext(%s))", (key,))
        try:
            yield
        finally:
            connection.execute("SELECT pg_advisory_unlock(hashtext(%s))", (key,))
