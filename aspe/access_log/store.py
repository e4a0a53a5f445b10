"""The access log's table, on SQLite (a file of its own) or PostgreSQL (tables prefixed
``access_log_``), as the notifications store is (``aspe.workers.inbox``).

Append-only: entries are inserted, read, and deleted only by the retention purge. Instants
are ISO text in UTC (microseconds), so that they sort as text on both databases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypedDict
from uuid import UUID, uuid4

from aspe.domain.actors import Role
from aspe.domain.reads import ReadKind
from aspe.projections.stores import TableStores
from aspe.projections.tables import Table
from aspe.projections.view import TableView

STORE_NAME = "access_log"


class AccessRow(TypedDict):
    id: str
    at: str
    account_id: str
    role: str
    organisation_id: str | None
    case_id: str
    what: str
    reason: str | None
    """Why, when the case asked for it (an archived case)."""


ENTRIES = Table(
    "entries",
    AccessRow,
    key=("id",),
    indexes=(("case_id", "at"), ("account_id", "at"), ("at",)),
)


@dataclass(frozen=True)
class AccessEntry:
    """One read of a case's personal data by a person."""

    id: UUID
    at: datetime
    account_id: UUID
    role: Role
    organisation_id: UUID | None
    case_id: UUID
    what: ReadKind
    reason: str | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> AccessEntry:
        organisation = row["organisation_id"]
        return cls(
            id=UUID(row["id"]),
            at=datetime.fromisoformat(row["at"]),
            account_id=UUID(row["account_id"]),
            role=Role[row["role"]],
            organisation_id=UUID(organisation) if organisation else None,
            case_id=UUID(row["case_id"]),
            what=ReadKind[row["what"]],
            reason=row.get("reason"),
        )


@dataclass(frozen=True)
class Filters:
    """Which entries: all of them when nothing is set; ``until`` is excluded."""

    account_id: UUID | None = None
    case_id: UUID | None = None
    since: datetime | None = None
    until: datetime | None = None
    excluded_account_id: UUID | None = None
    """Left out (a household's own reads of its file are no news to it)."""


Cursor = tuple[str, str]
"""Where a page ended: the last entry's instant (as stored) and id."""


def instant_text(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


# ------------------------------------------------------------------------- the store
_STORES = TableStores(STORE_NAME, (ENTRIES,))
open_store = _STORES.open
"""The access log of these settings, its table created; one per process."""
close_store = _STORES.close
"""Close the access log of ``settings`` if this process opened it (an app's shutdown)."""
close_stores = _STORES.close_all
"""Close this process's access logs (tests, and a process's shutdown)."""


# ------------------------------------------------------------------------- writing
def append(
    view: TableView,
    reader: tuple[UUID, Role, UUID | None],
    case_id: UUID,
    what: ReadKind,
    at: datetime,
    reason: str | None = None,
) -> None:
    """Add one entry: ``reader`` is the account, the role it read in, its organisation;
    ``reason``, why, when the case asked for one."""
    account_id, role, organisation_id = reader
    row: AccessRow = {
        "id": str(uuid4()),
        "at": instant_text(at),
        "account_id": str(account_id),
        "role": role.name,
        "organisation_id": None if organisation_id is None else str(organisation_id),
        "case_id": str(case_id),
        "what": what.name,
        "reason": reason,
    }
    with view.transaction(commit=True) as cursor:
        cursor.execute(
            view.dialect.insert(ENTRIES, view.name_of(ENTRIES)), view.dialect.encode(ENTRIES, row)
        )


def purge(view: TableView, before: datetime) -> int:
    """Delete the entries older than ``before``; how many were deleted."""
    mark = view.dialect.placeholder
    with view.transaction(commit=True) as cursor:
        cursor.execute(
            f"DELETE FROM {view.name_of(ENTRIES)} WHERE at < {mark} RETURNING id",
            (instant_text(before),),
        )
        return len(cursor.fetchall())


# ------------------------------------------------------------------------- reading
def page(view: TableView, filters: Filters, after: Cursor | None, limit: int) -> list[AccessEntry]:
    """At most ``limit`` entries matching ``filters``, newest first, after ``after``."""
    conditions, params = _conditions(view, filters)
    if after is not None:
        mark = view.dialect.placeholder
        conditions.append(f"(at, id) < ({mark}, {mark})")
        params += list(after)
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    statement = (
        f"SELECT * FROM {view.name_of(ENTRIES)}{where} ORDER BY at DESC, id DESC LIMIT {int(limit)}"
    )
    with view.transaction(commit=False) as cursor:
        cursor.execute(statement, params)
        return [AccessEntry.from_row(dict(row)) for row in cursor.fetchall()]


def cursor_of(entry: AccessEntry) -> Cursor:
    return instant_text(entry.at), str(entry.id)


def _conditions(view: TableView, filters: Filters) -> tuple[list[str], list[Any]]:
    mark = view.dialect.placeholder
    wanted: list[tuple[str, Any]] = [
        ("account_id =", filters.account_id),
        ("case_id =", filters.case_id),
        ("at >=", filters.since and instant_text(filters.since)),
        ("at <", filters.until and instant_text(filters.until)),
        ("account_id <>", filters.excluded_account_id),
    ]
    given = [(test, value) for test, value in wanted if value is not None]
    return [f"{test} {mark}" for test, _ in given], [str(value) for _, value in given]
