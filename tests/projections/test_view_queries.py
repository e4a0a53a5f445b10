"""Generic reads of a read model's table: a batch of keys in one query, and keyset pages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypedDict
from uuid import uuid4

import pytest
from eventsourcing.persistence import Tracking
from eventsourcing.sqlite import SQLiteDatastore

from aspe.projections.tables import BOOL, INT, JSON, REAL, TEXT, Table
from aspe.projections.view import (
    APPLICATION_NAME,
    MemoryView,
    PostgresTableView,
    SQLiteTableView,
    TableView,
)


class Item(TypedDict):
    item_id: str
    group_id: str | None
    day: str
    flag: bool
    size: int


ITEMS = Table("items", Item, key=("item_id",))
ROWS = [
    {"item_id": "a", "group_id": "g1", "day": "2026-03-02", "flag": True, "size": 1},
    {"item_id": "b", "group_id": "g1", "day": "2026-03-01", "flag": False, "size": 2},
    {"item_id": "c", "group_id": None, "day": "2026-03-02", "flag": True, "size": 3},
    {"item_id": "d", "group_id": "g1", "day": "2026-03-02", "flag": True, "size": 4},
    {"item_id": "e", "group_id": "g2", "day": "2026-03-03", "flag": True, "size": 5},
    {"item_id": "f", "group_id": "g1", "day": "2026-03-04", "flag": False, "size": 6},
]
ORDER = ("day", "item_id")


def fill(view: TableView | MemoryView) -> None:
    changes = view.begin()
    for row in ROWS:
        changes.items.put(row)
    view.commit(changes, Tracking(APPLICATION_NAME, 1))


@pytest.fixture
def items(settings, projector) -> Iterator[TableView]:
    """A read model of its own holding ``ROWS`` (named per test: a PostgreSQL schema is shared)."""
    name = f"view_queries_{uuid4().hex[:8]}"
    if settings.uses_postgres:
        datastore = projector.model("case_file").view.datastore
        view: TableView = PostgresTableView(datastore, name, [ITEMS])
    else:
        datastore = SQLiteDatastore(str(settings.sqlite_path(name)))
        view = SQLiteTableView(datastore, name, [ITEMS])
    view.create_tables()
    fill(view)
    yield view
    if not settings.uses_postgres:
        datastore.close()


def ids(rows) -> list[str]:
    return [row["item_id"] for row in rows]


def test_select_in_gives_the_rows_whose_column_is_one_of_the_values_in_key_order(items):
    rows = items.select_in(ITEMS, "item_id", ["e", "a", "unknown", "c"])

    assert ids(rows) == ["a", "c", "e"]
    assert rows[0] == ROWS[0]


def test_select_in_matches_any_column(items):
    assert ids(items.select_in(ITEMS, "group_id", ["g2", "g3"])) == ["e"]


def test_select_in_no_values_is_no_rows(items):
    assert items.select_in(ITEMS, "item_id", []) == []


def test_select_in_of_a_view_in_memory_reads_like_the_database():
    memory = MemoryView("view_queries", [ITEMS])
    fill(memory)

    assert ids(memory.select_in(ITEMS, "item_id", ["e", "a", "unknown", "c"])) == ["a", "c", "e"]
    assert memory.select_in(ITEMS, "group_id", []) == []


def test_the_first_page_starts_at_the_first_row_in_order(items):
    page = items.select_page(ITEMS, {}, ORDER, None, 3)

    assert ids(page) == ["b", "a", "c"]


def test_the_page_after_the_last_row_of_a_page_is_the_next_without_overlap(items):
    first = items.select_page(ITEMS, None, ORDER, None, 2)
    cursor = (first[-1]["day"], first[-1]["item_id"])

    second = items.select_page(ITEMS, None, ORDER, cursor, 2)
    third = items.select_page(ITEMS, None, ORDER, (second[-1]["day"], second[-1]["item_id"]), 2)
    after_last = items.select_page(ITEMS, None, ORDER, ("2026-03-04", "f"), 2)

    assert (ids(first), ids(second), ids(third)) == (["b", "a"], ["c", "d"], ["e", "f"])
    assert after_last == []


def test_a_cursor_between_rows_of_the_same_day_breaks_the_tie_on_the_next_column(items):
    page = items.select_page(ITEMS, None, ORDER, ("2026-03-02", "a"), 10)

    assert ids(page) == ["c", "d", "e", "f"]


def test_pages_keep_only_rows_matching_where(items):
    first = items.select_page(ITEMS, {"group_id": "g1", "flag": True}, ORDER, None, 1)
    second = items.select_page(
        ITEMS, {"group_id": "g1", "flag": True}, ORDER, ("2026-03-02", "a"), 5
    )

    assert (ids(first), ids(second)) == (["a"], ["d"])


def test_a_where_value_of_none_matches_null(items):
    assert ids(items.select_page(ITEMS, {"group_id": None}, ORDER, None, 5)) == ["c"]


def test_a_column_the_table_does_not_have_is_refused_before_any_query(items):
    with pytest.raises(ValueError, match="no column 'size; DROP'"):
        items.select_page(ITEMS, {"size; DROP": 1}, ORDER, None, 5)
    with pytest.raises(ValueError, match="no column 'nope'"):
        items.select_page(ITEMS, None, ("nope",), None, 5)
    with pytest.raises(ValueError, match="no column 'nope'"):
        items.select_in(ITEMS, "nope", ["a"])


class Kinds(TypedDict):
    name: str
    note: str | None
    count: int
    optional_count: int | None
    share: float
    done: bool
    maybe_done: bool | None
    tags: list[str]
    details: dict[str, Any] | None


def test_a_table_s_columns_are_its_row_type_s_fields_typed_by_their_values():
    table = Table("kinds", Kinds, key=("name",))

    assert dict(table.columns) == {
        "name": TEXT,
        "note": TEXT,
        "count": INT,
        "optional_count": INT,
        "share": REAL,
        "done": BOOL,
        "maybe_done": BOOL,
        "tags": JSON,
        "details": JSON,
    }
