"""What every command of the application shares: a causation id, idempotency, concurrency.

``@command`` wraps an application method. Inside it, ``save`` stores the aggregates of the
use case in one atomic ``Application.save`` together with the idempotency record, when the
caller gave a key, and turns a lost race into ``ConcurrentUpdate``. ``aggregate_command``
is the use case of most commands on one aggregate (``case_command`` on a case): load it,
run the domain's method, save it.
"""

from __future__ import annotations

import contextvars
import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from eventsourcing.domain import event

from aspe import metrics
from aspe.domain.actors import Actor, acting_as, current_context
from aspe.domain.audited import AuditedAggregate
from aspe.domain.case import Case
from aspe.domain.errors import DomainError, InvalidInput
from aspe.domain.hygiene import FORBIDDEN_CHARACTERS

if TYPE_CHECKING:
    from aspe.application.service import AspeApplication

P = ParamSpec("P")
R = TypeVar("R")
A = TypeVar("A", bound=AuditedAggregate)

IDEMPOTENCY_NAMESPACE = uuid5(NAMESPACE_URL, "https://aspe.example/idempotency")
MAX_IDEMPOTENCY_KEY_LENGTH = 255
INTERNAL_ERROR = "INTERNAL_ERROR"
"""The code a command's unexpected failure (not a refusal of the domain) is counted under."""


@dataclass(frozen=True)
class Created:
    """What a command that creates an aggregate returns: its id and the stored position."""

    id: UUID
    position: int


class IdempotencyRecord(AuditedAggregate):
    """One per (actor, idempotency key), saved atomically with the command's own events.

    Its id derives from the actor and the key, so a second save of the same key conflicts in
    the store itself, whatever the number of processes, and one actor's key never answers
    for another's. The fingerprint of the arguments refuses a key reused for other values.
    """

    @staticmethod
    def id_for(actor: Actor, key: str) -> UUID:
        return uuid5(IDEMPOTENCY_NAMESPACE, f"{actor.id}:{key}")

    @event("Recorded")
    def __init__(  # the library passes the aggregate id as ``id``
        self,
        id: UUID,
        command: str,
        fingerprint: str,
        created_id: UUID | None,
    ) -> None:
        self.command = command
        self.fingerprint = fingerprint
        self.created_id = created_id


@dataclass(frozen=True)
class PendingCommand:
    """A command under way with an idempotency key: which one, and with which arguments."""

    name: str
    key: str
    fingerprint: str

    @classmethod
    def of(
        cls, name: str, key: str, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> PendingCommand:
        # The key names a record (a UUID derived from its UTF-8 bytes): it must be text, and
        # a lone surrogate cannot be encoded.
        if len(key) > MAX_IDEMPOTENCY_KEY_LENGTH or FORBIDDEN_CHARACTERS.search(key):
            raise InvalidInput("La clé d'idempotence est invalide.")
        arguments = repr((args, sorted(kwargs.items())))
        return cls(name, key, hashlib.sha256(arguments.encode()).hexdigest())

    def record_id(self) -> UUID:
        return IdempotencyRecord.id_for(current_context().actor, self.key)

    def check_matches(self, record: IdempotencyRecord) -> None:
        if (record.command, record.fingerprint) != (self.name, self.fingerprint):
            raise InvalidInput(
                "Cette clé d'idempotence a déjà servi pour une autre commande ou d'autres valeurs."
            )


_pending: contextvars.ContextVar[PendingCommand | None] = contextvars.ContextVar(
    "aspe_pending_command", default=None
)


def command(
    method: Callable[Concatenate[AspeApplication, P], R],
) -> Callable[Concatenate[AspeApplication, P], R]:
    """Run ``method`` as one command: its own causation id, an optional idempotency key,
    and the application's bounds on the values it stores.

    Callers pass ``idempotency_key=...``; a key already used returns the first run's result
    (its created id, and a position at or after its events) and stores nothing.
    """

    @functools.wraps(method)
    def run(app: AspeApplication, /, *args: P.args, **kwargs: P.kwargs) -> R:
        key = kwargs.pop("idempotency_key", None)
        context = current_context()
        pending = (
            None if key is None else PendingCommand.of(method.__name__, str(key), args, kwargs)
        )
        if pending is not None and (replayed := app.replay_idempotent(pending)) is not None:
            return replayed  # type: ignore[no-any-return]
        token = _pending.set(pending)
        try:
            with acting_as(
                context.actor,
                correlation_id=context.correlation_id,
                causation_id=context.causation_id or uuid4(),
                clock=context.clock,
                bounds=app.bounds,
                zone=app.rules.zone,
            ):
                return method(app, *args, **kwargs)
        except DomainError:
            # A concurrent send of the same key may have won meanwhile: this send's refusal
            # (a lost save, or a rule the winner's events now break) is answered as the
            # winner was.
            if pending is None or (replayed := app.replay_idempotent(pending)) is None:
                raise
            return replayed  # type: ignore[no-any-return]
        finally:
            _pending.reset(token)

    return _counted(method.__name__, run)


Q = ParamSpec("Q")


def _counted(name: str, run: Callable[Q, R]) -> Callable[Q, R]:
    """``run``, its outcome counted for ``/metrics``: accepted (an idempotent replay too:
    the caller is answered as the first time), or refused with the refusal's code."""

    @functools.wraps(run)
    def counted(*args: Q.args, **kwargs: Q.kwargs) -> R:
        try:
            result = run(*args, **kwargs)
        except DomainError as refusal:
            metrics.command_refused(name, refusal.code)
            raise
        except Exception:
            metrics.command_refused(name, INTERNAL_ERROR)
            raise
        metrics.command_accepted(name)
        return result

    return counted


def aggregate_command(
    aggregate_class: type[A],
    method: Callable[Concatenate[A, P], object],
    name: str | None = None,
) -> Callable[Concatenate[AspeApplication, UUID, P], int]:
    """The application's command ``name`` (by default ``method``'s own), a command on one
    aggregate alone: it loads the ``aggregate_class`` of the id given first, runs ``method``
    on it with the caller's other arguments and saves it.

    Its arguments are the aggregate's id, then ``method``'s own (names, types and
    defaults); a command that needs more than the aggregate (another aggregate, the rules,
    ids to convert) is an application method of its own under ``@command``.
    """

    def use_case(
        app: AspeApplication, aggregate_id: UUID, /, *args: P.args, **kwargs: P.kwargs
    ) -> int:
        aggregate = app.load(aggregate_class, aggregate_id)
        method(aggregate, *args, **kwargs)
        return app.save_command(aggregate)

    # The name keys idempotency records and names the mutation; the docstring is the domain's.
    use_case.__name__ = name or method.__name__
    use_case.__qualname__ = f"AspeApplication.{use_case.__name__}"
    use_case.__doc__ = method.__doc__
    return command(use_case)


def case_command(
    method: Callable[Concatenate[Case, P], object],
) -> Callable[Concatenate[AspeApplication, UUID, P], int]:
    """The application's command of the same name as ``method``, a command on the case
    alone (``aggregate_command``): its arguments are the case id, then ``method``'s own."""
    return aggregate_command(Case, method)


def pending_idempotency_record(created_id: UUID | None) -> IdempotencyRecord | None:
    pending = _pending.get()
    if pending is None:
        return None
    return IdempotencyRecord(pending.record_id(), pending.name, pending.fingerprint, created_id)


def replay_result(record: IdempotencyRecord, position: int) -> Any:
    return position if record.created_id is None else Created(record.created_id, position)
