"""Open non-collaboration alerts (association, SPSLH, commission; never the landlord, DESIGN
§6): the alerts raised (R7) whose silent period has not ended yet, and the alert clock's
suspensions, with their period and reason category (never the referent's ``details``).

An alert is resolved, and its row deleted, when a meeting or contact dated after its
``silent_since`` ends the silent period, or when the measure is stopped or completed. A
new alert needs a new silent period, which only such a meeting or contact opens: a case
has at most one open alert, so alerts are keyed by case.
"""

from __future__ import annotations

from typing import TypedDict
from uuid import UUID

from aspe.domain.case import Case, day_heard_from_household
from aspe.projections.column_groups import ClosingEvent, case_columns
from aspe.projections.readmodel import ReadModel, handles, text
from aspe.projections.tables import Table
from aspe.projections.view import Changes, TableView


class OpenCase(TypedDict):
    case_id: str
    association_id: str


CASES = Table("cases", OpenCase, key=("case_id",))
"""Open cases and their association (an alert raised by the platform names none)."""


class AlertRow(TypedDict):
    case_id: str
    association_id: str
    raised_on: str
    silent_since: str | None
    silent_days: int | None
    raised_by_role: str | None


ALERTS = Table("alerts", AlertRow, key=("case_id",), indexes=(("association_id",),))


class SuspensionRow(TypedDict):
    case_id: str
    starts_on: str
    ends_on: str | None
    reason: str | None


SUSPENSIONS = Table("suspensions", SuspensionRow, key=("case_id", "starts_on"))
"""Every suspension of a case's alert clock, the measure ended or not; a second suspension
from the same day replaces the first."""


class OpenAlerts(ReadModel):
    name = "open_alerts"
    tables = (CASES, ALERTS, SUSPENSIONS)

    @handles(Case.Opened)
    def opened(self, event: Case.Opened, changes: Changes) -> None:
        changes.cases.put(dict(case_columns(event)))

    @handles(Case.NonCollaborationAlertRaised)
    def raised(self, event: Case.NonCollaborationAlertRaised, changes: Changes) -> None:
        case_id = str(event.originator_id)
        case = changes.cases.get(case_id)
        changes.alerts.put(
            {
                "case_id": case_id,
                "association_id": case["association_id"] if case else None,
                "silent_since": text(event.silent_since),
                "silent_days": event.silent_days,
                "raised_on": text(event.raised_on),
                "raised_by_role": event.actor_role.name,
            }
        )

    @handles(Case.VisitRecorded, Case.ContactRecorded)
    def heard_from_household(
        self, event: Case.VisitRecorded | Case.ContactRecorded, changes: Changes
    ) -> None:
        """A meeting or contact after the alert's anchor ends its silent period."""
        day = day_heard_from_household(event)
        alert = changes.alerts.get(str(event.originator_id))
        if day is not None and alert is not None and day.isoformat() > alert["silent_since"]:
            changes.alerts.delete(str(event.originator_id))

    @handles(Case.AlertClockSuspended)
    def suspended(self, event: Case.AlertClockSuspended, changes: Changes) -> None:
        changes.suspensions.put(
            {
                "case_id": str(event.originator_id),
                "starts_on": text(event.period.starts_on),
                "ends_on": text(event.period.ends_on),
                "reason": event.reason.name,
            }
        )

    @handles(Case.RequestRejected, Case.MeasureStopped, Case.MeasureCompleted)
    def closed(self, event: ClosingEvent, changes: Changes) -> None:
        case_id = str(event.originator_id)
        changes.alerts.delete(case_id)
        changes.cases.delete(case_id)


# ------------------------------------------------------------------- read side
def open_alerts(view: TableView, association_id: UUID | str | None = None) -> list[AlertRow]:
    """Open alerts, oldest raised first; those of one association when it is given."""
    where = {} if association_id is None else {"association_id": str(association_id)}
    return view.select(ALERTS, where=where, order_by=("raised_on", "case_id"))


def suspensions(view: TableView, case_id: UUID | str) -> list[SuspensionRow]:
    """The alert clock's suspensions of a case, in date order."""
    return view.select(SUSPENSIONS, where={"case_id": str(case_id)})
