"""Commission agenda (commission members): the requests registered for a session and still
awaiting a decision, with what the commission needs to decide them.

An item is the household (identity, contact, composition, landlord), the diagnostic's
difficulties and proposed objectives without the HEALTH theme (the events keep health
items in attributes of their own, which this model never reads), the FPEL aid request,
the association's proposal and the request's past adjournments. An adjourned request
leaves the agenda until it is registered again; a decided one leaves it for good.

An item is built from its case's events and its household's ``Registered`` alone, so the
time-travel view can replay one case into this model and read the item the commission had.
"""

from __future__ import annotations

from typing import Any

from aspe.domain.case import Case
from aspe.domain.household import Household
from aspe.projections.column_groups import (
    AidRequestColumns,
    CasePartyColumns,
    address_columns,
    aid_request_columns,
    case_party_columns,
)
from aspe.projections.readmodel import (
    HouseholdCases,
    ReadModel,
    assign_referent,
    correct_household,
    findings,
    handles,
    objectives,
    remember_case,
    text,
)
from aspe.projections.tables import Table
from aspe.projections.view import Changes, TableView


class HouseholdRow(HouseholdCases):
    household_id: str
    name: str | None
    contact: str | None
    members: int | None
    address: dict[str, str] | None


HOUSEHOLDS = Table("households", HouseholdRow, key=("household_id",))


class AgendaCase(CasePartyColumns, AidRequestColumns):
    findings: list[dict[str, Any]]
    proposed_objectives: list[dict[str, Any]]
    adjournments: list[dict[str, Any]]


CASES = Table("cases", AgendaCase, key=("case_id",))
"""Every undecided case's file as it builds up, out of sight until it is registered."""


class AgendaItem(AgendaCase):
    """A registered case as the commission reads it: its file and its household."""

    household_name: str | None
    household_address: dict[str, str] | None
    household_contact: str | None
    household_members: int | None
    session_on: str | None
    registered_on: str | None
    adjournment_count: int


ITEMS = Table("items", AgendaItem, key=("case_id",), indexes=(("session_on", "registered_on"),))


class CommissionAgenda(ReadModel):
    name = "commission_agenda"
    tables = (HOUSEHOLDS, CASES, ITEMS)

    @handles(Household.Registered)
    def household_registered(self, event: Household.Registered, changes: Changes) -> None:
        changes.households.put(
            {
                "household_id": str(event.originator_id),
                "name": event.name,
                "address": address_columns(event.address),
                "contact": event.contact,
                "members": event.members,
                "case_ids": [],
            }
        )

    @handles(Household.DetailsCorrected)
    def household_corrected(self, event: Household.DetailsCorrected, changes: Changes) -> None:
        address = address_columns(event.address)
        details = {"contact": event.contact, "members": event.members}
        for case_id in correct_household(
            changes.households, event, name=event.name, address=address, **details
        ):
            changes.items.update(
                case_id,
                household_name=event.name,
                household_address=address,
                household_contact=event.contact,
                household_members=event.members,
            )

    @handles(Case.Opened)
    def opened(self, event: Case.Opened, changes: Changes) -> None:
        remember_case(changes.households, event)
        changes.cases.put(
            {
                **case_party_columns(event),
                "findings": [],
                "proposed_objectives": [],
                "adjournments": [],
            }
        )

    @handles(Case.DiagnosticRecorded)
    def diagnosed(self, event: Case.DiagnosticRecorded, changes: Changes) -> None:
        changes.cases.update(
            str(event.originator_id),
            findings=findings(event.findings),
            proposed_objectives=objectives(event.objectives),
        )

    @handles(Case.ReferentAssigned)
    def referent_assigned(self, event: Case.ReferentAssigned, changes: Changes) -> None:
        assign_referent(event, changes.cases, changes.items)

    @handles(Case.RequestSubmitted)
    def submitted(self, event: Case.RequestSubmitted, changes: Changes) -> None:
        changes.cases.update(str(event.originator_id), **aid_request_columns(event))

    @handles(Case.RequestRegistered)
    def registered(self, event: Case.RequestRegistered, changes: Changes) -> None:
        case = changes.cases.get(str(event.originator_id))
        if case is None:
            return
        household = changes.households.get(case["household_id"]) or {}
        changes.items.put(
            {
                **case,
                "household_name": household.get("name"),
                "household_address": household.get("address"),
                "household_contact": household.get("contact"),
                "household_members": household.get("members"),
                "session_on": text(event.commission_session_on),
                "registered_on": text(event.registered_on),
                "adjournment_count": len(case["adjournments"]),
            }
        )

    @handles(Case.RequestAdjourned)
    def adjourned(self, event: Case.RequestAdjourned, changes: Changes) -> None:
        case_id = str(event.originator_id)
        case = changes.cases.get(case_id)
        if case is not None:
            adjournment = {"adjourned_on": text(event.adjourned_on), "reason": event.reason}
            changes.cases.update(case_id, adjournments=[*case["adjournments"], adjournment])
        changes.items.delete(case_id)

    @handles(Case.MeasureGranted, Case.RequestRejected)
    def decided(self, event: Case.MeasureGranted | Case.RequestRejected, changes: Changes) -> None:
        case_id = str(event.originator_id)
        changes.items.delete(case_id)
        changes.cases.delete(case_id)


# ------------------------------------------------------------------------ read side
def agenda(view: TableView, session_on: str | None = None) -> list[AgendaItem]:
    """The items awaiting a decision, by session date then registration; one session's if
    ``session_on`` (an ISO date) is given."""
    where = None if session_on is None else {"session_on": session_on}
    return view.select(ITEMS, where=where, order_by=("session_on", "registered_on", "case_id"))


def sessions_from(view: TableView, first_day: str) -> list[str]:
    """The days (ISO) of the sessions from ``first_day`` on that have a request on their
    agenda, in order."""
    return sorted(
        {
            row["session_on"]
            for row in view.select(ITEMS, order_by=("session_on",))
            if row["session_on"] is not None and row["session_on"] >= first_day
        }
    )


def item(view: TableView, case_id: str) -> AgendaItem | None:
    return view.get(ITEMS, case_id)
