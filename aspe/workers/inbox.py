"""The notifications store, and the in-app inbox of each account read from it.

One read-model database holds both tables, next to the event store (a SQLite file of its
own, or tables prefixed ``notifications_`` in the PostgreSQL schema): ``deliveries``, one
row per message × channel (``aspe.workers.delivery``), and ``inbox``, the notifications an
account reads in the application. Being in one database, an inbox notification and the
record of its delivery are written in one transaction.

These tables are written by the workers, not projected from events: no rebuild drops them
(dropping ``deliveries`` would send everything again).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypedDict
from uuid import UUID

from aspe.projections.stores import TableStores
from aspe.projections.tables import PostgresDialect, Table
from aspe.projections.view import TableView
from aspe.settings import Settings

STORE_NAME = "notifications"
DEFAULT_PAGE = 50


class DeliveryRow(TypedDict):
    key: str  # Message.delivery_key(channel): cause × recipient × channel
    channel: str
    message_key: str
    account_id: str | None
    recipient_name: str | None
    email: str | None
    subject: str
    body: str
    case_id: str | None
    status: str  # queued | sending | delivered | failed
    attempts: int
    queued_at: str
    due_at: str  # when a worker should be on it: queued, retry time, or lease end
    delivered_at: str | None
    error: str | None


DELIVERIES = Table(
    "deliveries", DeliveryRow, key=("key",), indexes=(("status", "due_at"), ("channel", "status"))
)


class InboxRow(TypedDict):
    account_id: str
    subject: str
    body: str
    case_id: str | None
    id: str
    created_at: str
    read_at: str | None


INBOX = Table("inbox", InboxRow, key=("id",), indexes=(("account_id", "created_at"),))


@dataclass(frozen=True)
class Notification:
    """One notification of an account's inbox."""

    id: UUID
    subject: str
    body: str
    case_id: UUID | None
    created_at: datetime
    read_at: datetime | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Notification:
        return cls(
            id=UUID(row["id"]),
            subject=row["subject"],
            body=row["body"],
            case_id=UUID(row["case_id"]) if row["case_id"] else None,
            created_at=datetime.fromisoformat(row["created_at"]),
            read_at=datetime.fromisoformat(row["read_at"]) if row["read_at"] else None,
        )


# ------------------------------------------------------------------------- the store
_STORES = TableStores(STORE_NAME, (DELIVERIES, INBOX))
open_store = _STORES.open
"""The notifications store of these settings, its tables created; one per process."""
close_store = _STORES.close
"""Close the store of ``settings`` if this process opened it (an app's shutdown)."""
close_stores = _STORES.close_all
"""Close this process's stores (tests, and a worker's shutdown)."""


def store_of(view_or_settings: TableView | Settings) -> TableView:
    if isinstance(view_or_settings, Settings):
        return open_store(view_or_settings)
    return view_or_settings


def lock_clause(view: TableView) -> str:
    """Row locks where the database has them (SQLite's writer already holds the file)."""
    return " FOR UPDATE" if isinstance(view.dialect, PostgresDialect) else ""


def now_text(now: datetime | None = None) -> str:
    """Instants as the store keeps them: ISO text in UTC, so that they sort."""
    return (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="microseconds")


# ------------------------------------------------------------------------- the inbox
def notifications(
    view_or_settings: TableView | Settings,
    account_id: UUID,
    unread_only: bool = False,
    first: int = DEFAULT_PAGE,
) -> list[Notification]:
    """An account's notifications, newest first (at most ``first``)."""
    view = store_of(view_or_settings)
    mark = view.dialect.placeholder
    unread = " AND read_at IS NULL" if unread_only else ""
    with view.transaction(commit=False) as cursor:
        cursor.execute(
            f"SELECT * FROM {view.name_of(INBOX)} WHERE account_id = {mark}{unread} "
            f"ORDER BY created_at DESC, id DESC LIMIT {int(first)}",
            (str(account_id),),
        )
        return [Notification.from_row(dict(row)) for row in cursor.fetchall()]


def unread_count(view_or_settings: TableView | Settings, account_id: UUID) -> int:
    view = store_of(view_or_settings)
    mark = view.dialect.placeholder
    with view.transaction(commit=False) as cursor:
        cursor.execute(
            f"SELECT COUNT(*) AS unread FROM {view.name_of(INBOX)} "
            f"WHERE account_id = {mark} AND read_at IS NULL",
            (str(account_id),),
        )
        return int(cursor.fetchone()["unread"])


def mark_read(
    view_or_settings: TableView | Settings,
    account_id: UUID,
    ids: Sequence[UUID] | None = None,
    now: datetime | None = None,
) -> int:
    """Mark the account's notifications ``ids`` (all when ``None``) read; how many were
    unread. Another account's ids are left alone."""
    view = store_of(view_or_settings)
    if ids is not None and not ids:
        return 0
    mark = view.dialect.placeholder
    statement = (
        f"UPDATE {view.name_of(INBOX)} SET read_at = {mark} "
        f"WHERE account_id = {mark} AND read_at IS NULL"
    )
    params: list[Any] = [now_text(now), str(account_id)]
    if ids is not None:
        statement += f" AND id IN ({', '.join([mark] * len(ids))})"
        params += [str(identifier) for identifier in ids]
    with view.transaction(commit=True) as cursor:
        cursor.execute(statement + " RETURNING id", params)
        return len(cursor.fetchall())


def add_notifications(cursor: Any, view: TableView, rows: Sequence[dict[str, Any]]) -> None:
    """Put notifications in their inboxes (each once: its id comes from its delivery key)."""
    if not rows:
        return
    statement = view.dialect.insert(INBOX, view.name_of(INBOX)) + " ON CONFLICT (id) DO NOTHING"
    cursor.executemany(statement, [view.dialect.encode(INBOX, row) for row in rows])
