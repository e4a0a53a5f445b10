"""Each HTTP request's id, its log context, and its access line.

``RequestIds`` takes the ``X-Request-ID`` a proxy sent when it is well-formed, or makes
one; puts it in the log context of everything the request runs and in the response's
header; and writes one access line when the response is sent: method, path (never the
query string: the portal's searches carry names there), status and duration. Uvicorn's own
access log is off (``aspe serve``): it would write the query string, outside any context.
"""

from __future__ import annotations

import logging
import re
import time
from uuid import UUID, uuid4

from starlette.datastructures import MutableHeaders

from aspe.logs.context import LogContext, log_scope
from aspe.web import HttpMiddleware, Message, Receive, Scope, Send

HEADER = "X-Request-ID"
WELL_FORMED = re.compile(r"[A-Za-z0-9._:-]{8,128}")
"""An id a proxy may give (a UUID, a hex digest, …); anything else is replaced, so a line
never carries what a client chose to write there."""

access = logging.getLogger("aspe.access")


def request_id_of(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            sent: str = value.decode("latin-1")
            if WELL_FORMED.fullmatch(sent):
                return sent
    return str(uuid4())


def correlation_of(request_id: str) -> str:
    """The request id when it is a UUID (as the commands' correlation ids are), else a new
    UUID."""
    try:
        return str(UUID(request_id))
    except ValueError:
        return str(uuid4())


class RequestIds(HttpMiddleware):
    """ASGI middleware: the request's id and log context, its header, its access line."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = request_id_of(scope)
        context = LogContext(request_id=request_id, correlation_id=correlation_of(request_id))
        started, status = time.perf_counter(), [500]

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                MutableHeaders(scope=message)[HEADER] = request_id
            await send(message)

        with log_scope(context):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                _access_line(scope, status[0], time.perf_counter() - started)


def _access_line(scope: Scope, status: int, seconds: float) -> None:
    method, path = scope["method"], scope["path"]
    duration_ms = round(seconds * 1000, 1)
    access.info(
        "%s %s %s %.1f ms",
        method,
        path,
        status,
        duration_ms,
        extra={"method": method, "path": path, "status": status, "duration_ms": duration_ms},
    )
