"""The portal's routes, served at ``/`` next to ``/graphql`` (``aspe.api.create_app``).

Every route is a ``PortalRoute`` (refusals become French pages or redirects) and depends on
``check_csrf`` (every POST carries the session's CSRF token). Pages get their data from
``aspe.portal.gql`` only: GraphQL operations run in-process as the session's viewer.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response

from aspe.portal import (
    access_pages,
    accounts,
    actions,
    agenda,
    case_page,
    commission,
    homes,
    household_data,
    inbox,
    new_case,
    password,
)
from aspe.portal.documents import CEOP_QUERY, FPEL_QUERY, ceop_pdf, fpel_request_pdf
from aspe.portal.gql import (
    PDF_READ,
    GraphQLFailure,
    LoginRequired,
    SessionExpired,
    execute,
    execute_anonymously,
    session_viewer,
)
from aspe.portal.homes import today_of
from aspe.portal.pages import (
    PageNotFound,
    PortalRoute,
    case_not_found,
    redirect,
    render,
    safe_next,
)
from aspe.portal.session import (
    check_csrf,
    forget,
    load_session,
    new_session,
    replace_session,
)
from aspe.portal.statistics import STATISTICS_QUERY, statistics_csv, statistics_page_data
from aspe.settings import Settings

STATIC_DIR = Path(__file__).parent / "static"
CASE_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

LOGIN = """
mutation PortalLogin($email: String!, $password: String!) {
  login(email: $email, password: $password) { token expiresAt role }
}
"""

LOGOUT = "mutation PortalLogout { logout { id } }"

LOGIN_REFUSALS = {"INVALID_CREDENTIALS": 401, "TOO_MANY_ATTEMPTS": 429, "SERVER_BUSY": 503}
"""The login's refusals the form shows (the API's French message), with their HTTP status."""

LOGIN_MESSAGES = {
    "expiree": "Votre session a expiré : reconnectez-vous pour continuer.",
    "deconnexion": "Vous êtes déconnecté·e.",
}


def portal_static() -> StaticFiles:
    """The stylesheet (and anything else static), for ``app.mount("/static", …)``."""
    return StaticFiles(directory=STATIC_DIR)


def portal_router(settings: Settings) -> APIRouter:
    router = APIRouter(route_class=PortalRoute, dependencies=[Depends(check_csrf)])

    @router.get("/connexion", include_in_schema=False)
    async def login_page(request: Request, suivant: str = "/", motif: str = "") -> Response:
        if await _logged_in(request):
            return redirect(safe_next(suivant))
        return await _login_form(request, next_path=suivant, notice=LOGIN_MESSAGES.get(motif))

    @router.post("/connexion", include_in_schema=False)
    async def login(
        request: Request,
        email: Annotated[str, Form()] = "",
        mot_de_passe: Annotated[str, Form()] = "",
        suivant: Annotated[str, Form()] = "/",
    ) -> Response:
        errors: dict[str, str] = {}
        if not email.strip():
            errors["email"] = "Saisissez votre adresse électronique."
        if not mot_de_passe:
            errors["mot_de_passe"] = "Saisissez votre mot de passe."
        if errors:
            return await _login_form(request, email, suivant, errors=errors, status_code=400)
        try:
            data = await execute_anonymously(
                request, LOGIN, {"email": email.strip(), "password": mot_de_passe}
            )
        except GraphQLFailure as failure:
            if failure.code not in LOGIN_REFUSALS:
                raise
            return await _login_form(
                request,
                email,
                suivant,
                failure=failure.message,
                status_code=LOGIN_REFUSALS[failure.code],
            )
        replace_session(request, new_session(data["login"]["token"]))
        return redirect(safe_next(suivant))

    @router.post("/deconnexion", include_in_schema=False)
    async def logout(request: Request) -> Response:
        await _sign_out(request)
        return forget(request, redirect("/connexion?motif=deconnexion"))

    @router.get("/", include_in_schema=False)
    async def home(request: Request) -> Response:
        return await homes.home(request)

    @router.post(new_case.URL, include_in_schema=False)
    async def create_case(request: Request) -> Response:
        return await new_case.create(request)

    @router.post("/dossiers/{case_id}/actions/{action}", include_in_schema=False)
    async def case_action(request: Request, case_id: str, action: str) -> Response:
        return await actions.perform(request, case_id, action)

    @router.get("/statistiques", include_in_schema=False)
    async def statistics(request: Request) -> Response:
        data = await execute(request, STATISTICS_QUERY)
        page = statistics_page_data(data, current_month=f"{today_of(request):%Y-%m}")
        return await render(request, "statistiques.html", {"statistics": page})

    @router.get("/statistiques.csv", include_in_schema=False)
    async def statistics_export(request: Request) -> Response:
        data = await execute(request, STATISTICS_QUERY)
        return Response(
            statistics_csv(data),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="statistiques-aspe.csv"'},
        )

    @router.get("/dossiers/{case_id}/documents/demande-fpel.pdf", include_in_schema=False)
    async def fpel_request(request: Request, case_id: str) -> Response:
        case = await _case_for_document(request, FPEL_QUERY, case_id)
        return _pdf(fpel_request_pdf(case), f"demande-fpel-{case_id[:8]}.pdf")

    @router.get("/dossiers/{case_id}/documents/ceop.pdf", include_in_schema=False)
    async def ceop(request: Request, case_id: str) -> Response:
        case = await _case_for_document(request, CEOP_QUERY, case_id)
        if not case.get("ceop"):
            raise PageNotFound("Document introuvable", "Aucun CEOP n'a encore été rédigé.")
        return _pdf(ceop_pdf(case), f"ceop-{case_id[:8]}.pdf")

    password.register(router)
    inbox.register(router)
    agenda.register(router)
    commission.register(router)
    accounts.register(router)
    household_data.register(router)

    # The case page, its documents and /evenements: last, so that the download route
    # /dossiers/{id}/documents/{document_id} never shadows the PDFs above.
    access_pages.register(router)
    case_page.register(router)
    return router


async def _case_for_document(request: Request, query: str, case_id: str) -> dict[str, Any]:
    if not CASE_ID.match(case_id):
        raise case_not_found()
    case: dict[str, Any] | None = (await execute(request, query, {"id": case_id}, PDF_READ))["case"]
    if case is None:
        raise case_not_found()
    return case


def _pdf(content: bytes, filename: str) -> Response:
    return Response(
        content,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


async def _sign_out(request: Request) -> None:
    """End the session's token on the server too, so a copy of the cookie is worth nothing
    after the person logged out (a session already ended has nothing left to end)."""
    if not load_session(request).logged_in:
        return
    try:
        await execute(request, LOGOUT)
    except (LoginRequired, SessionExpired):
        return


async def _logged_in(request: Request) -> bool:
    if not load_session(request).logged_in:
        return False
    try:
        await session_viewer(request)
    except (LoginRequired, SessionExpired):
        return False
    return True


async def _login_form(
    request: Request,
    email: str = "",
    next_path: str = "/",
    *,
    notice: str | None = None,
    failure: str | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    session = load_session(request)
    if session.logged_in:  # its token has expired: a new session, with no token
        replace_session(request, new_session())
    context = {
        "email": email,
        "next_path": safe_next(next_path),
        "notice": notice,
        "failure": failure,
        "errors": errors or {},
        "title": "Connexion",
    }
    return await render(
        request, "connexion.html", context, status_code=status_code, with_chrome=False
    )
