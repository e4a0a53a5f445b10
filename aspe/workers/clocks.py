"""The regulatory clocks of the cahier des charges, run by Celery beat (DESIGN §8).

- R7: every day, the non-collaboration detector raises the alert due on each silent measure,
  as the platform (``SYSTEM_ACTOR``), once per silent period, suspended days not counted.
- R5, R6: every day, the measures whose end date has come are completed.
- Every day, the referent of a measure ending within ``reminder_days_before_end`` days is
  reminded of it (once: the message's key names the case, its end date and the account).
- R4: every week, each referent gets the list of their measures below cadence the week
  before; a referent whose measures all kept their cadence gets nothing.
- Every day, retention archives the closed cases and erases the households whose time has
  come (``aspe.privacy.retention``).

``Clocks`` decides from read models brought up to the store's head first, so a run never
acts on a view older than the events already stored. Every clock is idempotent: the alerts
and completions go through the application with an idempotency key derived from what they
answer (the case and its silence, the case and its end date), and the messages carry a key
that the delivery records once. Running a clock twice, or two runs at once, does it once.
The Celery tasks below are thin: they build a ``Clocks`` from ``Settings`` and call it.
"""

from __future__ import annotations

import functools
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from celery import Task, shared_task

from aspe import french, metrics
from aspe.application import AspeApplication
from aspe.domain.actors import SYSTEM_ACTOR, CommandContext, acting_as, utc_now
from aspe.domain.errors import ConcurrentUpdate, DomainError
from aspe.domain.values import MeasureType, Status
from aspe.french import labels
from aspe.privacy import retention
from aspe.privacy.erasure import Places
from aspe.privacy.retention import Due, Periods, RetentionRun
from aspe.projections import directory
from aspe.projections.caseload import CASES, AssociationCaseload, CaseloadRow
from aspe.projections.contact_silence import (
    ContactSilence,
    SilenceRow,
    alerts_due,
    silence_anchor,
)
from aspe.projections.directory import Directory
from aspe.projections.errors import ProjectionTimeout
from aspe.projections.retention import Retention
from aspe.projections.runner import Projector
from aspe.projections.view import TableView
from aspe.projections.visit_compliance import (
    MEASURES,
    WeekCompliance,
    WeeklyVisitCompliance,
    iso_week,
    weekly_compliance,
)
from aspe.settings import Settings
from aspe.workers import clock_runs
from aspe.workers.app import AspeCelery, settings_of
from aspe.workers.delivery import dispatch
from aspe.workers.messages import Message, Recipient
from aspe.workers.recipients import reader
from aspe.workers.schedule import (
    COMPLETION_TASK,
    DETECTOR_TASK,
    DIGEST_TASK,
    REMINDER_TASK,
    RETENTION_TASK,
)

log = logging.getLogger(__name__)


CLOCK_READ_MODELS = (
    ContactSilence.name,
    AssociationCaseload.name,
    WeeklyVisitCompliance.name,
    Directory.name,
    Retention.name,
)
"""The read models the clocks decide from, and find their recipients in."""


@dataclass
class ClockRun:
    """What one run of a clock did: the cases it acted on, those the domain refused (with
    the refusal's code: the read model and the case disagreed, the case changed since),
    and those lost to a concurrent command, to be tried again."""

    done: list[UUID] = field(default_factory=list)
    refused: dict[UUID, str] = field(default_factory=dict)
    lost: list[UUID] = field(default_factory=list)

    def attempt(self, case_id: UUID, command: Callable[[], object]) -> None:
        try:
            command()
        except ConcurrentUpdate:
            self.lost.append(case_id)
        except DomainError as refusal:
            log.warning("clock: case %s refused with %s: %s", case_id, refusal.code, refusal)
            self.refused[case_id] = refusal.code
        else:
            self.done.append(case_id)

    def check_complete(self) -> None:
        """Raise ``ConcurrentUpdate`` if a case was lost, so the task runs again."""
        if self.lost:
            raise ConcurrentUpdate()


