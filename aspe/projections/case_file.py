"""Case file (the GraphQL API): every detail of one case in one row, DESIGN §6's whole table.

The row holds everything, notes and HEALTH items included: it is never shown raw. The
GraphQL authorization module decides, field by field, what each reader sees; the flags
``submitted``, ``registered`` and ``granted`` (true from the event on, never false again)
and ``landlord_consent`` are what it decides on. One row per case, so a DataLoader fetches
a batch of cases in one query (``case_files``) and a list pages by ``(opened_on, case_id)``
(``case_page``). Rent reports, weekly visit compliance, open alerts and silent days have
read models of their own.

Visit, debt and concertation ids are the events' (hexadecimal UUIDs). The progress of a CEOP
objective is kept by objective id across versions, as the aggregate keeps it, so an
amendment that keeps an objective keeps its progress.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, NotRequired, TypedDict
from uuid import UUID

from aspe.application import AspeApplication
from aspe.domain.audited import AuditedAggregate
from aspe.domain.case import STATUS_AFTER, Case
from aspe.domain.household import Household
from aspe.domain.values import OPEN_STATUSES, ConsentScope, ObjectiveProgress, Status
from aspe.projections.column_groups import (
    ADDRESS_COLUMNS,
    AddressColumns,
    CasePartyColumns,
    RequestCourseColumns,
    address_columns,
    aid_request_columns,
    case_party_columns,
    extension_columns,
    final_report_columns,
    grant_columns,
    measure_dates_columns,
    registration_columns,
    stop_columns,
)
from aspe.projections.readmodel import (
    CommitmentItem,
    ConsentEvent,
    FindingItem,
    HouseholdCases,
    ObjectiveItem,
    ReadModel,
    StepItem,
    cents,
    commitments,
    correct_household,
    findings,
    hand_over,
    handles,
    names,
    objectives,
    remember_case,
    steps,
    text,
    touch_case,
)
from aspe.projections.tables import Table
from aspe.projections.time_travel import replay
from aspe.projections.view import Changes, Ranked, SortKey, TableView, sort_values


class HouseholdRow(AddressColumns, HouseholdCases):
    household_id: str
    landlord_id: str
    name: str | None
    contact: str | None
    members: int | None


HOUSEHOLDS = Table("households", HouseholdRow, key=("household_id",))


class CeopVersion(TypedDict):
    """The CEOP as it stands: its last version, its signatures and dates."""

    version: int
    drafted_on: str
    objectives: list[ObjectiveItem]
    steps: list[StepItem]
    commitments: list[CommitmentItem]
    required_signatories: list[str]
    signatures: dict[str, str]
    signed_on: str | None
    transmitted_on: str | None


class VisitItem(TypedDict):
    visit_id: str
    planned_at: str | None
    kind: str
    state: str  # PLANNED | DONE | MISSED
    occurred_on: str | None
    themes: list[str]
    note: str | None
    household_present: bool | None
    missed_reason: str | None


class ContactItem(TypedDict):
    occurred_on: str
    channel: str
    initiated_by_household: bool
    household_took_part: NotRequired[bool]  # not asked of contacts stored before R7's reading
    themes: list[str]
    note: str


class SuspensionItem(TypedDict):
    starts_on: str
    ends_on: str
    reason: str
    details: str


class AlertItem(TypedDict):
    raised_on: str
    silent_days: int
    silent_since: str


class ParticipantItem(TypedDict):
    label: str
    organisation_id: str | None


class ConcertationItem(TypedDict):
    concertation_id: str
    held_on: str
    subject: str
    participants: list[ParticipantItem]
    outcome: str


class InvitationItem(TypedDict):
    session_on: str
    issued_on: str


class PlanItem(TypedDict):
    monthly_amount_cents: int
    first_due_on: str
    months: int


class DebtItem(TypedDict):
    debt_id: str
    creditor: str
    amount_cents: int
    creditor_is_landlord: bool
    plan: PlanItem | None


class DocumentItem(TypedDict):
    document_id: str
    kind: str
    theme: str | None  # HEALTH for a medical document: the API's item filter reads it
    filename: str
    media_type: str
    size: int
    sha256: str
    attached_on: str
    attached_at: str
    attached_by_role: str


class AdjournmentItem(TypedDict):
    on: str
    reason: str


class ExtensionItem(TypedDict):
    on: str
    additional_months: int
    reason: str


class ConflictItem(TypedDict):
    conflict_id: str
    kind: str
    starts_on: str
    ends_on: str | None
    raised_on: str
    settled_on: str | None
    decision: str | None


class CaseFileRow(CasePartyColumns, AddressColumns, RequestCourseColumns):
    status: str
    opened_on: str
    updated_at: str
    former_referents: dict[str, str]
    household_name: str | None
    household_search: str
    """The household's name as a search matches it (``search_key``): no accents, no case."""
    contact: str | None
    members: int | None
    landlord_consent: bool
    submitted: bool
    registered: bool
    granted: bool
    findings: list[FindingItem]
    objectives: list[ObjectiveItem]
    suspensions: list[SuspensionItem]
    diagnosed_on: str | None
    adjournments: list[AdjournmentItem]
    rejected_on: str | None
    rejection_reason: str | None
    extensions: list[ExtensionItem]
    ceop: CeopVersion | None
    visits: list[VisitItem]
    contacts: list[ContactItem]
    concertations: list[ConcertationItem]
    debts: list[DebtItem]
    invitations: list[InvitationItem]
    alerts: list[AlertItem]
    combination_conflicts: list[ConflictItem]
    stop_details: str | None
    final_report_summary: str | None
    documents: list[DocumentItem]
    archived: bool
    """Its retention has run: only the auditor and its association's manager read it."""
    archived_on: str | None


