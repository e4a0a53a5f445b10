"""Retention (the platform's retention clock, ``aspe retention run``): every case, when it
closed and whether it is archived; every household, whether its data is erased or held
for legal reasons, and the last day something happened to it. No personal value.

What is due is decided in ``aspe.privacy.retention`` from these rows and the settings.
"""

from __future__ import annotations

from typing import TypedDict

from aspe.domain.case import Case
from aspe.domain.household import Household
from aspe.projections.column_groups import ClosingEvent, closed_on
from aspe.projections.readmodel import ReadModel, handles, text
from aspe.projections.tables import Table
from aspe.projections.view import Changes, TableView


class RetainedCase(TypedDict):
    case_id: str
    household_id: str
    closed_on: str | None
    archived_on: str | None


CASES = Table("cases", RetainedCase, key=("case_id",), indexes=(("household_id",),))


class RetainedHousehold(TypedDict):
    household_id: str
    registered_on: str
    legal_hold: bool
    erased: bool


HOUSEHOLDS = Table("households", RetainedHousehold, key=("household_id",))


class Retention(ReadModel):
    name = "retention"
    tables = (CASES, HOUSEHOLDS)
    uses_rules = True  # the day of registration is the day in ASPE_TIMEZONE

    @handles(Household.Registered)
    def registered(self, event: Household.Registered, changes: Changes) -> None:
        changes.households.put(
            {
                "household_id": str(event.originator_id),
                "registered_on": self.rules.day_of(event.timestamp).isoformat(),
                "legal_hold": False,
                "erased": False,
            }
        )

    @handles(Household.LegalHoldSet, Household.LegalHoldLifted)
    def legal_hold(
        self, event: Household.LegalHoldSet | Household.LegalHoldLifted, changes: Changes
    ) -> None:
        held = isinstance(event, Household.LegalHoldSet)
        changes.households.update(str(event.originator_id), legal_hold=held)

    @handles(Household.Erased)
    def erased(self, event: Household.Erased, changes: Changes) -> None:
        changes.households.update(str(event.originator_id), erased=True)

    @handles(Case.Opened)
    def opened(self, event: Case.Opened, changes: Changes) -> None:
        changes.cases.put(
            {
                "case_id": str(event.originator_id),
                "household_id": str(event.household_id),
                "closed_on": None,
                "archived_on": None,
            }
        )

    @handles(Case.RequestRejected, Case.MeasureStopped, Case.MeasureCompleted)
    def closed(self, event: ClosingEvent, changes: Changes) -> None:
        changes.cases.update(str(event.originator_id), closed_on=closed_on(event))

    @handles(Case.Archived)
    def archived(self, event: Case.Archived, changes: Changes) -> None:
        changes.cases.update(str(event.originator_id), archived_on=text(event.archived_on))


# ------------------------------------------------------------------- read side
def cases(view: TableView) -> list[RetainedCase]:
    return view.select(CASES)


def households(view: TableView) -> list[RetainedHousehold]:
    return view.select(HOUSEHOLDS, where={"erased": False})
