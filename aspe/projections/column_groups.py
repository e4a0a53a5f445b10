"""Groups of columns that several read models hold, each declared once with what fills it.

Most groups are the columns one event fills (the FPEL request, the commission's grant, the
measure's dates, its stop, the final report): a row type holds a group by inheriting it
(``TypedDict`` bases: the group's columns come first, then the row type's own), and its
handlers take the group's values from the function beside it, so the same event is written
the same way in every table that keeps it. Where several read models handle a run of
events alike (a measure's extension, stop and completion), a base class holds the handlers
(``EndsMeasures``) and each read model names the table they write.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, TypedDict

from aspe.domain.case import Case
from aspe.domain.values import Address
from aspe.projections.readmodel import ReadModel, cents, handles, text, update_case
from aspe.projections.tables import Table
from aspe.projections.view import Changes, Rows


class CaseColumns(TypedDict):
    """A case and the association that follows it (``Case.Opened``)."""

    case_id: str
    association_id: str


def case_columns(event: Case.Opened) -> CaseColumns:
    return {"case_id": str(event.originator_id), "association_id": str(event.association_id)}


class CasePartyColumns(CaseColumns):
    """A case and who its parties are (``Case.Opened``; the referent changes later)."""

    referent_id: str
    household_id: str
    landlord_id: str


def case_party_columns(event: Case.Opened) -> CasePartyColumns:
    return {
        **case_columns(event),
        "referent_id": str(event.referent_id),
        "household_id": str(event.household_id),
        "landlord_id": str(event.landlord_id),
    }


class AddressColumns(TypedDict):
    """A household's postal address (``Household.Registered``)."""

    street: str | None
    postcode: str | None
    city: str | None


ADDRESS_COLUMNS = tuple(AddressColumns.__annotations__)


def address_columns(address: Address) -> AddressColumns:
    return {"street": address.street, "postcode": address.postcode, "city": address.city}


class AidRequestColumns(TypedDict):
    """The FPEL aid request and the measure the association proposes (``Case.RequestSubmitted``)."""

    rent_arrears_cents: int | None
    aid_requested_cents: int | None
    monthly_rent_cents: int | None
    proposed_measure: str | None
    proposed_duration_months: int | None


def aid_request_columns(event: Case.RequestSubmitted) -> AidRequestColumns:
    aid = event.aid_request
    return {
        "rent_arrears_cents": cents(aid.rent_arrears),
        "aid_requested_cents": cents(aid.amount_requested),
        "monthly_rent_cents": cents(aid.monthly_rent),
        "proposed_measure": event.proposed_measure.name,
        "proposed_duration_months": event.proposed_duration_months,
    }


class RegistrationColumns(TypedDict):
    """The request's registration for a commission session (``Case.RequestRegistered``)."""

    registered_on: str | None
    commission_session_on: str | None


def registration_columns(event: Case.RequestRegistered) -> RegistrationColumns:
    return {
        "registered_on": text(event.registered_on),
        "commission_session_on": text(event.commission_session_on),
    }


class GrantColumns(TypedDict):
    """The measure the commission granted (``Case.MeasureGranted``); ``decided_on`` is also
    the day of a rejection, the other decision."""

    decided_on: str | None
    measure_type: str | None
    duration_months: int | None
    probation_months: int | None
    aid_granted_cents: int | None


def grant_columns(event: Case.MeasureGranted) -> GrantColumns:
    return {
        "decided_on": text(event.decided_on),
        "measure_type": event.measure_type.name,
        "duration_months": event.duration_months,
        "probation_months": event.probation_months,
        "aid_granted_cents": cents(event.aid_granted),
    }


class MeasureDatesColumns(TypedDict):
    """The measure's first and last day, set when its CEOP is signed (``Case.CeopSigned``)."""

    starts_on: str | None
    ends_on: str | None


def measure_dates_columns(event: Case.CeopSigned) -> MeasureDatesColumns:
    return {"starts_on": text(event.starts_on), "ends_on": text(event.ends_on)}


def extension_columns(measure: Mapping[str, Any], event: Case.MeasureExtended) -> dict[str, Any]:
    """A measure's row extended by ``event``: its new last day, and its duration lengthened."""
    return {
        "ends_on": text(event.ends_on),
        "duration_months": (measure["duration_months"] or 0) + event.additional_months,
    }


def extend_measure(rows: Rows[Any], event: Case.MeasureExtended) -> None:
    """The ``extension_columns`` of the case's measure, in its row of ``rows`` if any."""
    measure = rows.get(str(event.originator_id))
    if measure is not None:
        rows.put({**measure, **extension_columns(measure, event)})


ClosingEvent = Case.RequestRejected | Case.MeasureStopped | Case.MeasureCompleted
"""The events that close a case: its request rejected, its measure stopped or completed."""


def closed_on(event: ClosingEvent) -> str | None:
    """The day a case closes: its request's rejection, or its measure's stop or completion."""
    if isinstance(event, Case.RequestRejected):
        return text(event.rejected_on)
    return text(event.stopped_on if isinstance(event, Case.MeasureStopped) else event.completed_on)


class StopColumns(TypedDict):
    """The measure's stop, by the reason's category only (``Case.MeasureStopped``; its
    ``details`` are free text, for the readers that may see them)."""

    stopped_on: str | None
    stop_reason: str | None


def stop_columns(event: Case.MeasureStopped) -> StopColumns:
    return {"stopped_on": text(event.stopped_on), "stop_reason": event.reason.name}


class EndsMeasures(ReadModel):
    """A read model whose ``measure_rows`` hold a measure's end (``MeasureDatesColumns``,
    ``StopColumns``, ``completed_on``): its extension, stop and completion reach them."""

    measure_rows: ClassVar[Table[Any]]

    @handles(Case.MeasureExtended)
    def extended(self, event: Case.MeasureExtended, changes: Changes) -> None:
        extend_measure(changes.of(self.measure_rows), event)

    @handles(Case.MeasureStopped)
    def stopped(self, event: Case.MeasureStopped, changes: Changes) -> None:
        """The reason's category only: the commission's ``details`` stay out."""
        update_case(changes.of(self.measure_rows), event, **stop_columns(event))

    @handles(Case.MeasureCompleted)
    def completed(self, event: Case.MeasureCompleted, changes: Changes) -> None:
        update_case(changes.of(self.measure_rows), event, completed_on=text(event.completed_on))


class FinalReportColumns(TypedDict):
    """The final report's date and outcome (``Case.FinalReportSubmitted``; its summary is
    free text, for the readers that may see it)."""

    final_report_on: str | None
    household_still_housed: bool | None


def final_report_columns(event: Case.FinalReportSubmitted) -> FinalReportColumns:
    return {
        "final_report_on": text(event.submitted_on),
        "household_still_housed": event.household_still_housed,
    }


class RequestCourseColumns(
    AidRequestColumns,
    RegistrationColumns,
    GrantColumns,
    MeasureDatesColumns,
    StopColumns,
    FinalReportColumns,
):
    """An FPEL request from its submission to its measure's final report, as the case file
    and the SPSLH register both keep it: ``None`` until the event that fills a column."""

    submitted_on: str | None
    decision_notified_on: str | None
    completed_on: str | None
