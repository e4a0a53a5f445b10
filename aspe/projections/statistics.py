"""Statistics (the commission, the SPSLH, association managers): how many cases stand at each
status and under each measure type, how long decisions and measures take, and whether the
household was still housed when its measure ended. One row of plain facts per case, no
personal data and no free text; figures are computed on read, for the département or one
association."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, TypedDict, cast

from aspe.domain.case import STATUS_AFTER, Case
from aspe.domain.values import MeasureType, Status, StopReason
from aspe.projections import visit_compliance
from aspe.projections.column_groups import case_columns, extend_measure, measure_dates_columns
from aspe.projections.readmodel import ReadModel, handles, text, update_case
from aspe.projections.tables import Table
from aspe.projections.view import Changes, TableView


class StatisticsCase(TypedDict):
    case_id: str
    association_id: str
    status: str
    proposed_measure: str | None
    measure_type: str | None
    opened_on: str
    submitted_on: str | None
    decided_on: str | None
    starts_on: str | None
    ends_on: str | None
    closed_on: str | None
    stop_reason: str | None
    duration_months: int | None
    ended_as: str | None
    still_housed: bool | None


CASES = Table("cases", StatisticsCase, key=("case_id",), indexes=(("association_id",),))
"""``ended_as``: REJECTED, STOPPED or COMPLETED once the case is closed (``end`` is a
reserved word in SQL); ``closed_on`` the day it was."""


class StatisticsAlert(TypedDict):
    case_id: str
    raised_on: str
    association_id: str


ALERTS = Table(
    "alerts", StatisticsAlert, key=("case_id", "raised_on"), indexes=(("association_id",),)
)
"""Every non-collaboration alert raised (R7), resolved since or not: the day and the case's
association."""

EMPTY_ROW = dict.fromkeys(CASES.columns)
ENDED_MEASURES = frozenset({Status.STOPPED.name, Status.COMPLETED.name})


class Statistics(ReadModel):
    name = "statistics"
    tables = (CASES, ALERTS)

    @handles(Case.Opened)
    def opened(self, event: Case.Opened, changes: Changes) -> None:
        changes.cases.put(
            {
                **EMPTY_ROW,
                **case_columns(event),
                "status": STATUS_AFTER[Case.Opened].name,
                "opened_on": text(event.opened_on),
            }
        )

    @handles(Case.RequestSubmitted)
    def submitted(self, event: Case.RequestSubmitted, changes: Changes) -> None:
        update_case(
            changes.cases,
            event,
            proposed_measure=event.proposed_measure.name,
            submitted_on=text(event.submitted_on),
        )

    @handles(Case.RequestRegistered, Case.RequestAdjourned)
    def moved_on(
        self, event: Case.RequestRegistered | Case.RequestAdjourned, changes: Changes
    ) -> None:
        update_case(changes.cases, event)

    @handles(Case.RequestRejected)
    def rejected(self, event: Case.RequestRejected, changes: Changes) -> None:
        day = text(event.rejected_on)
        update_case(
            changes.cases, event, decided_on=day, closed_on=day, ended_as=Status.REJECTED.name
        )

    @handles(Case.MeasureGranted)
    def granted(self, event: Case.MeasureGranted, changes: Changes) -> None:
        update_case(
            changes.cases,
            event,
            measure_type=event.measure_type.name,
            decided_on=text(event.decided_on),
            duration_months=event.duration_months,
        )

    @handles(Case.CeopSigned)
    def started(self, event: Case.CeopSigned, changes: Changes) -> None:
        update_case(changes.cases, event, **measure_dates_columns(event))

    @handles(Case.MeasureExtended)
    def extended(self, event: Case.MeasureExtended, changes: Changes) -> None:
        extend_measure(changes.cases, event)

    @handles(Case.MeasureStopped)
    def stopped(self, event: Case.MeasureStopped, changes: Changes) -> None:
        update_case(
            changes.cases,
            event,
            closed_on=text(event.stopped_on),
            ended_as=Status.STOPPED.name,
            stop_reason=event.reason.name,
        )

    @handles(Case.MeasureCompleted)
    def completed(self, event: Case.MeasureCompleted, changes: Changes) -> None:
        update_case(
            changes.cases, event, closed_on=text(event.completed_on), ended_as=Status.COMPLETED.name
        )

    @handles(Case.FinalReportSubmitted)
    def final_report(self, event: Case.FinalReportSubmitted, changes: Changes) -> None:
        changes.cases.update(str(event.originator_id), still_housed=event.household_still_housed)

    @handles(Case.NonCollaborationAlertRaised)
    def alert_raised(self, event: Case.NonCollaborationAlertRaised, changes: Changes) -> None:
        case = changes.cases.get(str(event.originator_id))
        changes.alerts.put(
            {
                "case_id": str(event.originator_id),
                "raised_on": text(event.raised_on),
                "association_id": case["association_id"] if case else None,
            }
        )


# ---------------------------------------------------------------------------- reading
MONTHS = 12
"""How many months the monthly series cover, the current one last."""


@dataclass(frozen=True)
class Outcomes:
    """Among ended measures (stopped or completed): was the household still housed at the
    end, according to the final report, or is there no report yet?"""

    housed: int
    not_housed: int
    unknown: int


@dataclass(frozen=True)
class Cadence:
    """Weeks of measures that are over (the week of today is not), and those among them
    whose visits met the cadence of the measure's type (R4)."""

    measured_weeks: int
    compliant_weeks: int

    @property
    def rate(self) -> float | None:
        """The share of compliant weeks, ``None`` when no week is over yet."""
        return self.compliant_weeks / self.measured_weeks if self.measured_weeks else None


