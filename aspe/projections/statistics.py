"""Statistics (the commission, the SPSLH, association managers): how many cases stand at each
status and under each measure type, how long decisions and measures take, and whether the
household was still housed when its measure ended. One row of plain facts per case, no
personal data and no free text; figures are computed on read, for the département or one
association."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from aspe.domain.case import STATUS_AFTER, Case
from aspe.domain.values import MeasureType, Status
from aspe.projections.readmodel import ReadModel, handles, text
from aspe.projections.tables import BOOL, INT, TEXT, Row, Table
from aspe.projections.view import Changes, TableView

CASES = Table(
    "cases",
    {
        "case_id": TEXT,
        "association_id": TEXT,
        "status": TEXT,
        "proposed_measure": TEXT,
        "measure_type": TEXT,
        "opened_on": TEXT,
        "submitted_on": TEXT,
        "decided_on": TEXT,
        "starts_on": TEXT,
        "ends_on": TEXT,
        "closed_on": TEXT,
        "ended_as": TEXT,
        "stop_reason": TEXT,
        "duration_months": INT,
        "still_housed": BOOL,
    },
    key=("case_id",),
    indexes=(("association_id",),),
)
"""``ended_as``: REJECTED, STOPPED or COMPLETED once the case is closed (``end`` is a
reserved word in SQL); ``closed_on`` the day it was."""

EMPTY_ROW = dict.fromkeys(CASES.columns)
ENDED_MEASURES = frozenset({Status.STOPPED.name, Status.COMPLETED.name})


class Statistics(ReadModel):
    name = "statistics"
    tables = (CASES,)

    @handles(Case.Opened)
    def opened(self, event: Any, changes: Changes) -> None:
        changes.cases.put(
            {
                **EMPTY_ROW,
                "case_id": str(event.originator_id),
                "association_id": str(event.association_id),
                "status": STATUS_AFTER[Case.Opened].name,
                "opened_on": text(event.opened_on),
            }
        )

    @handles(Case.RequestSubmitted)
    def submitted(self, event: Any, changes: Changes) -> None:
        self._update(
            changes,
            event,
            proposed_measure=event.proposed_measure.name,
            submitted_on=text(event.submitted_on),
        )

    @handles(Case.RequestRegistered, Case.RequestAdjourned)
    def moved_on(self, event: Any, changes: Changes) -> None:
        self._update(changes, event)

    @handles(Case.RequestRejected)
    def rejected(self, event: Any, changes: Changes) -> None:
        day = text(event.rejected_on)
        self._update(changes, event, decided_on=day, closed_on=day, ended_as=Status.REJECTED.name)

    @handles(Case.MeasureGranted)
    def granted(self, event: Any, changes: Changes) -> None:
        self._update(
            changes,
            event,
            measure_type=event.measure_type.name,
            decided_on=text(event.decided_on),
            duration_months=event.duration_months,
        )

    @handles(Case.CeopSigned)
    def started(self, event: Any, changes: Changes) -> None:
        self._update(changes, event, starts_on=text(event.starts_on), ends_on=text(event.ends_on))

    @handles(Case.MeasureExtended)
    def extended(self, event: Any, changes: Changes) -> None:
        case = changes.cases.get(str(event.originator_id))
        if case is None:
            return
        changes.cases.put(
            {
                **case,
                "ends_on": text(event.ends_on),
                "duration_months": (case["duration_months"] or 0) + event.additional_months,
            }
        )

    @handles(Case.MeasureStopped)
    def stopped(self, event: Any, changes: Changes) -> None:
        self._update(
            changes,
            event,
            closed_on=text(event.stopped_on),
            ended_as=Status.STOPPED.name,
            stop_reason=event.reason.name,
        )

    @handles(Case.MeasureCompleted)
    def completed(self, event: Any, changes: Changes) -> None:
        self._update(
            changes, event, closed_on=text(event.completed_on), ended_as=Status.COMPLETED.name
        )

    @handles(Case.FinalReportSubmitted)
    def final_report(self, event: Any, changes: Changes) -> None:
        changes.cases.update(str(event.originator_id), still_housed=event.household_still_housed)

    @staticmethod
    def _update(changes: Changes, event: Any, **values: Any) -> None:
        """The case's row with ``values``, at the status the event leaves it in."""
        changes.cases.update(
            str(event.originator_id), status=STATUS_AFTER[type(event)].name, **values
        )


# ---------------------------------------------------------------------------- reading
@dataclass(frozen=True)
class Outcomes:
    """Among ended measures (stopped or completed): was the household still housed at the
    end, according to the final report, or is there no report yet?"""

    housed: int
    not_housed: int
    unknown: int


@dataclass(frozen=True)
class CaseStatistics:
    """The figures of ``statistics``. Averages are ``None`` when nothing was measured."""

    cases: int
    by_status: dict[str, int]
    """Every status by name, zero included."""
    by_measure_type: dict[str, int]
    """Granted measures, by the type the commission decided (zero included)."""
    average_days_to_decision: float | None
    """From submission to the commission's grant or rejection."""
    average_measure_days: float | None
    """From the measure's start to its stop or completion, for ended measures that started."""
    outcomes: Outcomes


def statistics(view: TableView, association_id: str | None = None) -> CaseStatistics:
    """The département's figures, or one association's."""
    where = {} if association_id is None else {"association_id": association_id}
    rows = view.select(CASES, where=where)
    by_status = dict.fromkeys((status.name for status in Status), 0)
    by_measure_type = dict.fromkeys((measure.name for measure in MeasureType), 0)
    for row in rows:
        by_status[row["status"]] += 1
        if row["measure_type"] is not None:
            by_measure_type[row["measure_type"]] += 1
    ended = [row for row in rows if row["ended_as"] in ENDED_MEASURES]
    return CaseStatistics(
        cases=len(rows),
        by_status=by_status,
        by_measure_type=by_measure_type,
        average_days_to_decision=_average_days(rows, "submitted_on", "decided_on"),
        average_measure_days=_average_days(ended, "starts_on", "closed_on"),
        outcomes=Outcomes(
            housed=sum(1 for row in ended if row["still_housed"] is True),
            not_housed=sum(1 for row in ended if row["still_housed"] is False),
            unknown=sum(1 for row in ended if row["still_housed"] is None),
        ),
    )


def _average_days(rows: Iterable[Row], start: str, end: str) -> float | None:
    days = [
        (date.fromisoformat(row[end]) - date.fromisoformat(row[start])).days
        for row in rows
        if row[start] is not None and row[end] is not None
    ]
    return sum(days) / len(days) if days else None
