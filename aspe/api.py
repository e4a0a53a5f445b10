"""The HTTP side of ASPE: one FastAPI app, composed from ``Settings`` when it starts.

``create_app`` only describes the app; the event store and the read models open in the
lifespan (server start) and close with it, so importing this module connects to nothing.
In the embedded default (SQLite) the read models are kept up to date by a thread of this
process; in production, by ``aspe projections run`` processes. GraphQL is served at
``/graphql`` (GraphiQL in development); the portal is mounted here by later work.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, FastAPI, Request
from pydantic import BaseModel

from aspe.application import AspeApplication
from aspe.bootstrap import build_application, build_projector
from aspe.domain.actors import utc_now
from aspe.graphql.identity import Authenticator
from aspe.graphql.limits import BodySizeLimit
from aspe.graphql.router import graphql_router
from aspe.projections.runner import BackgroundFollower
from aspe.settings import Settings


def get_application(request: Request) -> AspeApplication:
    application: AspeApplication = request.app.state.application
    return application


CurrentApplication = Annotated[AspeApplication, Depends(get_application)]

router = APIRouter()


class Health(BaseModel):
    """Liveness and a cheap proof that the store answers: the position of its last event."""

    status: Literal["ok"]
    events: int


@router.get("/healthz")
def healthz(application: CurrentApplication) -> Health:
    # A sync endpoint: FastAPI runs it in its thread pool, so the store's blocking call
    # never stalls the event loop.
    return Health(status="ok", events=application.head())


Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def _lifespan(settings: Settings) -> Lifespan:
    """Open the store when the server starts, close it when it stops."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        resolved = settings
        application = build_application(resolved)
        app.state.application = application
        projector = build_projector(resolved, app=application)
        app.state.projector = projector
        follower = (
            BackgroundFollower(projector).start() if resolved.runs_projections_in_process else None
        )
        try:
            yield
        finally:
            if follower is not None:
                follower.stop()
            projector.close()
            application.close()

    return lifespan


def create_app(
    settings: Settings | None = None, clock: Callable[[], datetime] = utc_now
) -> FastAPI:
    """The ASPE web app; without ``settings``, the environment's.

    ``clock`` is the time commands are stamped with (tests freeze it).
    """
    settings = settings or Settings()
    app = FastAPI(
        title="ASPE",
        summary="Accompagnement Social de Prévention des Expulsions",
        lifespan=_lifespan(settings),
    )
    app.state.settings = settings
    app.state.clock = clock
    app.state.authenticator = Authenticator(settings)
    app.include_router(router)
    app.include_router(graphql_router(settings), prefix="/graphql")
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes)
    return app
