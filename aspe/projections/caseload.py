"""Association caseload (referents and managers): which cases an association follows, who
is the referent, where each case stands and since when. A previous referent keeps read
access until the date the handover gave; the GraphQL layer reads ``former_referents``."""

from __future__ import annotations

from typing import Any, TypedDict

from aspe.domain.audited import AuditedAggregate
from aspe.domain.case import STATUS_AFTER, Case
from aspe.domain.household import Household
from aspe.projections.readmodel import ReadModel, handles, text
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
        if case is None:
            return
        former = dict(case["former_referents"])
        former[str(event.previous_referent_id)] = text(event.previous_access_until)
        former.pop(str(event.referent_id), None)
        self._touch(changes, event, referent_id=str(event.referent_id), former_referents=former)

    @handles(Case.RequestSubmitted, Case.RequestRegistered, Case.RequestAdjourned)
    def moved_on(
        self,
        event: Case.RequestSubmitted | Case.RequestRegistered | Case.RequestAdjourned,
        changes: Changes,
    ) -> None:
        self._touch(changes, event, status=STATUS_AFTER[type(event)].name)

    @handles(Case.RequestRejected)
    def rejected(self, event: Case.RequestRejected, changes: Changes) -> None:
        self._touch(
            changes,
            event,
            status=STATUS_AFTER[Case.RequestRejected].name,
            closed_on=text(event.rejected_on),
        )

    @handles(Case.MeasureGranted)
    def granted(self, event: Case.MeasureGranted, changes: Changes) -> None:
        self._touch(
            changes,
            event,
            status=STATUS_AFTER[Case.MeasureGranted].name,
            measure_type=event.measure_type.name,
        )

    @handles(Case.CeopSigned)
    def started(self, event: Case.CeopSigned, changes: Changes) -> None:
        self._touch(
            changes,
            event,
            status=STATUS_AFTER[Case.CeopSigned].name,
            starts_on=text(event.starts_on),
            ends_on=text(event.ends_on),
        )

    @handles(Case.MeasureExtended)
    def extended(self, event: Case.MeasureExtended, changes: Changes) -> None:
        self._touch(changes, event, ends_on=text(event.ends_on))

    @handles(Case.MeasureStopped)
    def stopped(self, event: Case.MeasureStopped, changes: Changes) -> None:
        self._touch(
            changes,
            event,
            status=STATUS_AFTER[Case.MeasureStopped].name,
            closed_on=text(event.stopped_on),
        )

    @handles(Case.MeasureCompleted)
    def completed(self, event: Case.MeasureCompleted, changes: Changes) -> None:
        self._touch(
            changes,
            event,
            status=STATUS_AFTER[Case.MeasureCompleted].name,
            closed_on=text(event.completed_on),
        )

    @staticmethod
    def _touch(changes: Changes, event: AuditedAggregate.Event, **values: Any) -> None:
        changes.cases.update(
            str(event.originator_id), updated_at=event.timestamp.isoformat(), **values
        )
