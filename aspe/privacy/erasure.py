"""Erasing a household: its key destroyed, and every copy of its values made unreadable.

The events keep the household's values sealed under its key (``aspe.privacy.sealing``);
the application's ``erase_household`` records the erasure and destroys the key. What this
module adds is every other place a copy lives:

- the snapshots of its cases (derived data, sealed whole): deleted;
- the read models: the rows of the household and its cases are deleted and made again
  from their events, which now read as erased — the case stays, "Ménage effacé", with every
  decision's who, when and what; statistics, which hold no personal value, are untouched;
- the notifications store: subjects, bodies, names and addresses of its deliveries and
  inbox notifications replaced by the erased text, undelivered e-mails not sent;
- files: its e-mails in the outbox and its documents' contents.

Running it again on an erased household finishes what an interrupted run left (the record
and the key are not done twice).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.sqlite import SQLiteDatastore

from aspe.application import AspeApplication
from aspe.audit.store import chain_table, read_cursor
from aspe.audit.tables import fetch
from aspe.domain.errors import AlreadyDone
from aspe.domain.household import Household
from aspe.domain.values import ErasureGround
from aspe.french.labels import ERASED_TEXT
from aspe.projections.readmodel import ReadModel
from aspe.projections.tables import Table
from aspe.projections.view import PositionMoved, TableView, checkpoint_sqlite
from aspe.workers.delivery import FAILED, QUEUED, SENDING, delivery_id
from aspe.workers.inbox import DELIVERIES, INBOX

REWRITE_ATTEMPTS = 5
SUBJECT_COLUMNS = ("case_id", "household_id", "account_id", "aggregate_id")
"""Columns that name whose row it is: a table with one of them has rows of a household."""


@dataclass
class ErasureReport:
    household_id: UUID
    case_ids: list[UUID]
    recorded: bool
    """False when an earlier run had recorded it (this one finished the rest)."""
    snapshots: int = 0
    read_model_rows: int = 0
    notifications: int = 0
    files: list[Path] = field(default_factory=list)


@dataclass(frozen=True)
class Places:
    """Where a household's values are copied, besides the events."""

    read_models: Sequence[ReadModel]
    notifications: TableView | None
    outbox: Path
    blobs: Path


def erase_household(
    app: AspeApplication,
    places: Places,
    household_id: UUID,
    ground: ErasureGround,
    reason: str,
    idempotency_key: str | None = None,
) -> ErasureReport:
    """Erase the household (as the actor of the current ``acting_as``); what was done.
    ``idempotency_key``: the record is stored once for it (the purge runs again, harmless)."""
    household = app.load(Household, household_id)
    case_ids = list(household.case_ids)
    documents = _document_hashes(app, case_ids)  # read before the key that opens them goes
    try:
        once = {} if idempotency_key is None else {"idempotency_key": idempotency_key}
        app.erase_household(household_id, ground, reason, **once)
        recorded = True
    except AlreadyDone:
        recorded = False
    report = ErasureReport(household_id, case_ids, recorded)
    subjects = [household_id, *case_ids]
    report.snapshots = _delete_snapshots(app, subjects)
    _forget_cached(app, subjects)
    events = _events_of(app, subjects)
    names = {str(subject) for subject in subjects}
    report.read_model_rows = sum(_make_again(model, names, events) for model in places.read_models)
    if places.notifications is not None:
        keys, report.notifications = _blank_notifications(places.notifications, names)
        report.files += _delete_files(places.outbox, [f"{delivery_id(key)}.eml" for key in keys])
    report.files += _delete_files(places.blobs, [f"{digest[:2]}/{digest}" for digest in documents])
    return report


# --------------------------------------------------------------------------- events
def _document_hashes(app: AspeApplication, case_ids: Iterable[UUID]) -> list[str]:
    return [digest for case_id in case_ids for digest in app.get_case(case_id).document_hashes]


def _events_of(app: AspeApplication, subjects: Sequence[UUID]) -> list[tuple[int, Any]]:
    """The subjects' events as they read now (erased), each at its position in the store,
    in the store's order."""
    positions = _positions(app, subjects)
    events = [
        (positions[(event.originator_id, event.originator_version)], event)
        for subject in subjects
        for event in app.events.get(subject)
    ]
    return sorted(events, key=lambda positioned: positioned[0])


def _positions(app: AspeApplication, subjects: Sequence[UUID]) -> dict[tuple[UUID, int], int]:
    table = chain_table(app)
    found: dict[tuple[UUID, int], int] = {}
    with read_cursor(app)() as cursor:
        for subject in subjects:
            rows = fetch(
                cursor,
                f"SELECT {table.position}, originator_version FROM {table.events} "
                f"WHERE originator_id = {table.mark}",
                (subject.hex if table.position == "rowid" else subject,),
            )
            found.update({(subject, int(version)): int(position) for position, version in rows})
    return found


