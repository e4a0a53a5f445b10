"""The base of every ASPE aggregate: each event says who did it, when, and why.

``trigger_event`` stamps the command context (``actors.acting_as``) on every event, so the
audit trail is the event log itself and no command can store an event nobody answers for.
It is also the one place every command's values pass before they are stored: each is checked
there (``hygiene.check_values``), whatever the command.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, CanInitAggregate, CanMutateAggregate

from aspe.domain.actors import Actor, Role, current_context
from aspe.domain.hygiene import check_values


def _checked(values: dict[str, Any]) -> dict[str, Any]:
    """The command's values, once none holds a bad character or lies out of bounds."""
    context = current_context()
    check_values(values, context.bounds, context.today())
    return values


def _context_attributes() -> dict[str, Any]:
    context = current_context()
    return {
        "timestamp": context.now(),
        "actor_id": context.actor.id,
        "actor_role": context.actor.role,
        "actor_organisation_id": context.actor.organisation_id,
        "correlation_id": context.correlation_id,
        "causation_id": context.causation_id,
    }


class AuditedAggregate(Aggregate):
    class Event(Aggregate.Event):
        actor_id: UUID
        actor_role: Role
        actor_organisation_id: UUID | None
        correlation_id: UUID
        causation_id: UUID | None

        @property
        def actor(self) -> Actor:
            return Actor(self.actor_id, self.actor_role, self.actor_organisation_id)

    class Created(Event, Aggregate.Created):
        pass

    @classmethod
    def _create(
        cls,
        event_class: type[CanInitAggregate[UUID]],
        *,
        id: UUID | None = None,
        **kwargs: Any,
    ) -> Any:
        return super()._create(event_class, id=id, **{**_checked(kwargs), **_context_attributes()})

    def trigger_event(
        self,
        event_class: type[CanMutateAggregate[UUID]],
        **kwargs: Any,
    ) -> None:
        super().trigger_event(event_class, **{**_checked(kwargs), **_context_attributes()})
