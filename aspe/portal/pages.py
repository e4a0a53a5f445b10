"""What every portal page shares: the templates, ``render``, French labels, and the refusals
a page may raise (``PortalRoute`` turns each into its French page or redirect).

A page gets its data from ``aspe.portal.gql.execute`` and renders it with ``render``; the
page's chrome (the viewer's name and role, the inbox's unread count) comes from GraphQL too:
include ``CHROME`` in the page's query, or ``render`` runs it on its own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from starlette.responses import RedirectResponse, Response

from aspe import french
from aspe.domain import values
from aspe.domain.actors import Role
from aspe.domain.reads import ReadKind
from aspe.french import labels
from aspe.portal.gql import GraphQLFailure, LoginRequired, SessionExpired, execute
from aspe.portal.session import CSRF_FIELD, CsrfRefused, forget, load_session, store
from aspe.settings import Settings

log = logging.getLogger("aspe.portal")

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

CHROME = "me { id name role } inbox: notifications(first: 1) { unreadCount }"
"""The fields of the page's header: put them in the page's query to save a second one."""

LOGIN_PATH = "/connexion"


# ------------------------------------------------------------------ refusals
class PageNotFound(Exception):
    """Nothing to show here: 404 (also what a case the viewer may not see gets)."""

    def __init__(self, title: str = "Page introuvable", message: str | None = None) -> None:
        self.title = title
        self.message = message or "La page demandée n'existe pas ou n'est pas accessible."
        super().__init__(title)


def case_not_found() -> PageNotFound:
    return PageNotFound(
        "Dossier introuvable",
        "Ce dossier n'existe pas ou vous n'avez pas accès à ce dossier.",
    )


class Forbidden(Exception):
    """This page is not for the viewer's role: 403."""

    def __init__(self, message: str = "Cette page n'est pas accessible avec votre profil.") -> None:
        self.message = message
        super().__init__(message)


# ------------------------------------------------------------------ labels
# The API names values ("ACTIVE"); people read them as aspe.french words them.
ROLES = labels.titles(Role)
STATUSES = labels.titles(values.Status)
MEASURE_TYPES = labels.names(values.MeasureType)
THEMES = labels.titles(values.Theme)
PROGRESS = labels.titles(values.ObjectiveProgress)
SIGNATORIES = labels.titles(values.Signatory)
STOP_REASONS = labels.titles(values.StopReason)
VISIT_KINDS = labels.titles(values.VisitKind)
ACCOMPANIMENT_KINDS = labels.titles(values.AccompanimentKind)
READ_KINDS = labels.titles(ReadKind)
SUSPENSION_REASONS = labels.titles(values.SuspensionReason)
VISIT_STATES = {"PLANNED": "Prévue", "DONE": "Réalisée", "MISSED": "Manquée"}


def _label(table: Mapping[str, str]) -> Callable[[Any], str]:
    def label(value: Any) -> str:
        if value is None:
            return "—"
        return table.get(str(value), str(value))

    return label


def _zone(context: Context) -> ZoneInfo:
    """``ASPE_TIMEZONE``, from the settings of the app that renders the page."""
    settings: Settings = context["request"].app.state.settings
    return settings.zone


def short_id(value: Any) -> str:
    return str(value or "")[:8]


@pass_context
def date_fr(context: Context, value: Any) -> str:
    """A day as ``aspe.french`` writes it (an instant: its day where the people are)."""
    return french.day(value, _zone(context))


@pass_context
def datetime_fr(context: Context, value: Any) -> str:
    """An instant as ``aspe.french`` writes it, in ``ASPE_TIMEZONE``: the store keeps UTC."""
    return french.moment(value, _zone(context))


TEMPLATES.env.filters.update(
    role=_label(ROLES),
    statut=_label(STATUSES),
    mesure=_label(MEASURE_TYPES),
    theme=_label(THEMES),
    progression=_label(PROGRESS),
    signataire=_label(SIGNATORIES),
    motif_arret=_label(STOP_REASONS),
    type_visite=_label(VISIT_KINDS),
    accompagnement=_label(ACCOMPANIMENT_KINDS),
    etat_visite=_label(VISIT_STATES),
    lecture=_label(READ_KINDS),
    motif_suspension=_label(SUSPENSION_REASONS),
    mois=french.month,
    date_fr=date_fr,
    datetime_fr=datetime_fr,
    euros=french.amount,
    taille=french.size,
    short_id=short_id,
)
TEMPLATES.env.globals.update(CSRF_FIELD=CSRF_FIELD)

