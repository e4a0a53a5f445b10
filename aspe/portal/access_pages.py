"""Who read what, in the portal: the auditor's search of the access log
(``/journal-des-acces``) and a household's « Qui a consulté mon dossier »
(``/dossiers/{id}/acces``). Both read the API's ``accessLog`` / ``caseAccesses``; who may
is ``aspe.authorization``'s (the API answers null, or an empty list, to anyone else)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from starlette.responses import Response

from aspe.authorization import C, allows
from aspe.domain.actors import Role
from aspe.portal.actions import CASE_ID
from aspe.portal.gql import NOT_RECORDED, GraphQLFailure, execute
from aspe.portal.pages import CHROME, Forbidden, case_not_found, render

LOG_QUERY = f"""
query AccessLog($account: ID, $case: ID, $since: DateTime, $until: DateTime,
                $after: String) {{
  {CHROME}
  accessLog(accountId: $account, caseId: $case, since: $since, until: $until, first: 50,
            after: $after) {{
    entries {{ at accountId accountName role organisationName caseId what reason }}
    hasNextPage endCursor
  }}
}}
"""
CASE_ACCESSES_QUERY = f"""
query CaseAccesses($id: ID!) {{
  {CHROME}
  caseAccesses(caseId: $id) {{ at role organisationName readerName what }}
}}
"""
FILTERS = ("personne", "dossier", "du", "au")
"""The search form's fields: a person's account id, a case id, the first and last day."""


def _day(text: str, name: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise ValueError(f"La date « {name} » doit être un jour (AAAA-MM-JJ).") from None


def _start_of(day: date | None, zone: ZoneInfo) -> str | None:
    """The instant a day starts where the people are (``ASPE_TIMEZONE``), for the API."""
    return None if day is None else datetime.combine(day, time(), tzinfo=zone).isoformat()


def log_variables(form: dict[str, str], zone: ZoneInfo, after: str | None) -> dict[str, Any]:
    """The API's filters from the form: the period runs from « du » to the end of « au »."""
    first, last = _day(form["du"], "du"), _day(form["au"], "au")
    return {
        "account": form["personne"] or None,
        "case": form["dossier"] or None,
        "since": _start_of(first, zone),
        "until": _start_of(last + timedelta(days=1), zone) if last else None,
        "after": after,
    }


async def access_log_page(request: Request) -> Response:
    """``GET /journal-des-acces``: the auditor's search of the access log, 50 entries a page."""
    form = {name: request.query_params.get(name, "").strip() for name in FILTERS}
    zone = request.app.state.settings.zone
    context: dict[str, Any] = {"form": form, "log": None, "error": None}
    try:
        variables = log_variables(form, zone, request.query_params.get("apres") or None)
        data = await execute(request, LOG_QUERY, variables)
    except (ValueError, GraphQLFailure) as refused:
        context["error"] = getattr(refused, "message", None) or str(refused)
        return await render(request, "journal-des-acces.html", context, status_code=400)
    if data["accessLog"] is None:
        raise Forbidden()
    context["log"] = data["accessLog"]
    context["next_query"] = {**form, "apres": data["accessLog"]["endCursor"]}
    return await render(request, "journal-des-acces.html", context, data=data)


async def case_accesses_page(request: Request, case_id: str) -> Response:
    """``GET /dossiers/{id}/acces``: who read the case (its household; the auditor)."""
    if not CASE_ID.match(case_id):
        raise case_not_found()
    data = await execute(request, CASE_ACCESSES_QUERY, {"id": case_id}, NOT_RECORDED)
    if not allows(Role[data["me"]["role"]], C.CASE_ACCESSES):
        raise Forbidden()
    if data["caseAccesses"] is None:
        raise case_not_found()
    context = {"case_id": case_id, "accesses": data["caseAccesses"]}
    return await render(request, "acces-dossier.html", context, data=data)


def register(router: APIRouter) -> None:
    router.add_api_route("/journal-des-acces", access_log_page, include_in_schema=False)
    router.add_api_route("/dossiers/{case_id}/acces", case_accesses_page, include_in_schema=False)
