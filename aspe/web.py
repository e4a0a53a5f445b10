"""HTTP hygiene of every route, as ASGI middleware around the whole app (``aspe.api``);
``HttpMiddleware``, the base of those that act on HTTP requests only (these two, the
request ids of ``aspe.logs`` and the timings of ``aspe.metrics``).

- ``BodySizeLimit``: a request body larger than its route allows is refused (413) before
  the route reads it — the declared ``Content-Length`` first, then the bytes as they come
  (a chunked body has no length to declare). ``/graphql`` answers in JSON
  (``REQUEST_TOO_LARGE``), every other path with a short French page.
- ``SecurityHeaders``: a Content-Security-Policy, ``nosniff``, a referrer policy, and HSTS
  in production, on every response (``internal_error`` gives them to a 500 too, which
  Starlette sends from outside the middleware).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from aspe.settings import Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class HttpMiddleware:
    """ASGI middleware around ``app`` that acts on HTTP requests only: a subclass says in
    ``http`` what it does with one; the lifespan and any other scope go to the app untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self.http(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError


GRAPHQL_PATH = "/graphql"
REQUEST_TOO_LARGE = "REQUEST_TOO_LARGE"
TOO_LARGE_MESSAGE = "La requête est trop volumineuse."
TOO_LARGE_PAGE = """<!doctype html>
<html lang="fr">
<head><meta charset="utf-8"><title>Requête trop volumineuse — ASPE</title>
<link rel="stylesheet" href="/static/aspe.css"></head>
<body><main id="contenu" class="carte">
<h1>Requête trop volumineuse</h1>
<p>La requête est trop volumineuse : elle dépasse la taille qu'accepte ce formulaire.
Un document à joindre ne doit pas dépasser la taille maximale indiquée sur la page.</p>
<p><a href="/">Revenir à l'accueil</a></p>
</main></body>
</html>
"""


# ------------------------------------------------------------------ body size
class RequestTooLarge(Exception):
    """Raised to the route reading a body past its limit (it never sees the rest)."""


Allowance = tuple[re.Pattern[str], int]
"""A path (a regular expression matched whole) allowed a larger body than the default."""


class BodySizeLimit(HttpMiddleware):
    """ASGI middleware: refuses (413) a request whose body, or query string, is larger than
    ``max_bytes`` — or than the allowance of its path (``allowances``: the upload route) —
    before the route reads it.

    A body that grows past the limit while it is read is cut off: the route's reading
    raises ``RequestTooLarge``, and whatever the route makes of that (a form without its
    CSRF token, say) is replaced by the 413."""

    def __init__(self, app: ASGIApp, max_bytes: int, allowances: Sequence[Allowance] = ()):
        super().__init__(app)
        self.max_bytes = max_bytes
        self.allowances = tuple(allowances)

    def limit_for(self, path: str) -> int:
        for pattern, allowed in self.allowances:
            if pattern.fullmatch(path):
                return allowed
        return self.max_bytes

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.limit_for(scope["path"])
        if _declared_size(scope) > limit:
            await too_large(scope, send)
            return
        cut = _Cut(limit, receive, send)
        try:
            await self.app(scope, cut.receive, cut.send)
        except Exception:
            if not cut.exceeded:
                raise
            # The route failed on the body it was refused: the 413 is the whole story.
        if cut.exceeded and not cut.started:
            await too_large(scope, send)


class _Cut:
    """One request's ``receive`` counting the body, and ``send`` silenced once it is cut."""

    def __init__(self, limit: int, receive: Receive, send: Send) -> None:
        self.limit = limit
        self._receive, self._send = receive, send
        self.received = 0
        self.exceeded = False
        self.started = False

    async def receive(self) -> Message:
        if self.exceeded:
            raise RequestTooLarge()
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                self.exceeded = True
                raise RequestTooLarge()
        return message

    async def send(self, message: Message) -> None:
        if self.exceeded and not self.started:
            return  # the route's answer to a body it did not get whole: replaced by the 413
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)


def _declared_size(scope: Scope) -> int:
    size = len(scope.get("query_string", b""))
    for name, value in scope.get("headers", ()):
        if name == b"content-length" and value.isdigit():  # else: counted as it comes
            size = max(size, int(value))
    return size


async def too_large(scope: Scope, send: Send) -> None:
    """413: JSON with its code for ``/graphql``, a French page elsewhere (the portal's).
    The connection is closed: the rest of the body is not read."""
    if scope["path"].startswith(GRAPHQL_PATH):
        error = {"message": TOO_LARGE_MESSAGE, "extensions": {"code": REQUEST_TOO_LARGE}}
        body = json.dumps({"errors": [error]}, ensure_ascii=False).encode()
        media_type = b"application/json"
    else:
        body, media_type = TOO_LARGE_PAGE.encode(), b"text/html; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", media_type),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


# ------------------------------------------------------------------ headers
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    )
)
"""The portal's pages: their stylesheet and script from ``/static``, no inline script or
style, live updates (``/evenements``) from the same origin; no page may be framed."""

GRAPHIQL_CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' https://unpkg.com",
        "style-src 'self' 'unsafe-inline' https://unpkg.com",
        "font-src 'self' data: https://unpkg.com",
        "img-src 'self' data:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    )
)
"""GraphiQL (development only; production serves no IDE): strawberry's page loads React and
GraphiQL from unpkg (with subresource integrity) and runs an inline script."""

HSTS = "max-age=31536000; includeSubDomains"


def security_headers(settings: Settings) -> list[tuple[str, str]]:
    """The headers every response gets (a response may set its own policy first)."""
    headers = [
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("X-Frame-Options", "DENY"),
    ]
    if settings.is_production:
        headers.append(("Strict-Transport-Security", HSTS))
    return headers


class SecurityHeaders(HttpMiddleware):
    """ASGI middleware: adds ``headers`` to every HTTP response that does not set them."""

    def __init__(self, app: ASGIApp, headers: Sequence[tuple[str, str]]) -> None:
        super().__init__(app)
        self.headers = tuple(headers)

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers:
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def internal_error(settings: Settings) -> Callable[[Request, Exception], Response]:
    """The 500 of an unexpected error (Starlette logs its stack trace), with the headers:
    Starlette sends it from outside every middleware."""
    headers = dict(security_headers(settings))

    def handler(request: Request, error: Exception) -> Response:
        return PlainTextResponse(
            "Une erreur interne est survenue.", status_code=500, headers=headers
        )

    return handler
