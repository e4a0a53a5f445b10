"""The household's data to download (right of access, GDPR art. 15): JSON and PDF.

Both come from the API's ``householdData``, run as the session's viewer (the household, or
on its behalf its referent): what it holds, and who may have it, the API decides. The PDF
writes every value in French (``aspe.french``); the JSON is the API's answer as it is.
Routes: ``/mes-donnees.{json,pdf}`` (the household's own) and
``/dossiers/{id}/donnees-menage.{json,pdf}`` (the household of a case, for who may).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from aspe.portal.actions import CASE_ID
from aspe.portal.gql import GraphQLFailure, execute
from aspe.portal.household_data_pdf import household_data_pdf
from aspe.portal.pages import PageNotFound, case_not_found

EXPORT_QUERY = "query HouseholdData($id: ID) { householdData(householdId: $id) }"
CASE_QUERY = "query ExportOf($id: ID!) { case(id: $id) { householdId mayDownloadHouseholdData } }"
REFUSED = ("NOT_FOUND", "NOT_AUTHORISED")


async def household_data(request: Request, household_id: str | None) -> dict[str, Any]:
    """``householdData`` as the viewer may have it; 404 when the API refuses it."""
    try:
        data = await execute(request, EXPORT_QUERY, {"id": household_id})
    except GraphQLFailure as failure:
        if failure.code in REFUSED:
            raise PageNotFound("Données introuvables", failure.message) from None
        raise
    export: dict[str, Any] = data["householdData"]
    return export


async def household_of_case(request: Request, case_id: str) -> str:
    """The household of a case whose data the viewer may download (else 404)."""
    if not CASE_ID.match(case_id):
        raise case_not_found()
    case: Mapping[str, Any] | None = (await execute(request, CASE_QUERY, {"id": case_id}))["case"]
    if case is None or not case.get("mayDownloadHouseholdData"):
        raise case_not_found()
    return str(case["householdId"])


def as_json(export: Mapping[str, Any]) -> Response:
    content = json.dumps(export, ensure_ascii=False, indent=2)
    return _download(content.encode(), "application/json", _filename(export, "json"))


def as_pdf(request: Request, export: Mapping[str, Any]) -> Response:
    content = household_data_pdf(export, request.app.state.settings.zone)
    return _download(content, "application/pdf", _filename(export, "pdf"))


def _filename(export: Mapping[str, Any], extension: str) -> str:
    return f"donnees-menage-{str(export.get('householdId', ''))[:8]}.{extension}"


def _download(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


def register(router: APIRouter) -> None:
    @router.get("/mes-donnees.json", include_in_schema=False)
    async def own_json(request: Request) -> Response:
        return as_json(await household_data(request, None))

    @router.get("/mes-donnees.pdf", include_in_schema=False)
    async def own_pdf(request: Request) -> Response:
        return as_pdf(request, await household_data(request, None))

    @router.get("/dossiers/{case_id}/donnees-menage.json", include_in_schema=False)
    async def case_json(request: Request, case_id: str) -> Response:
        household = await household_of_case(request, case_id)
        return as_json(await household_data(request, household))

    @router.get("/dossiers/{case_id}/donnees-menage.pdf", include_in_schema=False)
    async def case_pdf(request: Request, case_id: str) -> Response:
        household = await household_of_case(request, case_id)
        return as_pdf(request, await household_data(request, household))
