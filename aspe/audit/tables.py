"""The chain table next to a store's events, in the store's own SQL.

One row per event: its position (the notification id), a copy of the fields its link covers
(the state by its SHA-256) and the link. ``ChainTable`` holds the statements of one store
(SQLite or PostgreSQL) and runs them on a cursor it is given: the recorder's, inside the
transaction that inserts the events; a read transaction's, to verify; a test's own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from aspe.audit.links import GENESIS, Link, StoredRow, chain

PAGE = 5000
"""Rows read per query when walking or sealing the store."""
COLUMNS = "notification_id, originator_id, originator_version, topic, state_sha256, hash"
"""The chain table's columns, in the order of ``ChainTable.values``."""


class Cursor(Protocol):
    """What both drivers' cursors offer (sqlite3 and psycopg)."""

    def execute(self, query: Any, params: Any = ..., /) -> Any: ...
    def executemany(self, query: Any, params_seq: Any, /) -> Any: ...
    def fetchall(self) -> Sequence[Any]: ...


Head = tuple[int, int, bytes]
"""The last event's position, the last link's position, and that link."""

OpenCursor = Callable[[], AbstractContextManager[Any]]
"""A read transaction's cursor, opened for one query and closed after it."""


def fetch(cursor: Any, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Rows as tuples, whatever the cursor's row factory (the library's PostgreSQL cursors
    give dicts)."""
    cursor.execute(statement, params)
    return [
        tuple(row.values()) if isinstance(row, dict) else tuple(row) for row in cursor.fetchall()
    ]


@dataclass(frozen=True)
class ChainTable:
    """The statements of one store's chain table."""

    events: str
    """The events table, qualified and quoted as the store needs."""
    name: str
    """The chain table, likewise."""
    position: str
    """The events table's notification id column (SQLite: ``rowid``)."""
    mark: str
    """The driver's parameter placeholder."""
    create: str
    to_bytes: Callable[[Any], bytes]
    """An originator id as stored, to the bytes its link covers."""
    from_bytes: Callable[[bytes], Any]
    """Those bytes, to the chain table's originator id column."""
    bulk_insert: str = ""
    """Where the driver takes arrays (PostgreSQL): one INSERT of many links, a column each."""

    # ------------------------------------------------------------------ statements
    def _select_events(self) -> str:
        m, p = self.mark, self.position
        return (
            f"SELECT {p}, originator_id, originator_version, topic, state FROM {self.events} "
            f"WHERE {p} > {m} AND {p} <= {m} ORDER BY {p} LIMIT {m}"
        )

    def _select_links(self) -> str:
        m = self.mark
        return (
            "SELECT notification_id, originator_id, originator_version, topic, state_sha256, "
            f"hash FROM {self.name} WHERE notification_id > {m} AND notification_id <= {m} "
            f"ORDER BY notification_id LIMIT {m}"
        )

    # --------------------------------------------------------------------- reading
    def events_page(self, cursor: Any, after: int, until: int, limit: int) -> list[StoredRow]:
        rows = fetch(cursor, self._select_events(), (after, until, limit))
        return [
            StoredRow(position, self.to_bytes(originator), version, topic, bytes(state))
            for position, originator, version, topic, state in rows
        ]

    def links_page(self, cursor: Any, after: int, until: int, limit: int) -> list[Link]:
        rows = fetch(cursor, self._select_links(), (after, until, limit))
        return [
            Link(position, self.to_bytes(originator), version, topic, bytes(digest), bytes(link))
            for position, originator, version, topic, digest, link in rows
        ]

    def extent(self, cursor: Any) -> tuple[int, int]:
        """The last position of the store (events or links), and how many events it holds."""
        (row,) = fetch(
            cursor,
            f"SELECT (SELECT MAX({self.position}) FROM {self.events}) AS last_event, "
            f"(SELECT MAX(notification_id) FROM {self.name}) AS last_link, "
            f"(SELECT COUNT(*) FROM {self.events}) AS events",
        )
        return max(row[0] or 0, row[1] or 0), row[2]

    def link_at(self, cursor: Any, position: int) -> bytes | None:
        rows = fetch(
            cursor, f"SELECT hash FROM {self.name} WHERE notification_id = {self.mark}", (position,)
        )
        return bytes(rows[0][0]) if rows else None

    def _head_query(self, before: str | None) -> str:
        """The last event's position and the last link (with its position), both before
        position ``before`` (a placeholder) or, without it, over the whole store."""
        events_before = f" WHERE {self.position} < {before}" if before else ""
        links_before = f" WHERE notification_id < {before}" if before else ""
        return (
            f"SELECT (SELECT MAX({self.position}) FROM {self.events}{events_before}) "
            "AS last_event, head.notification_id, head.hash "
            "FROM (SELECT 1 AS one) AS origin LEFT JOIN "
            f"(SELECT notification_id, hash FROM {self.name}{links_before} "
            "ORDER BY notification_id DESC LIMIT 1) AS head ON 1 = 1"
        )

    def head_query(self) -> str:
        """The store's head (see ``head``), a statement without parameters: a writer holding
        the store's write lock runs it before its inserts, in the round trip that takes the
        lock, and passes the row to ``append``."""
        return self._head_query(None)

    @staticmethod
    def head(row: Any) -> Head:
        """A row of ``head_query``: the last event's position, the last link's, and it."""
        last_event, linked, link = tuple(row.values()) if isinstance(row, dict) else tuple(row)
        return last_event or 0, linked or 0, bytes(link) if link is not None else GENESIS

    def _head_before(self, cursor: Any, position: int) -> Head:
        """The last event's position before ``position``, and the last link's (with it)."""
        (row,) = fetch(cursor, self._head_query(self.mark), (position, position))
        return self.head(row)

    # --------------------------------------------------------------------- writing
    def append(self, cursor: Any, rows: list[StoredRow], head: Head | None = None) -> None:
        """Link ``rows`` (just inserted, in position order) after the events before them.

        Runs in the transaction that inserted them, which holds the store's write lock
        (SQLite's one writer, PostgreSQL's table lock): no other writer reads the same
        previous link. Events before them without a link (a store written before the
        chain, or by a process that did not chain) are linked first, in order.
        """
        if rows:
            self.insert(cursor, self.links_after(cursor, rows, head))

    def links_after(self, cursor: Any, rows: list[StoredRow], head: Head | None) -> list[Link]:
        """The links of ``rows``, for ``append``, after sealing the events before them.

        ``head`` is the store's head read under the same write lock before the inserts
        (``head_query``); without it, it is read here (one more query)."""
        first = rows[0].position
        last_event, linked, previous = head or self._head_before(cursor, first)
        if linked < last_event:
            previous = self.seal(cursor, until=first - 1, after=(linked, previous))
        return chain(previous, rows)

    def seal(self, cursor: Any, until: int, after: tuple[int, bytes] | None = None) -> bytes:
        """Link the events after the last link, up to ``until``; the last link after it.

        The caller holds the store's write lock."""
        if after is None:
            _, linked, previous = self._head_before(cursor, until + 1)
        else:
            linked, previous = after
        while True:
            page = self.events_page(cursor, linked, until, PAGE)
            if not page:
                return previous
            links = chain(previous, page)
            self.insert(cursor, links)
            linked, previous = links[-1].position, links[-1].hash

    def insert(self, cursor: Any, links: list[Link]) -> None:
        if self.bulk_insert:  # one statement whatever the number of links
            columns = zip(*(self.values(link) for link in links), strict=True)
            cursor.execute(self.bulk_insert, [list(column) for column in columns], prepare=True)
            return
        marks = ", ".join([self.mark] * 6)
        cursor.executemany(
            f"INSERT INTO {self.name} ({COLUMNS}) VALUES ({marks})",
            [self.values(link) for link in links],
        )

    def values(self, link: Link) -> tuple[Any, ...]:
        """A link's row, in the chain table's column order."""
        originator_id = self.from_bytes(link.originator_id)
        return (link.position, originator_id, link.version, link.topic, link.state_digest,
                link.hash)  # fmt: skip

    def pages(
        self, open_cursor: OpenCursor, until: int
    ) -> Iterator[tuple[list[StoredRow], list[Link]]]:
        """The store's events and links up to ``until``, a page of each at a time.

        Each page of links reaches at least as far as its page of events."""
        after = 0
        while after < until:
            with open_cursor() as cursor:
                events = self.events_page(cursor, after, until, PAGE)
                reach = events[-1].position if len(events) == PAGE else until
                links = self.links_page(cursor, after, reach, 10 * PAGE)
            if links and len(links) == 10 * PAGE:
                reach = min(reach, links[-1].position)
                events = [event for event in events if event.position <= reach]
            yield events, links
            after = reach