CASES = Table(
    "cases",
    CaseFileRow,
    key=("case_id",),
    indexes=(
        ("association_id", "opened_on", "case_id"),
        ("landlord_id", "granted"),
        ("household_id",),
        ("submitted", "opened_on", "case_id"),
        ("registered", "opened_on", "case_id"),
        ("association_id", "referent_id"),
    ),
)


class ProgressRow(TypedDict):
    case_id: str
    objective_id: str
    progress: str
    note: str | None


OBJECTIVE_PROGRESS = Table("objective_progress", ProgressRow, key=("case_id", "objective_id"))
"""The last progress recorded per objective id, whichever CEOP version it was recorded under."""

PAGE_ORDER = ("opened_on", "case_id")
LISTS = (
    "adjournments",
    "extensions",
    "visits",
    "contacts",
    "concertations",
    "debts",
    "invitations",
    "suspensions",
    "alerts",
    "combination_conflicts",
    "documents",
)


def _household_columns(event: Household.DetailsCorrected) -> dict[str, Any]:
    return {**address_columns(event.address), "contact": event.contact, "members": event.members}


class CaseFile(ReadModel):
    """Days this model derives from instants (an invitation's, an extension's) are days
    where the people are, so a change of time zone rebuilds it (``uses_rules``)."""

    name = "case_file"
    uses_rules = True
    tables = (HOUSEHOLDS, CASES, OBJECTIVE_PROGRESS)

    # ------------------------------------------------------------------ household
    @handles(Household.Registered)
    def household_registered(self, event: Household.Registered, changes: Changes) -> None:
        changes.households.put(
            {
                "household_id": str(event.originator_id),
                "landlord_id": str(event.landlord_id),
                "name": event.name,
                **address_columns(event.address),
                "contact": event.contact,
                "members": event.members,
                "case_ids": [],
            }
        )

    @handles(Household.DetailsCorrected)
    def household_corrected(self, event: Household.DetailsCorrected, changes: Changes) -> None:
        """Every file of the household reads its details as they stand now; the registered
        values stay in the event store (and in ``caseAsOf`` before the correction)."""
        columns = _household_columns(event)
        for case_id in correct_household(changes.households, event, name=event.name, **columns):
            changes.cases.update(
                case_id,
                household_name=event.name,
                household_search=search_key(event.name),
                **columns,
            )

    # --------------------------------------------------------------- opening, referent
    @handles(Case.Opened)
    def opened(self, event: Case.Opened, changes: Changes) -> None:
        """Every column, ``None`` until an event fills it: a file replayed in memory has the
        shape of one read from the database."""
        remember_case(changes.households, event)
        household = changes.households.get(str(event.household_id)) or {}
        changes.cases.put(
            {
                **dict.fromkeys(CASES.columns),
                **case_party_columns(event),
                "status": STATUS_AFTER[Case.Opened].name,
                "opened_on": text(event.opened_on),
                "updated_at": event.timestamp.isoformat(),
                "former_referents": {},
                "household_name": household.get("name"),
                "household_search": search_key(household.get("name")),
                **{
                    column: household.get(column)
                    for column in (*ADDRESS_COLUMNS, "contact", "members")
                },
                "landlord_consent": False,
                "submitted": False,
                "registered": False,
                "granted": False,
                "archived": False,
                "findings": [],
                "objectives": [],
                **{column: [] for column in LISTS},
            }
        )

    @handles(Case.ReferentAssigned)
    def referent_assigned(self, event: Case.ReferentAssigned, changes: Changes) -> None:
        hand_over(changes.cases, event)

    # ------------------------------------------------------------ diagnostic, consent
    @handles(Case.DiagnosticRecorded)
    def diagnosed(self, event: Case.DiagnosticRecorded, changes: Changes) -> None:
        _touch(
            changes,
            event,
            findings=findings([*event.findings, *event.health_findings]),
            objectives=objectives([*event.objectives, *event.health_objectives]),
            diagnosed_on=text(event.recorded_on),
        )

    @handles(Case.ConsentRecorded, Case.ConsentWithdrawn)
    def consent(self, event: ConsentEvent, changes: Changes) -> None:
        if event.scope is ConsentScope.LANDLORD_DETAIL:
            _touch(changes, event, landlord_consent=isinstance(event, Case.ConsentRecorded))

    # -------------------------------------------------------------- request, decision
    @handles(Case.RequestSubmitted)
    def submitted(self, event: Case.RequestSubmitted, changes: Changes) -> None:
        _touch(
            changes,
            event,
            submitted=True,
            submitted_on=text(event.submitted_on),
            **aid_request_columns(event),
        )

    @handles(Case.RequestRegistered)
    def registered(self, event: Case.RequestRegistered, changes: Changes) -> None:
        _touch(changes, event, registered=True, **registration_columns(event))

    @handles(Case.RequestAdjourned)
    def adjourned(self, event: Case.RequestAdjourned, changes: Changes) -> None:
        _append(
            changes, event, "adjournments", {"on": text(event.adjourned_on), "reason": event.reason}
        )

    @handles(Case.RequestRejected)
    def rejected(self, event: Case.RequestRejected, changes: Changes) -> None:
        """A rejection is the commission's decision: the aggregate dates it as one."""
        _touch(
            changes,
            event,
            rejected_on=text(event.rejected_on),
            rejection_reason=event.reason,
            decided_on=text(event.rejected_on),
        )

    @handles(Case.MeasureGranted)
    def granted(self, event: Case.MeasureGranted, changes: Changes) -> None:
        _touch(changes, event, granted=True, **grant_columns(event))

    @handles(Case.DecisionNotified)
    def notified(self, event: Case.DecisionNotified, changes: Changes) -> None:
        _touch(changes, event, decision_notified_on=text(event.notified_on))

    # ---------------------------------------------------------------------- CEOP
    @handles(Case.CeopDrafted, Case.CeopAmended)
    def ceop_version(self, event: Case.CeopDrafted | Case.CeopAmended, changes: Changes) -> None:
        """A new version (first draft, redraft or amendment) with no signature yet."""
        case_id = str(event.originator_id)
        items = objectives([*event.objectives, *event.health_objectives])
        ceop: CeopVersion = {
            "version": event.version,
            "drafted_on": text(event.drafted_on),
            "objectives": [_with_progress(changes, case_id, item) for item in items],
            "steps": steps(event.steps),
            "commitments": commitments(event.commitments),
            "required_signatories": names(event.required_signatories),
            "signatures": {},
            "signed_on": None,
            "transmitted_on": None,
        }
        _touch(changes, event, ceop=ceop)

    @handles(Case.CeopSignatureRecorded)
    def ceop_signature(self, event: Case.CeopSignatureRecorded, changes: Changes) -> None:
        def sign(ceop: dict[str, Any]) -> dict[str, Any]:
            signatures = {**ceop["signatures"], event.signatory.name: text(event.signed_on)}
            return {**ceop, "signatures": signatures}

        _change_ceop(changes, event, sign, event.version)

    @handles(Case.CeopSigned)
    def ceop_signed(self, event: Case.CeopSigned, changes: Changes) -> None:
        """Every signed version moves the signature date; the measure's dates stay (R6)."""
        _change_ceop(
            changes, event, lambda ceop: {**ceop, "signed_on": text(event.signed_on)}, event.version
        )
        _touch(changes, event, **measure_dates_columns(event))

    @handles(Case.CeopTransmitted)
    def ceop_transmitted(self, event: Case.CeopTransmitted, changes: Changes) -> None:
        transmitted_on = text(event.transmitted_on)
        _change_ceop(
            changes, event, lambda ceop: {**ceop, "transmitted_on": transmitted_on}, event.version
        )

    @handles(Case.ObjectiveProgressRecorded)
    def objective_progress(self, event: Case.ObjectiveProgressRecorded, changes: Changes) -> None:
        case_id = str(event.originator_id)
        progress = {"progress": event.progress.name, "progress_note": event.note}
        changes.objective_progress.put(
            {
                "case_id": case_id,
                "objective_id": event.objective_id,
                "progress": event.progress.name,
                "note": event.note,
            }
        )

        def record(ceop: dict[str, Any]) -> dict[str, Any]:
            items = [
                {**item, **progress} if item["id"] == event.objective_id else item
                for item in ceop["objectives"]
            ]
            return {**ceop, "objectives": items}

        _change_ceop(changes, event, record, version=None)

    # ------------------------------------------------------------ visits, contacts
    @handles(Case.VisitScheduled)
    def visit_scheduled(self, event: Case.VisitScheduled, changes: Changes) -> None:
        visit: VisitItem = {
            "visit_id": event.visit_id,
            "planned_at": text(event.planned_at),
            "kind": event.kind.name,
            "state": "PLANNED",
            "occurred_on": None,
            "themes": [],
            "note": None,
            "household_present": None,
            "missed_reason": None,
        }
        _append(changes, event, "visits", visit)

    @handles(Case.VisitRecorded)
    def visit_recorded(self, event: Case.VisitRecorded, changes: Changes) -> None:
        """A planned visit becomes DONE where it stands; an unplanned one is added."""
        done = {
            "visit_id": event.visit_id,
            "kind": event.kind.name,
            "state": "DONE",
            "occurred_on": text(event.occurred_on),
            "themes": names(event.themes),
            "note": event.note,
            "household_present": event.household_present,
        }
        if not _change_visit(changes, event, done):
            _append(changes, event, "visits", {"planned_at": None, "missed_reason": None, **done})

    @handles(Case.VisitMissed)
    def visit_missed(self, event: Case.VisitMissed, changes: Changes) -> None:
        _change_visit(changes, event, {"state": "MISSED", "missed_reason": event.reason})

    @handles(Case.ContactRecorded)
    def contact_recorded(self, event: Case.ContactRecorded, changes: Changes) -> None:
        contact: ContactItem = {
            "occurred_on": text(event.occurred_on),
            "channel": event.channel.name,
            "initiated_by_household": event.initiated_by_household,
            "household_took_part": event.household_took_part,
            "themes": names(event.themes),
            "note": event.note,
        }
        _append(changes, event, "contacts", contact)

    # ------------------------------------------------------- non-collaboration (R7)
    @handles(Case.AlertClockSuspended)
    def suspended(self, event: Case.AlertClockSuspended, changes: Changes) -> None:
        suspension: SuspensionItem = {
            "starts_on": text(event.period.starts_on),
            "ends_on": text(event.period.ends_on),
            "reason": event.reason.name,
            "details": event.details,
        }
        _append(changes, event, "suspensions", suspension)

    @handles(Case.NonCollaborationAlertRaised)
    def alert_raised(self, event: Case.NonCollaborationAlertRaised, changes: Changes) -> None:
        alert: AlertItem = {
            "raised_on": text(event.raised_on),
            "silent_days": event.silent_days,
            "silent_since": text(event.silent_since),
        }
        _append(changes, event, "alerts", alert)

    # ------------------------------------------------ concertations, invitations (R12)
    @handles(Case.ConcertationHeld)
    def concertation_held(self, event: Case.ConcertationHeld, changes: Changes) -> None:
        concertation: ConcertationItem = {
            "concertation_id": event.concertation_id,
            "held_on": text(event.held_on),
            "subject": event.subject,
            "participants": [
                {"label": p.label, "organisation_id": text(p.organisation_id)}
                for p in event.participants
            ],
            "outcome": event.outcome,
        }
        _append(changes, event, "concertations", concertation)

    @handles(Case.CommissionInvitationIssued)
    def invitation_issued(self, event: Case.CommissionInvitationIssued, changes: Changes) -> None:
        """The event carries no date of issue: it is the day it was stored."""
        invitation: InvitationItem = {
            "session_on": text(event.session_on),
            "issued_on": text(self.rules.day_of(event.timestamp)),
        }
        _append(changes, event, "invitations", invitation)

    # ------------------------------------------------------------ debts and rent
    @handles(Case.DebtRecorded)
    def debt_recorded(self, event: Case.DebtRecorded, changes: Changes) -> None:
        debt: DebtItem = {
            "debt_id": event.debt_id,
            "creditor": event.creditor,
            "amount_cents": cents(event.amount),
            "creditor_is_landlord": event.creditor_is_landlord,
            "plan": None,
        }
        _append(changes, event, "debts", debt)

    @handles(Case.RepaymentPlanAgreed)
    def repayment_plan_agreed(self, event: Case.RepaymentPlanAgreed, changes: Changes) -> None:
        """A later plan for the same debt replaces the earlier."""
        plan: PlanItem = {
            "monthly_amount_cents": cents(event.monthly_amount),
            "first_due_on": text(event.first_due_on),
            "months": event.months,
        }
        _change_items(changes, event, "debts", "debt_id", event.debt_id, {"plan": plan})

    @handles(Case.RentPaymentReported)
    def rent_reported(self, event: Case.RentPaymentReported, changes: Changes) -> None:
        """The rent ledger holds the report; the case file only moves ``updated_at``."""
        _touch(changes, event)

    # ------------------------------------------------------------------ documents
    @handles(Case.DocumentAttached)
    def document_attached(self, event: Case.DocumentAttached, changes: Changes) -> None:
        """A medical document is an item of theme HEALTH: the API's item filter reads it."""
        theme = event.kind.theme
        document: DocumentItem = {
            "document_id": event.document_id,
            "kind": event.kind.name,
            "theme": None if theme is None else theme.name,
            "filename": event.filename,
            "media_type": event.media_type,
            "size": event.size,
            "sha256": event.sha256,
            "attached_on": text(event.attached_on),
            "attached_at": event.timestamp.isoformat(),
            "attached_by_role": event.actor_role.name,
        }
        _append(changes, event, "documents", document)

    # ------------------------------------------------------------ end of measure
    @handles(Case.MeasureExtended)
    def extended(self, event: Case.MeasureExtended, changes: Changes) -> None:
        case = changes.cases.get(str(event.originator_id))
        if case is None:
            return
        extension = {
            "on": text(self.rules.day_of(event.timestamp)),
            "additional_months": event.additional_months,
            "reason": event.reason,
        }
        _touch(
            changes,
            event,
            extensions=[*case["extensions"], extension],
            **extension_columns(case, event),
        )

    # ------------------------------------------------- combination conflicts (R9)
    @handles(Case.CombinationConflictRaised)
    def combination_conflict_raised(
        self, event: Case.CombinationConflictRaised, changes: Changes
    ) -> None:
        conflict: ConflictItem = {
            "conflict_id": event.conflict_id,
            "kind": event.kind.name,
            "starts_on": text(event.starts_on),
            "ends_on": text(event.ends_on),
            "raised_on": text(event.raised_on),
            "settled_on": None,
            "decision": None,
        }
        _append(changes, event, "combination_conflicts", conflict)

    @handles(Case.CombinationConflictSettled)
    def combination_conflict_settled(
        self, event: Case.CombinationConflictSettled, changes: Changes
    ) -> None:
        """Settles every conflict still open (the event names none)."""
        settled = {"settled_on": text(event.settled_on), "decision": event.decision}
        _change(
            changes,
            event,
            "combination_conflicts",
            lambda conflicts: [
                conflict if conflict["settled_on"] else {**conflict, **settled}
                for conflict in conflicts
            ],
        )

    @handles(Case.MeasureStopped)
    def stopped(self, event: Case.MeasureStopped, changes: Changes) -> None:
        _touch(changes, event, **stop_columns(event), stop_details=event.details)

    @handles(Case.MeasureCompleted)
    def completed(self, event: Case.MeasureCompleted, changes: Changes) -> None:
        _touch(changes, event, completed_on=text(event.completed_on))

    @handles(Case.FinalReportSubmitted)
    def final_report(self, event: Case.FinalReportSubmitted, changes: Changes) -> None:
        _touch(changes, event, **final_report_columns(event), final_report_summary=event.summary)

    @handles(Case.Archived)
    def archived(self, event: Case.Archived, changes: Changes) -> None:
        _touch(changes, event, archived=True, archived_on=text(event.archived_on))


# ------------------------------------------------------------------ row changes
def _touch(changes: Changes, event: AuditedAggregate.Event, **values: Any) -> None:
    """Change a case's row: ``values``, the time of this last event, and its status if the
    event moves the case along."""
    touch_case(changes.cases, event, **values)


def _change(
    changes: Changes,
    event: AuditedAggregate.Event,
    column: str,
    change: Callable[[Any], Any],
) -> None:
    """Touch the case's row with ``change`` applied to its ``column``."""
    case = changes.cases.get(str(event.originator_id))
    if case is not None:
        _touch(changes, event, **{column: change(case[column])})


def _append(
    changes: Changes, event: AuditedAggregate.Event, column: str, item: Mapping[str, Any]
) -> None:
    _change(changes, event, column, lambda items: [*items, item])


def _change_items(
    changes: Changes,
    event: AuditedAggregate.Event,
    column: str,
    id_key: str,
    item_id: str,
    values: Mapping[str, Any],
) -> None:
    """Give ``values`` to the item of the case's ``column`` list whose ``id_key`` is ``item_id``."""
    _change(
        changes,
        event,
        column,
        lambda items: [{**item, **values} if item[id_key] == item_id else item for item in items],
    )


def _change_visit(
    changes: Changes, event: Case.VisitRecorded | Case.VisitMissed, values: dict[str, Any]
) -> bool:
    """Whether the case lists the event's visit, which then takes ``values``."""
    case = changes.cases.get(str(event.originator_id))
    if case is None or all(visit["visit_id"] != event.visit_id for visit in case["visits"]):
        return False
    _change_items(changes, event, "visits", "visit_id", event.visit_id, values)
    return True


