"""The week's agenda (``/agenda``) and its iCalendar file (``/agenda.ics``).

The agenda lists the visits planned in one week (Monday to Sunday, Europe/Paris) across
the viewer's cases — a référent's own, a manager's association's — day by day, each with
links to its case and to recording it there, and each measure's cadence that week (the
``weeklyCompliance`` GraphQL gives). ``?semaine=`` takes any day of the week wanted.

The ``.ics`` holds the visits still planned from that week's Monday over ``ICS_WEEKS``
weeks, for a calendar application: it is downloaded with the session (no secret URL: a
link that opens without logging in would hand household names to whoever holds it). Each
event says only « Visite à domicile – Famille X », as its reader sees the household's
name; never a note, a theme or anything of health. Its UID is the visit's id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from icalendar import Calendar, Event
from jinja2 import pass_context
from jinja2.runtime import Context
from starlette.responses import Response

from aspe import french
from aspe.domain.local_time import day_of, monday_of
from aspe.domain.values import VisitKind
from aspe.french import labels
from aspe.portal.gql import execute
from aspe.portal.pages import CHROME, TEMPLATES, Forbidden, error_page, render

AGENDA_ROLES = frozenset({"REFERENT", "ASSOCIATION_MANAGER"})
"""Whose work has visits: the référent's own cases, the manager's association's."""
ICS_WEEKS = 5
"""How many weeks the ``.ics`` holds, from the agenda's week on."""
VISIT_LENGTH = timedelta(hours=1)
"""How long a visit's event lasts in a calendar (the platform records no end time)."""
MAX_PAGES = 50
"""Pages of 20 cases read at most (a thousand cases): a bound, not a rule."""
MEASURE_STATUSES = ("GRANTED", "ACTIVE")
VISIT_KINDS = labels.titles(VisitKind)

AGENDA_QUERY = f"""
query Agenda($status: CaseStatus!, $referentId: ID, $after: String) {{
  {CHROME}
  colleagues {{ id name }}
  cases(status: $status, referentId: $referentId, first: 20, after: $after) {{
    edges {{ node {{
      id status referentId
      household {{ name }}
      visits {{ id plannedAt state kind }}
      weeklyCompliance {{ monday requiredVisits requiredHomeVisits visits homeVisits compliant }}
    }} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
"""

Data = dict[str, Any]


@dataclass(frozen=True)
class AgendaVisit:
    case: Data
    visit: Data
    at: datetime  # in the platform's zone
    referent_name: str | None

    @property
    def title(self) -> str:
        """« Visite à domicile – Famille X »: the place, and the name as the viewer sees it."""
        kind = self.visit.get("kind")
        place = f"Visite {labels.names(VisitKind)[kind]}" if kind in VISIT_KINDS else "Visite"
        name = (self.case.get("household") or {}).get("name")
        return f"{place} – {name}" if name else place


@dataclass
class Week:
    monday: date
    days: list[tuple[date, list[AgendaVisit]]] = field(default_factory=list)
    cadence: list[tuple[Data, Data | None]] = field(default_factory=list)

    @property
    def previous(self) -> date:
        return self.monday - timedelta(days=7)

    @property
    def next(self) -> date:
        return self.monday + timedelta(days=7)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)


async def _measures(request: Request) -> tuple[Data, list[Data]]:
    """The viewer's chrome, colleagues and measure cases (granted or running), every page."""
    me = await execute(request, f"query Who {{ {CHROME} }}")
    role = me["me"]["role"]
    if role not in AGENDA_ROLES:
        raise Forbidden("L'agenda des visites est celui des référent·es et de leur association.")
    referent = me["me"]["id"] if role == "REFERENT" else None
    cases: list[Data] = []
    data: Data = me
    for status in MEASURE_STATUSES:
        after = None
        for _ in range(MAX_PAGES):
            variables = {"status": status, "referentId": referent, "after": after}
            data = await execute(request, AGENDA_QUERY, variables)
            cases += [edge["node"] for edge in data["cases"]["edges"]]
            after = data["cases"]["pageInfo"]["endCursor"]
            if not data["cases"]["pageInfo"]["hasNextPage"]:
                break
    return data, cases


def _week_asked(request: Request, today: date) -> date | None:
    """The Monday of the week ``?semaine=`` names (today's by default); ``None`` if it is
    no date."""
    asked = request.query_params.get("semaine")
    if not asked:
        return monday_of(today)
    try:
        return monday_of(date.fromisoformat(asked))
    except ValueError:
        return None


