"""The queries: each reads read models (in a worker thread) and maps rows to types.

Which cases a viewer sees is ``authorization.case_scope`` / ``may_see_case``; which of their
fields, the ``classified`` categories of the types.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Annotated, Any
from uuid import UUID

import strawberry
from starlette.concurrency import run_in_threadpool
from strawberry.types import Info

from aspe.authorization import (
    C,
    Category,
    Viewer,
    allows,
    case_scope,
    managed_accounts_scope,
    may_name_actor,
)
from aspe.domain.actors import ASSOCIATION_ROLES
from aspe.domain.actors import Role as DomainRole
from aspe.domain.errors import InvalidInput, NotAuthorised
from aspe.domain.reads import ReadKind
from aspe.domain.staff import roles_assignable_by
from aspe.domain.values import MeasureType, Status
from aspe.graphql import access_log
from aspe.graphql.inputs import LandlordCategoryEnum
from aspe.graphql.permissions import Seen, classified
from aspe.graphql.reading import cases_of, load_case, load_case_as_of, viewer_of, visible
from aspe.graphql.types import Case, CaseStatus, MeasureTypeEnum, Role, case_of, id_or_none
from aspe.projections import (
    audit_trail,
    commission_agenda,
    directory,
    landlord_tenancies,
    open_alerts,
)
from aspe.projections import statistics as case_statistics
from aspe.projections.audit_trail import TrailRow
from aspe.projections.case_file import (
    CaseFilter,
    CaseOrder,
    case_list,
    position_in,
    search_key,
)
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
        return cls(
            seen=Seen(viewer),
            id=strawberry.ID(str(viewer.id)),
            role=viewer.role,
            organisation_id=id_or_none(viewer.organisation_id),
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


@strawberry.type(description="An organisation whose staff accounts the viewer manages.")
class ManagedOrganisation:
    id: strawberry.ID = classified(C.STAFF_ACCOUNTS)
    name: str = classified(C.STAFF_ACCOUNTS)
    kind: str = classified(
        C.STAFF_ACCOUNTS, description="ASSOCIATION, SPSLH, COMMISSION, LANDLORD…"
    )
    assignable_roles: list[Role] = classified(  # type: ignore[valid-type]
        C.STAFF_ACCOUNTS, description="The roles the viewer may give the staff it registers."
    )

    @classmethod
    def from_row(cls, row: OrganisationRow, viewer: Viewer) -> ManagedOrganisation:
        roles = roles_assignable_by(viewer.role)
        return cls(
            id=strawberry.ID(row["organisation_id"]),
            name=row["name"],
            kind=row["kind"],
            assignable_roles=[role for role in DomainRole if role in roles],
        )


@strawberry.type(description="A staff account, as the one who manages it sees it.")
class StaffAccount:
    id: strawberry.ID = classified(C.STAFF_ACCOUNTS)
    name: str = classified(C.STAFF_ACCOUNTS)
    email: str = classified(C.STAFF_ACCOUNTS)
    role: Role = classified(C.STAFF_ACCOUNTS)  # type: ignore[valid-type]
    active: bool = classified(C.STAFF_ACCOUNTS, description="False: it may not log in.")
    qualified_referent: bool = classified(C.STAFF_ACCOUNTS)
    organisation_id: strawberry.ID = classified(C.STAFF_ACCOUNTS)
    organisation_name: str | None = classified(C.STAFF_ACCOUNTS)

    @classmethod
    def from_row(cls, row: AccountRow, organisation_name: str | None) -> StaffAccount:
        return cls(
            id=strawberry.ID(row["account_id"]),
            name=row["name"] or "",
            email=row["email"] or "",
            role=Role[row["role"]],
            active=bool(row.get("active", True)),
            qualified_referent=bool(row["qualified"]),
            organisation_id=strawberry.ID(row["organisation_id"] or ""),
            organisation_name=organisation_name,
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


@strawberry.type(description="A page of cases, in the order asked (Relay connection).")
class CaseConnection:
    edges: list[CaseEdge] = classified(C.ENTRY)
    page_info: PageInfo = classified(C.ENTRY)


@strawberry.enum(description="How a list of cases is sorted: open cases always come first.")
class CaseSort(Enum):
    OPENED_ON = "OPENED_ON"
    HOUSEHOLD_NAME = "HOUSEHOLD_NAME"
    STATUS = "STATUS"


SEARCH_MAX_LENGTH = 100
FILTER_CATEGORIES: dict[str, Category] = {
    "search": C.HOUSEHOLD_NAME_ADDRESS,
    "referentId": C.STAFFING,
    "measureType": C.DECISION,
    "withOpenAlert": C.ALERTS,
}
"""What each argument of ``cases`` filters or sorts on: a viewer filters only on what it
sees of every case it lists (``allows`` without a household's consent)."""
SORT_CATEGORIES = {CaseSort.HOUSEHOLD_NAME: C.HOUSEHOLD_NAME_ADDRESS}


def cursor_of(sort: CaseSort, case_id: str) -> str:
    """A page's cursor: its sort and its last case (never a sort value: a household's name
    would travel in the URLs and logs a cursor passes through)."""
    return base64.urlsafe_b64encode(json.dumps([sort.value, case_id]).encode()).decode()


async def position_of(info: Info, cursor: str | None, sort: CaseSort) -> list[Any] | None:
    """The sort values of the case a cursor names; a cursor of another sort, of a case the
    viewer does not see, or none of ours, refused."""
    if cursor is None:
        return None
    refused = InvalidInput("Le curseur de pagination est invalide.", field="after")
    try:
        order, case_id = json.loads(base64.urlsafe_b64decode(cursor.encode()).decode())
        case_id = str(UUID(case_id))
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError, AttributeError):
        raise refused from None
    row = visible(viewer_of(info), await info.context.loaders.case_file.load(case_id))
    if order != sort.value or row is None:
        raise refused
    return position_in(row, CaseOrder[sort.value])