# ------------------------------------------------------------------------ the stores
def sqlite_table(events_table: str) -> ChainTable:
    name = f"{events_table}_chain"
    return ChainTable(
        events=events_table,
        name=name,
        position="rowid",
        mark="?",
        create=(
            f"CREATE TABLE IF NOT EXISTS {name} (notification_id INTEGER PRIMARY KEY, "
            "originator_id TEXT NOT NULL, originator_version INTEGER NOT NULL, "
            "topic TEXT NOT NULL, state_sha256 BLOB NOT NULL, hash BLOB NOT NULL)"
        ),
        to_bytes=_text_bytes,
        from_bytes=bytes.decode,
    )


def postgres_table(schema: str, events_table: str, originator_id_type: str) -> ChainTable:
    name = f'"{schema}"."{events_table}_chain"'
    uuid_ids = originator_id_type == "uuid"
    return ChainTable(
        events=f'"{schema}"."{events_table}"',
        name=name,
        position="notification_id",
        mark="%s",
        create=(
            f"CREATE TABLE IF NOT EXISTS {name} (notification_id bigint PRIMARY KEY, "
            f"originator_id {originator_id_type} NOT NULL, originator_version bigint NOT NULL, "
            "topic text NOT NULL, state_sha256 bytea NOT NULL, hash bytea NOT NULL)"
        ),
        to_bytes=_uuid_bytes if uuid_ids else _text_bytes,
        from_bytes=(lambda raw: UUID(bytes=raw)) if uuid_ids else bytes.decode,
        bulk_insert=(
            f"INSERT INTO {name} ({COLUMNS}) SELECT * FROM unnest(%s::bigint[], "
            f"%s::{originator_id_type}[], %s::bigint[], %s::text[], %s::bytea[], %s::bytea[])"
        ),
    )


def _text_bytes(originator_id: Any) -> bytes:
    return str(originator_id).encode()


def _uuid_bytes(originator_id: Any) -> bytes:
    return originator_id.bytes if isinstance(originator_id, UUID) else UUID(originator_id).bytes
