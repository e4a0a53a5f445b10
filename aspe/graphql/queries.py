"""The queries: each reads read models (in a worker thread) and maps rows to types.

Which cases a viewer sees is ``authorization.case_scope`` / ``may_see_case``; which of their
fields, the ``classified`` categories of the types.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

import strawberry
from starlette.concurrency import run_in_threadpool
from strawberry.types import Info

from aspe.authorization import C, Viewer, case_scope, may_name_actor
from aspe.domain.actors import ASSOCIATION_ROLES
from aspe.domain.errors import InvalidInput
from aspe.domain.reads import ReadKind
from aspe.domain.values import Status
from aspe.graphql import access_log
from aspe.graphql.inputs import LandlordCategoryEnum
from aspe.graphql.permissions import Seen, classified
from aspe.graphql.reading import cases_of, load_case, load_case_as_of, viewer_of
from aspe.graphql.types import Case, CaseStatus, Role, case_of
from aspe.projections import (
    audit_trail,
    commission_agenda,
    directory,
    landlord_tenancies,
    open_alerts,
)
from aspe.projections import statistics as case_statistics
from aspe.projections.audit_trail import TrailRow
from aspe.projections.case_file import CaseFileRow, case_page
from aspe.projections.directory import AccountRow, OrganisationRow


# ---------------------------------------------------------------------- viewer
@strawberry.type(description="The account making the request.")
class Me:
    seen: strawberry.Private[Seen]
    id: strawberry.ID | None = classified(C.ACCOUNT)
    role: Role | None = classified(C.ACCOUNT)  # type: ignore[valid-type]
    organisation_id: strawberry.ID | None = classified(C.ACCOUNT)
    name: str | None = classified(C.ACCOUNT)
    email: str | None = classified(C.ACCOUNT)

    @classmethod
    def of(cls, viewer: Viewer) -> Me:
        organisation = viewer.organisation_id
        return cls(
            seen=Seen(viewer),
            id=strawberry.ID(str(viewer.id)),
            role=viewer.role,
            organisation_id=strawberry.ID(str(organisation)) if organisation else None,
            name=viewer.name,
            email=viewer.email,
        )


# ------------------------------------------------------------------- directory
@strawberry.type(description="An organisation of the directory: a landlord, say.")
class Organisation:
    id: strawberry.ID = classified(C.DIRECTORY)
    name: str = classified(C.DIRECTORY)
    category: LandlordCategoryEnum | None = classified(  # type: ignore[valid-type]
        C.DIRECTORY, description="A landlord's category (social or private); null otherwise."
    )

    @classmethod
    def from_row(cls, row: OrganisationRow) -> Organisation:
        category = row["category"]
        return cls(
            id=strawberry.ID(row["organisation_id"]),
            name=row["name"],
            category=None if category is None else LandlordCategoryEnum[category],
        )


@strawberry.type(description="A staff member of the viewer's association.")
class StaffMember:
    id: strawberry.ID = classified(C.DIRECTORY)
    name: str = classified(C.DIRECTORY)
    role: Role = classified(C.DIRECTORY)  # type: ignore[valid-type]
    qualified_referent: bool = classified(
        C.DIRECTORY, description="Whether their diploma lets them be a case's referent (R10)."
    )

    @classmethod
    def from_row(cls, row: AccountRow) -> StaffMember:
        return cls(
            id=strawberry.ID(row["account_id"]),
            name=row["name"] or "",
            role=Role[row["role"]],
            qualified_referent=bool(row["qualified"]),
        )


# ------------------------------------------------------------------ pagination
@strawberry.type(description="Where a page of cases ends, and whether more follow.")
class PageInfo:
    has_next_page: bool = classified(C.ENTRY)
    end_cursor: str | None = classified(C.ENTRY)


@strawberry.type
class CaseEdge:
    cursor: str = classified(C.ENTRY)
    node: Case = classified(C.ENTRY)


@strawberry.type(description="A page of cases, oldest opened first (Relay connection).")
class CaseConnection:
    edges: list[CaseEdge] = classified(C.ENTRY)
    page_info: PageInfo = classified(C.ENTRY)


def _optional_id(value: str | None) -> strawberry.ID | None:
    return None if value is None else strawberry.ID(value)


def cursor_of(row: CaseFileRow) -> str:
    return base64.urlsafe_b64encode(f"{row['opened_on']}|{row['case_id']}".encode()).decode()


def position_of(cursor: str | None) -> tuple[str, str] | None:
    if cursor is None:
        return None
    try:
        opened_on, _, case_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidInput("Le curseur de pagination est invalide.") from None
    if not case_id:
        raise InvalidInput("Le curseur de pagination est invalide.")
    return opened_on, case_id


# ------------------------------------------------------------------ statistics
@strawberry.type
class Count:
    key: str = classified(C.STATISTICS)
    count: int = classified(C.STATISTICS)


@strawberry.type(
    description="One calendar month of the statistics (the current month up to today)."
)
class StatisticsMonth:
    month: str = classified(C.STATISTICS, description="2026-03")
    opened: int = classified(C.STATISTICS)
    submitted: int = classified(C.STATISTICS)
    granted: list[Count] = classified(C.STATISTICS, description="Measures granted, by type.")
    rejected: int = classified(C.STATISTICS)
    running: list[Count] = classified(
        C.STATISTICS, description="Measures running at the month's end, by type."
    )
    stopped: int = classified(C.STATISTICS)
    completed: int = classified(C.STATISTICS)
    alerts_raised: int = classified(C.STATISTICS)
    measured_weeks: int = classified(
        C.STATISTICS, description="Weeks of measures starting in the month, and over."
    )
    compliant_weeks: int = classified(
        C.STATISTICS, description="Among them, weeks whose visits met the cadence."
    )

    @classmethod
    def of(cls, month: case_statistics.MonthFigures) -> StatisticsMonth:
        return cls(
            month=month.month,
            opened=month.opened,
            submitted=month.submitted,
            granted=_counts(month.granted),
            rejected=month.rejected,
            running=_counts(month.running),
            stopped=month.stopped,
            completed=month.completed,
            alerts_raised=month.alerts_raised,
            measured_weeks=month.cadence.measured_weeks,
            compliant_weeks=month.cadence.compliant_weeks,
        )


@strawberry.type(description="Case counts, durations and outcomes (no case content).")
class Statistics:
    cases: int | None = classified(C.STATISTICS)
    by_status: list[Count] = classified(C.STATISTICS)
    by_measure_type: list[Count] = classified(C.STATISTICS)
    average_days_to_decision: float | None = classified(C.STATISTICS)
    average_measure_days: float | None = classified(C.STATISTICS)
    still_housed: int | None = classified(C.STATISTICS)
    not_housed: int | None = classified(C.STATISTICS)
    outcome_unknown: int | None = classified(C.STATISTICS)
    average_days_to_submission: float | None = classified(
        C.STATISTICS, description="From the case's opening to the request's submission."
    )
    average_days_to_start: float | None = classified(
        C.STATISTICS, description="From the grant to the measure's start (CEOP signed)."
    )
    by_stop_reason: list[Count] = classified(C.STATISTICS)
    alerts_raised: int | None = classified(
        C.STATISTICS, description="Non-collaboration alerts raised, resolved since or not."
    )
    measured_weeks: int | None = classified(
        C.STATISTICS, description="Weeks of measures that are over (the current one is not)."
    )
    compliant_weeks: int | None = classified(
        C.STATISTICS, description="Among them, weeks whose visits met the cadence (R4)."
    )
    cadence_compliance_rate: float | None = classified(
        C.STATISTICS, description="compliantWeeks / measuredWeeks; null with no week over."
    )
    months: list[StatisticsMonth] = classified(
        C.STATISTICS, description="The last twelve months, oldest first."
    )


CADENCE_FIELDS = frozenset({"measuredWeeks", "compliantWeeks", "cadenceComplianceRate"})
"""Fields that need every measure's weeks: they are counted only when asked for."""


