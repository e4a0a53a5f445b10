"""Landlord tenancies (landlords, DESIGN §6 column LANDLORD): which of its tenants have an
ASPE measure, of what type, from when to when, and how it ended; with the household's
consent (``ConsentScope.LANDLORD_DETAIL``), also the rent arrears owed to it, the CEOP's
signature date, the concertations it took part in and the repayment plans of debts owed to
it.

A case appears for its landlord from the grant decision on; a rejected case never does.
The landlord sees the household's name and address, never its contact, its composition,
the diagnostic, the CEOP's content, visits, contacts, alerts, nor any free text (reasons,
details, subjects, outcomes, notes, summaries).

Consent gates what the landlord reads, not what the read model keeps: the gated detail
lives in tables of its own (``details``, ``concertations``, ``landlord_debts``) from the
event that brings it, and ``tenancy`` returns it only while the case's ``consent`` column
is true. A household may consent after the facts (the arrears are known at the request),
and a projection cannot look back for them; withdrawing consent hides the detail at once.
"""

from __future__ import annotations

from typing import Any, TypedDict, cast
from uuid import UUID

from aspe.domain.audited import AuditedAggregate
from aspe.domain.case import Case
from aspe.domain.household import Household
from aspe.projections.column_groups import (
    ADDRESS_COLUMNS,
    AddressColumns,
    EndsMeasures,
    address_columns,
    measure_dates_columns,
)
from aspe.projections.readmodel import (
    ConsentEvent,
    HouseholdCases,
    cents,
    correct_household,
    handles,
    record_landlord_consent,
    remember_case,
    text,
    update_case,
)
from aspe.projections.tables import Table
from aspe.projections.view import Changes, TableView


class HouseholdAddress(AddressColumns, HouseholdCases):
    household_id: str
    name: str | None


HOUSEHOLDS = Table("households", HouseholdAddress, key=("household_id",))


class PublicTenancy(AddressColumns):
    """What a landlord sees of each of its tenancies, with or without consent."""

    case_id: str
    status: str
    measure_type: str | None
    duration_months: int | None
    decided_on: str | None
    starts_on: str | None
    ends_on: str | None
    stopped_on: str | None
    stop_reason: str | None
    completed_on: str | None
    household_name: str | None
    consent: bool


class TenancyRow(PublicTenancy):
    """A tenancy as the read model keeps it: also whose it is, and whether it is granted
    (until then, its landlord does not see it)."""

    landlord_id: str
    granted: bool


TENANCIES = Table("tenancies", TenancyRow, key=("case_id",), indexes=(("landlord_id", "granted"),))


class GatedDetails(TypedDict):
    case_id: str
    rent_arrears: int | None
    ceop_signed_on: str | None


DETAILS = Table("details", GatedDetails, key=("case_id",))
"""Consent-gated: the arrears of the FPEL request and the last CEOP signature date."""


class ConcertationDay(TypedDict):
    case_id: str
    concertation_id: str
    held_on: str | None


CONCERTATIONS = Table("concertations", ConcertationDay, key=("case_id", "concertation_id"))
"""Consent-gated: only the concertations the landlord took part in, by date."""


class LandlordDebt(TypedDict):
    case_id: str
    debt_id: str
    amount: int | None
    monthly_amount: int | None
    first_due_on: str | None
    months: int | None


LANDLORD_DEBTS = Table("landlord_debts", LandlordDebt, key=("case_id", "debt_id"))
"""Consent-gated: debts owed to the landlord, with their repayment plan once agreed (a
later plan for the same debt replaces the earlier)."""


class GatedDetail(TypedDict):
    """What the household's consent adds (empty without it)."""

    rent_arrears: int | None
    ceop_signed_on: str | None
    concertations: list[dict[str, str | None]]
    repayment_plans: list[dict[str, Any]]


class Tenancy(PublicTenancy, GatedDetail):
    """One tenancy as its landlord reads it."""


PUBLIC_COLUMNS = tuple(PublicTenancy.__annotations__)


