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

import re
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, FastAPI, Request
from pydantic import BaseModel

from aspe.access_log.store import close_store as close_access_log
from aspe.application import AspeApplication
from aspe.application.passwords import limit_concurrent_hashing
from aspe.bootstrap import (
    build_application,
    build_notifier,
    build_projector,
    build_serving_clocks,
)
from aspe.domain.actors import utc_now
from aspe.graphql.identity import Authenticator
from aspe.graphql.router import graphql_router
from aspe.graphql.schema import build_schema
from aspe.graphql.throttle import login_throttle
from aspe.health.http import router as health_router
from aspe.logs.requests import RequestIds
from aspe.metrics.endpoint import install as install_metrics
from aspe.portal.app import portal_router, portal_static
from aspe.portal.case_page import UPLOAD_PATH
from aspe.projections.runner import BackgroundFollower, Projector
from aspe.settings import Settings
from aspe.uploads import UPLOADS_ROUTE
from aspe.uploads import router as uploads_router
from aspe.web import BodySizeLimit, SecurityHeaders, internal_error, security_headers
from aspe.workers.app import AspeCelery
from aspe.workers.inbox import close_store
from aspe.workers.notifier import BackgroundNotifier, NotifierRunner
from aspe.workers.scheduler import InProcessClocks


def get_application(request: Request) -> AspeApplication:
    application: AspeApplication = request.app.state.application
    return application


CurrentApplication = Annotated[AspeApplication, Depends(get_application)]

router = APIRouter()


class Health(BaseModel):
    """Liveness: the process answers. Whether the store, Redis and the read models do is
    readiness (``/readyz``, ``aspe.health``): a database down must not get every API
    process restarted by its orchestrator."""

    status: Literal["ok"]


@router.get("/healthz")
async def healthz() -> Health:
    return Health(status="ok")


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
        app.state.follower = follower  # /readyz: whether it still follows the store
        clocks = _start_clocks(resolved, application, projector)
        try:
            yield
        finally:
            if clocks is not None:
                clocks.stop()
            if notifier is not None:
                notifier.stop()
                notifier.runner.projector.close()
            if follower is not None:
                follower.stop()
            close_store(resolved)  # the notifications store: inboxes read, deliveries made
            close_access_log(resolved)
            projector.close()
            application.close()

    return lifespan


def _start_clocks(
    settings: Settings, application: AspeApplication, projector: Projector
) -> InProcessClocks | None:
    """The clocks' schedule in this process, where no ``aspe beat`` runs it (no Redis)."""
    if not settings.runs_clocks_in_process:
        return None
    clocks = build_serving_clocks(settings, application, projector)
    return InProcessClocks(AspeCelery(settings, clocks=lambda _: clocks)).start()


def create_app(
    settings: Settings | None = None, clock: Callable[[], datetime] = utc_now
) -> FastAPI:
    """The ASPE web app; without ``settings``, the environment's.

    ``clock`` is the time commands are stamped with (tests freeze it).
    """
    settings = settings or Settings()
    documented = not settings.is_production  # production serves no /docs nor /openapi.json
    app = FastAPI(
        title="ASPE",
        summary="Accompagnement Social de Prévention des Expulsions",
        lifespan=_lifespan(settings),
        docs_url="/docs" if documented else None,
        redoc_url="/redoc" if documented else None,
        openapi_url="/openapi.json" if documented else None,
    )
    app.state.settings = settings
    app.state.clock = clock
    app.state.authenticator = Authenticator(settings)
    app.state.login_throttle = login_throttle(settings, clock)
    limit_concurrent_hashing(settings.password_hash_slots, settings.password_hash_wait_seconds)
    app.include_router(router)
    app.include_router(health_router)  # /readyz
    app.state.schema = build_schema(settings)  # one schema: /graphql and the portal's pages
    app.include_router(graphql_router(settings, app.state.schema), prefix="/graphql")
    app.include_router(uploads_router)
    app.include_router(portal_router(settings))
    app.mount("/static", portal_static(), name="static")
    _add_http_hygiene(app, settings)
    install_metrics(app, settings)  # /metrics, and the request timing (outermost)
    return app


def _add_http_hygiene(app: FastAPI, settings: Settings) -> None:
    """Every route's body-size limit (the upload form's: a document and its form), and the
    security headers on every response, the 413s and 500s included (the last middleware
    added is the outermost)."""
    upload_allowance = settings.upload_max_bytes + settings.max_request_bytes
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_request_bytes,
        allowances=[
            (UPLOAD_PATH, upload_allowance),
            (re.compile(re.escape(UPLOADS_ROUTE)), upload_allowance),
        ],
    )
    app.add_middleware(SecurityHeaders, headers=security_headers(settings))
    app.add_middleware(RequestIds)  # around the others: every response's id, its access line
    app.add_exception_handler(Exception, internal_error(settings))