def _change_ceop(
    changes: Changes,
    event: AuditedAggregate.Event,
    change: Callable[[dict[str, Any]], dict[str, Any]],
    version: int | None,
) -> None:
    """Apply ``change`` to the current CEOP, if it is ``version`` (``None``: any version)."""
    case = changes.cases.get(str(event.originator_id))
    if case is None or case["ceop"] is None:
        return
    if version is None or case["ceop"]["version"] == version:
        _touch(changes, event, ceop=change(case["ceop"]))
    else:
        _touch(changes, event)


def _with_progress(changes: Changes, case_id: str, objective: ObjectiveItem) -> ObjectiveItem:
    recorded = changes.objective_progress.get(case_id, objective["id"])
    return {
        **objective,
        "progress": recorded["progress"] if recorded else ObjectiveProgress.NOT_STARTED.name,
        "progress_note": recorded["note"] if recorded else None,
    }


# ------------------------------------------------------------------------ read side
def case_file(view: TableView, case_id: str) -> CaseFileRow | None:
    return view.get(CASES, case_id)


def case_files(view: TableView, case_ids: Sequence[str]) -> dict[str, CaseFileRow]:
    """The files of ``case_ids`` that exist, by case id, in one query (a DataLoader's batch)."""
    return {row["case_id"]: row for row in view.select_in(CASES, "case_id", list(case_ids))}