def _list_filter(
    scope: dict[str, Any],
    status: Status | None,
    search: str | None,
    referent_id: str | None,
    measure_type: MeasureType | None,
) -> CaseFilter:
    where = dict(scope)
    if status is not None:
        where["status"] = status.name
    if referent_id is not None:
        where["referent_id"] = str(_uuid_argument(referent_id, "referentId"))
    if measure_type is not None:
        where["measure_type"] = measure_type.name
    if search is not None:
        if len(search) > SEARCH_MAX_LENGTH:
            raise InvalidInput(
                f"La recherche compte au plus {SEARCH_MAX_LENGTH} caractères.", field="search"
            )
        if not search_key(search):
            raise InvalidInput("Saisissez une partie du nom du ménage.", field="search")
    return CaseFilter(where=where, search=search)


def _check_may_filter(viewer: Viewer, given: Mapping[str, object], sort: CaseSort) -> None:
    categories = [FILTER_CATEGORIES[name] for name, value in given.items() if value is not None]
    if sort in SORT_CATEGORIES:
        categories.append(SORT_CATEGORIES[sort])
    if not all(allows(viewer.role, category) for category in categories):
        raise NotAuthorised("Votre profil ne permet pas de filtrer ou trier les dossiers ainsi.")


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _weekly_sessions(today: date, weekday: int, count: int) -> list[date]:
    """The next ``count`` days that fall on ``weekday`` (0: Monday), today included."""
    first = today + timedelta(days=(weekday - today.weekday()) % 7)
    return [first + timedelta(weeks=week) for week in range(count)]