def _delete_snapshots(app: AspeApplication, subjects: Sequence[UUID]) -> int:
    if app.snapshots is None:
        return 0
    recorder: Any = app.snapshots.recorder
    datastore = recorder.datastore
    sqlite = isinstance(datastore, SQLiteDatastore)
    if sqlite:
        table, mark, ids = recorder.events_table_name, "?", [subject.hex for subject in subjects]
    else:
        table = f'"{datastore.schema}"."{recorder.events_table_name}"'
        mark, ids = "%s", list[Any](subjects)
    with datastore.transaction(commit=True) as cursor:
        if sqlite:
            cursor.execute("PRAGMA secure_delete = ON")
        marks = ", ".join([mark] * len(ids))
        cursor.execute(
            f"DELETE FROM {table} WHERE originator_id IN ({marks}) RETURNING originator_id", ids
        )
        deleted = len(cursor.fetchall())
    if sqlite:
        checkpoint_sqlite(datastore)
    return deleted


def _forget_cached(app: AspeApplication, subjects: Sequence[UUID]) -> None:
    """This process's cached aggregates hold the values as they were read."""
    cache = getattr(app.repository, "cache", None)
    if cache is not None:
        for subject in subjects:
            with suppress(KeyError):
                cache.get(subject, evict=True)


# ---------------------------------------------------------------------- read models
def _subject_column(table: Table[Any]) -> str | None:
    return next((column for column in SUBJECT_COLUMNS if column in table.columns), None)


def _make_again(model: ReadModel, subjects: set[str], events: list[tuple[int, Any]]) -> int:
    """Delete the subjects' rows of ``model`` and make them again from the ``events`` it had
    applied (those after its position are still to come to it, from its runner); keep only
    rows of the subjects (a handler that also counts or indexes across cases — statistics —
    changes nothing here). Append-only tables are records of events, not of their values.
    If its runner moves it meanwhile, start again from its new position."""
    for _ in range(REWRITE_ATTEMPTS):
        with suppress(PositionMoved):
            return _make_again_at(model, subjects, events)
    raise PositionMoved(model.name)


def _make_again_at(model: ReadModel, subjects: set[str], events: list[tuple[int, Any]]) -> int:
    view = model.view
    view.refresh_position()
    position = view.position
    applied = [event for at, event in events if at <= (position or 0)]
    scoped = {
        table.name: column
        for table in view.tables
        if not table.append_only and (column := _subject_column(table)) is not None
    }
    changes = view.begin()
    for rows in changes:
        column = scoped.get(rows.table.name)
        if column is not None:
            for row in view.select_in(rows.table, column, sorted(subjects)):
                rows.delete(*rows.table.key_of(row))
    model.apply(applied, changes)
    for rows in changes:
        column = scoped.get(rows.table.name)
        rows.added.clear()
        rows.changed = {
            key: row
            for key, row in rows.changed.items()
            if column is not None and (row is None or str(row.get(column)) in subjects)
        }
    view.rewrite(changes, position)
    return sum(len(rows.changed) for rows in changes)


# -------------------------------------------------------------------- notifications
def _blank_notifications(view: TableView, subjects: set[str]) -> tuple[list[str], int]:
    """Blank the subjects' deliveries and inbox notifications; the keys of their e-mails."""
    mark = view.dialect.placeholder
    marks = ", ".join([mark] * len(subjects))
    whose = f"(case_id IN ({marks}) OR account_id IN ({marks}))"
    ids = sorted(subjects) * 2
    deliveries, inbox = view.name_of(DELIVERIES), view.name_of(INBOX)
    with view.transaction(commit=True) as cursor:
        view._overwrite_freed_space(cursor)
        cursor.execute(f"SELECT key FROM {deliveries} WHERE {whose}", ids)
        keys = [str(dict(row)["key"]) for row in cursor.fetchall()]
        cursor.execute(
            f"UPDATE {deliveries} SET subject = {mark}, body = {mark}, recipient_name = NULL, "
            f"email = NULL, status = CASE WHEN status IN ({mark}, {mark}) THEN {mark} "
            f"ELSE status END WHERE {whose}",
            [ERASED_TEXT, ERASED_TEXT, QUEUED, SENDING, FAILED, *ids],
        )
        cursor.execute(
            f"UPDATE {inbox} SET subject = {mark}, body = {mark} WHERE {whose} RETURNING id",
            [ERASED_TEXT, ERASED_TEXT, *ids],
        )
        blanked = len(cursor.fetchall()) + len(keys)
    view.cache.clear()
    view.after_erasure()
    return keys, blanked


def _delete_files(folder: Path, names: Iterable[str]) -> list[Path]:
    deleted = []
    for name in names:
        path = folder / name
        if path.is_file():
            path.unlink()
            deleted.append(path)
    return deleted
