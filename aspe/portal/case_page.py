"""The case page, its documents (upload, download) and the live updates of the portal.

``show_case`` renders ``/dossiers/{id}`` from ONE GraphQL operation (``CASE_PAGE_QUERY``)
run as the viewer: whatever the API answers ``null`` or ``[]`` for is simply not shown, so
the page holds exactly what ``/graphql`` would give that viewer (a landlord never gets a
visit note nor a HEALTH objective, a role without ``EVENT_METADATA`` no timeline).

Documents: an upload (``POST /dossiers/{id}/documents``, multipart) is stored in the
``BlobStore`` first (too large, a type not accepted, content not what its type says: refused
in French, nothing stored), then joined to the case by the ``attachDocument`` mutation run
as the viewer with the receipt of the viewer's upload (the domain decides who may, and keeps
the kind a content was first joined under). A download (``GET /dossiers/{id}/documents/
{document_id}``) is served when the case, as ``DOCUMENTS_QUERY`` returns it to the viewer,
lists the document: absent and hidden both answer 404.

Live updates (``GET /evenements[?dossier=ID]``): a server-sent events stream that, every
``POLL_SECONDS``, runs a small GraphQL query as the viewer and sends ``non-lues`` (the
inbox's unread count) when it changes and, for a case, ``dossier`` when what the viewer sees
of it (or its audit trail) changed. The app has no asynchronous projector signal to follow,
so the stream polls the schema in-process, like every other page. Pages work without it.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import anyio
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import Response, StreamingResponse
from starlette.routing import compile_path

from aspe import french
from aspe.domain.actors import Role
from aspe.domain.errors import DomainError, ReasonRequired
from aspe.domain.values import DocumentKind, Party
from aspe.french import events, labels
from aspe.graphql.inputs import MEDIA_TYPE_LABELS
from aspe.portal.actions import (
    ACTIONS_CASE_FIELDS,
    ACTIONS_ROOT_FIELDS,
    CHANNELS,
    actions_for,
    confirmation,
    to_do,
    with_root_fields,
)
from aspe.portal.blobs import (
    ATTACH_DOCUMENT,
    DOCUMENTS_QUERY,
    BlobStore,
    attach_variables,
    receipt_for,
    visible_document,
)
from aspe.portal.charts import cadence_chart, data_table
from aspe.portal.gql import (
    DOCUMENT_READ,
    NOT_RECORDED,
    PAGE_READ,
    GraphQLFailure,
    LoginRequired,
    SessionExpired,
    execute,
    session_viewer,
)
from aspe.portal.pages import (
    CHROME,
    ROLES,
    THEMES,
    PageNotFound,
    case_not_found,
    redirect,
    render,
)

CASE_ID_LENGTH = 36
UPLOAD_ROUTE = "/dossiers/{case_id}/documents"
UPLOAD_PATH = compile_path(UPLOAD_ROUTE)[0]
"""The upload form's path: the one route whose body may hold a document (``aspe.api`` gives
it ``ASPE_UPLOAD_MAX_BYTES`` more than the body-size limit of every other route)."""
POLL_SECONDS = 5.0
"""How often a live-updates stream asks the API again (per open page)."""
STREAM_SECONDS = 120
"""A stream ends after this long (the browser's EventSource opens a new one): short, so that
a server stopping does not wait long for the streams still open."""
RETRY_MILLISECONDS = 10_000


CASE_PAGE_QUERY = f"""
query CasePage($id: ID!) {{
  {CHROME}
  {ACTIONS_ROOT_FIELDS}
  case(id: $id) {{
    {ACTIONS_CASE_FIELDS}
    id status openedOn landlordConsent associationId
    household {{ name street postcode city contact members }}
    mayDownloadHouseholdData
    diagnostic {{ recordedOn findings {{ theme difficulty }} }}
    request {{
      submittedOn rentArrears aidRequested monthlyRent proposedMeasure proposedDurationMonths
      registeredOn commissionSessionOn rejectedOn rejectionReason
      adjournments {{ on reason }}
    }}
    decision {{
      decidedOn measureType durationMonths probationMonths aidGranted notifiedOn startsOn endsOn
      extensions {{ on additionalMonths reason }}
    }}
    ceop {{
      version draftedOn signedOn transmittedOn
      objectives {{ id theme label action progress progressNote }}
      steps {{ label dueOn theme }}
      commitments {{ party text theme }}
      signatures {{ signatory signedOn }}
    }}
    visits {{ id plannedAt occurredOn state kind themes householdPresent note missedReason }}
    contacts {{ occurredOn channel initiatedByHousehold householdTookPart themes note }}
    visitsDone contactsCount silentDays
    weeklyCompliance {{
      isoWeek monday requiredVisits requiredHomeVisits visits homeVisits attemptedVisits compliant
    }}
    alerts {{ raisedOn silentDays }}
    combinationConflicts {{ kind startsOn endsOn raisedOn settledOn decision }}
    documents {{ id kind filename mediaType size sha256 attachedOn }}
    concertations {{ id heldOn subject participants outcome }}
    debts {{ id creditor amount owedToLandlord plan {{ monthlyAmount firstDueOn months }} }}
    debtTotal
    rentLedger {{ months {{ month amountDue amountPaid }} totalDue totalPaid resumedOn }}
    suspensions {{ startsOn endsOn reason details }}
    closure {{
      stoppedOn stopReason stopDetails completedOn finalReportOn householdStillHoused
      finalReportSummary
    }}
  }}
  auditTrail(caseId: $id) {{
    version event occurredAt actorRole organisationId actorName organisationName
  }}
}}
"""
"""Everything the case page shows, as the viewer may see it; variables: ``{"id": case_id}``."""

UNREAD_QUERY = "query LiveInbox { inbox: notifications(first: 1) { unreadCount } }"
LIVE_CASE_QUERY = """
query LiveCase($id: ID!) {
  inbox: notifications(first: 1) { unreadCount }
  case(id: $id) {
    status
    request { registeredOn commissionSessionOn rejectedOn adjournments { on } }
    decision { decidedOn notifiedOn startsOn endsOn extensions { on } }
    ceop { version signedOn transmittedOn signatures { signedOn } objectives { progress } }
    visits { id state occurredOn }
    contacts { occurredOn }
    documents { id }
    concertations { id }
    debts { id amount plan { months } }
    rentLedger { months { month amountPaid } resumedOn }
    suspensions { startsOn endsOn }
    alerts { raisedOn }
    combinationConflicts { raisedOn settledOn }
    closure { stoppedOn completedOn finalReportOn }
  }
  auditTrail(caseId: $id) { version }
}
"""
"""What the live stream compares from one poll to the next."""

ATTACH = "ATTACH_DOCUMENT"
"""The command the upload form runs: offered when the API lists it for the viewer."""

DOCUMENT_KINDS = labels.titles(DocumentKind)
ORGANISATIONS_BY_ROLE = {
    "SPSLH_AGENT": "SPSLH",
    "COMMISSION_MEMBER": "Commission FPEL",
    "LANDLORD": "Bailleur",
    "HOUSEHOLD": "Le ménage",
    "AUDITOR": "Contrôle",
    "ADMIN": "Plateforme ASPE",
    "SYSTEM": "Plateforme ASPE",
}
PARTIES = labels.titles(Party)
UPLOAD_ADDED = "Le document a été joint au dossier."


# ------------------------------------------------------------------ the page
async def show_case(
    request: Request,
    case_id: str,
    failed: Any | None = None,
    status_code: int = 200,
    *,
    upload_error: str | None = None,
) -> Response:
    """The case page of ``case_id`` as the viewer may see it (404 « Dossier introuvable »
    when it may not). ``failed``: an action form (``aspe.portal.actions.ActionForm``) to show
    in place of its blank one, with its values and errors; ``upload_error``: the upload
    form's French error."""
    if not _is_case_id(case_id):
        raise case_not_found()
    reason = request.query_params.get("motif", "").strip()
    reads = replace(PAGE_READ, reason=reason) if reason else PAGE_READ
    try:
        data = await execute(request, CASE_PAGE_QUERY, {"id": case_id}, reads)
    except GraphQLFailure as failure:
        if failure.code != ReasonRequired.code:
            raise
        return await _ask_reason(request, case_id, reason, failure.message)
    case: dict[str, Any] | None = data.get("case")
    if case is None:
        raise case_not_found()
    role = str((data.get("me") or {}).get("role") or "")
    context = case_context(case, data.get("auditTrail"), role, str(request.url.path))
    forms = actions_for(
        with_root_fields(case, data),
        role,
        request.app.state.settings.zone,
        failed,
        request.query_params.get("action"),
    )
    context.update(
        actions=forms,
        tasks=to_do(case, forms),
        failed=failed,
        upload_error=upload_error,
        notice=_confirmation(request),
        title=context["heading"],
    )
    return await render(request, "dossier.html", context, data=data, status_code=status_code)


async def _ask_reason(request: Request, case_id: str, reason: str, message: str) -> Response:
    """An archived case: its reader says why first (the access log keeps it)."""
    context = {"case_id": case_id, "reason": reason, "error": message if reason else None}
    return await render(request, "dossier-archive.html", context)


def case_context(
    case: Mapping[str, Any], trail: Sequence[Mapping[str, Any]] | None, role: str, path: str = ""
) -> dict[str, Any]:
    """What ``dossier.html`` needs beside the case itself: labels, groups, the chart."""
    household = case.get("household") or {}
    name = household.get("name")
    heading = f"Dossier {name}" if name else f"Dossier n° {str(case.get('id', ''))[:8]}"
    ceop = case.get("ceop") or {}
    weeks = case.get("weeklyCompliance") or []
    visits = case.get("visits") or []
    contacts = case.get("contacts") or []
    return {
        "case": case,
        "heading": heading,
        "household_shown": _has_any(household),
        "ceop_shown": _has_any(ceop),
        "objectives_by_theme": by_theme(ceop.get("objectives") or ()),
        "findings_by_theme": by_theme((case.get("diagnostic") or {}).get("findings") or ()),
        "timeline": timeline(trail, case) if trail is not None else None,
        "cadence_chart": cadence_chart("cadence", weeks) if weeks else None,
        "cadence_table": _cadence_table(weeks) if weeks else None,
        "visits": visits,
        "visit_notes": any(visit.get("note") is not None for visit in visits),
        "visit_kinds": any(visit.get("kind") is not None for visit in visits),
        "visit_themes": any(visit.get("themes") for visit in visits),
        "visit_presence": any(visit.get("householdPresent") is not None for visit in visits),
        "contacts": contacts,
        "contact_notes": any(contact.get("note") is not None for contact in contacts),
        "contact_details": any(contact.get("channel") is not None for contact in contacts),
        "contact_themes": any(contact.get("themes") for contact in contacts),
        "documents": case.get("documents") or [],
        "concertations": case.get("concertations") or [],
        "debts": case.get("debts") or [],
        "debts_shown": bool(case.get("debts")) or case.get("debtTotal") is not None,
        "debts_recorded": bool(case.get("debts")) or _positive(case.get("debtTotal")),
        "rent_ledger": case.get("rentLedger"),
        "suspensions": case.get("suspensions") or [],
        "suspension_details": any(
            item.get("details") is not None for item in case.get("suspensions") or ()
        ),
        "may_attach": ATTACH in (case.get("availableCommands") or ()),
        "document_kinds": DOCUMENT_KINDS,
        "accepted_types": ", ".join(MEDIA_TYPE_LABELS.values()),
        "channels": CHANNELS,
        "parties": PARTIES,
        "live_url": f"/evenements?dossier={case.get('id')}",
        "role": role,
        "path": path,
    }


def _positive(amount: Any) -> bool:
    """Whether an amount the API gave (a decimal, as text) is more than zero."""
    try:
        return amount is not None and Decimal(str(amount)) > 0
    except ArithmeticError:
        return False


def _has_any(section: Mapping[str, Any]) -> bool:
    """Whether the API gave anything of ``section`` (all ``null`` / ``[]``: not the viewer's)."""
    return any(value not in (None, "", [], {}) for value in section.values())


def by_theme(items: Sequence[Mapping[str, Any]]) -> list[tuple[str, list[Mapping[str, Any]]]]:
    """``items`` grouped under their theme's French name, in the themes' order."""
    grouped: dict[str, list[Mapping[str, Any]]] = {}
    for item in items:
        grouped.setdefault(str(item.get("theme") or ""), []).append(item)
    order = list(THEMES)
    ranked = sorted(grouped.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99)
    return [(THEMES.get(theme, theme or "Sans thème"), group) for theme, group in ranked]


def timeline(trail: Sequence[Mapping[str, Any]], case: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The audit trail, newest first, in French: when, what, who. Who: the person when the
    API names them (a colleague of the viewer), their role otherwise; the organisation they
    acted for by the name the API gives, else what their role says of it."""
    entries = []
    for entry in trail:
        role = str(entry.get("actorRole") or "")
        role_label = ROLES.get(role, role or "—")
        name = entry.get("actorName")
        entries.append(
            {
                "at": entry.get("occurredAt"),
                "what": events.event_title("Case", str(entry.get("event"))),
                "who": f"{name} ({labels.label_of(Role, role)})" if name else role_label,
                "organisation": entry.get("organisationName")
                or ORGANISATIONS_BY_ROLE.get(role, "—"),
            }
        )
    return list(reversed(entries))


def _cadence_table(weeks: Sequence[Mapping[str, Any]]) -> Any:
    rows = [
        (
            f"Semaine du {french.day(week.get('monday'))}",
            week.get("visits"),
            week.get("requiredVisits"),
            week.get("homeVisits"),
            week.get("requiredHomeVisits"),
            week.get("attemptedVisits"),
            "conforme" if week.get("compliant") else "insuffisant",
        )
        for week in weeks
    ]
    return data_table(
        "Visites par semaine de la mesure",
        (
            "Semaine",
            "Visites tenues",
            "Requises",
            "À domicile",
            "À domicile requises",
            "Tentées (personne)",
            "Cadence",
        ),
        rows,
        ident="tableau-cadence",
    )


def _confirmation(request: Request) -> str | None:
    """The confirmation of a document just joined, or of the action just done."""
    if request.query_params.get("document") == "ajoute":
        return UPLOAD_ADDED
    return confirmation(request.query_params.get("fait"))


def _is_case_id(value: str) -> bool:
    if len(value) != CASE_ID_LENGTH:
        return False
    parts = value.split("-")
    return [len(part) for part in parts] == [8, 4, 4, 4, 12] and all(
        char in "0123456789abcdef" for char in value.replace("-", "")
    )


# ------------------------------------------------------------------ documents
async def upload_document(request: Request, case_id: str) -> Response:
    """Store the uploaded file, then join it to the case as the viewer; back to the page."""
    if not _is_case_id(case_id):
        raise case_not_found()
    # Before anything is written: the viewer must see the case, and the API must list the
    # command for it now (the domain decides again once the content is stored).
    seen = await execute(
        request,
        f"query CanAttach($id: ID!) {{ {CHROME} case(id: $id) {{ id availableCommands }} }}",
        {"id": case_id},
        NOT_RECORDED,
    )
    if seen.get("case") is None:
        raise case_not_found()
    if ATTACH not in (seen["case"].get("availableCommands") or ()):
        return await show_case(
            request,
            case_id,
            status_code=403,
            upload_error="Votre profil ne permet pas de joindre un document à ce dossier.",
        )
    form = await request.form()
    upload, kind = form.get("fichier"), str(form.get("nature") or "")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return await _upload_refused(request, case_id, "Choisissez le fichier à joindre.")
    if kind not in DOCUMENT_KINDS:
        return await _upload_refused(request, case_id, "Choisissez la nature du document.")
    settings = request.app.state.settings
    try:
        blob = await BlobStore(settings).put_stream(_chunks(upload), _media_type(upload))
    except DomainError as refusal:
        return await _upload_refused(request, case_id, refusal.message)
    receipt = receipt_for(settings, (await session_viewer(request)).id, blob)
    try:
        await execute(
            request,
            ATTACH_DOCUMENT,
            attach_variables(case_id, kind, upload.filename, blob, receipt),
        )
    except GraphQLFailure as failure:
        if failure.code == "NOT_FOUND":
            raise case_not_found() from None
        return await _upload_refused(request, case_id, failure.message)
    return redirect(f"/dossiers/{case_id}?document=ajoute#documents")


async def _upload_refused(request: Request, case_id: str, message: str) -> Response:
    return await show_case(request, case_id, status_code=422, upload_error=message)


async def _chunks(upload: UploadFile, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    while chunk := await upload.read(size):
        yield chunk


def _media_type(upload: UploadFile) -> str:
    """The type the browser declared; guessed from the name when it declared none."""
    declared = (upload.content_type or "").split(";", 1)[0].strip().lower()
    if declared and declared != "application/octet-stream":
        return declared
    guessed, _ = mimetypes.guess_type(upload.filename or "")
    return guessed or declared or "application/octet-stream"


async def download_document(request: Request, case_id: str, document_id: str) -> Response:
    """The content of a document the viewer sees on the case; 404 otherwise."""
    if not _is_case_id(case_id):
        raise case_not_found()
    case = (await execute(request, DOCUMENTS_QUERY, {"id": case_id}, DOCUMENT_READ)).get("case")
    if case is None:
        raise case_not_found()
    store = BlobStore(request.app.state.settings)
    try:
        document = visible_document(case, document_id)
        content = await run_in_threadpool(store.read, str(document["sha256"]))
    except DomainError:
        raise PageNotFound(
            "Document introuvable",
            "Ce document n'existe pas ou vous n'avez pas accès à ce document.",
        ) from None
    filename = str(document.get("filename") or f"document-{document_id[:8]}")
    return Response(
        content,
        media_type=str(document.get("mediaType") or "application/octet-stream"),
        headers={
            "Content-Disposition": content_disposition(filename),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and the UTF-8 one (RFC 6266, 5987)."""
    fallback = "".join(
        char if char.isascii() and char.isprintable() and char not in '"\\' else "_"
        for char in filename
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


# ------------------------------------------------------------------ live updates
def sse(event: str, data: Mapping[str, Any]) -> str:
    """One server-sent event."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


async def live_events(request: Request, case_id: str | None) -> AsyncIterator[str]:
    """The stream of ``/evenements``: ``non-lues`` then ``dossier`` when things change;
    ``fin`` (and the end) when the session is over."""
    case_id = case_id if case_id and _is_case_id(case_id) else None
    unread: int | None = None
    seen: str | None = None
    yield f"retry: {RETRY_MILLISECONDS}\n\n"
    for _ in range(max(int(STREAM_SECONDS / POLL_SECONDS), 1)):
        try:
            if case_id is None:
                data = await execute(request, UNREAD_QUERY)
            else:
                data = await execute(request, LIVE_CASE_QUERY, {"id": case_id}, NOT_RECORDED)
        except (LoginRequired, SessionExpired):
            yield sse("fin", {"motif": "session"})
            return
        except GraphQLFailure:
            yield ": indisponible\n\n"
        else:
            count = int(data["inbox"]["unreadCount"])
            if count != unread:
                unread = count
                yield sse("non-lues", {"unreadCount": count})
            if case_id is not None and data.get("case") is not None:
                fingerprint = _fingerprint(data)
                if seen is not None and fingerprint != seen:
                    yield sse("dossier", {"caseId": case_id, "message": "Dossier mis à jour"})
                seen = fingerprint
            yield ": ok\n\n"
        await anyio.sleep(POLL_SECONDS)


def _fingerprint(data: Mapping[str, Any]) -> str:
    what = {"case": data.get("case"), "trail": data.get("auditTrail")}
    return hashlib.sha256(json.dumps(what, sort_keys=True, default=str).encode()).hexdigest()


async def live(request: Request, dossier: str | None = None) -> Response:
    """``GET /evenements``: refused like any page when nobody is logged in."""
    await execute(request, UNREAD_QUERY)  # LoginRequired / SessionExpired before streaming
    return StreamingResponse(
        live_events(request, dossier),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


# ------------------------------------------------------------------ routes
def register(router: APIRouter) -> None:
    """Add the case page, its documents and the live stream to the portal's ``router``
    (after the fixed ``/documents/*.pdf`` routes, which the download route would shadow)."""

    @router.get("/dossiers/{case_id}", include_in_schema=False)
    async def case_page(request: Request, case_id: str) -> Response:
        return await show_case(request, case_id)

    @router.post(UPLOAD_ROUTE, include_in_schema=False)
    async def case_upload(request: Request, case_id: str) -> Response:
        return await upload_document(request, case_id)

    @router.get("/dossiers/{case_id}/documents/{document_id}", include_in_schema=False)
    async def case_download(request: Request, case_id: str, document_id: str) -> Response:
        return await download_document(request, case_id, document_id)

    @router.get("/evenements", include_in_schema=False)
    async def live_updates(request: Request, dossier: str | None = None) -> Response:
        return await live(request, dossier)