@dataclass
class Clocks:
    """The clocks over one application and its read models, on the clock ``now``."""

    app: AspeApplication
    projector: Projector
    settings: Settings
    now: Callable[[], datetime] = utc_now
    erasure_places: Callable[[], AbstractContextManager[Places]] | None = None
    """Where an erasure purges (``bootstrap.erasure_places``): the retention clock's."""

    # ------------------------------------------------------------- retention
    def retention_due(self) -> Due:
        """The archives and erasures retention asks for today."""
        return retention.due(self._view(Retention.name), self._today(), self._periods())

    def apply_retention(self) -> RetentionRun:
        """Archive and erase what is due today, as the platform."""
        if self.erasure_places is None:
            raise TypeError("the retention clock needs erasure_places (bootstrap.build_clocks)")
        todo = self.retention_due()
        with self._as_system():
            return retention.apply(self.app, self.erasure_places, todo, self._periods())

    def _periods(self) -> Periods:
        return Periods(self.settings.archive_after_months, self.settings.erase_after_years)

    # ------------------------------------------------------------------ R7
    def detect_non_collaboration(self) -> ClockRun:
        """Raise every non-collaboration alert due today, as the platform."""
        view = self._view(ContactSilence.name)
        run = ClockRun()
        with self._as_system() as context:
            for row in alerts_due(view, context.today(), self.app.rules):
                case_id, key = UUID(row["case_id"]), _alert_key(row)
                run.attempt(case_id, self._raise_alert(case_id, key))
        return run

    def _raise_alert(self, case_id: UUID, key: str) -> Callable[[], object]:
        return lambda: self.app.raise_non_collaboration_alert(case_id, **_once(key))

    # -------------------------------------------------------------- R5, R6
    def complete_ended_measures(self) -> ClockRun:
        """Complete every running measure whose end date has come (the domain's rule)."""
        view = self._view(AssociationCaseload.name)
        run = ClockRun()
        with self._as_system() as context:
            for row, ends_on in _running_measures(view):
                if ends_on <= context.today():
                    key = f"completion:{row['case_id']}:{ends_on.isoformat()}"
                    run.attempt(UUID(row["case_id"]), self._complete(UUID(row["case_id"]), key))
        return run

    def _complete(self, case_id: UUID, key: str) -> Callable[[], object]:
        return lambda: self.app.complete_measure(case_id, **_once(key))

    # ------------------------------------------------------------ reminders
    def measure_end_reminders(self) -> list[Message]:
        """One message to the referent of each measure ending within the reminder delay.

        Due from ``reminder_days_before_end`` days before the end until the end, not on
        that day alone: a day beat missed is made up the next day, and the message's key
        (case, end date, account) keeps it to one delivery. An extension changes the end
        date, so the new end is reminded again.
        """
        view = self._view(AssociationCaseload.name)
        today = self._today()
        horizon = today + timedelta(days=self.settings.reminder_days_before_end)
        recipient_of, messages = self._recipients(), []
        for row, ends_on in _running_measures(view):
            if today < ends_on <= horizon and (recipient := recipient_of(row["referent_id"])):
                messages.append(_reminder(row, recipient, ends_on, today))
        return messages

    # ----------------------------------------------------------------- R4
    def compliance_digests(self) -> list[Message]:
        """One message per referent listing their measures below cadence last ISO week."""
        compliance = self._view(WeeklyVisitCompliance.name)
        caseload = self._view(AssociationCaseload.name)
        monday = _last_week(self._today())
        below: dict[str, list[tuple[CaseloadRow, WeekCompliance]]] = defaultdict(list)
        for case_id in _measures_running_in(compliance, monday):
            week = _week_of(compliance, case_id, monday)
            case = caseload.get(CASES, case_id)
            if week is not None and not week.compliant and case and case["referent_id"]:
                below[case["referent_id"]].append((case, week))
        recipient_of, messages = self._recipients(), []
        for referent_id, measures in sorted(below.items()):
            recipient = recipient_of(referent_id)
            if recipient is not None:
                messages.append(_digest(iso_week(monday), recipient, measures))
        return messages

    # ------------------------------------------------------------- plumbing
    def _as_system(self) -> AbstractContextManager[CommandContext]:
        return acting_as(SYSTEM_ACTOR, clock=self.now, zone=self.app.rules.zone)

    def _today(self) -> date:
        """The date where the people are: a clock that runs at 00:30 in Paris is on the
        Paris day, though it is still the day before in UTC."""
        return self.app.rules.day_of(self.now())

    def _recipients(self) -> Callable[[str | None], Recipient | None]:
        """Who an account is (name, e-mail), from the directory; None when unknown."""
        view = self._view(Directory.name)

        def lookup(account_id: str | None) -> Recipient | None:
            row = None if account_id is None else directory.account(view, account_id)
            return None if row is None else reader(row).recipient

        return lookup

    def _view(self, name: str) -> TableView:
        """The read model, holding every event stored so far.

        Where this process keeps read models up to date itself (the embedded default), it
        catches up; elsewhere it waits for the projection runner and raises
        ``ProjectionTimeout`` if the runner lags (the task then runs again later).
        """
        head = self.app.head()
        model = self.projector.model(name)
        if self.settings.runs_projections_in_process:
            self.projector.catch_up([model], until=head)
        if head:
            self.projector.wait(name, head)
        return model.view


