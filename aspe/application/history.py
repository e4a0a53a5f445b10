"""A case's story as an operator reads it: one line per event, who did what and when.

This module reads the events and finds who acted; what each event says is
``aspe.french.summaries`` (no free text people typed, nothing of the HEALTH theme).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from aspe.application.service import NOT_FOUND_MESSAGES, AspeApplication
from aspe.domain.actors import Role
from aspe.domain.audited import AuditedAggregate
from aspe.domain.case import Case
from aspe.domain.errors import NotFound
from aspe.domain.household import Household
from aspe.domain.staff import Staff
from aspe.french.events import SYSTEM_NAME, UNKNOWN_NAME
from aspe.french.summaries import CaseReading


@dataclass(frozen=True)
class HistoryLine:
    """One stored event of a case: when (UTC), who, in which role, which event, in short."""

    at: datetime
    actor: str
    role: Role
    event: str
    summary: str


HOUSEHOLD_EVENTS_IN_CASE_HISTORY: tuple[type[AuditedAggregate.Event], ...] = (
    Household.DetailsCorrected,
)
"""The household's events a case's history shows, from the case's opening on."""


def case_history(app: AspeApplication, case_id: UUID) -> list[HistoryLine]:
    """Every event of the case in order, with the corrections of its household's details;
    ``NotFound`` when ``case_id`` is not a case."""
    events = app.stored_events(case_id)
    if not events or not isinstance(events[0], Case.Opened):
        raise NotFound(NOT_FOUND_MESSAGES[Case])
    events = _with_household_events(app, events, events[0].household_id)
    names = _ActorNames(app)
    reading = CaseReading(staff_name=names.of_staff, zone=app.rules.zone)
    return [
        HistoryLine(
            at=event.timestamp,
            actor=names.of(event.actor_id, event.actor_role),
            role=event.actor_role,
            event=type(event).__name__,
            summary=reading.summarise(event),
        )
        for event in events
    ]


def _with_household_events(
    app: AspeApplication, events: list[AuditedAggregate.Event], household_id: UUID
) -> list[AuditedAggregate.Event]:
    opened_at = events[0].timestamp
    shown = [
        event
        for event in app.stored_events(household_id)
        if isinstance(event, HOUSEHOLD_EVENTS_IN_CASE_HISTORY) and event.timestamp >= opened_at
    ]
    return sorted([*events, *shown], key=lambda event: event.timestamp)


@dataclass
class _ActorNames:
    """Display names of the people who acted, each looked up once."""

    app: AspeApplication
    _known: dict[UUID, str] = field(default_factory=dict)

    def of(self, actor_id: UUID, role: Role) -> str:
        if role is Role.SYSTEM:
            return SYSTEM_NAME
        if actor_id not in self._known:
            self._known[actor_id] = self._look_up(actor_id, role)
        return self._known[actor_id]

    def of_staff(self, person_id: UUID) -> str:
        """A staff member's name: every staff role is looked up alike."""
        return self.of(person_id, Role.REFERENT)

    def _look_up(self, actor_id: UUID, role: Role) -> str:
        kind: type[Household] | type[Staff] = Household if role is Role.HOUSEHOLD else Staff
        try:
            person = self.app.load(kind, actor_id)
        except NotFound:
            return UNKNOWN_NAME
        return person.name if isinstance(person, Household) else person.full_name
