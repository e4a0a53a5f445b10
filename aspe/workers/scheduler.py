"""The clocks' schedule in every mode: Celery beat's own loop, told when each clock last ran.

``aspe beat`` (production, with Redis) runs it as a process; ``aspe serve`` runs it in a
thread where there is no Redis (the embedded default), its tasks then running in that
thread (Celery's eager mode). Either way the schedule is ``celery_config``'s: the same
clocks at the same ``ASPE_*_AT`` times in ``ASPE_TIMEZONE``.

``ClockScheduler`` is Celery's scheduler with one change: where a clock's previous run is
read from. Celery's default remembers, in a file of the beat process, when beat *sent* a
task; here it is the clock's own record (``clock_runs``) of when it last *did* all its
work, in the store every process shares. So whatever was missed while nothing ran (a
server stopped overnight, a fresh store whose clocks never ran, a worker that died
mid-run before a restart) runs once at start-up, and what already ran is not run again.
Every clock is idempotent besides, so a catch-up that overlaps a run acts once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from celery.beat import EmbeddedService, Scheduler
from celery.schedules import maybe_schedule

from aspe.settings import Settings
from aspe.workers import clock_runs
from aspe.workers.app import AspeCelery, settings_of
from aspe.workers.schedule import CLOCK_TASKS

log = logging.getLogger(__name__)

NEVER = datetime(2000, 1, 1, tzinfo=UTC)
"""The previous run of a clock that never ran: long enough ago that every schedule is due."""

SCHEDULER = f"{__name__}:ClockScheduler"
"""What ``aspe beat`` passes as ``--scheduler``."""


class ClockScheduler(Scheduler):  # type: ignore[misc]
    """Celery beat's scheduler, the clocks' previous runs taken from ``clock_runs``."""

    def setup_schedule(self) -> None:
        super().setup_schedule()
        done = clock_runs.last_done(settings_of(self.app))
        for entry in self.data.values():
            if entry.task in CLOCK_TASKS:
                entry.last_run_at = done.get(entry.task, NEVER)
                last = "never" if entry.last_run_at is NEVER else entry.last_run_at.isoformat()
                log.info("clock %s last did all its work: %s", entry.task, last)

    def install_default_entries(self, data: dict[str, Any]) -> None:
        """None: Celery's results clean-up is for a result backend that does not expire its
        results, and ASPE keeps results in Redis (which does) or nowhere (the embedded
        default)."""


class InProcessClocks:
    """The schedule in a daemon thread of this process: ``aspe serve`` without Redis, the
    clocks then running in that thread (with a broker, it would send them to the workers
    as ``aspe beat`` does)."""

    def __init__(self, celery: AspeCelery) -> None:
        self.celery = celery
        # The threaded service ticks at least every second, so a stop is quick.
        self._thread = EmbeddedService(celery, thread=True, scheduler_cls=ClockScheduler)

    def start(self) -> InProcessClocks:
        self.celery.loader.import_default_modules()  # the clock tasks, registered by name
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop ticking; a clock running now finishes first (up to ``timeout`` seconds)."""
        self._thread.service.stop()
        self._thread.join(timeout)


LATE_AFTER = timedelta(hours=1)
"""How long past its time a clock may still be running (a long retention run, retries with
backoff) before it is late."""


@dataclass(frozen=True)
class ClockState:
    """Where a clock stands for an operator: its last run, and whether one is overdue."""

    clock: str
    last_run: clock_runs.LastRun | None
    due_since: datetime | None
    """When the run it owes fell due, if it owes one."""
    late: bool
    """It owes a run that fell due more than ``LATE_AFTER`` ago."""


def clock_states(settings: Settings, now: datetime | None = None) -> list[ClockState]:
    """Each clock of the schedule, judged from its records: late when a run fell due more
    than ``LATE_AFTER`` ago and no run since did all its work."""
    now = now or datetime.now(UTC)
    celery = AspeCelery(settings)
    runs = clock_runs.last_runs(settings)
    states = []
    for entry in celery.conf.beat_schedule.values():
        if entry["task"] not in CLOCK_TASKS:
            continue
        schedule = maybe_schedule(entry["schedule"], app=celery)
        run = runs.get(entry["task"])
        done_at = run.done_at if run is not None and run.done_at else NEVER
        due_since = now + schedule.remaining_estimate(done_at)
        owes = due_since <= now
        states.append(
            ClockState(
                clock=entry["task"],
                last_run=run,
                due_since=due_since if owes and run is not None else None,
                late=owes and now - due_since > LATE_AFTER,
            )
        )
    return states
