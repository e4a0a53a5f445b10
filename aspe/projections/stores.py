"""Stores of tables that the platform writes itself, not projected from events (the
notifications store, the access log): one per process and settings, tables created on
first use, on SQLite (a file of its own) or PostgreSQL (tables prefixed with its name).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.sqlite import SQLiteDatastore
from eventsourcing.utils import Environment

from aspe.projections.tables import Table
from aspe.projections.view import PostgresTableView, SQLiteTableView, TableView
from aspe.settings import Settings


def _lean(settings: Settings) -> dict[str, str]:
    """A pool that keeps one connection open, not ``ASPE_POSTGRES_POOL_SIZE``: these stores
    are written now and then, and every process opens several of them (notifications,
    access log, clock runs); kept at the full size, a modest deployment held a hundred idle
    connections, PostgreSQL's default limit. It may still grow to the same size as a
    store's pool under load."""
    most = settings.postgres_pool_size + settings.postgres_max_overflow
    return {"POSTGRES_POOL_SIZE": "1", "POSTGRES_MAX_OVERFLOW": str(most - 1)}


class TableStores:
    """The stores named ``name`` holding ``tables``, opened once per process and settings."""

    def __init__(self, name: str, tables: Sequence[Table[Any]]) -> None:
        self.name = name
        self.tables = tuple(tables)
        self._open: dict[tuple[Any, ...], TableView] = {}

    def open(self, settings: Settings) -> TableView:
        """The store of these settings, its tables created; one per process."""
        where = self._where(settings)
        if where not in self._open:
            self._open[where] = self._build(settings)
        return self._open[where]

    def close(self, settings: Settings) -> None:
        """Close the store of ``settings`` if this process opened it (an app's shutdown)."""
        view = self._open.pop(self._where(settings), None)
        if view is not None:
            view.datastore.close()

    def close_all(self) -> None:
        """Close every store this process opened (tests, a worker's shutdown)."""
        for view in self._open.values():
            view.datastore.close()
        self._open.clear()

    def _where(self, settings: Settings) -> tuple[Any, ...]:
        return (
            os.getpid(),
            settings.database_url,
            settings.database_schema,
            str(settings.sqlite_path(self.name)),
        )

    def _build(self, settings: Settings) -> TableView:
        view: TableView
        if settings.uses_postgres:
            env = Environment(
                self.name, {**settings.eventsourcing_env(self.name), **_lean(settings)}
            )
            datastore = InfrastructureFactory.construct(env).datastore  # type: ignore[attr-defined]
            view = PostgresTableView(datastore, self.name, self.tables)
        else:
            path = settings.private_sqlite_path(self.name)
            view = SQLiteTableView(SQLiteDatastore(str(path)), self.name, self.tables)
        view.create_tables()
        return view
