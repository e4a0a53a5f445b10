"""The GraphQL types of a case, mapped from the ``case_file`` read model's rows.

Every field is ``classified``: ``permissions`` hides what the viewer may not see. Each object
carries the ``Seen`` of its case (who looks, and whether the household consented) and the
``row`` it was built from (list filters read it). Values are computed from rows only; no
resolver here decides visibility.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import strawberry
from starlette.concurrency import run_in_threadpool
from strawberry import Private
from strawberry.types import Info

from aspe.authorization import C, may_export_household_data
from aspe.domain import values
from aspe.domain.actors import Actor
from aspe.domain.actors import Role as DomainRole
from aspe.domain.availability import CaseCommand
from aspe.domain.household import Household as HouseholdAggregate
from aspe.graphql.permissions import Seen, classified
from aspe.projections import directory
from aspe.projections.case_file import (
    CaseFileRow,
    CeopVersion,
    ContactItem,
    DebtItem,
    DocumentItem,
    VisitItem,
)
from aspe.projections.contact_silence import silent_days
from aspe.projections.readmodel import FindingItem, ObjectiveItem

Role = strawberry.enum(DomainRole, name="Role")
CaseStatus = strawberry.enum(values.Status, name="CaseStatus")
ThemeEnum = strawberry.enum(values.Theme, name="Theme")
MeasureTypeEnum = strawberry.enum(values.MeasureType, name="MeasureType")
VisitKindEnum = strawberry.enum(values.VisitKind, name="VisitKind")
ChannelEnum = strawberry.enum(values.ContactChannel, name="ContactChannel")
SignatoryEnum = strawberry.enum(values.Signatory, name="Signatory")
PartyEnum = strawberry.enum(values.Party, name="Party")
StopReasonEnum = strawberry.enum(values.StopReason, name="StopReason")
SuspensionReasonEnum = strawberry.enum(values.SuspensionReason, name="SuspensionReason")
ProgressEnum = strawberry.enum(values.ObjectiveProgress, name="ObjectiveProgress")
DocumentKindEnum = strawberry.enum(values.DocumentKind, name="DocumentKind")
AccompanimentKindEnum = strawberry.enum(values.AccompanimentKind, name="AccompanimentKind")
CaseCommandEnum = strawberry.enum(
    CaseCommand,
    name="CaseCommand",
    description="A command on a case; its mutation has the same name in camelCase.",
)


def day(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


CENT = Decimal("0.01")


def money(cents: int | None) -> Decimal | None:
    """Euros with their two decimals, as every amount of the API is written ("620.00")."""
    return None if cents is None else (Decimal(cents) / 100).quantize(CENT)


def uuid_text(value: str) -> str:
    """Ids as everywhere else in the API (the read model keeps the events' hex form)."""
    return str(UUID(value))


def id_or_none(value: UUID | str | None) -> strawberry.ID | None:
    """An optional id as the API gives it."""
    return None if value is None else strawberry.ID(str(value))


def enum_or_none(enum: Any, name: str | None) -> Any:
    return None if name is None else enum[name]


@strawberry.type
class CaseObject:
    """What every object of a case's graph carries, out of the schema: the ``row`` it was
    built from (list filters read it) and the ``Seen`` of its case."""

    row: Private[Mapping[str, Any]]
    seen: Private[Seen]


# ------------------------------------------------------------------ household
@strawberry.type(description="The household: name and address; contact and size.")
class Household(CaseObject):
    name: str | None = classified(C.HOUSEHOLD_NAME_ADDRESS)
    street: str | None = classified(C.HOUSEHOLD_NAME_ADDRESS)
    postcode: str | None = classified(C.HOUSEHOLD_NAME_ADDRESS)
    city: str | None = classified(C.HOUSEHOLD_NAME_ADDRESS)
    contact: str | None = classified(C.HOUSEHOLD_CONTACT)
    members: int | None = classified(C.HOUSEHOLD_CONTACT)

    @classmethod
    def from_row(cls, row: CaseFileRow, seen: Seen) -> Household:
        return cls(
            row=row,
            seen=seen,
            name=row["household_name"],
            street=row["street"],
            postcode=row["postcode"],
            city=row["city"],
            contact=row["contact"],
            members=row["members"],
        )


# ------------------------------------------------------------------ diagnostic
@strawberry.type(description="A difficulty the diagnostic found, in one theme.")
class Finding(CaseObject):
    theme: ThemeEnum | None = classified(C.DIAGNOSTIC)  # type: ignore[valid-type]
    difficulty: str | None = classified(C.DIAGNOSTIC)


@strawberry.type(description="An objective of the diagnostic or the CEOP.")
class Objective(CaseObject):
    id: str | None = classified(C.CEOP)
    theme: ThemeEnum | None = classified(C.CEOP)  # type: ignore[valid-type]
    label: str | None = classified(C.CEOP)
    action: str | None = classified(C.CEOP)
    progress: ProgressEnum | None = classified(C.CEOP)  # type: ignore[valid-type]
    progress_note: str | None = classified(C.NOTES)


def findings(items: Sequence[FindingItem], seen: Seen) -> list[Finding]:
    return [
        Finding(
            row=item, seen=seen, theme=values.Theme[item["theme"]], difficulty=item["difficulty"]
        )
        for item in items
    ]


def objectives(items: Sequence[ObjectiveItem], seen: Seen) -> list[Objective]:
    return [
        Objective(
            row=item,
            seen=seen,
            id=item["id"],
            theme=values.Theme[item["theme"]],
            label=item["label"],
            action=item.get("action"),
            progress=enum_or_none(values.ObjectiveProgress, item.get("progress")),
            progress_note=item.get("progress_note") or None,
        )
        for item in items
    ]


@strawberry.type(description="The diagnostic: difficulties per theme and proposed objectives.")
class Diagnostic(CaseObject):
    recorded_on: date | None = classified(C.DIAGNOSTIC)
    findings: list[Finding] = classified(C.DIAGNOSTIC)
    objectives: list[Objective] = classified(C.DIAGNOSTIC)


# --------------------------------------------------------------------- request
@strawberry.type(description="An adjournment of the request by the commission.")
class Adjournment(CaseObject):
    on: date | None = classified(C.REQUEST)
    reason: str | None = classified(C.REQUEST)


@strawberry.type(description="The FPEL request: arrears, aid asked, proposal, registration.")
class Request(CaseObject):
    submitted_on: date | None = classified(C.REQUEST)
    rent_arrears: Decimal | None = classified(C.RENT_ARREARS)
    aid_requested: Decimal | None = classified(C.REQUEST)
    monthly_rent: Decimal | None = classified(C.REQUEST)
    proposed_measure: MeasureTypeEnum | None = classified(C.REQUEST)  # type: ignore[valid-type]
    proposed_duration_months: int | None = classified(C.REQUEST)
    registered_on: date | None = classified(C.REQUEST)
    commission_session_on: date | None = classified(C.REQUEST)
    adjournments: list[Adjournment] = classified(C.REQUEST)
    rejected_on: date | None = classified(C.REQUEST)
    rejection_reason: str | None = classified(C.REQUEST)
    invitations_to_session: list[date] = classified(C.REQUEST)

    @classmethod
    def from_row(cls, row: CaseFileRow, seen: Seen) -> Request:
        return cls(
            row=row,
            seen=seen,
            submitted_on=day(row["submitted_on"]),
            rent_arrears=money(row["rent_arrears_cents"]),
            aid_requested=money(row["aid_requested_cents"]),
            monthly_rent=money(row["monthly_rent_cents"]),
            proposed_measure=enum_or_none(values.MeasureType, row["proposed_measure"]),
            proposed_duration_months=row["proposed_duration_months"],
            registered_on=day(row["registered_on"]),
            commission_session_on=day(row["commission_session_on"]),
            adjournments=[
                Adjournment(row=item, seen=seen, on=day(item["on"]), reason=item["reason"])
                for item in row["adjournments"] or ()
            ],
            rejected_on=day(row["rejected_on"]),
            rejection_reason=row["rejection_reason"],
            invitations_to_session=[
                date.fromisoformat(item["session_on"]) for item in row["invitations"] or ()
            ],
        )


# -------------------------------------------------------------------- decision
@strawberry.type(description="An extension of the measure decided by the commission.")
class Extension(CaseObject):
    on: date | None = classified(C.DECISION)
    additional_months: int | None = classified(C.DECISION)
    reason: str | None = classified(C.REQUEST)


@strawberry.type(description="The commission's grant: type, duration, probation, aid, dates.")
class Decision(CaseObject):
    decided_on: date | None = classified(C.DECISION)
    measure_type: MeasureTypeEnum | None = classified(C.DECISION)  # type: ignore[valid-type]
    duration_months: int | None = classified(C.DECISION)
    probation_months: int | None = classified(C.DECISION_TERMS)
    aid_granted: Decimal | None = classified(C.DECISION_TERMS)
    notified_on: date | None = classified(C.DECISION)
    starts_on: date | None = classified(C.DECISION)
    ends_on: date | None = classified(C.DECISION)
    extensions: list[Extension] = classified(C.DECISION)

    @classmethod
    def from_row(cls, row: CaseFileRow, seen: Seen) -> Decision:
        return cls(
            row=row,
            seen=seen,
            decided_on=day(row["decided_on"]),
            measure_type=enum_or_none(values.MeasureType, row["measure_type"]),
            duration_months=row["duration_months"],
            probation_months=row["probation_months"],
            aid_granted=money(row["aid_granted_cents"]),
            notified_on=day(row["decision_notified_on"]),
            starts_on=day(row["starts_on"]),
            ends_on=day(row["ends_on"]),
            extensions=[
                Extension(
                    row=item,
                    seen=seen,
                    on=day(item["on"]),
                    additional_months=item["additional_months"],
                    reason=item["reason"],
                )
                for item in row["extensions"] or ()
            ],
        )


# ------------------------------------------------------------------------ CEOP
THEME_OF_ITEM = "Its theme; null: none in particular. HEALTH items reach only those who see HEALTH."


@strawberry.type(description="A step of the CEOP, with its due date and theme.")
class Step(CaseObject):
    label: str | None = classified(C.CEOP)
    due_on: date | None = classified(C.CEOP)
    theme: ThemeEnum | None = classified(C.CEOP, description=THEME_OF_ITEM)  # type: ignore[valid-type]


@strawberry.type(description="What one party commits to in the CEOP, and in which theme.")
class Commitment(CaseObject):
    party: PartyEnum | None = classified(C.CEOP)  # type: ignore[valid-type]
    text: str | None = classified(C.CEOP)
    theme: ThemeEnum | None = classified(C.CEOP, description=THEME_OF_ITEM)  # type: ignore[valid-type]


@strawberry.type(description="A signature of the CEOP: who signed, and when.")
class Signature(CaseObject):
    signatory: SignatoryEnum | None = classified(C.CEOP)  # type: ignore[valid-type]
    signed_on: date | None = classified(C.CEOP)


@strawberry.type(description="The current version of the CEOP.")
class Ceop(CaseObject):
    version: int | None = classified(C.CEOP)
    drafted_on: date | None = classified(C.CEOP)
    objectives: list[Objective] = classified(C.CEOP)
    steps: list[Step] = classified(C.CEOP)
    commitments: list[Commitment] = classified(C.CEOP)
    signatures: list[Signature] = classified(C.CEOP)
    signed_on: date | None = classified(C.CEOP_SIGNATURE_DATE)
    transmitted_on: date | None = classified(C.CEOP)

    @classmethod
    def from_row(cls, ceop: CeopVersion, seen: Seen) -> Ceop:
        return cls(
            row=ceop,
            seen=seen,
            version=ceop["version"],
            drafted_on=day(ceop["drafted_on"]),
            objectives=objectives(ceop["objectives"], seen),
            steps=[
                Step(
                    row=item,
                    seen=seen,
                    label=item["label"],
                    due_on=day(item.get("due_on")),
                    theme=enum_or_none(values.Theme, item.get("theme")),
                )
                for item in ceop["steps"]
            ],
            commitments=[
                Commitment(
                    row=item,
                    seen=seen,
                    party=values.Party[item["party"]],
                    text=item["text"],
                    theme=enum_or_none(values.Theme, item.get("theme")),
                )
                for item in ceop["commitments"]
            ],
            signatures=[
                Signature(
                    row={"signatory": name},
                    seen=seen,
                    signatory=values.Signatory[name],
                    signed_on=day(on),
                )
                for name, on in sorted(ceop["signatures"].items())
            ],
            signed_on=day(ceop.get("signed_on")),
            transmitted_on=day(ceop.get("transmitted_on")),
        )


# ------------------------------------------------------------ visits, contacts
@strawberry.type(description="A visit or meeting, planned, done or missed.")
class Visit(CaseObject):
    id: str | None = classified(C.VISIT_DATES)
    planned_at: datetime | None = classified(C.VISIT_DATES)
    occurred_on: date | None = classified(C.VISIT_DATES)
    state: str | None = classified(C.VISIT_DATES)
    kind: VisitKindEnum | None = classified(C.VISIT_KIND)  # type: ignore[valid-type]
    themes: list[ThemeEnum] = classified(C.VISITS)  # type: ignore[valid-type]
    household_present: bool | None = classified(C.VISITS)
    note: str | None = classified(C.NOTES)
    missed_reason: str | None = classified(C.NOTES)


@strawberry.type(description="A contact with the household (phone, e-mail, letter…).")
class Contact(CaseObject):
    occurred_on: date | None = classified(C.VISIT_DATES)
    channel: ChannelEnum | None = classified(C.VISITS)  # type: ignore[valid-type]
    initiated_by_household: bool | None = classified(C.VISITS)
    household_took_part: bool | None = classified(
        C.VISITS,
        description="Whether the household answered, called or replied: only such a contact "
        "ends the silence R7 counts.",
    )
    themes: list[ThemeEnum] = classified(C.VISITS)  # type: ignore[valid-type]
    note: str | None = classified(C.NOTES)


def visits(items: Sequence[VisitItem], seen: Seen) -> list[Visit]:
    return [
        Visit(
            row=item,
            seen=seen,
            id=uuid_text(item["visit_id"]),
            planned_at=datetime.fromisoformat(item["planned_at"]) if item["planned_at"] else None,
            occurred_on=day(item["occurred_on"]),
            state=item["state"],
            kind=enum_or_none(values.VisitKind, item["kind"]),
            themes=[values.Theme[name] for name in item["themes"] or ()],
            household_present=item["household_present"],
            note=item["note"] or None,
            missed_reason=item["missed_reason"] or None,
        )
        for item in items
    ]


def contacts(items: Sequence[ContactItem], seen: Seen) -> list[Contact]:
    return [
        Contact(
            row=item,
            seen=seen,
            occurred_on=day(item["occurred_on"]),
            channel=values.ContactChannel[item["channel"]],
            initiated_by_household=item["initiated_by_household"],
            household_took_part=item.get("household_took_part", True),
            themes=[values.Theme[name] for name in item["themes"] or ()],
            note=item["note"] or None,
        )
        for item in items
    ]


@strawberry.type(description="One ISO week of the measure: visits required and done.")
class WeekCompliance(CaseObject):
    iso_week: str | None = classified(C.VISIT_COUNTS)
    monday: date | None = classified(C.VISIT_COUNTS)
    required_visits: int | None = classified(C.VISIT_COUNTS)
    required_home_visits: int | None = classified(C.VISIT_COUNTS)
    visits: int | None = classified(C.VISIT_COUNTS)
    home_visits: int | None = classified(C.VISIT_COUNTS)
    attempted_visits: int | None = classified(
        C.VISIT_COUNTS,
        description="Visits with nobody home that week: shown, not counted as held (R4).",
    )
    compliant: bool | None = classified(C.VISIT_COUNTS)


# ---------------------------------------------------------- concertations, money
@strawberry.type(description="A concertation with the landlord or partners.")
class Concertation(CaseObject):
    id: str | None = classified(C.CONCERTATIONS)
    held_on: date | None = classified(C.CONCERTATIONS)
    subject: str | None = classified(C.CONCERTATIONS)
    participants: list[str] = classified(C.CONCERTATIONS)
    outcome: str | None = classified(C.CONCERTATIONS)


@strawberry.type(description="A repayment plan agreed for a debt.")
class RepaymentPlan(CaseObject):
    monthly_amount: Decimal | None = classified(C.DEBTS)
    first_due_on: date | None = classified(C.DEBTS)
    months: int | None = classified(C.DEBTS)


@strawberry.type(description="A debt of the household, and its repayment plan if agreed.")
class Debt(CaseObject):
    id: str | None = classified(C.DEBTS)
    creditor: str | None = classified(C.DEBTS)
    amount: Decimal | None = classified(C.DEBTS)
    owed_to_landlord: bool | None = classified(C.DEBTS)
    plan: RepaymentPlan | None = classified(C.DEBTS)


def debts(items: Sequence[DebtItem], seen: Seen) -> list[Debt]:
    return [
        Debt(
            row=item,
            seen=seen,
            id=uuid_text(item["debt_id"]),
            creditor=item["creditor"],
            amount=money(item["amount_cents"]),
            owed_to_landlord=item["creditor_is_landlord"],
            plan=None
            if item["plan"] is None
            else RepaymentPlan(
                row=item["plan"],
                seen=seen,
                monthly_amount=money(item["plan"]["monthly_amount_cents"]),
                first_due_on=day(item["plan"]["first_due_on"]),
                months=item["plan"]["months"],
            ),
        )
        for item in items
    ]


@strawberry.type(description="One month of rent reported by the landlord.")
class RentMonth(CaseObject):
    month: date | None = classified(C.RENT)
    amount_due: Decimal | None = classified(C.RENT)
    amount_paid: Decimal | None = classified(C.RENT)


@strawberry.type(description="The rent ledger: reports, totals, resumption of current rent.")
class RentLedger(CaseObject):
    months: list[RentMonth] = classified(C.RENT)
    total_due: Decimal | None = classified(C.RENT)
    total_paid: Decimal | None = classified(C.RENT)
    resumed_on: date | None = classified(C.RENT)


# ------------------------------------------------------------------- documents
@strawberry.type(
    description="A document joined to the case; its content is downloaded by its id on the "
    "case (the portal's /dossiers/{caseId}/documents/{id}), by those who see it here: never "
    "by its SHA-256."
)
class Document(CaseObject):
    id: str | None = classified(C.DOCUMENTS)
    kind: DocumentKindEnum | None = classified(C.DOCUMENTS)  # type: ignore[valid-type]
    filename: str | None = classified(C.DOCUMENTS)
    media_type: str | None = classified(C.DOCUMENTS)
    size: int | None = classified(C.DOCUMENTS)
    sha256: str | None = classified(C.DOCUMENTS)
    attached_on: date | None = classified(C.DOCUMENTS)


def documents(items: Sequence[DocumentItem], seen: Seen) -> list[Document]:
    return [
        Document(
            row=item,
            seen=seen,
            id=uuid_text(item["document_id"]),
            kind=values.DocumentKind[item["kind"]],
            filename=item["filename"],
            media_type=item["media_type"],
            size=item["size"],
            sha256=item["sha256"],
            attached_on=day(item["attached_on"]),
        )
        for item in items
    ]


# ---------------------------------------------------------------- alerts, stop
@strawberry.type(description="A non-collaboration alert raised to the commission.")
class Alert(CaseObject):
    raised_on: date | None = classified(C.ALERTS)
    silent_days: int | None = classified(C.ALERTS)


@strawberry.type(
    description="R9: an FSL or anti-poverty-plan accompaniment reported during the measure "
    "and overlapping it; the commission stops the measure or decides, with its reasons, that "
    "it goes on."
)
class CombinationConflict(CaseObject):
    kind: AccompanimentKindEnum | None = classified(C.ALERTS)  # type: ignore[valid-type]
    starts_on: date | None = classified(C.ALERTS)
    ends_on: date | None = classified(C.ALERTS, description="None: it runs on.")
    raised_on: date | None = classified(C.ALERTS)
    settled_on: date | None = classified(C.ALERTS, description="None: awaiting a decision.")
    decision: str | None = classified(C.ALERTS, description="The commission's reasons.")


@strawberry.type(description="A suspension of the alert clock (hospitalisation, absence…).")
class Suspension(CaseObject):
    starts_on: date | None = classified(C.ALERTS)
    ends_on: date | None = classified(C.ALERTS)
    reason: SuspensionReasonEnum | None = classified(C.ALERTS)  # type: ignore[valid-type]
    details: str | None = classified(C.NOTES)


@strawberry.type(description="How the measure ended: stop or completion, and the final report.")
class Closure(CaseObject):
    stopped_on: date | None = classified(C.DECISION)
    stop_reason: StopReasonEnum | None = classified(C.STOP_REASON)  # type: ignore[valid-type]
    stop_details: str | None = classified(C.STOP)
    completed_on: date | None = classified(C.DECISION)
    final_report_on: date | None = classified(C.STOP)
    household_still_housed: bool | None = classified(C.STOP)
    final_report_summary: str | None = classified(C.STOP)

    @classmethod
    def from_row(cls, row: CaseFileRow, seen: Seen) -> Closure:
        return cls(
            row=row,
            seen=seen,
            stopped_on=day(row["stopped_on"]),
            stop_reason=enum_or_none(values.StopReason, row["stop_reason"]),
            stop_details=row["stop_details"] or None,
            completed_on=day(row["completed_on"]),
            final_report_on=day(row["final_report_on"]),
            household_still_housed=row["household_still_housed"],
            final_report_summary=row["final_report_summary"],
        )


@strawberry.type(description="The case's parties by name, as a contract names them.")
class CaseParties(CaseObject):
    association_name: str | None = classified(C.STAFFING)
    referent_name: str | None = classified(C.STAFFING, description="None: none assigned.")
    landlord_name: str | None = classified(
        C.HOUSEHOLD_NAME_ADDRESS, description="The household's landlord (its housing)."
    )

    @classmethod
    def of(cls, row: CaseFileRow, seen: Seen, directory_view: Any) -> CaseParties:
        """The names the directory holds for the case's association, referent, landlord."""

        def organisation_name(organisation_id: str | None) -> str | None:
            found = organisation_id and directory.organisation(directory_view, organisation_id)
            return found["name"] if found else None

        referent = row["referent_id"] and directory.account(directory_view, row["referent_id"])
        return cls(
            row=row,
            seen=seen,
            association_name=organisation_name(row["association_id"]),
            referent_name=referent["name"] if referent else None,
            landlord_name=organisation_name(row["landlord_id"]),
        )


# ------------------------------------------------------------------------ case
@strawberry.type(description="A case (dossier ASPE), as the viewer may see it.")
class Case(CaseObject):
    row: Private[CaseFileRow]

    @classified(C.CASE)
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row["case_id"])

    @classified(C.CASE)
    def status(self) -> CaseStatus:  # type: ignore[valid-type]
        return values.Status[self.row["status"]]

    @classified(C.CASE)
    def opened_on(self) -> date | None:
        return day(self.row["opened_on"])

    @classified(C.CASE, description="Whether the household lets the landlord see more.")
    def landlord_consent(self) -> bool | None:
        return bool(self.row["landlord_consent"])

    @classified(
        C.CASE,
        description="The commands the viewer may run on the case now, before giving any "
        "input: who may run each, in which statuses, once what is done (a decision notified, "
        "an alert due…). A command not listed is refused; one listed may still be refused "
        "for its input.",
    )
    async def available_commands(self, info: Info) -> list[CaseCommandEnum]:  # type: ignore[valid-type]
        return list((await info.context.loaders.commands_now.load(self.row["case_id"])).commands)

    @classified(
        C.CASE,
        description="The CEOP signatures the viewer may record now: its own, or for the "
        "association any required one not given yet (signed on paper).",
    )
    async def ceop_signatures_to_record(self, info: Info) -> list[SignatoryEnum]:  # type: ignore[valid-type]
        loaded = await info.context.loaders.commands_now.load(self.row["case_id"])
        return list(loaded.signatories)

    @classified(
        C.CASE,
        description="Whether the viewer may download the household's data (householdData, "
        "right of access): the household, or its referent or their manager.",
    )
    def may_download_household_data(self) -> bool:
        household_id = UUID(self.row["household_id"])
        return may_export_household_data(self.seen.viewer, household_id, [self.row])

    @classified(
        C.STAFFING,
        description="Whether the viewer may open the household's portal account now "
        "(openHouseholdAccount): the staff of the association that registered it, once.",
    )
    async def may_open_household_account(self, info: Info) -> bool | None:
        viewer = self.seen.viewer
        actor = Actor(id=viewer.id, role=viewer.role, organisation_id=viewer.organisation_id)
        household_id = UUID(self.row["household_id"])
        refusal = await run_in_threadpool(
            lambda: info.context.application.load(
                HouseholdAggregate, household_id
            ).account_opening_refusal(actor)
        )
        return refusal is None

    @classified(C.STAFFING)
    def association_id(self) -> strawberry.ID | None:
        return strawberry.ID(self.row["association_id"])

    @classified(C.STAFFING)
    def referent_id(self) -> strawberry.ID | None:
        return strawberry.ID(self.row["referent_id"])

    @classified(
        C.STAFFING,
        description="The household's id: what recordAccompaniment (R9) names it by.",
    )
    def household_id(self) -> strawberry.ID | None:
        return strawberry.ID(self.row["household_id"])

    @classified(C.CASE, description="The association, referent and landlord, by name.")
    async def parties(self, info: Info) -> CaseParties:
        view = info.context.projector.model("directory").view
        return await run_in_threadpool(CaseParties.of, self.row, self.seen, view)

    @classified(C.CASE)
    def household(self) -> Household | None:
        return Household.from_row(self.row, self.seen)

    @classified(C.DIAGNOSTIC)
    def diagnostic(self) -> Diagnostic | None:
        if self.row["diagnosed_on"] is None:
            return None
        return Diagnostic(
            row=self.row,
            seen=self.seen,
            recorded_on=day(self.row["diagnosed_on"]),
            findings=findings(self.row["findings"] or (), self.seen),
            objectives=objectives(self.row["objectives"] or (), self.seen),
        )

    @classified(C.CASE)
    def request(self) -> Request | None:
        return Request.from_row(self.row, self.seen) if self.row["submitted"] else None

    @classified(C.CASE)
    def decision(self) -> Decision | None:
        return Decision.from_row(self.row, self.seen) if self.row["granted"] else None

    @classified(C.CASE)
    def ceop(self) -> Ceop | None:
        ceop = self.row["ceop"]
        return None if ceop is None else Ceop.from_row(ceop, self.seen)

    @classified(C.VISIT_DATES)
    def visits(self) -> list[Visit]:
        return visits(self.row["visits"] or (), self.seen)

    @classified(C.VISIT_DATES)
    def contacts(self) -> list[Contact]:
        return contacts(self.row["contacts"] or (), self.seen)

    @classified(C.VISIT_COUNTS, description="Visits done (home visits included).")
    def visits_done(self) -> int | None:
        return sum(1 for visit in self.row["visits"] or () if visit["state"] == "DONE")

    @classified(C.VISIT_COUNTS)
    def contacts_count(self) -> int | None:
        return len(self.row["contacts"] or ())

    @classified(C.VISIT_COUNTS, description="Each week of the measure: required and done.")
    async def weekly_compliance(self, info: Info) -> list[WeekCompliance]:
        weeks = await info.context.loaders.compliance.load(self.row["case_id"])
        return [
            WeekCompliance(
                row={},
                seen=self.seen,
                iso_week=week.iso_week,
                monday=week.monday,
                required_visits=week.required_visits,
                required_home_visits=week.required_home_visits,
                visits=week.visits,
                home_visits=week.home_visits,
                attempted_visits=week.attempted_visits,
                compliant=week.compliant,
            )
            for week in weeks
        ]

    @classified(C.CONCERTATIONS)
    def concertations(self) -> list[Concertation]:
        return [
            Concertation(
                row=item,
                seen=self.seen,
                id=uuid_text(item["concertation_id"]),
                held_on=day(item["held_on"]),
                subject=item["subject"],
                participants=[person["label"] for person in item["participants"]],
                outcome=item["outcome"] or None,
            )
            for item in self.row["concertations"] or ()
        ]

    @classified(C.DEBTS)
    def debts(self) -> list[Debt]:
        return debts(self.row["debts"] or (), self.seen)

    @classified(C.DEBT_TOTALS)
    def debt_total(self) -> Decimal | None:
        return money(sum(debt["amount_cents"] for debt in self.row["debts"] or ()))

    @classified(C.RENT)
    async def rent_ledger(self, info: Info) -> RentLedger | None:
        ledger = await info.context.loaders.ledger.load(self.row["case_id"])
        return RentLedger(
            row={},
            seen=self.seen,
            months=[
                RentMonth(
                    row={},
                    seen=self.seen,
                    month=date.fromisoformat(report.month),
                    amount_due=money(report.amount_due),
                    amount_paid=money(report.amount_paid),
                )
                for report in ledger.months
            ],
            total_due=money(ledger.total_due),
            total_paid=money(ledger.total_paid),
            resumed_on=day(ledger.resumed_on),
        )

    @classified(C.ALERTS, description="Alerts raised on this case, oldest first.")
    def alerts(self) -> list[Alert]:
        return [
            Alert(
                row=item,
                seen=self.seen,
                raised_on=day(item["raised_on"]),
                silent_days=item.get("silent_days"),
            )
            for item in self.row["alerts"] or ()
        ]

    @classified(C.ALERTS, description="R9 conflicts raised on this case, oldest first.")
    def combination_conflicts(self) -> list[CombinationConflict]:
        return [
            CombinationConflict(
                row=item,
                seen=self.seen,
                kind=values.AccompanimentKind[item["kind"]],
                starts_on=day(item["starts_on"]),
                ends_on=day(item["ends_on"]),
                raised_on=day(item["raised_on"]),
                settled_on=day(item["settled_on"]),
                decision=item["decision"],
            )
            for item in self.row["combination_conflicts"] or ()
        ]

    @classified(C.ALERTS, description="Days without news of the household, as of today.")
    async def silent_days(self, info: Info) -> int | None:
        measure = await info.context.loaders.silence.load(self.row["case_id"])
        return None if measure is None else silent_days(measure, info.context.today())

    @classified(C.ALERTS)
    def suspensions(self) -> list[Suspension]:
        return [
            Suspension(
                row=item,
                seen=self.seen,
                starts_on=day(item["starts_on"]),
                ends_on=day(item["ends_on"]),
                reason=values.SuspensionReason[item["reason"]],
                details=item.get("details") or None,
            )
            for item in self.row["suspensions"] or ()
        ]

    @classified(C.DOCUMENTS, description="Documents joined to the case, oldest first.")
    def documents(self) -> list[Document]:
        return documents(self.row.get("documents") or (), self.seen)

    @classified(C.CASE)
    def closure(self) -> Closure | None:
        ended = self.row["stopped_on"] or self.row["completed_on"]
        return Closure.from_row(self.row, self.seen) if ended else None


def case_of(row: CaseFileRow, seen_by: Seen, rights: CaseFileRow | None = None) -> Case:
    """The case of ``row`` as ``seen_by``'s viewer sees it, with the consent recorded on
    ``rights``: the case as it is now (default: ``row`` itself). A past state of the case is
    shown with today's consent, never with the consent it had then (DESIGN §6)."""
    consent = bool((row if rights is None else rights)["landlord_consent"])
    return Case(row=row, seen=Seen(seen_by.viewer, consent=consent))
