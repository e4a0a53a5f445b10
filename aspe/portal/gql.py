"""The portal's only way to data: GraphQL operations run in-process, as the session's viewer.

``execute(request, query, variables)`` runs an operation against the app's schema (the one
``/graphql`` serves) with the context ``/graphql`` would build for the session's token
(``aspe.graphql.router.context_for``): the same authorization, field by field. It returns
``data``, or raises:

- ``LoginRequired`` when nobody is logged in;
- ``SessionExpired`` when the session's token has expired or is not valid any more;
- ``GraphQLFailure`` with the API's errors (stable codes, French messages) otherwise.

``reads`` says how the operation's reads of a case go to the access log: by default as the
API records them; a route serving a case to a person names what it serves (its page, a PDF,
a download: one entry each), and a check that shows nothing (live updates, a form's
preconditions) records nothing (``aspe.graphql.access_log.Reads``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import strawberry
from fastapi import Request

from aspe.authorization import Viewer
from aspe.domain.reads import ReadKind
from aspe.graphql.access_log import API_READS, NOT_RECORDED, Reads
from aspe.graphql.errors import ApiError
from aspe.graphql.router import context_for, viewer_for_token
from aspe.graphql.schema import build_schema
from aspe.portal.session import load_session

SESSION_ERRORS = frozenset({"UNAUTHENTICATED", "INVALID_TOKEN"})


class LoginRequired(Exception):
    """Nobody is logged in: the page sends the visitor to the login page."""


class SessionExpired(Exception):
    """The session's token has expired (or was refused): log in again."""


@dataclass(frozen=True)
class ApiErrorInfo:
    code: str
    message: str
    path: tuple[str | int, ...] = ()
    error_id: str | None = None
    field: str | None = None
    """The input the refusal is about (``extensions.field``: ``aidRequest.monthlyRent``)."""


class GraphQLFailure(Exception):
    """The operation returned errors; ``errors`` as the API reported them."""

    def __init__(self, errors: list[ApiErrorInfo], data: dict[str, Any] | None = None) -> None:
        self.errors = errors
        self.data = data
        super().__init__(self.message)

    @property
    def code(self) -> str:
        return self.errors[0].code if self.errors else "INTERNAL_ERROR"

    @property
    def message(self) -> str:
        return self.errors[0].message if self.errors else "Une erreur interne est survenue."

    @property
    def error_id(self) -> str | None:
        return next((error.error_id for error in self.errors if error.error_id), None)


def schema_of(request: Request) -> strawberry.Schema:
    """The app's schema (``create_app`` keeps the one ``/graphql`` serves on its state)."""
    state = request.app.state
    schema: strawberry.Schema | None = getattr(state, "schema", None)
    if schema is None:
        schema = build_schema(state.settings)
        state.schema = schema
    return schema


async def session_viewer(request: Request) -> Viewer:
    """The viewer of the session's token, checked now (its expiry by the app's clock, its
    account in the store) — once per request: a page runs several operations, and each
    check loads the account."""
    session = load_session(request)
    if session.token is None:
        raise LoginRequired()
    checked: tuple[str, Viewer | ApiError] | None = getattr(request.state, "aspe_viewer", None)
    if checked is None or checked[0] != session.token:
        checked = (session.token, await viewer_for_token(request.app.state, session.token))
        request.state.aspe_viewer = checked
    viewer = checked[1]
    if isinstance(viewer, ApiError):
        raise SessionExpired()
    return viewer


PAGE_READ = Reads(as_kind=ReadKind.PAGE)
PDF_READ = Reads(as_kind=ReadKind.PDF)
DOCUMENT_READ = Reads(as_kind=ReadKind.DOCUMENT)
__all__ = ["DOCUMENT_READ", "NOT_RECORDED", "PAGE_READ", "PDF_READ"]


async def execute(
    request: Request,
    query: str,
    variables: dict[str, Any] | None = None,
    reads: Reads = API_READS,
) -> dict[str, Any]:
    """``data`` of ``query`` run as the session's viewer."""
    viewer = await session_viewer(request)
    return await run(request, query, variables, viewer, reads)


async def execute_anonymously(
    request: Request, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    """``data`` of ``query`` run with no viewer: only ``login`` answers."""
    return await run(request, query, variables, None)


async def run(
    request: Request,
    query: str,
    variables: dict[str, Any] | None,
    viewer: Viewer | None,
    reads: Reads = API_READS,
) -> dict[str, Any]:
    context = context_for(request.app.state, viewer, request, reads)
    result = await schema_of(request).execute(
        query, variable_values=variables or {}, context_value=context
    )
    if result.errors:
        errors = [_info(error) for error in result.errors]
        if viewer is not None and any(error.code in SESSION_ERRORS for error in errors):
            raise SessionExpired()
        raise GraphQLFailure(errors, result.data)
    data: dict[str, Any] = result.data or {}
    return data


def _info(error: Any) -> ApiErrorInfo:
    extensions = error.extensions or {}
    return ApiErrorInfo(
        code=str(extensions.get("code", "INTERNAL_ERROR")),
        message=str(error.message),
        path=tuple(error.path or ()),
        error_id=extensions.get("errorId"),
        field=extensions.get("field"),
    )
