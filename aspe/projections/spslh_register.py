"""SPSLH register (SPSLH agents): every request received from its submission on, how the
commission decided it, the measure's dates and end, and each CEOP version transmitted.

What the SPSLH reads is DESIGN §6's SPSLH column: household identity, the diagnostic's
difficulties and the CEOP's objectives without the HEALTH theme (the events keep health
items in attributes of their own, which this model never reads), amounts, decisions and
dates. No visit or contact notes, no free-text reasons or summaries.
"""

from __future__ import annotations

from typing import Any, TypedDict

from aspe.domain.case import STATUS_AFTER, Case
from aspe.domain.values import Status
from aspe.projections.column_groups import (
    EndsMeasures,
    RequestCourseColumns,
    aid_request_columns,
    case_columns,
    final_report_columns,
    grant_columns,
    measure_dates_columns,
    registration_columns,
)
from aspe.projections.readmodel import (
    HOUSEHOLD_NAMES,
    NamesHouseholds,
    assign_referent,
    commitments,
    findings,
    handles,
    not_health,
    objectives,
    steps,
    text,
    update_case,
)
from aspe.projections.tables import Table
from aspe.projections.view import Changes, TableView


class DiagnosticRow(TypedDict):
    case_id: str
    association_id: str
    referent_id: str
    household_id: str
    findings: list[dict[str, Any]]


DIAGNOSTICS = Table("diagnostics", DiagnosticRow, key=("case_id",))
"""Cases not submitted yet, kept out of sight: what their request row will need."""


class RequestRow(RequestCourseColumns):
    case_id: str
    association_id: str
    referent_id: str
    household_id: str
    household_name: str | None
    findings: list[dict[str, Any]]
    status: str
    adjournments: int | None
    decision: str | None


REQUESTS = Table(
    "requests",
    RequestRow,
    key=("case_id",),
    indexes=(("status", "submitted_on"), ("association_id",)),
)


class CeopRow(TypedDict):
    case_id: str
    version: int
    objectives: list[dict[str, Any]]
    drafted_on: str | None
    signed_on: str | None
    transmitted_on: str | None
    steps: list[dict[str, Any]]
    commitments: list[dict[str, Any]]


CEOPS = Table("ceops", CeopRow, key=("case_id", "version"))


class SpslhRegister(NamesHouseholds, EndsMeasures):
    name = "spslh_register"
    tables = (HOUSEHOLD_NAMES, DIAGNOSTICS, REQUESTS, CEOPS)
    named_cases = measure_rows = REQUESTS

    def case_opened(self, event: Case.Opened, changes: Changes) -> None:
        changes.diagnostics.put(
            {
                **case_columns(event),
                "referent_id": str(event.referent_id),
                "household_id": str(event.household_id),
                "findings": [],
            }
        )

    @handles(Case.DiagnosticRecorded)
    def diagnosed(self, event: Case.DiagnosticRecorded, changes: Changes) -> None:
        changes.diagnostics.update(str(event.originator_id), findings=findings(event.findings))

    @handles(Case.ReferentAssigned)
    def referent_assigned(self, event: Case.ReferentAssigned, changes: Changes) -> None:
        assign_referent(event, changes.diagnostics, changes.requests)

    @handles(Case.RequestSubmitted)
    def submitted(self, event: Case.RequestSubmitted, changes: Changes) -> None:
        case_id = str(event.originator_id)
        diagnostic = changes.diagnostics.get(case_id)
        if diagnostic is None:
            return
        changes.requests.put(
            {
                **diagnostic,
                "household_name": self.household_name(changes, diagnostic["household_id"]),
                "submitted_on": text(event.submitted_on),
                **aid_request_columns(event),
                "adjournments": 0,
                "status": STATUS_AFTER[Case.RequestSubmitted].name,
            }
        )
        changes.diagnostics.delete(case_id)

    @handles(Case.RequestRegistered)
    def registered(self, event: Case.RequestRegistered, changes: Changes) -> None:
        """A request registered again after an adjournment awaits a decision again."""
        values = registration_columns(event)
        update_case(changes.requests, event, **values, decision=None, decided_on=None)

    @handles(Case.RequestAdjourned)
    def adjourned(self, event: Case.RequestAdjourned, changes: Changes) -> None:
        request = changes.requests.get(str(event.originator_id))
        if request is not None:
            update_case(
                changes.requests,
                event,
                adjournments=request["adjournments"] + 1,
                decision=Status.ADJOURNED.name,
                decided_on=text(event.adjourned_on),
            )

    @handles(Case.RequestRejected)
    def rejected(self, event: Case.RequestRejected, changes: Changes) -> None:
        decided_on = text(event.rejected_on)
        update_case(changes.requests, event, decision=Status.REJECTED.name, decided_on=decided_on)

    @handles(Case.MeasureGranted)
    def granted(self, event: Case.MeasureGranted, changes: Changes) -> None:
        update_case(changes.requests, event, decision=Status.GRANTED.name, **grant_columns(event))

    @handles(Case.DecisionNotified)
    def notified(self, event: Case.DecisionNotified, changes: Changes) -> None:
        update_case(changes.requests, event, decision_notified_on=text(event.notified_on))

    @handles(Case.CeopDrafted, Case.CeopAmended)
    def ceop_drafted(self, event: Case.CeopDrafted | Case.CeopAmended, changes: Changes) -> None:
        changes.ceops.put(
            {
                "case_id": str(event.originator_id),
                "version": event.version,
                "drafted_on": text(event.drafted_on),
                "objectives": objectives(event.objectives),
                "steps": steps(not_health(event.steps)),
                "commitments": commitments(not_health(event.commitments)),
            }
        )

    @handles(Case.CeopSigned)
    def ceop_signed(self, event: Case.CeopSigned, changes: Changes) -> None:
        changes.ceops.update(
            str(event.originator_id), event.version, signed_on=text(event.signed_on)
        )
        update_case(changes.requests, event, **measure_dates_columns(event))

    @handles(Case.CeopTransmitted)
    def ceop_transmitted(self, event: Case.CeopTransmitted, changes: Changes) -> None:
        changes.ceops.update(
            str(event.originator_id), event.version, transmitted_on=text(event.transmitted_on)
        )

    @handles(Case.FinalReportSubmitted)
    def final_report(self, event: Case.FinalReportSubmitted, changes: Changes) -> None:
        update_case(changes.requests, event, **final_report_columns(event))


# ------------------------------------------------------------------------ read side
def register(view: TableView, status: Status | None = None) -> list[RequestRow]:
    """The requests received, oldest submission first; only those at ``status`` if given."""
    where = None if status is None else {"status": status.name}
    return view.select(REQUESTS, where=where, order_by=("submitted_on", "case_id"))


def request(view: TableView, case_id: str) -> RequestRow | None:
    return view.get(REQUESTS, case_id)


def ceops_received(view: TableView, case_id: str) -> list[CeopRow]:
    """The CEOP versions the association transmitted for this case, oldest first."""
    versions = view.select(CEOPS, where={"case_id": case_id}, order_by=("version",))
    return [ceop for ceop in versions if ceop["transmitted_on"] is not None]
