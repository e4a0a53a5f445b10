"""The base of the ASGI middlewares that act on HTTP requests only (``aspe.logs.requests``,
``aspe.metrics.http``): the lifespan and any other scope go to the app untouched."""

from __future__ import annotations

from aspe.web import ASGIApp, Receive, Scope, Send


class HttpMiddleware:
    """ASGI middleware around ``app``; a subclass says in ``http`` what it does with an HTTP
    request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self.http(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError
