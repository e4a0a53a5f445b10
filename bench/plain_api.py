"""The ASPE app plus two plain JSON endpoints, the referent of ``graphql_load.py``.

``GET /plain/cases/{id}`` and ``GET /plain/cases?first=20&after=…`` answer exactly what the
benchmark's two GraphQL queries answer (``data.case`` and ``data.cases``), from the same read
models, with the same bearer token, the same case check (``may_see_case``, ``case_scope``),
the same field categories and item filters, and the same access-log entry for a case read
(``case_detail``), but without GraphQL: one sync FastAPI endpoint each (run in the thread
pool), a dict built from the rows and returned as JSON.

Served next to ``/graphql`` in one process, settings from the ``ASPE_*`` environment:
``uvicorn --app-dir bench --factory plain_api:create_bench_app``.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, FastAPI, HTTPException, Query, Request

from aspe.access_log.recording import record_read
from aspe.api import create_app
from aspe.authorization import C, Category, Viewer, case_scope, may_see_case, may_see_item
from aspe.domain.reads import ReadKind
from aspe.graphql.errors import InvalidToken
from aspe.graphql.identity import viewer_from_local_token
from aspe.graphql.permissions import Seen
from aspe.graphql.queries import CaseSort, cursor_of
from aspe.graphql.types import money
from aspe.projections import rent_ledger, visit_compliance
from aspe.projections.case_file import (
    CaseFilter,
    CaseOrder,
    case_file,
    case_list,
    position_in,
)
from aspe.projections.tables import Row
from aspe.settings import Settings

Json = dict[str, Any]

router = APIRouter(prefix="/plain")


def create_bench_app() -> FastAPI:
    """``create_app`` from the environment's settings, with the plain routes added."""
    app = create_app(Settings())
    app.include_router(router)
    return app


# --------------------------------------------------------------------- endpoints
@router.get("/cases/{case_id}")
def case_detail(case_id: str, request: Request) -> Json:
    """The fields of ``graphql_load.CASE_QUERY``'s ``case``."""
    detail = case_detail_for(request.app.state, _viewer(request), case_id)
    if detail is None:
        raise HTTPException(status_code=404, detail="Dossier introuvable.")
    return detail


def case_detail_for(state: Any, viewer: Viewer, case_id: str) -> Json | None:
    """``case_detail``'s answer for ``viewer`` on the app's ``state``; ``None`` for a case it
    may not see (``graphql_layers.py`` calls it without HTTP). The read is recorded in the
    access log, as GraphQL's ``case`` records it: serving a case's personal data owes it."""
    row = case_file(state.projector.model("case_file").view, _normalised(case_id))
    if row is None or not may_see_case(viewer, row):
        return None
    seen = Seen(viewer, consent=bool(row["landlord_consent"]))
    key = row["case_id"]
    record_read(state.settings, viewer, key, ReadKind.CASE, state.clock())
    ledger = (
        rent_ledger.ledger(state.projector.model("rent_ledger").view, key)
        if seen.allows(C.RENT)
        else None
    )
    weeks = (
        visit_compliance.weekly_compliance(
            state.projector.model("visit_compliance").view, key, state.clock().date()
        )
        if seen.allows(C.VISIT_COUNTS)
        else []
    )
    return detail_of(row, seen, ledger, weeks)


@router.get("/cases")
def caseload(
    request: Request,
    first: Annotated[int, Query()] = 20,
    after: Annotated[str | None, Query()] = None,
) -> Json:
    """The fields of ``graphql_load.CASELOAD_QUERY``'s ``cases``: one page, oldest first."""
    viewer, settings = _viewer(request), request.app.state.settings
    if not 1 <= first <= settings.graphql_max_page_size:
        raise HTTPException(status_code=400, detail="« first » hors limites.")
    view = _view(request, "case_file")
    position = _position(view, viewer, after)
    scope = case_scope(viewer)
    rows = (
        []
        if scope is None
        else case_list(view, CaseFilter(where=scope), CaseOrder.OPENED_ON, position, first + 1)
    )
    page = rows[:first]
    return {
        "edges": [{"node": line_of(row, viewer)} for row in page],
        "pageInfo": {
            "hasNextPage": len(rows) > first,
            "endCursor": cursor_of(CaseSort.OPENED_ON, page[-1]["case_id"]) if page else None,
        },
    }


