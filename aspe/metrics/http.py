"""Request latency by route template: ``/dossiers/{case_id}``, never the path requested."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any
from weakref import WeakKeyDictionary

from fastapi.routing import iter_route_contexts
from starlette.routing import Mount
from starlette.types import Message, Receive, Scope, Send

from aspe import metrics
from aspe.web import HttpMiddleware

UNMATCHED = "unmatched"
"""The route label of a request no route answered (a 404, a scanner's probe)."""


def route_template(scope: Scope) -> str:
    """The path template of the route that answered, so a case id, an e-mail or a name in
    the path never becomes a label. Starlette records the route in the scope; a route of an
    included router knows only its own part of the path (``""`` for ``/graphql``), so the
    whole template is looked up among the app's routes (``iter_route_contexts``, which is
    how FastAPI's own OpenAPI reads them). A mounted app (``/static``) is recorded by
    none: its template is the mount's."""
    routes = _routes(scope["app"])
    route = scope.get("route")
    if route is not None:
        path = routes.templates.get(id(route)) or getattr(route, "path_format", None)
        return path if isinstance(path, str) and path else UNMATCHED
    return next(
        (template for prefix, template in routes.mounts if scope["path"].startswith(prefix)),
        UNMATCHED,
    )


@dataclass
class _Routes:
    templates: dict[int, str] = field(default_factory=dict)
    """Each route's whole path template, by the route's identity."""
    mounts: list[tuple[str, str]] = field(default_factory=list)
    """Each mount's prefix (``/static/``) and template (``/static/{path}``)."""


_known: WeakKeyDictionary[Any, _Routes] = WeakKeyDictionary()


def _routes(app: Any) -> _Routes:
    """The app's routes, read once per app (the first request comes once all are added)."""
    routes = _known.get(app)
    if routes is None:
        routes = _Routes()
        for context in iter_route_contexts(app.routes):
            template, route = context.path_format, context.original_route
            if not template:
                continue
            routes.templates.setdefault(id(route), template)
            if isinstance(route, Mount):
                routes.mounts.append((route.path + "/", template))
        _known[app] = routes
    return routes


class RequestMetrics(HttpMiddleware):
    """ASGI middleware: times each HTTP request up to its response's headers (a live
    stream, such as the portal's updates, is timed to its start, not for its life)."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        answered = False

        async def timed(message: Message) -> None:
            nonlocal answered
            if message["type"] == "http.response.start" and not answered:
                answered = True
                self._observe(scope, message["status"], started)
            await send(message)

        try:
            await self.app(scope, receive, timed)
        finally:
            if not answered:  # an exception: the outermost handler answers 500
                self._observe(scope, 500, started)

    @staticmethod
    def _observe(scope: Scope, status: int, started: float) -> None:
        seconds = time.perf_counter() - started
        metrics.http_request(scope["method"], route_template(scope), status, seconds)
