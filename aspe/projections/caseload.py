"""Association caseload (referents and managers): which cases an association follows, who
is the referent, where each case stands and since when. A previous referent keeps read
access until the date the handover gave; the GraphQL layer reads ``former_referents``."""

from __future__ import annotations

from typing import Any, TypedDict

from aspe.domain.audited import AuditedAggregate
from aspe.domain.case import STATUS_AFTER, Case
from aspe.domain.household import Household
from aspe.projections.column_groups import measure_dates_columns
from aspe.projections.readmodel import (
    ReadModel,
    former_referents_after,
    handles,
    text,
    update_case,
)
from aspe.projections.tables import Table
from aspe.projections.view import Changes


class HouseholdName(TypedDict):
    household_id: str
    name: str | None


HOUSEHOLDS = Table("households", HouseholdName, key=("household_id",))


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


class AssociationCaseload(ReadModel):
    name = "association_caseload"
    tables = (HOUSEHOLDS, CASES)

    @handles(Household.Registered)
    def household_registered(self, event: Household.Registered, changes: Changes) -> None:
        changes.households.put({"household_id": str(event.originator_id), "name": event.name})

    @handles(Case.Opened)
    def opened(self, event: Case.Opened, changes: Changes) -> None:
        household = changes.households.get(str(event.household_id))
        changes.cases.put(
            {
                "case_id": str(event.originator_id),
                "association_id": str(event.association_id),
                "referent_id": str(event.referent_id),
                "former_referents": {},
                "household_id": str(event.household_id),
                "household_name": household["name"] if household else None,
                "status": STATUS_AFTER[Case.Opened].name,
                "opened_on": text(event.opened_on),
                "updated_at": event.timestamp.isoformat(),
            }
        )

    @handles(Case.ReferentAssigned)
    def referent_assigned(self, event: Case.ReferentAssigned, changes: Changes) -> None:
        case = changes.cases.get(str(event.originator_id))
        if case is not None:
            former = former_referents_after(case["former_referents"], event)
            _touch(changes, event, referent_id=str(event.referent_id), former_referents=former)

    @handles(Case.RequestSubmitted, Case.RequestRegistered, Case.RequestAdjourned)
    def moved_on(
        self,
        event: Case.RequestSubmitted | Case.RequestRegistered | Case.RequestAdjourned,
        changes: Changes,
    ) -> None:
        _touch(changes, event)

    @handles(Case.RequestRejected)
    def rejected(self, event: Case.RequestRejected, changes: Changes) -> None:
        _touch(changes, event, closed_on=text(event.rejected_on))

    @handles(Case.MeasureGranted)
    def granted(self, event: Case.MeasureGranted, changes: Changes) -> None:
        _touch(changes, event, measure_type=event.measure_type.name)

    @handles(Case.CeopSigned)
    def started(self, event: Case.CeopSigned, changes: Changes) -> None:
        _touch(changes, event, **measure_dates_columns(event))

    @handles(Case.MeasureExtended)
    def extended(self, event: Case.MeasureExtended, changes: Changes) -> None:
        _touch(changes, event, ends_on=text(event.ends_on))

    @handles(Case.MeasureStopped)
    def stopped(self, event: Case.MeasureStopped, changes: Changes) -> None:
        _touch(changes, event, closed_on=text(event.stopped_on))

    @handles(Case.MeasureCompleted)
    def completed(self, event: Case.MeasureCompleted, changes: Changes) -> None:
        _touch(changes, event, closed_on=text(event.completed_on))


def _touch(changes: Changes, event: AuditedAggregate.Event, **values: Any) -> None:
    """Change a case's row: ``values``, the time of this last event, and its status if the
    event moves the case along."""
    update_case(changes.cases, event, updated_at=event.timestamp.isoformat(), **values)