NO_WEEK = Cadence(0, 0)


@dataclass(frozen=True)
class MonthFigures:
    """One calendar month: what happened in it, and the measures running at its end."""

    month: str
    """``2026-03``."""
    opened: int
    submitted: int
    granted: dict[str, int]
    """Measures granted in the month, by type (zero included)."""
    rejected: int
    running: dict[str, int]
    """Measures started and not ended at the month's end (today for the current month), by
    type (zero included)."""
    stopped: int
    completed: int
    alerts_raised: int
    cadence: Cadence
    """The weeks that start (on Monday) in the month."""


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
    average_days_to_submission: float | None = None
    """From the case's opening to the request's submission."""
    average_days_to_start: float | None = None
    """From the grant to the measure's start (the CEOP's first signature)."""
    by_stop_reason: dict[str, int] | None = None
    """Stopped measures by the reason category (zero included)."""
    alerts_raised: int = 0
    """Non-collaboration alerts raised, resolved since or not."""
    cadence: Cadence = NO_WEEK
    """Every week of every measure that is over (``compliance`` given)."""
    months: tuple[MonthFigures, ...] = ()
    """The last ``MONTHS`` months, oldest first, the month of ``today`` last (``today``
    given)."""


def statistics(
    view: TableView,
    association_id: str | None = None,
    compliance: TableView | None = None,
    today: date | None = None,
) -> CaseStatistics:
    """The département's figures, or one association's; with the weeks' compliance when the
    ``visit_compliance`` view is given, and the monthly series when ``today`` is."""
    where = {} if association_id is None else {"association_id": association_id}
    rows = view.select(CASES, where=where)
    alerts = view.select(ALERTS, where=where)
    by_status = dict.fromkeys((status.name for status in Status), 0)
    by_measure_type = _by_type()
    by_stop_reason = dict.fromkeys((reason.name for reason in StopReason), 0)
    for row in rows:
        by_status[row["status"]] += 1
        if row["measure_type"] is not None:
            by_measure_type[row["measure_type"]] += 1
        if row["stop_reason"] is not None:
            by_stop_reason[row["stop_reason"]] += 1
    ended = [row for row in rows if row["ended_as"] in ENDED_MEASURES]
    weeks = {} if compliance is None else weeks_by_month(compliance, association_id, today)
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
        average_days_to_submission=_average_days(rows, "opened_on", "submitted_on"),
        average_days_to_start=_average_days(
            [row for row in rows if row["measure_type"] is not None], "decided_on", "starts_on"
        ),
        by_stop_reason=by_stop_reason,
        alerts_raised=len(alerts),
        cadence=Cadence(
            sum(week.measured_weeks for week in weeks.values()),
            sum(week.compliant_weeks for week in weeks.values()),
        ),
        months=() if today is None else _months(rows, alerts, weeks, today),
    )


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def last_months(today: date, count: int = MONTHS) -> list[tuple[str, date]]:
    """The last ``count`` months, oldest first: each with its last day (``today`` for the
    current one)."""
    months = []
    first = today.replace(day=1)
    end = today
    for _ in range(count):
        months.append((month_of(first), end))
        end = first - timedelta(days=1)
        first = end.replace(day=1)
    return months[::-1]


def weeks_by_month(
    compliance: TableView, association_id: str | None, today: date | None
) -> dict[str, Cadence]:
    """Weeks of measures that are over by ``today`` (when given), by the month of their
    Monday: how many, and how many met the cadence."""
    until = today or date.max - timedelta(days=7)
    where = {} if association_id is None else {"association_id": association_id}
    counts: dict[str, tuple[int, int]] = {}
    for measure in compliance.select(visit_compliance.MEASURES, where=where):
        for week in visit_compliance.weekly_compliance(compliance, measure["case_id"], until):
            if week.monday + visit_compliance.WEEK > until:
                continue  # still running
            month = month_of(week.monday)
            measured, compliant = counts.get(month, (0, 0))
            counts[month] = (measured + 1, compliant + int(week.compliant))
    return {month: Cadence(*figures) for month, figures in counts.items()}


def _months(
    rows: list[StatisticsCase],
    alerts: list[StatisticsAlert],
    weeks: dict[str, Cadence],
    today: date,
) -> tuple[MonthFigures, ...]:
    def in_month(column: str, month: str) -> list[StatisticsCase]:
        return [row for row in rows if (_column(row, column) or "")[:7] == month]

    figures = []
    for month, end in last_months(today):
        last_day = end.isoformat()
        granted = _by_type()
        for row in in_month("decided_on", month):
            if row["measure_type"] is not None:
                granted[row["measure_type"]] += 1
        running = _by_type()
        for row in rows:
            if (
                row["measure_type"] is not None
                and row["starts_on"] is not None
                and row["starts_on"] <= last_day
                and (row["closed_on"] is None or row["closed_on"] > last_day)
            ):
                running[row["measure_type"]] += 1
        closed = in_month("closed_on", month)
        figures.append(
            MonthFigures(
                month=month,
                opened=len(in_month("opened_on", month)),
                submitted=len(in_month("submitted_on", month)),
                granted=granted,
                rejected=sum(1 for row in closed if row["ended_as"] == Status.REJECTED.name),
                running=running,
                stopped=sum(1 for row in closed if row["ended_as"] == Status.STOPPED.name),
                completed=sum(1 for row in closed if row["ended_as"] == Status.COMPLETED.name),
                alerts_raised=sum(1 for alert in alerts if alert["raised_on"][:7] == month),
                cadence=weeks.get(month, NO_WEEK),
            )
        )
    return tuple(figures)


def _by_type() -> dict[str, int]:
    return dict.fromkeys((measure.name for measure in MeasureType), 0)


def _average_days(rows: Iterable[StatisticsCase], start: str, end: str) -> float | None:
    spans = [(_column(row, start), _column(row, end)) for row in rows]
    days = [
        (date.fromisoformat(until) - date.fromisoformat(since)).days
        for since, until in spans
        if since is not None and until is not None
    ]
    return sum(days) / len(days) if days else None


def _column(row: StatisticsCase, column: str) -> str | None:
    """A date column named at run time (the figures count by several)."""
    value: str | None = cast(Mapping[str, Any], row)[column]
    return value