def case_page(
    view: TableView, where: dict[str, Any], after: tuple[str, str] | None, first: int
) -> list[CaseFileRow]:
    """At most ``first`` files matching ``where``, by ``(opened_on, case_id)``, after the
    cursor ``after`` (the last row's ``(opened_on, case_id)``; ``None``: from the start)."""
    return view.select_page(CASES, where, PAGE_ORDER, after, first)


def search_key(name: str | None) -> str:
    """A name as a search compares it: without accents or case, its spaces single
    (« Famille Lefèvre » and « famille  LEFEVRE » are both « famille lefevre »)."""
    decomposed = unicodedata.normalize("NFKD", name or "")
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    bare = bare.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    return " ".join(bare.casefold().split())


OPEN_FIRST = Ranked("status", {status.name: 0 for status in Status if status in OPEN_STATUSES})
"""Open cases (rank 0) before closed ones (ranked after every listed value)."""
COURSE = Ranked(
    "status",
    {
        status.name: rank
        for rank, status in enumerate(
            sorted(Status, key=lambda status: status not in OPEN_STATUSES)
        )
    },
)
"""Statuses in the order of a case's course, the open ones before the closed ones."""


class CaseOrder(Enum):
    """How a list of cases is sorted; every order puts open cases first."""

    OPENED_ON = (OPEN_FIRST, "opened_on", "case_id")
    HOUSEHOLD_NAME = (OPEN_FIRST, "household_search", "case_id")
    STATUS = (COURSE, "opened_on", "case_id")


