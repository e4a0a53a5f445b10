"""Weekly visit compliance (association, SPSLH, commission): for each measure and each ISO
week, the visits its cadence requires (R4) and the visits made, at home and elsewhere.

Counts only: no note, theme nor household detail, so the SPSLH and the commission may read
it (DESIGN §6: "counts & weekly compliance").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypedDict, cast
from uuid import UUID

from aspe.domain.case import Case
from aspe.domain.values import MeasureType, VisitKind
from aspe.projections.column_groups import case_columns, closed_on, measure_dates_columns
from aspe.projections.readmodel import MeasuresReadModel, handles, text
from aspe.projections.tables import Row, Table
from aspe.projections.view import Changes, TableView

WEEK = timedelta(days=7)


class PendingMeasure(TypedDict):
    case_id: str
    association_id: str
    measure_type: str | None


PENDING = Table("pending", PendingMeasure, key=("case_id",))
"""Cases whose measure has not started yet: what their measure row will need."""


class MeasureRow(TypedDict):
    case_id: str
    association_id: str
    measure_type: str
    starts_on: str
    ends_on: str
    closed_on: str | None
    required_visits: int
    required_home_visits: int


MEASURES = Table("measures", MeasureRow, key=("case_id",), indexes=(("association_id",),))


class WeekRow(TypedDict):
    case_id: str
    iso_week: str
    visits: int
    home_visits: int
    attempted_visits: int


WEEKS = Table("weeks", WeekRow, key=("case_id", "iso_week"))
"""Visits held per measure and ISO week (``2026-W10``), and those attempted (nobody home);
a week without visits has no row."""


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


class WeeklyVisitCompliance(MeasuresReadModel):
    """Required counts are copied from the cadence of ``self.rules`` when a measure's row is
    made: when a département changes its cadence, the read model is rebuilt (``uses_rules``)."""

    name = "visit_compliance"
    uses_rules = True
    tables = (PENDING, MEASURES, WEEKS)

    @handles(Case.Opened)
    def opened(self, event: Case.Opened, changes: Changes) -> None:
        changes.pending.put({**case_columns(event), "measure_type": None})

    @handles(Case.MeasureGranted)
    def granted(self, event: Case.MeasureGranted, changes: Changes) -> None:
        changes.pending.update(str(event.originator_id), measure_type=event.measure_type.name)

    def columns_at_start(self, pending: PendingMeasure, event: Case.CeopSigned) -> Row:
        """The visits required are those of the measure's type when it starts (granted
        before its CEOP could be signed: the type is known)."""
        cadence = self.rules.cadence(MeasureType[cast(str, pending["measure_type"])])
        return {
            "required_visits": cadence.visits,
            "required_home_visits": cadence.home_visits,
            **measure_dates_columns(event),
            "closed_on": None,
        }

    @handles(Case.MeasureExtended)
    def extended(self, event: Case.MeasureExtended, changes: Changes) -> None:
        changes.measures.update(str(event.originator_id), ends_on=text(event.ends_on))

    @handles(Case.MeasureStopped, Case.MeasureCompleted)
    def ended(self, event: Case.MeasureStopped | Case.MeasureCompleted, changes: Changes) -> None:
        """A measure stops once started, or before its CEOP is signed (then it never ran)."""
        case_id = str(event.originator_id)
        changes.measures.update(case_id, closed_on=closed_on(event))
        changes.pending.delete(case_id)

    @handles(Case.VisitRecorded)
    def visited(self, event: Case.VisitRecorded, changes: Changes) -> None:
        """R4 counts visits *held*: the household was there. A visit with nobody home is an
        attempt, shown beside them and not counted; a missed appointment is neither."""
        key = (str(event.originator_id), iso_week(event.occurred_on))
        week = changes.weeks.get(*key) or {
            "case_id": key[0],
            "iso_week": key[1],
            "visits": 0,
            "home_visits": 0,
            "attempted_visits": 0,
        }
        if not event.household_present:
            changes.weeks.put({**week, "attempted_visits": week["attempted_visits"] + 1})
            return
        at_home = 1 if event.kind is VisitKind.HOME else 0
        changes.weeks.put(
            {**week, "visits": week["visits"] + 1, "home_visits": week["home_visits"] + at_home}
        )


# ------------------------------------------------------------------- read side
@dataclass(frozen=True)
class WeekCompliance:
    """One ISO week of a measure: visits required and made, at home and elsewhere."""

    iso_week: str
    monday: date
    required_visits: int
    required_home_visits: int
    visits: int
    home_visits: int
    compliant: bool
    attempted_visits: int = 0
    """Visits with nobody home: the association's effort, not counted as held."""

    @property
    def other_visits(self) -> int:
        return self.visits - self.home_visits


def weekly_compliance(view: TableView, case_id: UUID | str, until: date) -> list[WeekCompliance]:
    """Every ISO week of the measure up to ``until``, weeks without visits included.

    The weeks run from the week of the measure's start to the week of the earliest of
    ``until``, its end date and the date it was stopped or completed. Every week the
    measure overlaps counts in full, partial first and last weeks too: the cadence is
    weekly, and the week of ``until`` is reported even while it is still running.
    """
    measure = view.get(MEASURES, str(case_id))
    if measure is None:
        return []
    starts_on = date.fromisoformat(measure["starts_on"])
    ends = (measure["ends_on"], measure["closed_on"])
    last = min([until, *(date.fromisoformat(day) for day in ends if day is not None)])
    if last < starts_on:
        return []
    done = {row["iso_week"]: row for row in view.select(WEEKS, where={"case_id": str(case_id)})}
    monday = starts_on - timedelta(days=starts_on.weekday())
    weeks = []
    while monday <= last:
        weeks.append(_week(measure, monday, done.get(iso_week(monday))))
        monday += WEEK
    return weeks


def _week(measure: MeasureRow, monday: date, done: WeekRow | None) -> WeekCompliance:
    required, required_home = measure["required_visits"], measure["required_home_visits"]
    visits, home_visits = (done["visits"], done["home_visits"]) if done else (0, 0)
    return WeekCompliance(
        iso_week=iso_week(monday),
        monday=monday,
        required_visits=required,
        required_home_visits=required_home,
        visits=visits,
        home_visits=home_visits,
        compliant=visits >= required and home_visits >= required_home,
        attempted_visits=done["attempted_visits"] if done else 0,
    )
