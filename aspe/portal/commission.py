"""The commission's sessions: the choices of the registration form, and the printable
agenda of one session (``/commission/seance?date=…``).

A session is a day the commission meets: GraphQL's ``commissionSessions`` lists the next
ones (the weekly day of the settings, and any later day a request is registered on). The
printable page lists the requests on one session's agenda as ``commissionAgenda(sessionOn)``
returns them to the viewer, laid out for paper (``@media print`` in ``aspe.css``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from aspe import french
from aspe.portal.gql import execute
from aspe.portal.pages import CHROME, error_page, render

AGENDA_CASE_FIELDS = """
    id status
    household { name city members }
    request {
      submittedOn commissionSessionOn rentArrears aidRequested monthlyRent
      proposedMeasure proposedDurationMonths
      adjournments { on reason }
    }
    diagnostic { findings { theme difficulty } objectives { theme label } }
"""
"""What the commission reads of a request on its agenda (``commission/demande.html``), on
its home and on a session's printable page."""

SESSION_QUERY = f"""
query CommissionSession($on: Date!) {{
  {CHROME}
  commissionAgenda(sessionOn: $on) {{ {AGENDA_CASE_FIELDS} }}
}}
"""


def session_choices(data: Mapping[str, Any]) -> dict[str, Any]:
    """The next sessions (``commissionSessions`` of ``data``) as a form's choices, under
    ``sessions``: ``(ISO day, « jeudi 10 décembre 2026 »)``."""
    days = data.get("commissionSessions") or ()
    return {"sessions": tuple((day, french.weekday(date.fromisoformat(day))) for day in days)}


async def session_page(request: Request) -> Response:
    asked = request.query_params.get("date", "")
    try:
        session_on = date.fromisoformat(asked)
    except ValueError:
        return await error_page(
            request,
            400,
            "Séance introuvable",
            "Indiquez la date de la séance au format AAAA-MM-JJ, ou choisissez-la depuis "
            "l'ordre du jour de l'accueil.",
        )
    data = await execute(request, SESSION_QUERY, {"on": session_on.isoformat()})
    context = {"session_on": session_on, "cases": data["commissionAgenda"]}
    return await render(request, "commission_seance.html", context, data=data)


def register(router: APIRouter) -> None:
    router.add_api_route(
        "/commission/seance", session_page, methods=["GET"], include_in_schema=False
    )