@dataclass(frozen=True)
class CaseFilter:
    """What a work list keeps, besides the viewer's scope (``where``, equalities):
    households whose name holds ``search`` (``search_key``'s way), cases among
    ``case_ids`` when it is given (those with an open alert, say) and none of
    ``excluded_ids``."""

    where: Mapping[str, Any]
    search: str | None = None
    case_ids: Sequence[str] | None = None
    excluded_ids: Sequence[str] = ()


def position_in(row: CaseFileRow, order: CaseOrder) -> list[Any]:
    """Where ``row`` stands in ``order``: its sort values, to list the files after it."""
    return sort_values(row, order.value)


def case_list(
    view: TableView, kept: CaseFilter, order: CaseOrder, after: Sequence[Any] | None, first: int
) -> list[CaseFileRow]:
    """At most ``first`` files ``kept``, in ``order``, after the position ``after`` (a
    row's ``position_in`` the order; ``None``: from the start)."""
    keys: tuple[SortKey, ...] = order.value
    contains = {"household_search": search_key(kept.search)} if kept.search else None
    among = None if kept.case_ids is None else {"case_id": list(kept.case_ids)}
    return view.select_listing(
        CASES,
        dict(kept.where),
        keys,
        after,
        first,
        contains=contains,
        among=among,
        apart={"case_id": list(kept.excluded_ids)},
    )


def case_file_as_of(app: AspeApplication, case_id: UUID, instant: datetime) -> CaseFileRow | None:
    """The case's file as it stood at ``instant`` (naive: UTC), from its events and its
    household's stored up to then; ``None`` if the case did not exist then (or at all)."""
    events = app.stored_events(case_id, until=instant)
    if not events or not isinstance(events[0], Case.Opened):
        return None
    household_events = app.stored_events(events[0].household_id, until=instant)
    return replay(CaseFile, [*household_events, *events], app.rules).get(CASES, str(case_id))