def _uuid_argument(value: str, name: str) -> UUID:
    try:
        return UUID(str(value))
    except ValueError:
        raise InvalidInput(f"« {name} » n'est pas un identifiant valide.", field=name) from None


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
            organisation_id=id_or_none(row["organisation_id"]),
            correlation_id=strawberry.ID(row["correlation_id"]),
            causation_id=id_or_none(row["causation_id"]),
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

    @classified(
        C.STAFF_ACCOUNTS,
        description="The staff accounts the viewer manages (a manager its association's, the "
        "administrator every organisation's), by organisation then name; [] for anyone else.",
    )
    async def accounts(self, info: Info) -> list[StaffAccount]:
        manages, organisation_id = managed_accounts_scope(viewer_of(info))
        if not manages:
            return []
        view = _view(info, "directory")
        rows = await run_in_threadpool(directory.staff_accounts, view, organisation_id)
        names = {row["organisation_id"]: row["name"] for row in directory.every_organisation(view)}
        return [StaffAccount.from_row(row, names.get(row["organisation_id"] or "")) for row in rows]

    @classified(
        C.STAFF_ACCOUNTS,
        description="The organisations whose staff the viewer manages, by name: what "
        "registerStaff may name (a manager its association; the administrator all).",
    )
    async def managed_organisations(self, info: Info) -> list[ManagedOrganisation]:
        viewer = viewer_of(info)
        manages, organisation_id = managed_accounts_scope(viewer)
        if not manages:
            return []
        rows = await run_in_threadpool(directory.every_organisation, _view(info, "directory"))
        return [
            ManagedOrganisation.from_row(row, viewer)
            for row in rows
            if organisation_id is None or row["organisation_id"] == organisation_id
        ]

    @classified(
        C.ENTRY,
        description="The cases the viewer may see, a page at a time: open cases first, "
        "filtered and sorted as asked. `search` finds households whose name holds the text, "
        "accents and case aside. A filter or sort on what the viewer does not see of every "
        "case it lists is refused (NOT_AUTHORISED).",
    )
    async def cases(
        self,
        info: Info,
        status: CaseStatus | None = None,  # type: ignore[valid-type]
        first: int = 20,
        after: str | None = None,
        search: str | None = None,
        referent_id: strawberry.ID | None = None,
        measure_type: MeasureTypeEnum | None = None,  # type: ignore[valid-type]
        with_open_alert: bool | None = None,
        sort: CaseSort = CaseSort.OPENED_ON,
    ) -> CaseConnection:
        limit = info.context.settings.graphql_max_page_size
        if not 1 <= first <= limit:
            raise InvalidInput(f"« first » doit être compris entre 1 et {limit}.")
        viewer = viewer_of(info)
        given = {
            "search": search,
            "referentId": referent_id,
            "measureType": measure_type,
            "withOpenAlert": with_open_alert,
        }
        _check_may_filter(viewer, given, sort)
        position = await position_of(info, after, sort)
        scope = case_scope(viewer)
        if scope is None:
            return CaseConnection(
                edges=[], page_info=PageInfo(has_next_page=False, end_cursor=None)
            )
        kept = _list_filter(
            scope,
            None if status is None else Status(status),
            search,
            None if referent_id is None else str(referent_id),
            None if measure_type is None else MeasureType(measure_type),
        )
        if with_open_alert is not None:
            alerted = await run_in_threadpool(
                open_alerts.open_alerts, _view(info, "open_alerts"), None
            )
            ids = [row["case_id"] for row in alerted]
            if with_open_alert:
                kept = replace(kept, case_ids=ids)
            else:
                kept = replace(kept, excluded_ids=ids)
        rows = await run_in_threadpool(
            case_list, _view(info, "case_file"), kept, CaseOrder[sort.value], position, first + 1
        )
        page = rows[:first]
        seen = Seen(viewer)
        edges = [
            CaseEdge(cursor=cursor_of(sort, row["case_id"]), node=case_of(row, seen))
            for row in page
        ]
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

    @classified(
        C.REQUEST,
        description="The commission's next sessions, to register a request on: the next "
        "weekly sessions (ASPE_COMMISSION_SESSION_DAY) and any later day a request is "
        "already registered on, in order, from today on.",
    )
    async def commission_sessions(self, info: Info) -> list[date] | None:
        settings = info.context.settings
        today: date = info.context.today()
        weekly = _weekly_sessions(
            today,
            WEEKDAYS.index(settings.commission_session_day),
            settings.commission_sessions_offered,
        )
        registered = await run_in_threadpool(
            commission_agenda.sessions_from, _view(info, "commission_agenda"), today.isoformat()
        )
        return sorted({*weekly, *(date.fromisoformat(day) for day in registered)})

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
