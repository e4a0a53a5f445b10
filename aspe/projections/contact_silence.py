"""Contact silence (the platform's non-collaboration detector, and the association): for each
measure, the last meeting or contact with the household, the alert clock's suspensions and
the silent periods already alerted, so the detector finds the alerts due (R7) without
loading every case.

Silent days and whether an alert is due come from ``aspe.domain.rules``, the functions the
Case aggregate uses: the detector and the command it triggers agree on every date.
"""

from __future__ import annotations

from datetime import date
from typing import TypedDict

from aspe.domain.case import Case, day_heard_from_household
from aspe.domain.rules import (
    RuleParameters,
    anchor_of_silence,
    count_silent_days,
    non_collaboration_alert_due,
)
from aspe.domain.values import Period
from aspe.projections.column_groups import case_columns
from aspe.projections.readmodel import MeasuresReadModel, assign_referent, handles, text
from aspe.projections.tables import Row, Table
from aspe.projections.view import Changes, TableView


class PendingMeasure(TypedDict):
    case_id: str
    association_id: str
    referent_id: str


PENDING = Table("pending", PendingMeasure, key=("case_id",))
"""Cases whose measure has not started yet: what their measure row will need."""


class SilenceRow(TypedDict):
    case_id: str
    association_id: str
    referent_id: str
    starts_on: str
    suspensions: list[list[str]]
    last_contact_on: str | None
    alerted_silences: list[str]
    active: bool


MEASURES = Table(
    "measures", SilenceRow, key=("case_id",), indexes=(("active",), ("association_id", "active"))
)
"""One row per measure started; ``active`` turns false when it is stopped or completed.
``suspensions`` are ``[starts_on, ends_on]`` pairs; ``alerted_silences`` the anchors
(``silent_since``) of the silent periods already alerted."""


class ContactSilence(MeasuresReadModel):
    name = "contact_silence"
    tables = (PENDING, MEASURES)

    @handles(Case.Opened)
    def opened(self, event: Case.Opened, changes: Changes) -> None:
        changes.pending.put({**case_columns(event), "referent_id": str(event.referent_id)})

    @handles(Case.ReferentAssigned)
    def referent_assigned(self, event: Case.ReferentAssigned, changes: Changes) -> None:
        assign_referent(event, changes.pending, changes.measures)

    def columns_at_start(self, pending: PendingMeasure, event: Case.CeopSigned) -> Row:
        return {
            "starts_on": text(event.starts_on),
            "last_contact_on": None,
            "suspensions": [],
            "alerted_silences": [],
            "active": True,
        }

    @handles(Case.VisitRecorded, Case.ContactRecorded)
    def heard_from_household(
        self, event: Case.VisitRecorded | Case.ContactRecorded, changes: Changes
    ) -> None:
        """A visit counts when the household was there (``day_heard_from_household``)."""
        day = day_heard_from_household(event)
        measure = changes.measures.get(str(event.originator_id))
        if day is None or measure is None:
            return
        on = day.isoformat()
        if (measure["last_contact_on"] or "") < on:
            changes.measures.put({**measure, "last_contact_on": on})

    @handles(Case.AlertClockSuspended)
    def suspended(self, event: Case.AlertClockSuspended, changes: Changes) -> None:
        measure = changes.measures.get(str(event.originator_id))
        if measure is not None:
            period = [text(event.period.starts_on), text(event.period.ends_on)]
            changes.measures.put({**measure, "suspensions": [*measure["suspensions"], period]})

    @handles(Case.NonCollaborationAlertRaised)
    def alerted(self, event: Case.NonCollaborationAlertRaised, changes: Changes) -> None:
        measure = changes.measures.get(str(event.originator_id))
        if measure is not None:
            alerted = [*measure["alerted_silences"], text(event.silent_since)]
            changes.measures.put({**measure, "alerted_silences": alerted})

    @handles(Case.MeasureStopped, Case.MeasureCompleted)
    def ended(self, event: Case.MeasureStopped | Case.MeasureCompleted, changes: Changes) -> None:
        case_id = str(event.originator_id)
        changes.measures.update(case_id, active=False)
        changes.pending.delete(case_id)


# ------------------------------------------------------------------- read side
def silence_anchor(row: SilenceRow) -> date | None:
    """The later of the measure's start and its last meeting or contact."""
    return anchor_of_silence(_day(row["starts_on"]), _day(row["last_contact_on"]))


def silent_days(row: SilenceRow, as_of: date) -> int:
    """Whole days after the anchor and before ``as_of``, less the suspended ones."""
    return count_silent_days(silence_anchor(row), as_of, _suspensions(row))


def alerts_due(view: TableView, as_of: date, rules: RuleParameters) -> list[SilenceRow]:
    """The active measures whose non-collaboration alert is due on ``as_of``."""
    return [
        row
        for row in view.select(MEASURES, where={"active": True})
        if non_collaboration_alert_due(
            silence_anchor(row),
            as_of,
            _suspensions(row),
            {date.fromisoformat(day) for day in row["alerted_silences"]},
            rules,
        )
    ]


def _suspensions(row: SilenceRow) -> list[Period]:
    return [Period(date.fromisoformat(s), date.fromisoformat(e)) for s, e in row["suspensions"]]


def _day(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)
