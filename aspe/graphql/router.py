"""``/graphql`` on the FastAPI app: the viewer from the bearer token, the typed context.

``viewer_for_token`` and ``context_for`` are also how the portal (``aspe.portal.gql``) makes
the context of the operations it runs in-process for its session's viewer: one identity path.
"""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool
from strawberry.fastapi import GraphQLRouter

from aspe.authorization import Viewer
from aspe.graphql.context import Context
from aspe.graphql.errors import ApiError
from aspe.graphql.schema import build_schema
from aspe.settings import Settings


async def viewer_for_token(state: Any, token: str) -> Viewer | ApiError:
    """The viewer a bearer token names (``state``: the app's), or why it was refused."""
    try:
        viewer: Viewer = await run_in_threadpool(
            state.authenticator.viewer, state.application, token, state.clock()
        )
    except ApiError as error:
        return error
    return viewer


def context_for(state: Any, viewer: Viewer | ApiError | None) -> Context:
    """The context of one operation run for ``viewer`` (``None``: anonymous)."""
    return Context(
        application=state.application,
        projector=state.projector,
        settings=state.settings,
        viewer=viewer if isinstance(viewer, Viewer) else None,
        auth_error=viewer if isinstance(viewer, ApiError) else None,
        clock=state.clock,
    )


async def _viewer(request: Request) -> Viewer | ApiError | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return await viewer_for_token(request.app.state, token.strip())


async def get_context(
    request: Request, viewer: Annotated[Viewer | ApiError | None, Depends(_viewer)]
) -> Context:
    return context_for(request.app.state, viewer)


def graphql_router(
    settings: Settings, schema: strawberry.Schema | None = None
) -> GraphQLRouter[Context, None]:
    return GraphQLRouter(
        schema or build_schema(settings),
        context_getter=get_context,
        graphql_ide=None if settings.is_production else "graphiql",
    )
