"""Each role's home at ``/``: its own work first, from GraphQL queries only.

``home(request)`` asks ``me`` who is logged in, then runs that role's query (``QUERIES``)
and shapes what it returns for ``home.html`` (``SHAPERS``). Everything shown is what the
API returned to this viewer: a field it may not see is ``null`` and shows as nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from fastapi import Request
from starlette.responses import Response

from aspe.domain.local_time import day_of
from aspe.portal import work_list
from aspe.portal.actions import ActionForm
from aspe.portal.commission import AGENDA_CASE_FIELDS
from aspe.portal.gql import GraphQLFailure, execute
from aspe.portal.new_case import DIRECTORY_FIELDS, new_case_form
from aspe.portal.pages import CHROME, redirect, render
from aspe.settings import Settings

Data = dict[str, Any]

WEEK = """weeklyCompliance { isoWeek monday requiredVisits requiredHomeVisits visits homeVisits
  compliant }"""

LIST_VARIABLES = """$after: String, $search: String, $status: CaseStatus, $referentId: ID,
  $measureType: MeasureType, $withOpenAlert: Boolean, $sort: CaseSort"""
LIST_ARGUMENTS = """first: 50, after: $after, search: $search, status: $status,
  referentId: $referentId, measureType: $measureType, withOpenAlert: $withOpenAlert,
  sort: $sort"""

REFERENT_QUERY = f"""
query ReferentHome($me: ID!, {LIST_VARIABLES}) {{
  {CHROME}
  landlords {{ id name }}
  measures: cases(referentId: $me, first: 50) {{
    edges {{ node {{
      id status referentId silentDays
      household {{ name }}
      {WEEK}
    }} }}
  }}
  cases({LIST_ARGUMENTS}) {{
    edges {{ node {{
      id status referentId openedOn
      household {{ name city }}
      decision {{ measureType startsOn endsOn }}
    }} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
"""

MANAGER_QUERY = f"""
query ManagerHome({LIST_VARIABLES}) {{
  {CHROME}
  {DIRECTORY_FIELDS}
  cases({LIST_ARGUMENTS}) {{
    edges {{ node {{
      id status referentId openedOn silentDays
      household {{ name city }}
      decision {{ measureType endsOn }}
    }} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
  alerts {{ raisedOn silentDays case {{ id household {{ name }} }} }}
}}
"""

SPSLH_QUERY = f"""
query SpslhHome {{
  {CHROME}
  toRegister: cases(status: SUBMITTED, first: 50) {{
    edges {{ node {{
      id status household {{ name city }}
      request {{ submittedOn aidRequested rentArrears proposedMeasure proposedDurationMonths }}
    }} }}
    pageInfo {{ hasNextPage }}
  }}
  active: cases(status: ACTIVE, first: 50) {{
    edges {{ node {{
      id household {{ name city }}
      ceop {{ version signedOn transmittedOn }}
    }} }}
    pageInfo {{ hasNextPage }}
  }}
  alerts {{ raisedOn silentDays case {{ id household {{ name city }} }} }}
}}
"""

COMMISSION_QUERY = f"""
query CommissionHome {{
  {CHROME}
  commissionAgenda {{ {AGENDA_CASE_FIELDS} }}
  alerts {{ raisedOn silentDays case {{ id household {{ name city }} }} }}
}}
"""

LANDLORD_QUERY = f"""
query LandlordHome {{
  {CHROME}
  landlordTenancies {{
    id status landlordConsent
    household {{ name street postcode city }}
    decision {{ measureType durationMonths startsOn endsOn }}
    ceop {{ signedOn }}
    closure {{ stoppedOn completedOn stopReason }}
  }}
}}
"""

HOUSEHOLD_QUERY = f"""
query HouseholdHome {{
  {CHROME}
  cases(first: 5) {{
    edges {{ node {{
      id status openedOn
      request {{ submittedOn commissionSessionOn }}
      decision {{ decidedOn measureType durationMonths startsOn endsOn }}
      ceop {{
        version signedOn
        objectives {{ id theme label progress }}
        steps {{ label dueOn }}
        signatures {{ signatory signedOn }}
      }}
      visits {{ id plannedAt occurredOn state }}
      closure {{ stoppedOn completedOn }}
    }} }}
  }}
}}
"""

AUDITOR_QUERY = f"""
query AuditorHome {{
  {CHROME}
  cases(first: 20) {{
    edges {{ node {{ id status openedOn }} }}
  }}
}}
"""

CHROME_QUERY = f"query Home {{ {CHROME} }}"

QUERIES: dict[str, str] = {
    "REFERENT": REFERENT_QUERY,
    "ASSOCIATION_MANAGER": MANAGER_QUERY,
    "SPSLH_AGENT": SPSLH_QUERY,
    "COMMISSION_MEMBER": COMMISSION_QUERY,
    "LANDLORD": LANDLORD_QUERY,
    "HOUSEHOLD": HOUSEHOLD_QUERY,
    "AUDITOR": AUDITOR_QUERY,
}
PAGED = frozenset({"REFERENT", "ASSOCIATION_MANAGER"})
UUID_PATTERN = re.compile(
    r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"
)
MEASURE_STATUSES = frozenset({"GRANTED", "ACTIVE"})


def nodes(connection: Data | None) -> list[Data]:
    return [edge["node"] for edge in (connection or {}).get("edges", [])]


def today_of(request: Request) -> date:
    """The date where the people are (``ASPE_TIMEZONE``)."""
    now: datetime = request.app.state.clock()
    settings: Settings = request.app.state.settings
    return day_of(now, settings.zone)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_status(case: Data, today: date) -> tuple[Data | None, Data | None]:
    """This week's compliance row, and the last complete week's (``None`` when absent)."""
    weeks = case.get("weeklyCompliance") or []
    monday = _monday(today).isoformat()
    current = next((week for week in weeks if week["monday"] == monday), None)
    past = [week for week in weeks if week["monday"] < monday]
    return current, (past[-1] if past else None)


def _due(week: Data | None) -> int:
    if week is None:
        return 0
    return max(0, (week["requiredVisits"] or 0) - (week["visits"] or 0))


def shape_referent(request: Request, data: Data) -> Data:
    today = today_of(request)
    threshold = max(1, request.app.state.settings.silent_days_before_alert // 2)
    due, shortfalls, silent = [], [], []
    for case in nodes(data["measures"]):
        if case["status"] not in MEASURE_STATUSES:
            continue
        current, last = week_status(case, today)
        if _due(current):
            due.append({"case": case, "week": current, "missing": _due(current)})
        if last is not None and last["compliant"] is False:
            shortfalls.append({"case": case, "week": last})
        if (case.get("silentDays") or 0) >= threshold:
            silent.append(case)
    silent.sort(key=lambda case: -(case.get("silentDays") or 0))
    return {
        "cases": nodes(data["cases"]),
        "visits_due": due,
        "shortfalls": shortfalls,
        "silent": silent,
        "silent_threshold": threshold,
        "alert_days": request.app.state.settings.silent_days_before_alert,
        "page_info": data["cases"]["pageInfo"],
    }


def shape_manager(request: Request, data: Data) -> Data:
    cases = nodes(data["cases"])
    names = referent_names(data)
    by_referent: dict[str, list[Data]] = {}
    for case in cases:
        by_referent.setdefault(case.get("referentId") or "", []).append(case)
    groups = [
        {"referent_id": referent, "referent_name": names.get(referent), "cases": items}
        for referent, items in sorted(by_referent.items(), key=lambda item: -len(item[1]))
    ]
    return {
        "cases": cases,
        "groups": groups,
        "referents": [  # those a case is entrusted to (R10)
            person
            for person in data.get("colleagues") or []
            if person["role"] == "REFERENT" and person["qualifiedReferent"]
        ],
        "alerts": data["alerts"],
        "page_info": data["cases"]["pageInfo"],
    }


def referent_names(data: Data) -> dict[str, str]:
    """The association's staff by id (the ``colleagues`` query): whom a case is entrusted to."""
    return {person["id"]: person["name"] for person in data.get("colleagues") or []}


def shape_spslh(request: Request, data: Data) -> Data:
    received = [
        case for case in nodes(data["active"]) if (case.get("ceop") or {}).get("transmittedOn")
    ]
    received.sort(key=lambda case: case["ceop"]["transmittedOn"], reverse=True)
    return {
        "to_register": nodes(data["toRegister"]),
        "more_to_register": data["toRegister"]["pageInfo"]["hasNextPage"],
        "ceops_received": received,
        "alerts": data["alerts"],
    }


def shape_commission(request: Request, data: Data) -> Data:
    sessions: dict[str, list[Data]] = {}
    for case in data["commissionAgenda"]:
        session = ((case.get("request") or {}).get("commissionSessionOn")) or ""
        sessions.setdefault(session, []).append(case)
    return {
        "sessions": [
            {"on": session or None, "cases": items} for session, items in sorted(sessions.items())
        ],
        "alerts": data["alerts"],
    }


def shape_landlord(request: Request, data: Data) -> Data:
    return {"tenancies": data["landlordTenancies"]}


def shape_household(request: Request, data: Data) -> Data:
    now: datetime = request.app.state.clock()
    cases = nodes(data["cases"])
    for case in cases:
        planned = [
            visit
            for visit in case.get("visits") or []
            if visit.get("state") == "PLANNED"
            and visit.get("plannedAt")
            and datetime.fromisoformat(visit["plannedAt"]) >= now
        ]
        case["next_visits"] = sorted(planned, key=lambda visit: visit["plannedAt"])[:5]
    return {"cases": cases}


def shape_auditor(request: Request, data: Data) -> Data:
    return {"recent": nodes(data["cases"])}


SHAPERS: dict[str, Callable[[Request, Data], Data]] = {
    "REFERENT": shape_referent,
    "ASSOCIATION_MANAGER": shape_manager,
    "SPSLH_AGENT": shape_spslh,
    "COMMISSION_MEMBER": shape_commission,
    "LANDLORD": shape_landlord,
    "HOUSEHOLD": shape_household,
    "AUDITOR": shape_auditor,
}


async def home(
    request: Request, failed: ActionForm | None = None, status_code: int = 200
) -> Response:
    """The viewer's home: its role's query, shaped for ``home.html``. Association staff get
    the « Nouveau ménage » form (``failed``: that form refused, with its values and errors)."""
    who = await execute(request, CHROME_QUERY)
    role = who["me"]["role"]
    if role == "AUDITOR" and "dossier" in request.query_params:
        return await _search(request, request.query_params["dossier"], who)
    query = QUERIES.get(role)
    if query is None:  # the administrator, and any role without a workspace
        return await render(request, "home.html", {"role": role}, data=who)
    search = work_list.WorkListSearch.of(request, role) if role in PAGED else None
    variables = search.variables(who["me"]["id"]) if search else {}
    for _ in range(len(work_list.API_FIELDS) + 1):
        try:
            data = await execute(request, query, variables)
            break
        except GraphQLFailure as refused:  # the list read again without the value refused
            if search is None or refused.code != "INVALID_INPUT" or search.errors_of(refused):
                raise
            search = search.refused(refused)
            variables = search.variables(who["me"]["id"])
            status_code = 400
    context = {"role": role, **SHAPERS[role](request, data), "search": search}
    context["work_list"] = work_list
    context["new_case"] = failed or new_case_form(role, data)
    return await render(request, "home.html", context, data=data, status_code=status_code)


async def _search(request: Request, text: str, who: Data) -> Response:
    case_id = text.strip()
    if UUID_PATTERN.match(case_id):
        return redirect(f"/dossiers/{case_id.lower()}")
    data = await execute(request, AUDITOR_QUERY)
    context = {
        "role": "AUDITOR",
        "search_error": "Saisissez l'identifiant complet du dossier "
        "(32 chiffres hexadécimaux, par exemple 0f1e2d3c-…).",
        "search_value": text,
        **shape_auditor(request, data),
    }
    return await render(request, "home.html", context, data=data, status_code=400)