def _asks_for(info: Info, names: frozenset[str]) -> bool:
    """Whether the query selects one of ``names`` anywhere under the current field."""
    pending = list(info.selected_fields)
    while pending:
        selection = pending.pop()
        if getattr(selection, "name", None) in names:
            return True
        pending.extend(getattr(selection, "selections", ()))
    return False


def _counts(values: dict[str, int]) -> list[Count]:
    return [Count(key=key, count=count) for key, count in sorted(values.items())]


# ----------------------------------------------------------------- audit, alerts
@dataclass(frozen=True)
class TrailNames:
    """The names an audit trail shows its viewer, from the directory: its colleagues' (by
    account id) and the organisations' (by organisation id)."""

    actors: Mapping[str, str] = field(default_factory=dict)
    organisations: Mapping[str, str] = field(default_factory=dict)


def trail_names(view: Any, viewer: Viewer, rows: Sequence[TrailRow]) -> TrailNames:
    """Look up, once per trail, the names of its actors the viewer may know by name
    (``authorization.may_name_actor``) and of the organisations they acted for."""
    actors: dict[str, str] = {}
    organisations: dict[str, str] = {}
    for row in rows:
        organisation_id = row["organisation_id"]
        if organisation_id and organisation_id not in organisations:
            found = directory.organisation(view, organisation_id)
            if found is not None:
                organisations[organisation_id] = found["name"]
        if row["actor_id"] not in actors and may_name_actor(viewer, dict(row)):
            account = directory.account(view, row["actor_id"])
            if account is not None and account["name"]:
                actors[row["actor_id"]] = account["name"]
    return TrailNames(actors, organisations)


