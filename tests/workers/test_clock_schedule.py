"""The clocks run in every mode (R7 everywhere): ``aspe serve`` runs their schedule itself
where there is no Redis, ``aspe beat`` where there is; both catch up at start-up what was
missed while nothing ran, from the clocks' own records of their runs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from aspe.bootstrap import build_application
from aspe.demo import load_demo
from aspe.settings import Environment, Settings
from aspe.workers import clock_runs
from aspe.workers.app import AspeCelery
from aspe.workers.schedule import CLOCK_TASKS, DETECTOR_TASK
from aspe.workers.scheduler import ClockScheduler, clock_states
from tests.conftest import REDIS_URL, require_redis
from tests.workers.conftest import eventually, free_port

ASPE = Path(sys.executable).with_name("aspe")


def _plain_environment(**settings: str) -> dict[str, str]:
    """This process's environment without any ``ASPE_*`` of the caller's: the embedded
    default, but for ``settings``."""
    kept = {name: value for name, value in os.environ.items() if not name.startswith("ASPE_")}
    return {**kept, **settings}


@contextmanager
def _serving(data_dir: Path, log: Path) -> Iterator[str]:
    """``aspe serve`` as ``make run`` starts it: no setting but the data folder."""
    port = free_port()
    with log.open("ab") as output:
        server = subprocess.Popen(
            [str(ASPE), "serve", "--port", str(port)],
            env=_plain_environment(ASPE_DATA_DIR=str(data_dir)),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        eventually(lambda: _answers(url), what=lambda: log.read_text())
        yield url
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _platform_alerts(settings: Settings) -> list[Any]:
    app = build_application(settings)
    try:
        notifications = app.recorder.select_notifications(start=1, limit=1_000_000)
        events = [app.mapper.to_domain_event(n) for n in notifications]
    finally:
        app.close()
    return [
        event
        for event in events
        if type(event).__name__ == "NonCollaborationAlertRaised"
        and event.actor_role.name == "SYSTEM"
    ]


@pytest.mark.slow
def test_a_fresh_demo_served_without_redis_raises_the_alert_due_today_once(
    tmp_path: Path,
) -> None:
    # Given the demo, loaded today: its history is the past, in which the platform raised
    # the alerts that fell due; one household's alert falls due today
    data_dir = tmp_path / "var"
    settings = Settings(env=Environment.DEVELOPMENT, data_dir=data_dir)
    app = build_application(settings)
    load_demo(app, settings.rules.day_of(datetime.now(UTC)))
    app.close()
    alerts_in_the_demo = len(_platform_alerts(settings))

    # When it is served as `make run` serves it: no Redis, no beat
    log = tmp_path / "serve.log"
    with _serving(data_dir, log):
        # Then the platform raises that alert within seconds of start-up
        eventually(lambda: len(_platform_alerts(settings)) == alerts_in_the_demo + 1)
        eventually(lambda: set(clock_runs.last_runs(settings)) == CLOCK_TASKS)
    first_runs = clock_runs.last_runs(settings)
    assert {run.outcome for run in first_runs.values()} == {clock_runs.DONE}
    assert first_runs[DETECTOR_TASK].acted_on == 1

    # And a restart catches up nothing more: every clock did its work since its last time
    with _serving(data_dir, log) as url:
        assert httpx.get(f"{url}/healthz", timeout=2).status_code == 200
        _ticks_a_few_times()
    assert len(_platform_alerts(settings)) == alerts_in_the_demo + 1
    assert clock_runs.last_runs(settings) == first_runs


def _ticks_a_few_times() -> None:
    """The in-process scheduler ticks every second; three seconds see several ticks."""
    deadline = datetime.now(UTC) + timedelta(seconds=3)
    eventually(lambda: datetime.now(UTC) > deadline)


# ----------------------------------------------------------------- the scheduler's catch-up
def _scheduler(settings: Settings) -> ClockScheduler:
    return ClockScheduler(app=AspeCelery(settings), lazy=False)


def test_a_clock_that_never_ran_is_due_at_once(tmp_path: Path) -> None:
    # Given a store whose clocks never ran
    settings = Settings(env=Environment.TEST, data_dir=tmp_path)

    # When the scheduler starts
    scheduler = _scheduler(settings)

    # Then every clock is due now
    clocks = [entry for entry in scheduler.schedule.values() if entry.task in CLOCK_TASKS]
    assert {entry.task for entry in clocks} == CLOCK_TASKS
    assert all(entry.is_due().is_due for entry in clocks)


def test_a_daily_clock_is_due_again_only_once_its_time_has_passed_since_its_last_run(
    tmp_path: Path,
) -> None:
    # Given the detector did its work just now, and the completions two days ago
    settings = Settings(env=Environment.TEST, data_dir=tmp_path)
    now = datetime.now(UTC)
    clock_runs.record_done(settings, DETECTOR_TASK, now, acted_on=0)
    completion = "aspe.clocks.complete_ended_measures"
    clock_runs.record_done(settings, completion, now - timedelta(days=2), acted_on=0)

    # When the scheduler starts
    by_task = {entry.task: entry for entry in _scheduler(settings).schedule.values()}

    # Then the detector waits for its next time (within a day); the completions run now
    detector = by_task[DETECTOR_TASK].is_due()
    assert not detector.is_due
    assert 0 < detector.next <= 24 * 60 * 60
    assert by_task[completion].is_due().is_due


def test_a_failed_run_is_recorded_and_does_not_count_as_done(tmp_path: Path) -> None:
    # Given the detector did its work yesterday, and clocks that cannot be built today
    settings = Settings(env=Environment.TEST, data_dir=tmp_path)
    yesterday = datetime.now(UTC) - timedelta(days=1)
    clock_runs.record_done(settings, DETECTOR_TASK, yesterday, acted_on=2)

    def broken(_: Settings) -> Any:
        raise ConnectionError("the store is away")

    celery = AspeCelery(settings, clocks=broken)
    celery.loader.import_default_modules()  # the clock tasks, registered by name

    # When the detector runs
    result = celery.tasks[DETECTOR_TASK].apply()

    # Then the run failed, recorded as such with the error's type only, and the last run
    # that did its work is still yesterday's
    assert result.failed()
    run = clock_runs.last_runs(settings)[DETECTOR_TASK]
    assert (run.outcome, run.error) == (clock_runs.FAILED, "ConnectionError")
    assert run.done_at == yesterday
    assert run.acted_on == 2


# ----------------------------------------------------------------------- aspe beat
@pytest.mark.redis
@pytest.mark.slow
def test_aspe_beat_sends_at_start_up_the_clocks_that_never_ran(tmp_path: Path) -> None:
    # Given a deployment with Redis whose clocks never ran
    require_redis()
    queue = f"aspe-test-beat-{os.getpid()}-{tmp_path.name}"
    client = redis.Redis.from_url(REDIS_URL)
    environment = _plain_environment(
        ASPE_ENV="test",
        ASPE_DATA_DIR=str(tmp_path),
        ASPE_REDIS_URL=REDIS_URL,
        ASPE_CELERY_QUEUE=queue,
    )

    # When beat starts
    log = tmp_path / "beat.log"
    with log.open("wb") as output:
        beat = subprocess.Popen(
            [str(ASPE), "beat", "--loglevel", "INFO"],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        # Then it sends every clock at once for a worker to run, not at tomorrow's time
        eventually(lambda: client.llen(queue) >= len(CLOCK_TASKS), what=log.read_text)
    finally:
        beat.send_signal(signal.SIGTERM)
        beat.wait(timeout=30)
        client.delete(queue)
    sent = log.read_text()
    assert all(task in sent for task in CLOCK_TASKS)


# ----------------------------------------------------------------- what operators see
def test_a_clock_is_late_once_a_run_it_owes_is_an_hour_overdue(tmp_path: Path) -> None:
    # Given the detector did its work just now, the completions two days ago, and the
    # reminders never
    settings = Settings(env=Environment.TEST, data_dir=tmp_path)
    now = datetime.now(UTC)
    completion = "aspe.clocks.complete_ended_measures"
    clock_runs.record_done(settings, DETECTOR_TASK, now, acted_on=0)
    clock_runs.record_done(settings, completion, now - timedelta(days=2), acted_on=0)

    # When an operator looks
    states = {state.clock: state for state in clock_states(settings, now)}

    # Then the detector is on time, the completions owe yesterday's run, and a clock that
    # never ran is late too
    assert set(states) == CLOCK_TASKS
    assert not states[DETECTOR_TASK].late
    assert states[DETECTOR_TASK].due_since is None
    assert states[completion].late
    due = states[completion].due_since
    assert due is not None
    assert now - timedelta(days=2) < due <= now - timedelta(hours=1)
    assert states["aspe.clocks.remind_measure_ends"].late
    assert states["aspe.clocks.remind_measure_ends"].last_run is None
