"""``/graphql`` on the FastAPI app: the viewer from the bearer token, the typed context."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool
from strawberry.fastapi import GraphQLRouter

from aspe.authorization import Viewer
from aspe.graphql.context import Context
from aspe.graphql.errors import ApiError
from aspe.graphql.schema import build_schema
from aspe.settings import Settings


async def _viewer(request: Request) -> Viewer | ApiError | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    state = request.app.state
    try:
        return await run_in_threadpool(
            state.authenticator.viewer, state.application, token.strip(), state.clock()
        )
    except ApiError as error:
        return error


async def get_context(
    request: Request, viewer: Annotated[Viewer | ApiError | None, Depends(_viewer)]
) -> Context:
    state = request.app.state
    return Context(
        application=state.application,
        projector=state.projector,
        settings=state.settings,
        viewer=viewer if isinstance(viewer, Viewer) else None,
        auth_error=viewer if isinstance(viewer, ApiError) else None,
        clock=state.clock,
    )


def graphql_router(settings: Settings) -> GraphQLRouter[Context, None]:
    return GraphQLRouter(
        build_schema(settings),
        context_getter=get_context,
        graphql_ide=None if settings.is_production else "graphiql",
    )