@strawberry.type(description="One event of a case: who did what, when, and why.")
class AuditEntry:
    row: strawberry.Private[TrailRow]
    version: int | None = classified(C.EVENT_METADATA)
    event: str | None = classified(C.EVENT_METADATA)
    occurred_at: datetime | None = classified(C.EVENT_METADATA)
    actor_id: strawberry.ID | None = classified(C.EVENT_METADATA)
    actor_role: str | None = classified(C.EVENT_METADATA)
    organisation_id: strawberry.ID | None = classified(C.EVENT_METADATA)
    correlation_id: strawberry.ID | None = classified(C.EVENT_METADATA)
    causation_id: strawberry.ID | None = classified(C.EVENT_METADATA)
    actor_name: str | None = classified(
        C.EVENT_METADATA,
        description="The person who did it: given only when they belong to the viewer's own "
        "organisation (null otherwise: see organisationName).",
    )
    organisation_name: str | None = classified(
        C.EVENT_METADATA,
        description="The name of the organisation the actor acted for (null: none, such as "
        "the household or the platform).",
    )

    @classmethod
    def from_row(cls, row: TrailRow, names: TrailNames | None = None) -> AuditEntry:
        names = names or TrailNames()
        return cls(
            row=row,
            actor_name=names.actors.get(row["actor_id"]),
            organisation_name=names.organisations.get(row["organisation_id"] or ""),
            version=row["version"],
            event=row["event"],
            occurred_at=datetime.fromisoformat(row["occurred_at"]),
            actor_id=strawberry.ID(row["actor_id"]),
            actor_role=row["actor_role"],
            organisation_id=_optional_id(row["organisation_id"]),
            correlation_id=strawberry.ID(row["correlation_id"]),
            causation_id=_optional_id(row["causation_id"]),
        )


@strawberry.type(description="An open non-collaboration alert and its case.")
class OpenAlert:
    raised_on: date | None = classified(C.ALERTS)
    silent_days: int | None = classified(C.ALERTS)
    case: Case | None = classified(C.ALERTS)


def _view(info: Info, name: str) -> Any:
    return info.context.projector.model(name).view


async def _visible_cases(info: Info, case_ids: list[str]) -> list[Case]:
    rows = await info.context.loaders.case_file.load_many(case_ids)
    return cases_of(viewer_of(info), rows)


