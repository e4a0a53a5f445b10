"""Association caseload (referents and managers): which cases an association follows, who
is the referent, where each case stands and since when. A previous referent keeps read
access until the date the handover gave; the GraphQL layer reads ``former_referents``."""

from __future__ import annotations

from typing import TypedDict

from aspe.domain.case import STATUS_AFTER, Case
from aspe.projections.column_groups import (
    ClosingEvent,
    case_columns,
    closed_on,
    measure_dates_columns,
)
from aspe.projections.readmodel import (
    HOUSEHOLD_NAMES,
    NamesHouseholds,
    hand_over,
    handles,
    text,
    touch_case,
)
from aspe.projections.tables import Table
from aspe.projections.view import Changes


class CaseloadRow(TypedDict):
    case_id: str
    association_id: str
    referent_id: str
    former_referents: dict[str, str]
    household_id: str
    household_name: str | None
    status: str
    measure_type: str | None
    opened_on: str
    starts_on: str | None
    ends_on: str | None
    closed_on: str | None
    updated_at: str


CASES = Table(
    "cases", CaseloadRow, key=("case_id",), indexes=(("association_id", "status"), ("referent_id",))
)


class AssociationCaseload(NamesHouseholds):
    name = "association_caseload"
    tables = (HOUSEHOLD_NAMES, CASES)
    named_cases = CASES

    def case_opened(self, event: Case.Opened, changes: Changes) -> None:
        changes.cases.put(
            {
                **case_columns(event),
                "referent_id": str(event.referent_id),
                "former_referents": {},
                "household_id": str(event.household_id),
                "household_name": self.household_name(changes, event.household_id),
                "status": STATUS_AFTER[Case.Opened].name,
                "opened_on": text(event.opened_on),
                "updated_at": event.timestamp.isoformat(),
            }
        )

    @handles(Case.ReferentAssigned)
    def referent_assigned(self, event: Case.ReferentAssigned, changes: Changes) -> None:
        """The previous referent reads the case until the day given (as the case file keeps it)."""
        hand_over(changes.cases, event)

    @handles(Case.RequestSubmitted, Case.RequestRegistered, Case.RequestAdjourned)
    def moved_on(
        self,
        event: Case.RequestSubmitted | Case.RequestRegistered | Case.RequestAdjourned,
        changes: Changes,
    ) -> None:
        touch_case(changes.cases, event)

    @handles(Case.MeasureGranted)
    def granted(self, event: Case.MeasureGranted, changes: Changes) -> None:
        touch_case(changes.cases, event, measure_type=event.measure_type.name)

    @handles(Case.CeopSigned)
    def started(self, event: Case.CeopSigned, changes: Changes) -> None:
        touch_case(changes.cases, event, **measure_dates_columns(event))

    @handles(Case.MeasureExtended)
    def extended(self, event: Case.MeasureExtended, changes: Changes) -> None:
        touch_case(changes.cases, event, ends_on=text(event.ends_on))

    @handles(Case.RequestRejected, Case.MeasureStopped, Case.MeasureCompleted)
    def closed(self, event: ClosingEvent, changes: Changes) -> None:
        touch_case(changes.cases, event, closed_on=closed_on(event))
