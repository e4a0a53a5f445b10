"""``GET /metrics``: open in development and tests, behind a bearer token in production.

Nothing personal is ever in it, but queue depths, error counts and route timings are an
operator's business: production serves it only to a scraper that presents
``ASPE_METRICS_TOKEN`` (without one set, it answers 401 to everyone)."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, Response

from aspe import metrics
from aspe.metrics.http import RequestMetrics
from aspe.settings import Settings

METRICS_PATH = "/metrics"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
"""Prometheus' text format (``prometheus_client.CONTENT_TYPE_LATEST``), named here so
that importing this module does not import prometheus_client (see ``aspe.metrics``)."""

router = APIRouter()


def install(app: FastAPI, settings: Settings) -> None:
    """``/metrics`` and the request timing, on ``app`` (the outermost middleware, so that
    it times the others too)."""
    metrics.configure(settings)
    app.include_router(router)
    app.add_middleware(RequestMetrics)


def check_scraper(request: Request) -> None:
    settings: Settings = request.app.state.settings
    expected = settings.metrics_token
    if expected is None and not settings.is_production:
        return
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    secret = "" if expected is None else expected.get_secret_value()
    if not secret or scheme.lower() != "bearer" or not _same(given.strip(), secret):
        raise HTTPException(
            status_code=401,
            detail="jeton de métriques requis (ASPE_METRICS_TOKEN) / metrics token required",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())  # in constant time


Scraper = Annotated[None, Depends(check_scraper)]


@router.get(METRICS_PATH, include_in_schema=False)
def metrics_text(request: Request, _: Scraper) -> Response:
    # A sync endpoint: the stores' blocking reads run in FastAPI's thread pool.
    from aspe.metrics.exposition import exposition  # imports prometheus_client

    state = request.app.state
    body = exposition(state.settings, getattr(state, "projector", None))
    return Response(body, media_type=CONTENT_TYPE)
