"""``/readyz``: 200 when every check passes, 503 naming those that do not; never a 500."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from aspe.health.checks import Check
from aspe.health.readiness import Readiness, readiness
from aspe.health.sources import Serving

router = APIRouter()


@router.get("/readyz", include_in_schema=False)
async def readyz(request: Request) -> JSONResponse:
    # The checks wait on threads for up to their timeout: off the event loop.
    result = await run_in_threadpool(_readiness, request)
    return JSONResponse(result.body(), status_code=200 if result.ready else 503)


def _readiness(request: Request) -> Readiness:
    state = request.app.state
    try:
        sources = Serving(
            state.settings, state.application, state.projector, getattr(state, "follower", None)
        )
    except AttributeError:  # the store is not open (yet): the app has not started
        return Readiness([Check("store", False, "pas ouvert / not open")])
    return readiness(sources)
