"""Audit trail (auditors, and each party for its own organisation's events): every stored
event of every aggregate, with who did it, in which role and organisation, when, and why
(correlation and causation ids). It holds no event content: what was done is the event's
name; the content stays in the store, behind each audience's own read model."""

from __future__ import annotations

from typing import Any, TypedDict

from aspe.domain.audited import AuditedAggregate
from aspe.projections.readmodel import ReadModel, text
from aspe.projections.tables import Table
from aspe.projections.view import Changes, TableView


class TrailRow(TypedDict):
    version: int
    organisation_id: str | None
    aggregate_id: str
    aggregate_type: str
    event: str
    occurred_at: str
    actor_id: str
    actor_role: str
    correlation_id: str
    causation_id: str | None


EVENTS = Table(
    "events",
    TrailRow,
    key=("aggregate_id", "version"),
    indexes=(("correlation_id",), ("organisation_id", "occurred_at")),
    append_only=True,
)


class AuditTrail(ReadModel):
    name = "audit_trail"
    tables = (EVENTS,)

    def apply(self, events: Any, changes: Changes) -> None:
        """Every audited event is a row: no per-type handler, one row each."""
        rows = changes.events
        for event in events:
            if isinstance(event, AuditedAggregate.Event):
                rows.add(audit_row(event))


def audit_row(event: AuditedAggregate.Event) -> dict[str, Any]:
    aggregate_type, _, event_name = type(event).__qualname__.rpartition(".")
    return {
        "aggregate_id": str(event.originator_id),
        "version": event.originator_version,
        "aggregate_type": aggregate_type,
        "event": event_name,
        "occurred_at": event.timestamp.isoformat(),
        "actor_id": str(event.actor_id),
        "actor_role": event.actor_role.name,
        "organisation_id": text(event.actor_organisation_id),
        "correlation_id": str(event.correlation_id),
        "causation_id": text(event.causation_id),
    }


def trail(view: TableView, aggregate_id: str) -> list[TrailRow]:
    """Every event of one case (or any aggregate), in the order it happened."""
    return view.select(EVENTS, where={"aggregate_id": aggregate_id}, order_by=("version",))
