"""The HTTP side of ASPE: one FastAPI app, composed from ``Settings`` when it starts.

``create_app`` only describes the app; the event store and the read models open in the
lifespan (server start) and close with it, so importing this module connects to nothing.
In the embedded default (SQLite) the read models are kept up to date by a thread of this
process, and the notifier (``aspe.workers.notifier``) follows the store in another, its
messages delivered in-process (no Redis: ``.eml`` files, inboxes); in production,
``aspe projections run`` processes do both. GraphQL is served at
``/graphql`` (GraphiQL in development); the French portal (``aspe.portal``) at ``/``, its
pages running their GraphQL operations in-process against the same schema.
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
from aspe.graphql.schema import build_schema
from aspe.portal.app import portal_router, portal_static
from aspe.projections.inbox import close_store
from aspe.projections.runner import BackgroundFollower
from aspe.settings import Settings
from aspe.workers.notifier import BackgroundNotifier, NotifierRunner, build_notifier


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
        follower, notifier = None, None
        if resolved.runs_projections_in_process:
            follower = BackgroundFollower(projector).start()
            notifier = BackgroundNotifier(
                NotifierRunner(build_notifier(resolved, application))
            ).start()
        app.state.notifier = notifier
        try:
            yield
        finally:
            if notifier is not None:
                notifier.stop()
                notifier.runner.projector.close()
            if follower is not None:
                follower.stop()
            close_store(resolved)  # the notifications store: inboxes read, deliveries made
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
    app.state.schema = build_schema(settings)  # one schema: /graphql and the portal's pages
    app.include_router(graphql_router(settings, app.state.schema), prefix="/graphql")
    app.include_router(portal_router(settings))
    app.mount("/static", portal_static(), name="static")
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes)
    return app