def _position(view: Any, viewer: Viewer, cursor: str | None) -> list[Any] | None:
    """``queries.position_of``'s checks, synchronously: the sort values of the visible case a
    cursor of the default sort names."""
    if cursor is None:
        return None
    refused = HTTPException(status_code=400, detail="Le curseur de pagination est invalide.")
    try:
        order, case_id = json.loads(base64.urlsafe_b64decode(cursor.encode()).decode())
        case_id = str(UUID(case_id))
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError, AttributeError):
        raise refused from None
    row = case_file(view, case_id)
    if order != CaseSort.OPENED_ON.value or row is None or not may_see_case(viewer, row):
        raise refused
    return position_in(row, CaseOrder.OPENED_ON)


# ----------------------------------------------------------------- rows to JSON
def detail_of(
    row: Row,
    seen: Seen,
    ledger: rent_ledger.Ledger | None,
    weeks: Sequence[visit_compliance.WeekCompliance],
) -> Json:
    ceop = row["ceop"]
    return {
        "id": _shown(seen, C.CASE, row["case_id"]),
        "status": _shown(seen, C.CASE, row["status"]),
        "household": _shown(
            seen,
            C.CASE,
            {
                column: _shown(seen, C.HOUSEHOLD_NAME_ADDRESS, row[source])
                for column, source in (
                    ("name", "household_name"),
                    ("street", "street"),
                    ("postcode", "postcode"),
                    ("city", "city"),
                )
            },
        ),
        "decision": _shown(seen, C.CASE, _decision(row, seen) if row["granted"] else None),
        "ceop": _shown(seen, C.CASE, None if ceop is None else _ceop(ceop, seen)),
        "visits": [
            {
                "occurredOn": _shown(seen, C.VISIT_DATES, visit["occurred_on"]),
                "kind": _shown(seen, C.VISITS, visit["kind"]),
            }
            for visit in _items(seen, C.VISIT_DATES, row["visits"] or ())
        ],
        "rentLedger": None
        if ledger is None
        else {
            "totalDue": _shown(seen, C.RENT, str(money(ledger.total_due))),
            "totalPaid": _shown(seen, C.RENT, str(money(ledger.total_paid))),
        },
        "weeklyCompliance": [
            {
                "isoWeek": _shown(seen, C.VISIT_COUNTS, week.iso_week),
                "compliant": _shown(seen, C.VISIT_COUNTS, week.compliant),
            }
            for week in weeks
        ],
    }


def _decision(row: Row, seen: Seen) -> Json:
    return {
        "measureType": _shown(seen, C.DECISION, row["measure_type"]),
        "startsOn": _shown(seen, C.DECISION, row["starts_on"]),
        "endsOn": _shown(seen, C.DECISION, row["ends_on"]),
    }


def _ceop(ceop: Mapping[str, Any], seen: Seen) -> Json:
    return {
        "version": _shown(seen, C.CEOP, ceop["version"]),
        "signedOn": _shown(seen, C.CEOP_SIGNATURE_DATE, ceop.get("signed_on")),
        "objectives": [
            {
                "label": _shown(seen, C.CEOP, item["label"]),
                "progress": _shown(seen, C.CEOP, item.get("progress")),
            }
            for item in _items(seen, C.CEOP, ceop["objectives"])
        ],
    }


def line_of(row: Row, viewer: Viewer) -> Json:
    """A case of the caseload: id, status, household name, end of the measure."""
    seen = Seen(viewer, consent=bool(row["landlord_consent"]))
    decision = {"endsOn": _shown(seen, C.DECISION, row["ends_on"])} if row["granted"] else None
    return {
        "id": _shown(seen, C.CASE, row["case_id"]),
        "status": _shown(seen, C.CASE, row["status"]),
        "household": _shown(
            seen, C.CASE, {"name": _shown(seen, C.HOUSEHOLD_NAME_ADDRESS, row["household_name"])}
        ),
        "decision": _shown(seen, C.CASE, decision),
    }


def _shown(seen: Seen, category: Category, value: Any) -> Any:
    """``value`` if the viewer may see ``category`` (as ``permissions.Classified`` decides)."""
    return value if seen.allows(category) else None


def _items(seen: Seen, category: Category, items: Sequence[Mapping[str, Any]]) -> list[Any]:
    if not seen.allows(category):
        return []
    return [item for item in items if may_see_item(seen.viewer, category, item)]


# -------------------------------------------------------------------- plumbing
def _viewer(request: Request) -> Viewer:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(status_code=401, detail="Authentification requise.")
    try:
        state = request.app.state
        return viewer_from_local_token(
            state.application, state.settings, token.strip(), state.clock()
        )
    except InvalidToken:
        raise HTTPException(status_code=401, detail="Jeton invalide.") from None


def _view(request: Request, name: str) -> Any:
    return request.app.state.projector.model(name).view


def _normalised(case_id: str) -> str:
    try:
        return str(UUID(case_id))
    except ValueError:
        return ""
