"""What a log line belongs to: the request or task being served, and who asked.

One mutable ``LogContext`` per request or task, held in a context variable: code deeper
down (a FastAPI dependency, a thread of the pool, a child task) copies the variable but
shares the object, so an actor identified there is seen by the access line written at
the end of the request.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from uuid import UUID

from aspe.domain.actors import Role


@dataclass
class LogContext:
    request_id: str | None = None
    correlation_id: str | None = None
    actor_id: str | None = None
    actor_role: str | None = None


_current: contextvars.ContextVar[LogContext | None] = contextvars.ContextVar(
    "aspe_log_context", default=None
)


def current_log_context() -> LogContext | None:
    return _current.get()


Scope = contextvars.Token[LogContext | None]


def enter(context: LogContext) -> Scope:
    """Lines logged from now on belong to ``context`` (until ``leave``)."""
    return _current.set(context)


def leave(scope: Scope) -> None:
    _current.reset(scope)


@contextmanager
def log_scope(context: LogContext) -> Iterator[LogContext]:
    """Lines logged within the block belong to ``context``."""
    scope = enter(context)
    try:
        yield context
    finally:
        leave(scope)


def identify(actor_id: UUID, role: Role) -> None:
    """The current request is made by this account, in this role (ids only, never names)."""
    context = _current.get()
    if context is not None:
        context.actor_id, context.actor_role = str(actor_id), role.value


def request_correlation_id() -> UUID | None:
    """The correlation id the commands of the current request carry (``acting_as``), so
    their events and the request's log lines can be joined; ``None`` outside a request."""
    context = _current.get()
    if context is None or context.correlation_id is None:
        return None
    try:
        return UUID(context.correlation_id)
    except ValueError:
        return None
