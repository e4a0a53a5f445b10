"""The storage of one read model: its tables and its tracking record, written together.

``TableView`` is a tracking recorder of the eventsourcing library that also owns the read
model's tables. A projection applies a batch of events to ``Changes`` (rows in memory),
then ``commit`` writes every changed row and the batch's tracking record in one
transaction: a crash leaves either the whole batch or none of it, and re-applying a
position already recorded is refused. Rows the view has written stay cached, so a rebuild
reads the database only for rows it has not seen in this process.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Generic, TypedDict, cast, overload

from eventsourcing.persistence import IntegrityError, Tracking, TrackingRecorder
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteCursor, SQLiteDatastore, SQLiteTrackingRecorder

from aspe.creation_lock import creating_tables
from aspe.projections.tables import (
    Dialect,
    Key,
    PostgresDialect,
    R,
    Row,
    SQLiteDialect,
    Table,
    schema_fingerprint,
)

APPLICATION_NAME = "aspe"
MAX_CACHED_ROWS = 300_000
SET_BASED_UPSERT_ROWS = 100


class MetaRow(TypedDict):
    key: str
    value: str | None


META = Table("meta", MetaRow, key=("key",))
FAILURE = "failure"
"""The meta row recording where the read model stopped on an error (absent: it did not)."""
MAX_ERROR_MESSAGE = 500


@dataclass(frozen=True)
class Failure:
    """Where a read model stopped: the event it could not apply, and why.

    Kept in the read model's own ``meta`` table: it lives and dies with the read model's
    rows (a reset drops it, a rebuild records it again if the cause remains), any process
    reads it (``aspe projections status``, a mutation's read-your-writes wait), and the next
    batch committed past it deletes it.
    """

    position: int
    topic: str
    error: str
    message: str
    at: str

    @classmethod
    def of(cls, position: int, topic: str, error: BaseException) -> Failure:
        message = " ".join(str(error).split())[:MAX_ERROR_MESSAGE]  # one line, bounded
        return cls(position, topic, type(error).__name__, message, datetime.now(UTC).isoformat())

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)  # control characters escaped

    @classmethod
    def from_json(cls, value: str) -> Failure:
        return cls(**json.loads(value))


class PositionMoved(IntegrityError):
    """Another runner recorded this read model's position since this one last looked."""


class Rows(Generic[R]):
    """One table's rows as a projection sees them while it applies a batch of events.

    Reads go through what this batch changed, then the view's cache, then the database.
    Rows are values: change one with ``update`` or ``put``, never in place.
    """

    def __init__(self, table: Table[R], cache: RowCache, load: Any) -> None:
        self.table = table
        self.changed: dict[Key, Row | None] = {}
        self.added: list[Row] = []
        self._cache = cache
        self._load = load

    def get(self, *key: Any) -> R | None:
        row = (
            self.changed[key]
            if key in self.changed
            else self._cache.get(self.table, key, self._load)
        )
        return cast(R | None, row)

    def put(self, row: Row) -> Row:
        self.changed[self.table.key_of(row)] = row
        return row

    def update(self, *key: Any, **changes: Any) -> Row | None:
        """The row with ``changes`` applied, or ``None`` (and nothing done) if it does not exist."""
        row = self.get(*key)
        if row is None:
            return None
        return self.put({**row, **changes})

    def delete(self, *key: Any) -> None:
        self.changed[key] = None

    def add(self, row: Row) -> None:
        """Append a row to an append-only table."""
        self.added.append(row)


class Changes:
    """Every table's ``Rows`` for one batch; ``changes.cases`` is the ``cases`` table."""

    def __init__(self, tables: dict[str, Rows[Any]]) -> None:
        self._tables = tables

    def __getattr__(self, name: str) -> Rows[Any]:
        try:
            rows: Rows[Any] = self.__dict__["_tables"][name]
        except KeyError:
            raise AttributeError(name) from None
        return rows

    def of(self, table: Table[Any]) -> Rows[Any]:
        """``table``'s rows, for code that serves several read models' tables."""
        return self._tables[table.name]

    def __iter__(self) -> Iterator[Rows[Any]]:
        return iter(self._tables.values())


class RowCache:
    """Rows this process knows the database holds (``None``: known to be absent).

    After a reset the tables are known to be empty, so a row not in the cache does not exist
    and a rebuild never reads the database. When the cache outgrows ``MAX_CACHED_ROWS`` its
    rows are dropped but their keys kept: those rows are read again, no others.
    """

    def __init__(self) -> None:
        self._rows: dict[str, dict[Key, Row | None]] = {}
        self._known_empty: set[str] = set()
        self._evicted: dict[str, set[Key]] = {}
        self._lock = threading.Lock()

    def get(self, table: Table[Any], key: Key, load: Any) -> Row | None:
        rows = self._rows.setdefault(table.name, {})
        if key in rows:
            return rows[key]
        if table.name in self._known_empty and key not in self._evicted.get(table.name, ()):
            row = None
        else:
            row = load(table, key)
        rows[key] = row
        return row

    def absorb(self, changes: Changes) -> None:
        with self._lock:
            for rows in changes:
                self._rows.setdefault(rows.table.name, {}).update(rows.changed)
            if sum(len(rows) for rows in self._rows.values()) > MAX_CACHED_ROWS:
                self._evict()

    def _evict(self) -> None:
        for name, rows in self._rows.items():
            if name in self._known_empty:
                self._evicted.setdefault(name, set()).update(
                    key for key, row in rows.items() if row is not None
                )
        self._rows = {}

    def rows_of(self, table_name: str) -> dict[Key, Row | None]:
        """The rows cached for one table (``None``: known to be absent)."""
        return dict(self._rows.get(table_name, {}))

    def emptied(self, tables: Sequence[Table[Any]]) -> None:
        self.clear()
        self._known_empty = {table.name for table in tables}

    def clear(self) -> None:
        self._rows = {}
        self._known_empty = set()
        self._evicted = {}


class TableView(TrackingRecorder):
    """Tables and tracking of one read model (mixed into a backend's tracking recorder)."""

    dialect: Dialect
    projection_name: str
    tables: tuple[Table[Any], ...]

    if TYPE_CHECKING:  # provided by the backend's tracking recorder, mixed in after this class
        datastore: Any

        def create_table(self) -> None: ...

        def _insert_tracking(self, cursor: Any, tracking: Tracking) -> None: ...

    def _setup(self, projection_name: str, tables: Sequence[Table[Any]], salt: str) -> None:
        self.projection_name = projection_name
        self.salt = salt
        self.tables = tuple(tables)
        self._by_name = {table.name: table for table in self.tables}
        self.cache = RowCache()
        self.position: int | None = None

    # -------------------------------------------------------------- backend specifics
    @contextmanager
    def transaction(self, *, commit: bool) -> Iterator[Any]:
        raise NotImplementedError
        yield

    def _table_name(self, bare: str) -> str:
        raise NotImplementedError

    def _append(self, cursor: Any, table: Table[Any], rows: list[Row]) -> None:
        cursor.executemany(
            self.dialect.insert(table, self.name_of(table)),
            [self.dialect.encode(table, row) for row in rows],
        )

    def _tracked_position(self, cursor: Any) -> int | None:
        raise NotImplementedError

    def _forget_tracking(self, cursor: Any) -> None:
        raise NotImplementedError

    # ------------------------------------------------------------------ structure
    def name_of(self, table: Table[Any] | str) -> str:
        bare = table if isinstance(table, str) else table.name
        return self._table_name(f"{self.projection_name}_{bare}")

    def create_tables(self) -> None:
        """Create the tracking table, this read model's tables and its meta table; and the
        secondary indexes, unless a rebuild is under way (it creates them when it ends)."""
        self.create_table()
        with self.transaction(commit=True) as cursor:
            self._create_own_tables(cursor)
            if not self._is_rebuilding(cursor):
                self._create_indexes(cursor)
        self.refresh_position()

    def _create_own_tables(self, cursor: Any) -> None:
        for table in (*self.tables, META):
            cursor.execute(self.dialect.create(table, self.name_of(table)))

    def _create_indexes(self, cursor: Any) -> None:
        """Secondary indexes: built once after a rebuild's bulk load, not row by row."""
        for table in self.tables:
            bare = f"{self.projection_name}_{table.name}"
            for statement in self.dialect.create_indexes(table, self.name_of(table), bare):
                cursor.execute(statement)

    @property
    def schema(self) -> str:
        """The tables' shape and what else the rows depend on (``salt``: rule parameters)."""
        return schema_fingerprint(self.tables, self.salt)

    def reset(self) -> None:
        """Drop every row and the position, and mark a rebuild as started, atomically."""
        with self.transaction(commit=True) as cursor:
            for table in (*self.tables, META):
                cursor.execute(f"DROP TABLE IF EXISTS {self.name_of(table)}")
            self._create_own_tables(cursor)
            self._forget_tracking(cursor)
            self._put_meta(cursor, "schema", self.schema)
            self._put_meta(cursor, "rebuild_started_at", datetime.now(UTC).isoformat())
        self.cache.emptied(self.tables)
        self.position = None

    def finish_rebuild(self) -> None:
        with self.transaction(commit=True) as cursor:
            self._tracked_position(cursor)  # one runner at a time builds the indexes
            self._create_indexes(cursor)
            self._delete_meta(cursor, "rebuild_started_at")

    def _is_rebuilding(self, cursor: Any) -> bool:
        cursor.execute(
            f"SELECT value FROM {self.name_of(META)} WHERE key = {self.dialect.placeholder}",
            ("rebuild_started_at",),
        )
        return cursor.fetchone() is not None

    def meta(self, key: str) -> str | None:
        row = self.get(META, key)
        return None if row is None else row["value"]

    @property
    def is_rebuilding(self) -> bool:
        return self.meta("rebuild_started_at") is not None

    @property
    def is_stale(self) -> bool:
        """Built for tables of another shape (or never built): it must be rebuilt."""
        return self.meta("schema") != self.schema

    def _put_meta(self, cursor: Any, key: str, value: str) -> None:
        cursor.execute(self.dialect.upsert(META, self.name_of(META)), (key, value))

    def _delete_meta(self, cursor: Any, key: str) -> None:
        cursor.execute(
            f"DELETE FROM {self.name_of(META)} WHERE key = {self.dialect.placeholder}", (key,)
        )

    # -------------------------------------------------------------------- failure
    def record_failure(self, failure: Failure) -> None:
        """Record, durably and on its own, the event this read model stopped on."""
        with self.transaction(commit=True) as cursor:
            self._put_meta(cursor, FAILURE, failure.to_json())

    def failure(self) -> Failure | None:
        """The event this read model stopped on, as committed (by any process)."""
        value = self.meta(FAILURE)
        return None if value is None else Failure.from_json(value)

    # ---------------------------------------------------------------------- writes
    def begin(self) -> Changes:
        return Changes(
            {table.name: Rows(table, self.cache, self._load_row) for table in self.tables}
        )

    def commit(self, changes: Changes, tracking: Tracking) -> None:
        """Write the batch's rows and its tracking record in one transaction.

        Raises ``PositionMoved`` (nothing written) when another runner of this read model
        recorded a position since this one last looked; this view then knows the new one.
        """
        expected = self.position
        try:
            with self.transaction(commit=True) as cursor:
                if self._tracked_position(cursor) != expected:
                    raise PositionMoved(self.projection_name)
                for rows in changes:
                    self._write(cursor, rows)
                self._insert_tracking(cursor, tracking)
                self._delete_meta(cursor, FAILURE)  # past the event it stopped on, if any
        except IntegrityError as error:
            self._forget()
            if self.position != expected:  # the other runner's rows collided with ours
                raise PositionMoved(self.projection_name) from error
            raise
        except BaseException:
            self._forget()
            raise
        self.cache.absorb(changes)
        self.position = tracking.notification_id

    def rewrite(self, changes: Changes, position: int | None) -> None:
        """Write rows outside the order of events (an erasure's), made from the events up to
        ``position``: deletions first, then the rows made again; no position moves.
        ``PositionMoved`` (nothing written) if the read model has moved from ``position``
        meanwhile. Freed bytes are overwritten where the database would keep them (SQLite),
        and this view forgets what it cached."""
        try:
            with self.transaction(commit=True) as cursor:
                if self._tracked_position(cursor) != position:
                    raise PositionMoved(self.projection_name)
                self._overwrite_freed_space(cursor)
                for rows in changes:
                    self._rewrite(cursor, rows)
        finally:
            self.cache.clear()
        self.after_erasure()

    def _rewrite(self, cursor: Any, rows: Rows[Any]) -> None:
        table, name = rows.table, self.name_of(rows.table)
        deleted = list(rows.changed)
        if deleted:
            cursor.executemany(f"DELETE FROM {name} WHERE {self.dialect.where_key(table)}", deleted)
        upserted = [row for row in rows.changed.values() if row is not None]
        if upserted:
            self._upsert(cursor, table, upserted)

    def _overwrite_freed_space(self, cursor: Any) -> None:
        """PostgreSQL's dead rows are not in its dumps and are vacuumed: nothing to do."""

    def after_erasure(self) -> None:
        """What the database needs once erased rows are gone (SQLite: empty its WAL)."""

    def forget_cached_rows(self) -> None:
        """Another process rewrote rows behind this view's back (an erasure, which its
        event announces): what this view cached of them is what they said before."""
        self.cache.clear()

    def _forget(self) -> None:
        """After a failed batch: nothing cached is trusted, the position is read again."""
        self.cache.clear()
        self.refresh_position()

    def _write(self, cursor: Any, rows: Rows[Any]) -> None:
        table, name = rows.table, self.name_of(rows.table)
        if rows.added:
            self._append(cursor, table, rows.added)
        deleted = [key for key, row in rows.changed.items() if row is None]
        upserted = [row for row in rows.changed.values() if row is not None]
        if deleted:
            cursor.executemany(f"DELETE FROM {name} WHERE {self.dialect.where_key(table)}", deleted)
        if upserted:
            self._upsert(cursor, table, upserted)

    def _upsert(self, cursor: Any, table: Table[Any], rows: list[Row]) -> None:
        cursor.executemany(
            self.dialect.upsert(table, self.name_of(table)),
            [self.dialect.encode(table, row) for row in rows],
        )

    def refresh_position(self) -> None:
        self.position = self.max_tracking_id(APPLICATION_NAME)

    # ----------------------------------------------------------------------- reads
    def _load_row(self, table: Table[Any], key: Key) -> Row | None:
        with self.transaction(commit=False) as cursor:
            return self._select_one(cursor, table, key)

    def _select_one(self, cursor: Any, table: Table[Any], key: Key) -> Row | None:
        cursor.execute(
            f"SELECT * FROM {self.name_of(table)} WHERE {self.dialect.where_key(table)}", key
        )
        found = cursor.fetchone()
        return None if found is None else self.dialect.decode(table, dict(found))

    @overload
    def get(self, table: Table[R], *key: Any) -> R | None: ...
    @overload
    def get(self, table: str, *key: Any) -> Row | None: ...
    def get(self, table: Table[Any] | str, *key: Any) -> Any:
        """The row with this key, as committed (not this process's cache); typed by the
        table's row type when named by its ``Table``."""
        table = self._table(table)
        with self.transaction(commit=False) as cursor:
            return self._select_one(cursor, table, key)

    @overload
    def select(
        self,
        table: Table[R],
        where: dict[str, Any] | None = None,
        order_by: Sequence[str] = (),
        limit: int | None = None,
    ) -> list[R]: ...
    @overload
    def select(
        self,
        table: str,
        where: dict[str, Any] | None = None,
        order_by: Sequence[str] = (),
        limit: int | None = None,
    ) -> list[Row]: ...
    def select(
        self,
        table: Table[Any] | str,
        where: dict[str, Any] | None = None,
        order_by: Sequence[str] = (),
        limit: int | None = None,
    ) -> list[Any]:
        """Rows whose columns equal ``where``'s values, ordered (default: by key)."""
        table = self._table(table)
        conditions, params = self._equalities(table, where or {})
        return self._query(table, conditions, params, order_by or table.key, limit)

    def select_in(self, table: Table[R], column: str, values: Sequence[Any]) -> list[R]:
        """Rows whose ``column`` is one of ``values``, in key order: one query for a batch."""
        _check_columns(table, [column])
        if not values:
            return []
        marks = ", ".join([self.dialect.placeholder] * len(values))
        kind = table.columns[column]
        params = [self.dialect.encode_value(kind, value) for value in values]
        return self._query(table, [f"{column} IN ({marks})"], params, table.key)

    def select_page(
        self,
        table: Table[R],
        where: dict[str, Any] | None,
        order_by: Sequence[str],
        after: Sequence[Any] | None,
        limit: int,
    ) -> list[R]:
        """Keyset pagination: at most ``limit`` rows matching ``where`` whose ``order_by``
        columns come strictly after the tuple ``after`` (``None``: from the first row).

        ``order_by`` must end with columns that make a row unique (the key, say), or rows
        sharing the cursor's values are skipped.
        """
        _check_columns(table, order_by)
        conditions, params = self._equalities(table, where or {})
        if after is not None:
            marks = ", ".join([self.dialect.placeholder] * len(order_by))
            conditions.append(f"({', '.join(order_by)}) > ({marks})")
            params += [
                self.dialect.encode_value(table.columns[column], value)
                for column, value in zip(order_by, after, strict=True)
            ]
        return self._query(table, conditions, params, order_by, limit)

    def select_listing(
        self,
        table: Table[R],
        where: dict[str, Any],
        order_by: Sequence[SortKey],
        after: Sequence[Any] | None,
        limit: int,
        *,
        contains: Mapping[str, str] | None = None,
        among: Mapping[str, Sequence[Any]] | None = None,
        apart: Mapping[str, Sequence[Any]] | None = None,
    ) -> list[R]:
        """``select_page`` for a work list: also rows whose ``contains`` columns hold a
        text (``LIKE``, its wildcards escaped), whose ``among`` columns hold one of some
        values and whose ``apart`` columns none; ``order_by`` may rank a column's values
        (``Ranked``). ``after`` holds the last row's ``sort_values``."""
        contains, among, apart = contains or {}, among or {}, apart or {}
        columns = [*contains, *among, *apart, *(column_of(key) for key in order_by)]
        _check_columns(table, columns)
        if any(not values for values in among.values()):
            return []
        conditions, params = self._equalities(table, where)
        mark = self.dialect.placeholder
        for column, part in contains.items():
            conditions.append(f"{column} LIKE {mark} ESCAPE '\\'")
            params.append("%" + re.sub(r"([\\%_])", r"\\\1", part) + "%")
        for column, values in among.items():
            conditions.append(f"{column} IN ({', '.join([mark] * len(values))})")
            params += [self.dialect.encode_value(table.columns[column], v) for v in values]
        for column, values in apart.items():
            if values:
                conditions.append(f"{column} NOT IN ({', '.join([mark] * len(values))})")
                params += [self.dialect.encode_value(table.columns[column], v) for v in values]
        expressions = [sql_of(key) for key in order_by]
        if after is not None:
            conditions.append(f"({', '.join(expressions)}) > ({', '.join([mark] * len(after))})")
            params += list(after)
        return self._query(table, conditions, params, expressions, limit)

    def _equalities(self, table: Table[Any], where: dict[str, Any]) -> tuple[list[str], list[Any]]:
        """``where`` as SQL conditions and their parameters (``None`` means ``IS NULL``)."""
        _check_columns(table, where)
        mark = self.dialect.placeholder
        conditions = [
            f"{column} IS NULL" if value is None else f"{column} = {mark}"
            for column, value in where.items()
        ]
        params = [
            self.dialect.encode_value(table.columns[column], value)
            for column, value in where.items()
            if value is not None
        ]
        return conditions, params

    def _query(
        self,
        table: Table[R],
        conditions: Sequence[str],
        params: Sequence[Any],
        order_by: Sequence[str],
        limit: int | None = None,
    ) -> list[R]:
        statement = f"SELECT * FROM {self.name_of(table)}"
        if conditions:
            statement += " WHERE " + " AND ".join(conditions)
        statement += " ORDER BY " + ", ".join(order_by)
        if limit is not None:
            statement += f" LIMIT {int(limit)}"
        with self.transaction(commit=False) as cursor:
            cursor.execute(statement, params)
            rows = [self.dialect.decode(table, dict(found)) for found in cursor.fetchall()]
        return cast(list[R], rows)  # decoded from the table's columns: its row type

    def dump(self) -> dict[str, list[Row]]:
        """Every table's rows in key order: two equal dumps are two equal read models."""
        return {table.name: self.select(table) for table in self.tables}

    def _table(self, table: Table[Any] | str) -> Table[Any]:
        if isinstance(table, Table):
            return table
        return META if table == META.name else self._by_name[table]

    def wait_for(
        self, position: int, timeout: float, given_up: Callable[[], bool] = lambda: False
    ) -> bool:
        """Whether the view reaches ``position`` within ``timeout`` seconds (polls briefly);
        ``False`` at once when ``given_up()`` says it never will (it stopped on an error)."""
        deadline = time.monotonic() + timeout
        interval = 0.005
        while not self.has_tracking_id(APPLICATION_NAME, position):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or given_up():
                return False
            time.sleep(min(interval, remaining))
            interval = min(interval * 2, 0.1)
        return True


@dataclass(frozen=True)
class Ranked:
    """A sort key that orders a column's values by the rank given to each (``ranks``);
    values it does not rank come last."""

    column: str
    ranks: Mapping[str, int]

    def value_of(self, row: Mapping[str, Any]) -> int:
        return self.ranks.get(row[self.column], len(self.ranks))


SortKey = str | Ranked
"""A column's values, or a ``Ranked`` column's ranks."""
_RANKABLE = re.compile(r"^[A-Za-z0-9_]+$")


def column_of(key: SortKey) -> str:
    return key.column if isinstance(key, Ranked) else key


def sql_of(key: SortKey) -> str:
    """The key as SQL: a column's name, or a ``CASE`` of its ranks (names of enum members,
    checked, written into the SQL text)."""
    if isinstance(key, str):
        return key
    if not all(_RANKABLE.match(value) for value in key.ranks):
        raise ValueError(f"unrankable value in {key.column}")
    whens = " ".join(f"WHEN '{value}' THEN {int(rank)}" for value, rank in key.ranks.items())
    return f"CASE {key.column} {whens} ELSE {len(key.ranks)} END"


def sort_values(row: Mapping[str, Any], order_by: Sequence[SortKey]) -> list[Any]:
    """The values of ``row`` that ``order_by`` sorts on: a list page's cursor."""
    return [key.value_of(row) if isinstance(key, Ranked) else row[key] for key in order_by]


def _check_columns(table: Table[Any], columns: Iterable[str]) -> None:
    """Column names go into SQL text: only the table's own are let through."""
    unknown = [column for column in columns if column not in table.columns]
    if unknown:
        raise ValueError(f"{table.name} has no column {unknown[0]!r}")


def checkpoint_sqlite(datastore: SQLiteDatastore) -> None:
    """Copy the WAL into the database and empty it: the old pages of erased rows are in the
    WAL until then. Readers still open may keep part of it; the next checkpoint ends it."""
    with closing(sqlite3.connect(datastore.pool.db_name, timeout=30)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")


class SQLiteTableView(TableView, SQLiteTrackingRecorder):
    """A read model in its own SQLite file (the library's tracking table is unprefixed)."""

    dialect = SQLiteDialect()

    def __init__(
        self,
        datastore: SQLiteDatastore,
        projection_name: str,
        tables: Sequence[Table[Any]],
        salt: str = "",
    ):
        super().__init__(datastore)
        self._setup(projection_name, tables, salt)

    @contextmanager
    def transaction(self, *, commit: bool) -> Iterator[Any]:
        """Writers take the write lock first (``BEGIN IMMEDIATE``): a transaction that
        reads the position and then writes would otherwise fail, not wait, when another
        process writes the same file."""
        if not commit:
            with self.datastore.transaction(commit=False) as cursor:
                yield cursor
            return
        with self.datastore.get_connection(commit=True) as connection:
            raw = connection._sqlite_conn
            raw.execute("BEGIN IMMEDIATE")
            try:
                yield SQLiteCursor(raw.cursor())
                raw.commit()
            except sqlite3.IntegrityError as error:
                raw.rollback()
                raise IntegrityError(error) from error
            except BaseException:
                raw.rollback()
                raise

    def _table_name(self, bare: str) -> str:
        return bare

    def _overwrite_freed_space(self, cursor: Any) -> None:
        cursor.execute("PRAGMA secure_delete = ON")  # this connection's deletes zero their bytes

    def after_erasure(self) -> None:
        """Rows updated before kept their old text in the file's free space (SQLite reuses
        it, it does not clear it): VACUUM writes the database anew, without it."""
        # A connection of its own: a pooled one may hold a reader's statement open.
        with closing(sqlite3.connect(self.datastore.pool.db_name, timeout=30)) as connection:
            connection.execute("VACUUM")
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _tracked_position(self, cursor: Any) -> int | None:
        return self._max_tracking_id(APPLICATION_NAME, cursor)

    def _forget_tracking(self, cursor: Any) -> None:
        cursor.execute("DELETE FROM tracking WHERE application_name = ?", (APPLICATION_NAME,))


class PostgresTableView(TableView, PostgresTrackingRecorder):
    """A read model in the event store's PostgreSQL schema, tables prefixed with its name."""

    dialect = PostgresDialect()

    def __init__(
        self,
        datastore: PostgresDatastore,
        projection_name: str,
        tables: Sequence[Table[Any]],
        salt: str = "",
    ):
        super().__init__(datastore, tracking_table_name=f"{projection_name}_tracking")
        self._setup(projection_name, tables, salt)

    @contextmanager
    def transaction(self, *, commit: bool) -> Iterator[Any]:
        with self.datastore.transaction(commit=commit) as cursor:
            yield cursor

    def create_tables(self) -> None:
        """As ``TableView``'s, one process at a time per schema (``creating_tables``); the
        lock spans the library's tracking table too."""
        with creating_tables(self.datastore):
            super().create_tables()

    def reset(self) -> None:
        """As ``TableView``'s, under the same lock: a rebuild drops and re-creates the
        tables, which deadlocks against another process creating them at that instant."""
        with creating_tables(self.datastore):
            super().reset()

    def _table_name(self, bare: str) -> str:
        return f'"{self.datastore.schema}"."{bare}"'

    def _append(self, cursor: Any, table: Table[Any], rows: list[Row]) -> None:
        """COPY: the audit trail of a million events is streamed, not inserted row by row."""
        columns = ", ".join(table.columns)
        with cursor.copy(f"COPY {self.name_of(table)} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(self.dialect.encode(table, row))

    def _upsert(self, cursor: Any, table: Table[Any], rows: list[Row]) -> None:
        """Many rows: COPY them into a staging table, then one ``INSERT … ON CONFLICT``
        (measured: half the cost per row of one upsert statement each)."""
        if len(rows) < SET_BASED_UPSERT_ROWS:
            super()._upsert(cursor, table, rows)
            return
        name, columns = self.name_of(table), ", ".join(table.columns)
        staging = f'"staging_{self.projection_name}_{table.name}"'
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {staging} (LIKE {name}) ON COMMIT DELETE ROWS"
        )
        with cursor.copy(f"COPY {staging} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(self.dialect.encode(table, row))
        upsert = self.dialect.upsert(table, name)
        on_conflict = upsert[upsert.index(" ON CONFLICT") :]
        cursor.execute(
            f"INSERT INTO {name} ({columns}) SELECT {columns} FROM {staging}{on_conflict}"
        )

    def _tracked_position(self, cursor: Any) -> int | None:
        """The position, locked until commit, so two runners never write the same batch."""
        cursor.execute(
            f'SELECT notification_id FROM "{self.datastore.schema}"."{self.tracking_table_name}" '
            "WHERE application_name = %s FOR UPDATE",
            (APPLICATION_NAME,),
        )
        found = cursor.fetchone()
        return None if found is None else found["notification_id"]

    def _forget_tracking(self, cursor: Any) -> None:
        cursor.execute(
            f'DELETE FROM "{self.datastore.schema}"."{self.tracking_table_name}" '
            "WHERE application_name = %s",
            (APPLICATION_NAME,),
        )


class MemoryView:
    """A read model's tables in memory, for replaying a few events on the side.

    Time travel uses it: the events of one case up to an instant, applied by the same read
    model that serves the present, give what that read model held then.
    """

    def __init__(self, projection_name: str, tables: Sequence[Table[Any]]) -> None:
        self.projection_name = projection_name
        self.tables = tuple(tables)
        self.cache = RowCache()
        self.cache.emptied(self.tables)
        self.position: int | None = None

    def begin(self) -> Changes:
        return Changes({table.name: Rows(table, self.cache, None) for table in self.tables})

    def forget_cached_rows(self) -> None:
        """Its rows are nowhere else: nothing to forget."""

    def commit(self, changes: Changes, tracking: Tracking) -> None:
        self.cache.absorb(changes)
        self.position = tracking.notification_id

    def get(self, table: Table[R], *key: Any) -> R | None:
        rows: Rows[R] = self.begin()._tables[table.name]
        return rows.get(*key)

    def select_in(self, table: Table[R], column: str, values: Sequence[Any]) -> list[R]:
        """Rows whose ``column`` is one of ``values``, in key order (as ``TableView``'s)."""
        wanted = set(values)
        rows = self.cache.rows_of(table.name)
        found = [
            row
            for _, row in sorted(rows.items(), key=lambda item: item[0])
            if row is not None and row[column] in wanted
        ]
        return cast(list[R], found)