def _planned_between(
    cases: list[Data], start: date, end: date, zone: ZoneInfo, names: dict[str, str]
) -> list[AgendaVisit]:
    found = []
    for case in cases:
        for visit in case.get("visits") or []:
            if not visit.get("plannedAt"):
                continue
            at = datetime.fromisoformat(visit["plannedAt"]).astimezone(zone)
            if start <= at.date() < end:
                referent = names.get(case.get("referentId") or "")
                found.append(AgendaVisit(case, visit, at, referent))
    return sorted(found, key=lambda item: (item.at, item.title))


def week_of(cases: list[Data], monday: date, zone: ZoneInfo, names: dict[str, str]) -> Week:
    week = Week(monday)
    visits = _planned_between(cases, monday, monday + timedelta(days=7), zone, names)
    for offset in range(7):
        day = monday + timedelta(days=offset)
        week.days.append((day, [visit for visit in visits if visit.at.date() == day]))
    for case in sorted(cases, key=lambda case: (case.get("household") or {}).get("name") or ""):
        this_week = next(
            (
                row
                for row in case.get("weeklyCompliance") or []
                if row["monday"] == monday.isoformat()
            ),
            None,
        )
        week.cadence.append((case, this_week))
    return week


def _zone(request: Request) -> ZoneInfo:
    zone: ZoneInfo = request.app.state.settings.zone
    return zone


def _today(request: Request) -> date:
    return day_of(request.app.state.clock(), _zone(request))


@dataclass(frozen=True)
class _Asked:
    """What the page and the ``.ics`` both read: the query's data, the measure cases, the
    Monday of the week asked and the colleagues' names by id."""

    data: Data
    cases: list[Data]
    monday: date
    names: dict[str, str]


async def _asked(request: Request) -> _Asked | Response:
    """The agenda's read for the week ``?semaine=`` names, or the 400 page if it is no date."""
    data, cases = await _measures(request)
    monday = _week_asked(request, _today(request))
    if monday is None:
        return await error_page(
            request, 400, "Semaine invalide", "Indiquez un jour de la semaine au format AAAA-MM-JJ."
        )
    names = {person["id"]: person["name"] for person in data.get("colleagues") or []}
    return _Asked(data, cases, monday, names)


async def agenda_page(request: Request) -> Response:
    asked = await _asked(request)
    if isinstance(asked, Response):
        return asked
    week = week_of(asked.cases, asked.monday, _zone(request), asked.names)
    context = {
        "week": week,
        "this_week": monday_of(_today(request)),
        "role": asked.data["me"]["role"],
        "ics_weeks": ICS_WEEKS,
        "week_label": f"du {french.day(week.monday)} au {french.day(week.sunday)}",
    }
    return await render(request, "agenda.html", context, data=asked.data)


def calendar_of(visits: list[AgendaVisit], base_url: str, stamp: datetime) -> bytes:
    """The visits as an iCalendar file: one event per visit, its UID the visit's id, its
    times in UTC (a calendar shows them in its own zone), no content but the title."""
    calendar = Calendar()
    calendar.add("prodid", "-//ASPE//Agenda des visites//FR")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "ASPE — visites")
    for item in visits:
        event = Event()
        event.add("uid", f"{item.visit['id']}@aspe")
        event.add("dtstamp", stamp)
        event.add("dtstart", item.at.astimezone(UTC))
        event.add("dtend", item.at.astimezone(UTC) + VISIT_LENGTH)
        event.add("summary", item.title)
        event.add("url", f"{base_url.rstrip('/')}/dossiers/{item.case['id']}")
        calendar.add_component(event)
    content: bytes = calendar.to_ical()
    return content


async def agenda_ics(request: Request) -> Response:
    asked = await _asked(request)
    if isinstance(asked, Response):
        return asked
    end = asked.monday + timedelta(weeks=ICS_WEEKS)
    between = _planned_between(asked.cases, asked.monday, end, _zone(request), asked.names)
    planned = [item for item in between if item.visit.get("state") == "PLANNED"]
    now: datetime = request.app.state.clock()
    stamp = now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC)
    content = calendar_of(planned, str(request.base_url), stamp)
    return Response(
        content,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="aspe-visites.ics"'},
    )


@pass_context
def _weekday(context: Context, value: date) -> str:
    return french.weekday(value)


@pass_context
def _hour(context: Context, value: str) -> str:
    return french.time_of_day(value, context["request"].app.state.settings.zone)


TEMPLATES.env.filters.update(jour_semaine=_weekday, heure=_hour)


def register(router: APIRouter) -> None:
    router.add_api_route("/agenda", agenda_page, methods=["GET"], include_in_schema=False)
    router.add_api_route("/agenda.ics", agenda_ics, methods=["GET"], include_in_schema=False)
