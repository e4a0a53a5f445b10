"""The access log in the API: recording the reads of a case, and reading the log.

``record`` is called by the resolvers that read a case's personal data (``case``,
``caseAsOf``, ``auditTrail``); the portal says, per operation, how its reads count
(``Reads``). ``accessLog`` is the auditor's query across cases; ``caseAccesses`` a case's
readers as its household may know them (roles and organisations; a name only for its
referent: ``authorization.may_name_reader``).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import strawberry
from starlette.concurrency import run_in_threadpool
from strawberry.types import Info

from aspe.access_log import store
from aspe.access_log.recording import record_read
from aspe.authorization import C, Viewer, may_name_reader, reason_required
from aspe.domain.errors import InvalidInput, ReasonRequired
from aspe.domain.reads import ReadKind
from aspe.graphql.permissions import classified
from aspe.graphql.reading import load_case, viewer_of
from aspe.graphql.types import Case, Role, id_or_none
from aspe.projections import directory

ReadKindEnum = strawberry.enum(ReadKind, name="ReadKind")


@dataclass(frozen=True)
class Reads:
    """How one operation's reads of cases are recorded: each as itself (the API), all as
    one read of the portal's kind (its page, a PDF, a download), or not at all (the
    portal's checks and live updates, which show the person nothing new)."""

    as_kind: ReadKind | None = None
    recorded: bool = True
    reason: str | None = None
    """Why the person reads (the portal's form for an archived case)."""


API_READS = Reads()
NOT_RECORDED = Reads(recorded=False)


async def record(info: Info, case: Case, kind: ReadKind, reason: str | None = None) -> None:
    """Record the viewer's read of a case, once per case and kind in an operation; an
    archived case is read only with a reason (``REASON_REQUIRED`` otherwise), kept with it."""
    context = info.context
    reads: Reads = context.reads
    viewer = viewer_of(info)
    if not reads.recorded:  # the portal's checks and live updates: nothing new is shown
        return
    reason = (reason or reads.reason or "").strip() or None
    if reason_required(viewer, case.row) and reason is None:
        raise ReasonRequired(field="reason")
    kind = reads.as_kind or kind
    case_id = case.row["case_id"]
    if (case_id, kind) in context.recorded_reads:
        return
    context.recorded_reads.add((case_id, kind))
    at = context.clock()
    await run_in_threadpool(record_read, context.settings, viewer, case_id, kind, at, reason)


# ------------------------------------------------------------------ the auditor's
@strawberry.type(description="One read of a case's personal data by a person.")
class AccessLogEntry:
    at: datetime = classified(C.ACCESS_LOG)
    account_id: strawberry.ID = classified(C.ACCESS_LOG)
    account_name: str | None = classified(C.ACCESS_LOG)
    role: Role = classified(C.ACCESS_LOG)  # type: ignore[valid-type]
    organisation_id: strawberry.ID | None = classified(C.ACCESS_LOG)
    organisation_name: str | None = classified(C.ACCESS_LOG)
    case_id: strawberry.ID = classified(C.ACCESS_LOG)
    what: ReadKindEnum = classified(C.ACCESS_LOG)  # type: ignore[valid-type]
    reason: str | None = classified(
        C.ACCESS_LOG, description="Why, as the reader said it (an archived case's read)."
    )


@strawberry.type(description="A page of the access log, newest first.")
class AccessLogPage:
    entries: list[AccessLogEntry] = classified(C.ACCESS_LOG)
    has_next_page: bool = classified(C.ACCESS_LOG)
    end_cursor: str | None = classified(C.ACCESS_LOG)


# ------------------------------------------------------------------ the household's
@strawberry.type(description="Someone read the case: when, in which role, for which body.")
class CaseAccess:
    at: datetime = classified(C.CASE_ACCESSES)
    role: Role = classified(C.CASE_ACCESSES)  # type: ignore[valid-type]
    organisation_name: str | None = classified(C.CASE_ACCESSES)
    reader_name: str | None = classified(
        C.CASE_ACCESSES, description="The reader's name: the auditor's; a household's referent."
    )
    what: ReadKindEnum = classified(C.CASE_ACCESSES)  # type: ignore[valid-type]


def _directory(info: Info) -> Any:
    return info.context.projector.model("directory").view


def _names(view: Any, entries: list[store.AccessEntry]) -> dict[str, str | None]:
    """The names of the entries' accounts and organisations, by id."""
    names: dict[str, str | None] = {}
    for entry in entries:
        account = directory.account(view, str(entry.account_id))
        names[str(entry.account_id)] = account["name"] if account else None
        if entry.organisation_id is not None:
            organisation = directory.organisation(view, str(entry.organisation_id))
            names[str(entry.organisation_id)] = organisation["name"] if organisation else None
    return names