@strawberry.type
class CaseQueries:
    @classified(C.ACCOUNT, description="The account making the request.")
    def me(self, info: Info) -> Me | None:
        return Me.of(viewer_of(info))

    @classified(C.DIRECTORY, description="The landlords a household may be registered with.")
    async def landlords(self, info: Info) -> list[Organisation]:
        rows = await run_in_threadpool(
            directory.organisations, _view(info, "directory"), "LANDLORD"
        )
        return [Organisation.from_row(row) for row in rows]

    @classified(C.DIRECTORY, description="The staff of the viewer's association, by name.")
    async def colleagues(self, info: Info) -> list[StaffMember]:
        viewer = viewer_of(info)
        if viewer.role not in ASSOCIATION_ROLES or viewer.organisation_id is None:
            return []
        rows = await run_in_threadpool(
            directory.staff_of, _view(info, "directory"), str(viewer.organisation_id)
        )
        return [StaffMember.from_row(row) for row in rows if row["role"] in _STAFF_ROLES]

    @classified(C.ENTRY, description="The cases the viewer may see, a page at a time.")
    async def cases(
        self,
        info: Info,
        status: CaseStatus | None = None,  # type: ignore[valid-type]
        first: int = 20,
        after: str | None = None,
    ) -> CaseConnection:
        limit = info.context.settings.graphql_max_page_size
        if not 1 <= first <= limit:
            raise InvalidInput(f"« first » doit être compris entre 1 et {limit}.")
        scope = case_scope(viewer_of(info))
        if scope is None:
            return CaseConnection(
                edges=[], page_info=PageInfo(has_next_page=False, end_cursor=None)
            )
        where = {**scope, **({"status": Status(status).name} if status else {})}
        rows = await run_in_threadpool(
            case_page, _view(info, "case_file"), where, position_of(after), first + 1
        )
        page = rows[:first]
        seen = Seen(viewer_of(info))
        edges = [CaseEdge(cursor=cursor_of(row), node=case_of(row, seen)) for row in page]
        return CaseConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(rows) > first, end_cursor=edges[-1].cursor if edges else None
            ),
        )

    @classified(C.ENTRY, description="One case, or null if it is not the viewer's to see.")
    async def case(self, info: Info, id: strawberry.ID, reason: Reason = None) -> Case | None:
        return await _recorded(info, await load_case(info, id), ReadKind.CASE, reason)

    @classified(C.ENTRY, description="The case as it stood at an instant (time travel).")
    async def case_as_of(
        self, info: Info, case_id: strawberry.ID, at: datetime, reason: Reason = None
    ) -> Case | None:
        case = await load_case_as_of(info, case_id, at)
        return await _recorded(info, case, ReadKind.CASE_AS_OF, reason)

    @classified(C.ENTRY, description="The commission's agenda (of one session, or all).")
    async def commission_agenda(self, info: Info, session_on: date | None = None) -> list[Case]:
        items = await run_in_threadpool(
            commission_agenda.agenda,
            _view(info, "commission_agenda"),
            None if session_on is None else session_on.isoformat(),
        )
        return await _visible_cases(info, [item["case_id"] for item in items])

    @classified(C.ALERTS, description="Open non-collaboration alerts, oldest first.")
    async def alerts(self, info: Info) -> list[OpenAlert]:
        viewer = viewer_of(info)
        association = viewer.organisation_id if viewer.role in ASSOCIATION_ROLES else None
        rows = await run_in_threadpool(
            open_alerts.open_alerts, _view(info, "open_alerts"), association
        )
        cases = {
            case.row["case_id"]: case
            for case in await _visible_cases(info, [row["case_id"] for row in rows])
        }
        return [
            OpenAlert(
                raised_on=date.fromisoformat(row["raised_on"]),
                silent_days=row["silent_days"],
                case=cases[row["case_id"]],
            )
            for row in rows
            if row["case_id"] in cases
        ]

    @classified(C.ENTRY, description="The measures of the viewer's tenants (landlords).")
    async def landlord_tenancies(self, info: Info) -> list[Case]:
        viewer = viewer_of(info)
        if viewer.organisation_id is None:
            return []
        rows = await run_in_threadpool(
            landlord_tenancies.tenancies, _view(info, "landlord_tenancies"), viewer.organisation_id
        )
        return await _visible_cases(info, [row["case_id"] for row in rows])

    @classified(C.STATISTICS, description="Figures of the association, or of the département.")
    async def statistics(self, info: Info) -> Statistics | None:
        viewer = viewer_of(info)
        association = viewer.organisation_id if viewer.role in ASSOCIATION_ROLES else None
        weeks = _asks_for(info, CADENCE_FIELDS)
        figures = await run_in_threadpool(
            case_statistics.statistics,
            _view(info, "statistics"),
            None if association is None else str(association),
            _view(info, "visit_compliance") if weeks else None,
            info.context.today(),
        )
        return Statistics(
            cases=figures.cases,
            by_status=_counts(figures.by_status),
            by_measure_type=_counts(figures.by_measure_type),
            average_days_to_decision=figures.average_days_to_decision,
            average_measure_days=figures.average_measure_days,
            still_housed=figures.outcomes.housed,
            not_housed=figures.outcomes.not_housed,
            outcome_unknown=figures.outcomes.unknown,
            average_days_to_submission=figures.average_days_to_submission,
            average_days_to_start=figures.average_days_to_start,
            by_stop_reason=_counts(figures.by_stop_reason or {}),
            alerts_raised=figures.alerts_raised,
            measured_weeks=figures.cadence.measured_weeks,
            compliant_weeks=figures.cadence.compliant_weeks,
            cadence_compliance_rate=figures.cadence.rate,
            months=[StatisticsMonth.of(month) for month in figures.months],
        )

    @classified(C.EVENT_METADATA, description="Who did what when on a case, in order.")
    async def audit_trail(
        self, info: Info, case_id: strawberry.ID, reason: Reason = None
    ) -> list[AuditEntry] | None:
        case = await load_case(info, case_id)
        if await _recorded(info, case, ReadKind.AUDIT_TRAIL, reason) is None:
            return None
        rows = await run_in_threadpool(
            audit_trail.trail, _view(info, "audit_trail"), str(_uuid(case_id))
        )
        names = await run_in_threadpool(
            trail_names, _view(info, "directory"), viewer_of(info), rows
        )
        return [AuditEntry.from_row(row, names) for row in rows]


async def _recorded(
    info: Info, case: Case | None, kind: ReadKind, reason: str | None = None
) -> Case | None:
    """The case, its read recorded in the access log (nothing is read of a hidden case)."""
    if case is not None:
        await access_log.record(info, case, kind, reason)
    return case


Reason = Annotated[
    str | None,
    strawberry.argument(
        description="Why you read it: required for an archived case (only the auditor and "
        "its association's manager read one), kept in the access log."
    ),
]

_STAFF_ROLES = frozenset(role.name for role in ASSOCIATION_ROLES)


def _uuid(value: str) -> UUID:
    return UUID(str(value))
