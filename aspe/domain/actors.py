"""Who is acting, and on whose behalf: the request-scoped context of every command.

A command reads its actor from here rather than from a parameter threaded through every
signature; every event it triggers is stamped with the same context (see ``audited.py``).
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from enum import Enum
from uuid import UUID, uuid4

from aspe.domain.bounds import DEFAULT_BOUNDS, InputBounds
from aspe.domain.errors import NoActor
from aspe.domain.local_time import PARIS, day_of


class Role(Enum):
    REFERENT = "REFERENT"
    ASSOCIATION_MANAGER = "ASSOCIATION_MANAGER"
    SPSLH_AGENT = "SPSLH_AGENT"
    COMMISSION_MEMBER = "COMMISSION_MEMBER"
    LANDLORD = "LANDLORD"
    HOUSEHOLD = "HOUSEHOLD"
    AUDITOR = "AUDITOR"
    ADMIN = "ADMIN"
    SYSTEM = "SYSTEM"
    """The platform itself: scheduled detectors and end-of-measure completion."""


ASSOCIATION_ROLES = frozenset({Role.REFERENT, Role.ASSOCIATION_MANAGER})


@dataclass(frozen=True)
class Actor:
    """A person (staff or household account) or the system, with the role they act in."""

    id: UUID
    role: Role
    organisation_id: UUID | None = None

    def is_association_staff_of(self, association_id: UUID) -> bool:
        return self.role in ASSOCIATION_ROLES and self.organisation_id == association_id


SYSTEM_ACTOR = Actor(id=UUID(int=0), role=Role.SYSTEM)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class CommandContext:
    """What every event of one command carries: actor, correlation, causation, clock; the
    bounds its values must stay within; and where the people are, for what day it is."""

    actor: Actor
    correlation_id: UUID = field(default_factory=uuid4)
    causation_id: UUID | None = None
    clock: Callable[[], datetime] = utc_now
    bounds: InputBounds = DEFAULT_BOUNDS
    zone: tzinfo = PARIS

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        """The date where the people are (``ASPE_TIMEZONE``), not the UTC date."""
        return day_of(self.clock(), self.zone)


_current: contextvars.ContextVar[CommandContext | None] = contextvars.ContextVar(
    "aspe_command_context", default=None
)


@contextmanager
def acting_as(
    actor: Actor,
    *,
    correlation_id: UUID | None = None,
    causation_id: UUID | None = None,
    clock: Callable[[], datetime] | None = None,
    bounds: InputBounds | None = None,
    zone: tzinfo | None = None,
) -> Iterator[CommandContext]:
    """Run the commands of the block on behalf of ``actor``.

    Nested blocks inherit the outer correlation id, clock, bounds and zone unless given new
    ones, so a command caused by another (a detector's alert, say) stays in the same
    conversation.
    """
    outer = _current.get()
    context = CommandContext(
        actor=actor,
        correlation_id=correlation_id or (outer.correlation_id if outer else uuid4()),
        causation_id=causation_id,
        clock=clock or (outer.clock if outer else utc_now),
        bounds=bounds or (outer.bounds if outer else DEFAULT_BOUNDS),
        zone=zone or (outer.zone if outer else PARIS),
    )
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


def current_context() -> CommandContext:
    context = _current.get()
    if context is None:
        raise NoActor()
    return context


def current_actor() -> Actor:
    return current_context().actor