def _once(key: str) -> dict[str, Any]:
    """``idempotency_key=`` for the application's ``@command`` (which takes it off)."""
    return {"idempotency_key": key}


# ---------------------------------------------------------------- read side
def _alert_key(row: SilenceRow) -> str:
    """One alert per silent period: the case and the day its silence began."""
    return f"non-collaboration:{row['case_id']}:{silence_anchor(row)}"


def _running_measures(view: TableView) -> list[tuple[CaseloadRow, date]]:
    """The active measures, each with the day it ends."""
    rows = view.select(CASES, where={"status": Status.ACTIVE.name})
    return [(row, _day(row["ends_on"])) for row in rows if row["ends_on"] is not None]


def _last_week(today: date) -> date:
    """The Monday of the ISO week before ``today``'s."""
    return today - timedelta(days=today.weekday() + 7)


def _measures_running_in(view: TableView, monday: date) -> list[str]:
    """Measures started by that week's Sunday and neither ended nor closed before Monday."""
    sunday, since = (monday + timedelta(days=6)).isoformat(), monday.isoformat()
    return [
        row["case_id"]
        for row in view.select(MEASURES)
        if row["starts_on"] <= sunday
        and row["ends_on"] >= since
        and (row["closed_on"] is None or row["closed_on"] >= since)
    ]


def _week_of(view: TableView, case_id: str, monday: date) -> WeekCompliance | None:
    weeks = weekly_compliance(view, case_id, until=monday + timedelta(days=6))
    return weeks[-1] if weeks and weeks[-1].monday == monday else None


def _day(value: str) -> date:
    return date.fromisoformat(value)


# ----------------------------------------------------------------- messages (French)
def _reminder(row: CaseloadRow, recipient: Recipient, ends_on: date, today: date) -> Message:
    days_left = (ends_on - today).days
    household = row["household_name"] or "le ménage"
    measure = _measure_label(row["measure_type"])
    return Message(
        key=f"reminder:{row['case_id']}:{ends_on.isoformat()}:{recipient.account_id}",
        recipient=recipient,
        subject=f"Fin de mesure le {french.day(ends_on)} : {household}",
        body=(
            f"Bonjour {recipient.name},\n\n"
            f"La mesure d'accompagnement {measure} de {household} prend fin le "
            f"{french.day(ends_on)}, dans {french.days(days_left)}.\n"
            "Pensez à préparer le bilan de fin de mesure avec le ménage.\n\n"
            f"Dossier : {row['case_id']}\n"
        ),
        case_id=UUID(row["case_id"]),
    )


def _digest(
    week: str, recipient: Recipient, measures: list[tuple[CaseloadRow, WeekCompliance]]
) -> Message:
    lines = [_digest_line(case, compliance) for case, compliance in measures]
    monday = measures[0][1].monday
    return Message(
        key=f"digest:{week}:{recipient.account_id}",
        recipient=recipient,
        subject=(
            f"Semaine du {french.day(monday)} : {french.count(len(measures), 'mesure')} "
            "en dessous du rythme de visites"
        ),
        body=(
            f"Bonjour {recipient.name},\n\n"
            f"La semaine du {french.day(monday)} ({week}), ces mesures que vous suivez n'ont pas "
            "eu le nombre de visites requis :\n\n" + "\n".join(lines) + "\n"
        ),
    )