def _entry(entry: store.AccessEntry, names: dict[str, str | None]) -> AccessLogEntry:
    organisation = str(entry.organisation_id) if entry.organisation_id else None
    return AccessLogEntry(
        at=entry.at,
        account_id=strawberry.ID(str(entry.account_id)),
        account_name=names.get(str(entry.account_id)),
        role=entry.role,
        organisation_id=id_or_none(entry.organisation_id),
        organisation_name=names.get(organisation) if organisation else None,
        case_id=strawberry.ID(str(entry.case_id)),
        what=entry.what,
        reason=entry.reason,
    )


def _cursor(entry: store.AccessEntry) -> str:
    return base64.urlsafe_b64encode("|".join(store.cursor_of(entry)).encode()).decode()


def _after(cursor: str | None) -> store.Cursor | None:
    if cursor is None:
        return None
    try:
        at, _, entry_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        datetime.fromisoformat(at)
        UUID(entry_id)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidInput("Le curseur de pagination est invalide.") from None
    return at, entry_id


def _uuid(value: str | None, what: str) -> UUID | None:
    try:
        return None if value is None else UUID(str(value))
    except ValueError:
        raise InvalidInput(f"L'identifiant {what} est invalide.") from None


def _instant(value: datetime | None) -> datetime | None:
    """An instant given without its offset is UTC's, as the store keeps instants (and as
    ``aspe case show --as-of`` reads them): one bound with an offset and one without
    then compare, instead of failing."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _filters(
    account_id: str | None, case_id: str | None, since: datetime | None, until: datetime | None
) -> store.Filters:
    since, until = _instant(since), _instant(until)
    if since is not None and until is not None and until <= since:
        raise InvalidInput("La fin de la période doit suivre son début.")
    return store.Filters(
        account_id=_uuid(account_id, "de la personne"),
        case_id=_uuid(case_id, "du dossier"),
        since=since,
        until=until,
    )


def _page_size(info: Info, first: int) -> int:
    limit: int = info.context.settings.graphql_max_page_size
    if not 1 <= first <= limit:
        raise InvalidInput(f"« first » doit être compris entre 1 et {limit}.")
    return first


def _accesses(
    viewer: Viewer, view: Any, entries: list[store.AccessEntry], referent: object
) -> list[CaseAccess]:
    names = _names(view, entries)
    return [
        CaseAccess(
            at=entry.at,
            role=entry.role,
            organisation_name=names.get(str(entry.organisation_id)),
            reader_name=(
                names.get(str(entry.account_id))
                if may_name_reader(viewer, entry.account_id, referent)
                else None
            ),
            what=entry.what,
        )
        for entry in entries
    ]


@strawberry.type
class AccessLogQueries:
    @classified(
        C.ACCESS_LOG,
        description="Who read which case, newest first (the auditor's): by person, by case, "
        "over a period [since, until).",
    )
    async def access_log(
        self,
        info: Info,
        account_id: strawberry.ID | None = None,
        case_id: strawberry.ID | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> AccessLogPage | None:
        filters = _filters(account_id, case_id, since, until)
        size, position = _page_size(info, first), _after(after)

        def read() -> tuple[list[store.AccessEntry], bool, dict[str, str | None]]:
            view = store.open_store(info.context.settings)
            found = store.page(view, filters, position, size + 1)
            return found[:size], len(found) > size, _names(_directory(info), found[:size])

        entries, more, names = await run_in_threadpool(read)
        return AccessLogPage(
            entries=[_entry(entry, names) for entry in entries],
            has_next_page=more,
            end_cursor=_cursor(entries[-1]) if entries else None,
        )

    @classified(
        C.CASE_ACCESSES,
        description="Who read the case, newest first: roles and organisations (the "
        "household's own reads left out); null if the case is not the viewer's.",
    )
    async def case_accesses(
        self, info: Info, case_id: strawberry.ID, first: int = 50
    ) -> list[CaseAccess] | None:
        case = await load_case(info, case_id)
        if case is None:
            return None
        viewer, size = viewer_of(info), _page_size(info, first)
        filters = store.Filters(case_id=UUID(case.row["case_id"]), excluded_account_id=viewer.id)

        def read() -> list[CaseAccess]:
            view = store.open_store(info.context.settings)
            entries = store.page(view, filters, None, size)
            return _accesses(viewer, _directory(info), entries, case.row["referent_id"])

        return await run_in_threadpool(read)
