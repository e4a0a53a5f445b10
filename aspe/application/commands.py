"""What every command of the application shares: a causation id, idempotency, concurrency.

``@command`` wraps an application method. Inside it, ``save`` stores the aggregates of the
use case in one atomic ``Application.save`` together with the idempotency record, when the
caller gave a key, and turns a lost race into ``ConcurrentUpdate``.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from eventsourcing.domain import event

from aspe.domain.actors import acting_as, current_context
from aspe.domain.audited import AuditedAggregate
from aspe.domain.errors import InvalidInput

if TYPE_CHECKING:
    from aspe.application.service import AspeApplication

P = ParamSpec("P")
R = TypeVar("R")

IDEMPOTENCY_NAMESPACE = uuid5(NAMESPACE_URL, "https://aspe.example/idempotency")


@dataclass(frozen=True)
class Created:
    """What a command that creates an aggregate returns: its id and the stored position."""

    id: UUID
    position: int


class IdempotencyRecord(AuditedAggregate):
    """One per idempotency key, saved atomically with the command's own events.

    Its id derives from the key, so a second save of the same key conflicts in the store
    itself, whatever the number of processes.
    """

    @staticmethod
    def id_for(key: str) -> UUID:
        return uuid5(IDEMPOTENCY_NAMESPACE, key)

    @event("Recorded")
    def __init__(self, id: UUID, command: str, created_id: UUID | None) -> None:
        self.command = command
        self.created_id = created_id


@dataclass
class _PendingCommand:
    name: str
    key: str | None


_pending: contextvars.ContextVar[_PendingCommand | None] = contextvars.ContextVar(
    "aspe_pending_command", default=None
)


def command(
    method: Callable[Concatenate[AspeApplication, P], R],
) -> Callable[Concatenate[AspeApplication, P], R]:
    """Run ``method`` as one command: its own causation id and an optional idempotency key.

    Callers pass ``idempotency_key=...``; a key already used returns the first run's result
    (its created id, and a position at or after its events) and stores nothing.
    """

    @functools.wraps(method)
    def run(app: AspeApplication, /, *args: P.args, **kwargs: P.kwargs) -> R:
        key = kwargs.pop("idempotency_key", None)
        if key is not None:
            replayed = app.replay_idempotent(method.__name__, str(key))
            if replayed is not None:
                return replayed  # type: ignore[no-any-return]
        context = current_context()
        token = _pending.set(_PendingCommand(method.__name__, None if key is None else str(key)))
        try:
            with acting_as(
                context.actor,
                correlation_id=context.correlation_id,
                causation_id=context.causation_id or uuid4(),
                clock=context.clock,
            ):
                return method(app, *args, **kwargs)
        finally:
            _pending.reset(token)

    return run


def pending_idempotency_record(created_id: UUID | None) -> IdempotencyRecord | None:
    pending = _pending.get()
    if pending is None or pending.key is None:
        return None
    return IdempotencyRecord(
        id=IdempotencyRecord.id_for(pending.key), command=pending.name, created_id=created_id
    )


def pending_key() -> str | None:
    pending = _pending.get()
    return None if pending is None else pending.key


def check_same_command(record: IdempotencyRecord, command_name: str) -> None:
    if record.command != command_name:
        raise InvalidInput("Cette clé d'idempotence a déjà servi pour une autre commande.")


def replay_result(record: IdempotencyRecord, position: int) -> Any:
    return position if record.created_id is None else Created(record.created_id, position)