STATISTICS_ROLES = frozenset({"ASSOCIATION_MANAGER", "SPSLH_AGENT", "COMMISSION_MEMBER"})


# ------------------------------------------------------------------ rendering
async def chrome(request: Request, data: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The header's viewer and unread count: from ``data`` if the page's query had ``CHROME``."""
    if data is not None and "me" in data and "inbox" in data:
        found = data
    elif load_session(request).logged_in:
        found = await execute(request, f"query Chrome {{ {CHROME} }}")
    else:
        return {"viewer": None, "unread_count": 0}
    return {"viewer": found["me"], "unread_count": found["inbox"]["unreadCount"]}


async def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    data: Mapping[str, Any] | None = None,
    status_code: int = 200,
    with_chrome: bool = True,
) -> Response:
    """``template`` with ``context``, the page chrome and this session's CSRF token."""
    variables: dict[str, Any] = {"viewer": None, "unread_count": 0}
    if with_chrome:
        variables.update(await chrome(request, data))
    variables["statistics_link"] = bool(
        variables["viewer"] and variables["viewer"].get("role") in STATISTICS_ROLES
    )
    variables["csrf_token"] = load_session(request).csrf_token
    variables.update(context or {})
    response = TEMPLATES.TemplateResponse(request, template, variables, status_code=status_code)
    return store(request, response)


def redirect(url: str) -> RedirectResponse:
    """After a form: see the result with a GET (303)."""
    return RedirectResponse(url, status_code=303)


def safe_next(value: str | None) -> str:
    """A local path to go back to after login; anything else (another site) is ``/``."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def login_url(reason: str | None = None, next_path: str | None = None) -> str:
    query = {}
    if reason:
        query["motif"] = reason
    if next_path and next_path != "/":
        query["suivant"] = next_path
    return f"{LOGIN_PATH}?{urlencode(query, quote_via=quote)}" if query else LOGIN_PATH


async def error_page(
    request: Request, status_code: int, title: str, message: str, error_id: str | None = None
) -> Response:
    context = {"title": title, "message": message, "error_id": error_id}
    try:
        return await render(request, "erreur.html", context, status_code=status_code)
    except (LoginRequired, SessionExpired, GraphQLFailure):
        return await render(
            request, "erreur.html", context, status_code=status_code, with_chrome=False
        )


def _back_to(request: Request) -> str:
    if request.method == "GET":
        query = request.url.query
        return request.url.path + (f"?{query}" if query else "")
    return "/"


async def refusal_response(request: Request, error: Exception) -> Response | None:
    """The page or redirect for one of the portal's refusals; ``None`` for anything else."""
    if isinstance(error, LoginRequired):
        return redirect(login_url(None, _back_to(request)))
    if isinstance(error, SessionExpired):
        return forget(request, redirect(login_url("expiree", _back_to(request))))
    if isinstance(error, CsrfRefused):
        return await error_page(
            request,
            403,
            "Formulaire refusé",
            "Ce formulaire a expiré ou ne provient pas de ce site (jeton de sécurité absent "
            "ou invalide). Revenez à la page précédente, rechargez-la et recommencez.",
        )
    if isinstance(error, PageNotFound):
        return await error_page(request, 404, error.title, error.message)
    if isinstance(error, Forbidden):
        return await error_page(request, 403, "Accès refusé", error.message)
    if isinstance(error, GraphQLFailure):
        internal = error.code == "INTERNAL_ERROR"
        return await error_page(
            request,
            500 if internal else 400,
            "Une erreur est survenue" if internal else "Action impossible",
            error.message,
            error.error_id,
        )
    return None


class PortalRoute(APIRoute):
    """A portal route: refusals become French pages or redirects; the session cookie is set."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def portal_handler(request: Request) -> Response:
            try:
                response = await handler(request)
            except (
                LoginRequired,
                SessionExpired,
                CsrfRefused,
                PageNotFound,
                Forbidden,
                GraphQLFailure,
            ) as error:
                refused = await refusal_response(request, error)
                assert refused is not None
                return refused
            # Pages hold personal data: never kept by a shared computer's cache.
            response.headers.setdefault("Cache-Control", "no-store")
            if getattr(request.state, "portal_session", None) is not None:
                return store(request, response)
            return response

        return portal_handler