class LandlordTenancies(EndsMeasures):
    name = "landlord_tenancies"
    tables = (HOUSEHOLDS, TENANCIES, DETAILS, CONCERTATIONS, LANDLORD_DEBTS)
    measure_rows = TENANCIES

    @handles(Household.Registered)
    def household_registered(self, event: Household.Registered, changes: Changes) -> None:
        """Name and address only: the contact and the composition stay out."""
        changes.households.put(
            {
                "household_id": str(event.originator_id),
                "name": event.name,
                **address_columns(event.address),
                "case_ids": [],
            }
        )

    @handles(Household.DetailsCorrected)
    def household_corrected(self, event: Household.DetailsCorrected, changes: Changes) -> None:
        """Name and address only, as registered."""
        address = address_columns(event.address)
        for case_id in correct_household(changes.households, event, name=event.name, **address):
            changes.tenancies.update(case_id, household_name=event.name, **address)

    @handles(Case.Opened)
    def opened(self, event: Case.Opened, changes: Changes) -> None:
        remember_case(changes.households, event)
        household = changes.households.get(str(event.household_id)) or {}
        changes.tenancies.put(
            {
                "case_id": str(event.originator_id),
                "landlord_id": str(event.landlord_id),
                "granted": False,
                "consent": False,
                "household_name": household.get("name"),
                **{column: household.get(column) for column in ADDRESS_COLUMNS},
            }
        )

    @handles(Case.ConsentRecorded, Case.ConsentWithdrawn)
    def consent(self, event: ConsentEvent, changes: Changes) -> None:
        record_landlord_consent(changes.tenancies, "consent", event)

    @handles(Case.RequestSubmitted)
    def submitted(self, event: Case.RequestSubmitted, changes: Changes) -> None:
        """The aid request's arrears are rent owed to the landlord; the aid asked is not kept."""
        _detail(changes, event, rent_arrears=cents(event.aid_request.rent_arrears))

    @handles(Case.RequestRejected)
    def rejected(self, event: Case.RequestRejected, changes: Changes) -> None:
        changes.tenancies.delete(str(event.originator_id))
        changes.details.delete(str(event.originator_id))

    @handles(Case.MeasureGranted)
    def granted(self, event: Case.MeasureGranted, changes: Changes) -> None:
        update_case(
            changes.tenancies,
            event,
            granted=True,
            measure_type=event.measure_type.name,
            duration_months=event.duration_months,
            decided_on=text(event.decided_on),
        )

    @handles(Case.CeopSigned)
    def ceop_signed(self, event: Case.CeopSigned, changes: Changes) -> None:
        """Every signed version moves the signature date; the measure's dates stay (R6)."""
        update_case(changes.tenancies, event, **measure_dates_columns(event))
        _detail(changes, event, ceop_signed_on=text(event.signed_on))

    @handles(Case.ConcertationHeld)
    def concertation_held(self, event: Case.ConcertationHeld, changes: Changes) -> None:
        """Its date, if the landlord took part: never the subject, outcome or other parties."""
        case = changes.tenancies.get(str(event.originator_id))
        if case is None:
            return
        landlord_id = UUID(case["landlord_id"])
        if any(participant.organisation_id == landlord_id for participant in event.participants):
            changes.concertations.put(
                {
                    "case_id": case["case_id"],
                    "concertation_id": event.concertation_id,
                    "held_on": text(event.held_on),
                }
            )

    @handles(Case.DebtRecorded)
    def debt_recorded(self, event: Case.DebtRecorded, changes: Changes) -> None:
        """Debts owed to the landlord only; the creditor's name is free text and stays out."""
        if event.creditor_is_landlord:
            changes.landlord_debts.put(
                {
                    "case_id": str(event.originator_id),
                    "debt_id": event.debt_id,
                    "amount": cents(event.amount),
                }
            )

    @handles(Case.RepaymentPlanAgreed)
    def repayment_plan_agreed(self, event: Case.RepaymentPlanAgreed, changes: Changes) -> None:
        changes.landlord_debts.update(
            str(event.originator_id),
            event.debt_id,
            monthly_amount=cents(event.monthly_amount),
            first_due_on=text(event.first_due_on),
            months=event.months,
        )


def _detail(changes: Changes, event: AuditedAggregate.Event, **values: Any) -> None:
    case_id = str(event.originator_id)
    detail = changes.details.get(case_id) or {"case_id": case_id}
    changes.details.put({**detail, **values})


# ------------------------------------------------------------------------ read side
def tenancies(view: TableView, landlord_id: UUID | str) -> list[PublicTenancy]:
    """The landlord's granted measures (ordered by decision), without consent-gated detail."""
    rows = view.select(
        TENANCIES,
        where={"landlord_id": str(landlord_id), "granted": True},
        order_by=("decided_on", "case_id"),
    )
    return [_public(row) for row in rows]


def tenancy(view: TableView, landlord_id: UUID | str, case_id: UUID | str) -> Tenancy | None:
    """One measure as its landlord sees it, or None: a case of another landlord, one not
    granted and one that does not exist are the same to it. The gated detail (arrears,
    signature date, concertations, plans) is empty while the household's consent is not
    recorded."""
    row = view.get(TENANCIES, str(case_id))
    if row is None or not row["granted"] or row["landlord_id"] != str(landlord_id):
        return None
    if not row["consent"]:
        return {
            **_public(row),
            "rent_arrears": None,
            "ceop_signed_on": None,
            "concertations": [],
            "repayment_plans": [],
        }
    return {**_public(row), **_gated(view, row["case_id"])}


def _public(row: TenancyRow) -> PublicTenancy:
    public = {column: value for column, value in row.items() if column in PUBLIC_COLUMNS}
    return cast(PublicTenancy, public)


def _gated(view: TableView, case_id: str) -> GatedDetail:
    detail = view.get(DETAILS, case_id)
    concertations = view.select(
        CONCERTATIONS, where={"case_id": case_id}, order_by=("held_on", "concertation_id")
    )
    debts = view.select(
        LANDLORD_DEBTS, where={"case_id": case_id}, order_by=("first_due_on", "debt_id")
    )
    return {
        "rent_arrears": detail["rent_arrears"] if detail else None,
        "ceop_signed_on": detail["ceop_signed_on"] if detail else None,
        "concertations": [{"held_on": row["held_on"]} for row in concertations],
        "repayment_plans": [
            {
                "debt_amount": debt["amount"],
                "monthly_amount": debt["monthly_amount"],
                "first_due_on": debt["first_due_on"],
                "months": debt["months"],
            }
            for debt in debts
            if debt["months"] is not None
        ],
    }
