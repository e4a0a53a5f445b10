"""``householdData``: all a household's data, as JSON (GDPR art. 15, the right of access).

Who may ask is ``authorization.may_export_household_data``: the household, or on its behalf
its referent or their association's manager. Whoever asks, the cases are read through this
same schema *as the household* (``authorization.EXPORT_VIEWPOINT``), so the export holds
exactly what DESIGN §6 lets the household see, and ``withheld`` names what it leaves out
(notes, concertations, alerts…). The history of its details comes from its events.
"""

from __future__ import annotations

import dataclasses
from typing import Any, cast
from uuid import UUID

import strawberry
from starlette.concurrency import run_in_threadpool
from strawberry.scalars import JSON
from strawberry.types import Info

from aspe.application.household_data import DetailsVersion, details_history
from aspe.authorization import (
    EXPORT_ROLES,
    EXPORT_VIEWPOINT,
    C,
    Viewer,
    may_export_household_data,
    withheld_from_export,
)
from aspe.domain.actors import Role
from aspe.domain.errors import NotAuthorised, NotFound
from aspe.domain.household import HOUSEHOLD_NOT_FOUND
from aspe.graphql.inputs import uuid_of
from aspe.graphql.permissions import classified
from aspe.graphql.reading import viewer_of
from aspe.projections.case_file import CaseFileRow, case_page

CASE_FIELDS = """
  id status openedOn landlordConsent
  household { name street postcode city contact members }
  diagnostic { recordedOn findings { theme difficulty } objectives { theme label action } }
  request {
    submittedOn rentArrears aidRequested monthlyRent proposedMeasure proposedDurationMonths
    registeredOn commissionSessionOn adjournments { on reason } rejectedOn rejectionReason
  }
  decision {
    decidedOn measureType durationMonths probationMonths aidGranted notifiedOn startsOn endsOn
  }
  ceop {
    version draftedOn signedOn transmittedOn
    objectives { theme label action progress }
    steps { label dueOn theme }
    commitments { party text theme }
    signatures { signatory signedOn }
  }
  visits { plannedAt occurredOn state }
  contacts { occurredOn }
  debts { creditor amount plan { monthlyAmount firstDueOn months } }
  documents { kind filename mediaType size attachedOn }
  closure { stoppedOn stopReason completedOn finalReportOn householdStillHoused finalReportSummary }
"""
CASES_QUERY = (
    "query HouseholdCases {{ cases(first: {first}) {{ edges {{ node {{ {fields} }} }} }} }}"
)
"""The household's cases as it sees them: run with the household as the viewer. The page's
size is written in (a variable would be costed as the largest page)."""


@strawberry.type
class HouseholdDataQueries:
    @classified(
        C.ENTRY,
        description="All the household's data as JSON (right of access): its details and "
        "their history, and its cases as the household sees them. For the household "
        "(householdId left out: its own; null for staff) or its referent or their manager.",
    )
    async def household_data(
        self, info: Info, household_id: strawberry.ID | None = None
    ) -> JSON | None:
        viewer = viewer_of(info)
        if household_id is None and viewer.role is not Role.HOUSEHOLD:
            return None  # a staff member has no household data of its own
        target = viewer.id if household_id is None else uuid_of(household_id, "de ménage")
        rows = await run_in_threadpool(_cases_of_household, info, target)
        _check_may_export(viewer, target, rows)
        history = await run_in_threadpool(details_history, info.context.application, target)
        export = {
            "householdId": str(target),
            "generatedAt": info.context.clock().isoformat(),
            "household": _details(history[-1]),
            "detailsHistory": [_version(version) for version in history],
            "cases": await _cases_as_household(info, target, len(rows)),
            "withheld": [category.name for category in withheld_from_export()],
        }
        return cast(JSON, export)


def _check_may_export(viewer: Viewer, household_id: UUID, rows: list[CaseFileRow]) -> None:
    if viewer.role not in EXPORT_ROLES:
        raise NotAuthorised()
    if not may_export_household_data(viewer, household_id, rows):
        raise NotFound(HOUSEHOLD_NOT_FOUND)


def _cases_of_household(info: Info, household_id: UUID) -> list[CaseFileRow]:
    view = info.context.projector.model("case_file").view
    limit = info.context.settings.graphql_max_page_size
    return case_page(view, {"household_id": str(household_id)}, None, limit)


async def _cases_as_household(info: Info, household_id: UUID, count: int) -> list[dict[str, Any]]:
    """Its ``count`` cases (one at a time, R9: a few in all), read as the household."""
    if count == 0:
        return []
    household = Viewer(household_id, EXPORT_VIEWPOINT)
    context = dataclasses.replace(info.context, viewer=household)
    query = CASES_QUERY.format(first=int(count), fields=CASE_FIELDS)
    result = await info.schema.execute(query, context_value=context)
    if result.errors:
        raise result.errors[0]
    data: dict[str, Any] = result.data or {}
    return [edge["node"] for edge in data["cases"]["edges"]]


def _details(version: DetailsVersion) -> dict[str, Any]:
    address = version.address
    return {
        "name": version.name,
        "street": address.street,
        "postcode": address.postcode,
        "city": address.city,
        "contact": version.contact,
        "members": version.members,
    }


def _version(version: DetailsVersion) -> dict[str, Any]:
    return {
        "from": version.at.isoformat(),
        "corrected": list(version.corrected),
        **_details(version),
    }
