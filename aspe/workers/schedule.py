"""When Celery beat runs the regulatory clocks: the times come from ``Settings``.

The times are read in the Celery app's timezone. Each run expires before the next one is
due: a run that waited in the queue a whole day (no worker up) gives way to the next,
which does the same work, since every clock is idempotent.
"""

from __future__ import annotations

from typing import Any

from celery.schedules import crontab

from aspe.settings import Settings

DETECTOR_TASK = "aspe.clocks.detect_non_collaboration"
COMPLETION_TASK = "aspe.clocks.complete_ended_measures"
REMINDER_TASK = "aspe.clocks.remind_measure_ends"
DIGEST_TASK = "aspe.clocks.send_compliance_digests"
RETENTION_TASK = "aspe.clocks.apply_retention"
"""The clocks' task names (the tasks are in ``aspe.workers.clocks``)."""
CLOCK_TASKS = frozenset(
    {DETECTOR_TASK, COMPLETION_TASK, REMINDER_TASK, DIGEST_TASK, RETENTION_TASK}
)

DAY_SECONDS = 24 * 60 * 60
WEEK_SECONDS = 7 * DAY_SECONDS


def beat_schedule(settings: Settings) -> dict[str, dict[str, Any]]:
    """Celery's ``beat_schedule``: the clocks at the configured times."""
    return {
        "complete-ended-measures": _entry(COMPLETION_TASK, _daily(settings.completion_at)),
        "detect-non-collaboration": _entry(DETECTOR_TASK, _daily(settings.detector_at)),
        "remind-measure-ends": _entry(REMINDER_TASK, _daily(settings.reminders_at)),
        "apply-retention": _entry(RETENTION_TASK, _daily(settings.retention_at)),
        "send-compliance-digests": _entry(
            DIGEST_TASK, _weekly(settings.digest_day, settings.digest_at), WEEK_SECONDS
        ),
    }


def _entry(task: str, schedule: crontab, period: int = DAY_SECONDS) -> dict[str, Any]:
    return {"task": task, "schedule": schedule, "options": {"expires": period - 60}}


def _daily(at: str) -> crontab:
    hour, minute = at.split(":")
    return crontab(hour=int(hour), minute=int(minute))


def _weekly(day: str, at: str) -> crontab:
    hour, minute = at.split(":")
    return crontab(day_of_week=day[:3], hour=int(hour), minute=int(minute))
