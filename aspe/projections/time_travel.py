"""What a read model held at an earlier moment, from the events stored up to then.

The aggregate's own state at an instant is ``AspeApplication.case_as_of``; this module
answers the read side's question: what did the commission's agenda item say when the
commission decided? The case's events before its decision (and its household's) are
replayed into the ``CommissionAgenda`` read model in memory: the same code that builds
today's agenda, so the answer cannot drift from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast
from uuid import UUID

from eventsourcing.persistence import Tracking

from aspe.application import AspeApplication
from aspe.domain.case import Case
from aspe.domain.errors import NotFound
from aspe.domain.rules import RuleParameters
from aspe.projections.commission_agenda import ITEMS, AgendaItem, CommissionAgenda
from aspe.projections.readmodel import ReadModel
from aspe.projections.view import APPLICATION_NAME, MemoryView, TableView

DECISIONS = (Case.MeasureGranted, Case.RequestRejected, Case.RequestAdjourned)


@dataclass(frozen=True)
class AgendaAtDecision:
    decision: str
    decided_at: datetime
    item: AgendaItem | None


def agenda_item_at_decision(app: AspeApplication, case_id: UUID) -> AgendaAtDecision:
    """The agenda item of ``case_id`` as it stood when its latest decision was stored."""
    events = app.stored_events(case_id)
    decisions = [i for i, event in enumerate(events) if isinstance(event, DECISIONS)]
    if not events or not isinstance(events[0], Case.Opened):
        raise NotFound("Dossier introuvable.")
    if not decisions:
        raise NotFound("La commission n'a pas encore statué sur ce dossier.")
    decision = events[decisions[-1]]
    household_events = app.stored_events(events[0].household_id, until=decision.timestamp)
    agenda = replay(CommissionAgenda, [*household_events, *events[: decisions[-1]]], app.rules)
    return AgendaAtDecision(
        decision=type(decision).__name__,
        decided_at=decision.timestamp,
        item=agenda.get(ITEMS, str(case_id)),
    )


def replay(read_model: type[ReadModel], events: list[Any], rules: RuleParameters) -> MemoryView:
    """``events`` applied in time order by ``read_model`` to tables in memory (a stable sort:
    events stored at the same instant keep the order they are given in), with the
    deployment's rules (its time zone among them) as the live read model has them."""
    view = MemoryView(read_model.name, read_model.tables)
    model = read_model(cast(TableView, view), rules=rules)
    model.process_batch(sorted(events, key=lambda e: e.timestamp), Tracking(APPLICATION_NAME, 0))
    return view