def _digest_line(case: CaseloadRow, week: WeekCompliance) -> str:
    household = case["household_name"] or "ménage"
    return (
        f"- {household} (mesure {_measure_label(case['measure_type'])}, dossier "
        f"{case['case_id']}) : {french.count(week.visits, 'visite')} sur "
        f"{french.count(week.required_visits, 'requise')}, dont {week.home_visits} à domicile "
        f"sur {week.required_home_visits}"
    )


def _measure_label(measure_type: str | None) -> str:
    return "" if measure_type is None else labels.label(MeasureType[measure_type])


# -------------------------------------------------------------------- Celery tasks
def clocks_of(task: Task) -> Clocks:
    """The clocks of the worker process running ``task``: built once, by its entry point."""
    celery = task.app
    if not isinstance(celery, AspeCelery):
        raise TypeError("the clock tasks run on an AspeCelery app")
    return celery.clocks()


RETRIED = (ConcurrentUpdate, ProjectionTimeout)
"""A case changed under the run, or the read models lag: run again, it is idempotent."""


ClockTask = Callable[[Task], list[str]]


def clock_task(name: str) -> Callable[[ClockTask], Any]:
    """Celery's ``shared_task`` (the app includes this module) with the clocks' options:
    bound (a clock reads the settings of the app that runs it), retried with backoff,
    acknowledged once done (they are idempotent); each run's end recorded in
    ``clock_runs``, whatever process ran it (the scheduler catches up from there)."""

    def decorator(body: ClockTask) -> Any:
        counted = timed_clock(name, body)  # for /metrics (aspe.metrics)

        @functools.wraps(body)
        def recorded(task: Task) -> list[str]:
            return _recorded_run(task, name, counted)

        return shared_task(
            name=name,
            bind=True,
            autoretry_for=RETRIED,
            retry_backoff=True,
            max_retries=5,
            acks_late=True,
        )(recorded)

    return decorator


def timed_clock(name: str, function: ClockTask) -> ClockTask:
    """``function``, each run counted for ``/metrics`` by its outcome: ``ok``, ``retried``
    (a case changed under it, or the read models lag) or ``failed``."""

    @functools.wraps(function)
    def timed(task: Task) -> list[str]:
        started = time.perf_counter()
        outcome = "failed"
        try:
            result = function(task)
            outcome = "ok"
            return result
        except RETRIED:
            outcome = "retried"
            raise
        finally:
            metrics.clock_ran(name, outcome, time.perf_counter() - started)

    return timed


def _recorded_run(task: Task, name: str, body: ClockTask) -> list[str]:
    settings = settings_of(task.app)
    try:
        acted_on = body(task)
    except BaseException as error:
        try:
            clock_runs.record_failed(settings, name, _now_of(task), error)
        except Exception:  # the run's own error is the one to raise and retry on
            log.exception("clock %s: its failure could not be recorded", name)
        raise
    clock_runs.record_done(settings, name, _now_of(task), len(acted_on))
    return acted_on


def _now_of(task: Task) -> datetime:
    """The time of the clocks that ran (tests freeze it), or the wall clock's if the
    clocks could not even be built."""
    try:
        return clocks_of(task).now()
    except Exception:
        return utc_now()


@clock_task(DETECTOR_TASK)
def detect_non_collaboration(task: Task) -> list[str]:
    run = clocks_of(task).detect_non_collaboration()
    run.check_complete()
    return [str(case_id) for case_id in run.done]


@clock_task(COMPLETION_TASK)
def complete_ended_measures(task: Task) -> list[str]:
    run = clocks_of(task).complete_ended_measures()
    run.check_complete()
    return [str(case_id) for case_id in run.done]


@clock_task(REMINDER_TASK)
def remind_measure_ends(task: Task) -> list[str]:
    messages = clocks_of(task).measure_end_reminders()
    dispatch(messages, app=task.app)
    return [message.key for message in messages]


@clock_task(DIGEST_TASK)
def send_compliance_digests(task: Task) -> list[str]:
    messages = clocks_of(task).compliance_digests()
    dispatch(messages, app=task.app)
    return [message.key for message in messages]


@clock_task(RETENTION_TASK)
def apply_retention(task: Task) -> list[str]:
    run = clocks_of(task).apply_retention()
    return [str(subject) for subject in (*run.archived, *run.erased)]
