"""The API's upload path: ``POST /uploads``, how a GraphQL client stores a document's content.

The body is the content, ``Content-Type`` its media type, ``Authorization: Bearer`` the token
``login`` gave. The content goes to the portal's ``BlobStore`` (the same checks: size, type,
signature; refused with 422 and ``INVALID_INPUT``), and the answer (201) is what
``attachDocument`` then takes: ``sha256``, ``size``, ``mediaType`` and the ``receipt`` signed
for this account and this content. Storing is no attachment: the domain decides, when
``attachDocument`` runs, who may join a document to which case.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse

from aspe.authorization import Viewer
from aspe.domain.errors import DomainError, Refusal
from aspe.graphql.errors import ApiError, Unauthenticated
from aspe.graphql.router import viewer_for_token
from aspe.portal.blobs import BlobStore, receipt_for

router = APIRouter()


async def _bearer_viewer(request: Request) -> Viewer | ApiError:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return Unauthenticated()
    return await viewer_for_token(request.app.state, token.strip())


def _refusal(error: Refusal, status_code: int, **headers: str) -> JSONResponse:
    body: dict[str, Any] = {"code": error.code, "message": error.message}
    return JSONResponse(body, status_code=status_code, headers=headers or None)


UPLOADS_ROUTE = "/uploads"
"""The API's upload path: its body may be a whole document (ASPE_UPLOAD_MAX_BYTES)."""


@router.post(UPLOADS_ROUTE, status_code=201, include_in_schema=False)
async def upload(request: Request) -> JSONResponse:
    """Store the request's body as a document's content; its description and receipt."""
    viewer = await _bearer_viewer(request)
    if isinstance(viewer, ApiError):
        return _refusal(viewer, 401, **{"WWW-Authenticate": "Bearer"})
    settings = request.app.state.settings
    try:
        blob = await BlobStore(settings).put_stream(
            request.stream(), request.headers.get("content-type", "")
        )
    except DomainError as refusal:
        return _refusal(refusal, 422)
    answer = {
        "sha256": blob.sha256,
        "size": blob.size,
        "mediaType": blob.media_type,
        "receipt": receipt_for(settings, viewer.id, blob),
    }
    return JSONResponse(answer, status_code=201)
