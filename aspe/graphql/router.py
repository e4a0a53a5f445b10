"""``/graphql`` on the FastAPI app: the viewer from the bearer token, the typed context.

``viewer_for_token`` and ``context_for`` are also how the portal (``aspe.portal.gql``) makes
the context of the operations it runs in-process for its session's viewer: one identity path.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import strawberry
from cross_web import HTTPException
from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, JSONResponse
from strawberry.fastapi import GraphQLRouter
from strawberry.types.unset import UNSET

from aspe.authorization import Viewer
from aspe.graphql.access_log import API_READS, Reads
from aspe.graphql.context import Context
from aspe.graphql.errors import ApiError, BadRequest
from aspe.graphql.schema import build_schema
from aspe.logs.context import identify
from aspe.settings import Settings
from aspe.web import GRAPHIQL_CONTENT_SECURITY_POLICY

MAX_JSON_NESTING = 32
"""Objects and lists in a request's JSON nested deeper than this are refused: ASPE's
deepest variables (a CEOP's objectives) are a few levels deep; a JSON of 1,000 levels makes
Python's parser raise ``RecursionError``."""


async def viewer_for_token(state: Any, token: str) -> Viewer | ApiError:
    """The viewer a bearer token names (``state``: the app's), or why it was refused."""
    try:
        viewer: Viewer = await run_in_threadpool(
            state.authenticator.viewer, state.application, token, state.clock()
        )
    except ApiError as error:
        return error
    identify(viewer.id, viewer.role)  # the request's log lines name the account, by id
    return viewer


def context_for(
    state: Any,
    viewer: Viewer | ApiError | None,
    request: Request | None = None,
    reads: Reads = API_READS,
) -> Context:
    """The context of one operation run for ``viewer`` (``None``: anonymous), on behalf of
    the client of ``request``."""
    return Context(
        application=state.application,
        projector=state.projector,
        settings=state.settings,
        viewer=viewer if isinstance(viewer, Viewer) else None,
        auth_error=viewer if isinstance(viewer, ApiError) else None,
        clock=state.clock,
        login_throttle=state.login_throttle,
        client_address=request.client.host if request and request.client else None,
        reads=reads,
    )


async def _viewer(request: Request) -> Viewer | ApiError | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return await viewer_for_token(request.app.state, token.strip())


async def get_context(
    request: Request, viewer: Annotated[Viewer | ApiError | None, Depends(_viewer)]
) -> Context:
    return context_for(request.app.state, viewer, request)


class AspeGraphQLRouter(GraphQLRouter[Context, None]):
    """strawberry's router, which refuses with ``BAD_REQUEST`` (400, JSON, like every other
    error of the API) a request that is no GraphQL operation, where strawberry answers a
    plain-text 400 — or a 500 for a body such as ``42`` or nested 1,000 levels deep."""

    def decode_json(self, data: str | bytes) -> object:
        """A request's JSON (a body, the ``variables`` of a GET, a websocket message): an
        object, not too deep. Anything else is reported as strawberry expects JSON that
        does not parse (``JSONDecodeError``): a 400 over HTTP, a closed websocket."""
        try:
            value = json.loads(data)
        except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested too deep
            raise json.JSONDecodeError("not a JSON operation", "", 0) from None
        if not isinstance(value, dict) or _nesting(value) > MAX_JSON_NESTING:
            raise json.JSONDecodeError("not a JSON object, or nested too deep", "", 0)
        return value

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        try:
            return await super().run(request, context=context, root_value=root_value)
        except HTTPException as refused:  # a body refused above, no query, a wrong type…
            if refused.status_code != 400:
                raise
            return _bad_request(BadRequest())

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        """GraphiQL (development only), allowed to load its scripts from its CDN."""
        page = await super().render_graphql_ide(request)
        page.headers["Content-Security-Policy"] = GRAPHIQL_CONTENT_SECURITY_POLICY
        return page


def _bad_request(refused: BadRequest) -> JSONResponse:
    error = {"message": refused.message, "extensions": {"code": refused.code}}
    return JSONResponse({"data": None, "errors": [error]}, status_code=400)


def _nesting(value: object) -> int:
    """How deep objects and lists nest in ``value`` (a scalar: 0), without recursion."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, depth)
            pending.extend((child, depth + 1) for child in item)
    return deepest


def graphql_router(
    settings: Settings, schema: strawberry.Schema | None = None
) -> GraphQLRouter[Context, None]:
    return AspeGraphQLRouter(
        schema or build_schema(settings),
        context_getter=get_context,
        graphql_ide=None if settings.is_production else "graphiql",
    )
