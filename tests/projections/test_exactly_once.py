"""Exactly once, under a crash and under a slow writer.

A rebuild killed with SIGKILL (no chance to clean up) at several points and started again
ends with the same rows as one that ran without interruption; on PostgreSQL, a writer that
holds its transaction open while others wait does not make the follower skip an event.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest

from aspe.bootstrap import build_application, build_projector
from aspe.domain.values import ContactChannel, Status
from aspe.projections.runner import BackgroundFollower


def dumps(projector):
    return {name: model.view.dump() for name, model in projector.read_models.items()}


def environment(settings, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ASPE_")}
    env.update({"ASPE_ENV": "test", "ASPE_DATA_DIR": str(settings.data_dir), **extra})
    if settings.uses_postgres:
        env.update(
            ASPE_DATABASE_URL=settings.database_url, ASPE_DATABASE_SCHEMA=settings.database_schema
        )
    return env


def rebuild_command() -> list[str]:
    return [sys.executable, "-m", "aspe.cli", "projections", "rebuild"]


def wait_until(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the rebuild made no progress"
        time.sleep(0.005)


def rebuilt_beyond(view, position: float) -> bool:
    return view.is_rebuilding and (view.max_tracking_id("aspe") or 0) >= position


def test_a_rebuild_killed_at_several_points_ends_as_if_never_interrupted(
    demo_projector, demo_settings
):
    expected = dumps(demo_projector)
    audit = demo_projector.model("audit_trail").view
    head = demo_projector.app.head()
    env = environment(demo_settings, ASPE_PROJECTION_REBUILD_BATCH_SIZE="2")

    for fraction in (0.2, 0.5, 0.8):
        process = subprocess.Popen(rebuild_command(), env=env, stdout=subprocess.DEVNULL)
        wait_until(lambda f=fraction: rebuilt_beyond(audit, f * head))
        process.kill()
        assert process.wait() == -9
        assert audit.is_rebuilding, "killed after the end: move the kill points earlier"
    finished = subprocess.run(rebuild_command(), env=env, capture_output=True, text=True)

    assert finished.returncode == 0, finished.stderr
    assert "Reprise / resuming" in finished.stdout
    assert dumps(demo_projector) == expected


@pytest.mark.parametrize("settings", ["postgres"], indirect=True)
def test_a_writer_holding_its_transaction_open_never_makes_the_follower_skip(
    world, story, settings
):
    cases = [story().walk_to(Status.ACTIVE) for _ in range(4)]
    projector = build_projector(settings, app=world.app)
    follower = BackgroundFollower(projector).start()
    slow_app = build_application(settings)
    hold_open(slow_app, seconds=3)
    contact_day = world.clock.today() + timedelta(days=1)
    world.clock.set_day(contact_day)

    def record_contact(app, case_id) -> None:
        with world.acting(world.referent):
            app.record_contact(case_id, contact_day, ContactChannel.PHONE, True)

    slow = threading.Thread(target=record_contact, args=(slow_app, cases[0]))
    slow.start()
    time.sleep(0.5)  # the slow writer holds the events table's lock, uncommitted
    others = [
        threading.Thread(target=record_contact, args=(world.app, case_id)) for case_id in cases[1:]
    ]
    for thread in (*others,):
        thread.start()
    for thread in (slow, *others):
        thread.join()
    projector.wait("audit_trail", world.app.head(), timeout=10)
    follower.stop()

    stored = {
        (str(n.originator_id), n.originator_version)
        for n in world.app.recorder.select_notifications(start=0, limit=100_000)
    }
    audited = {
        (row["aggregate_id"], row["version"])
        for row in projector.model("audit_trail").view.select("events")
    }
    assert stored - audited == set()
    silence = projector.model("contact_silence").view
    assert {silence.get("measures", str(c))["last_contact_on"] for c in cases} == {
        contact_day.isoformat()
    }
    projector.close()
    slow_app.close()


def hold_open(app, seconds: float) -> None:
    """Make the next save of ``app`` keep its transaction open ``seconds`` after inserting."""
    recorder = app.recorder
    original = recorder._fetch_ids_after_insert_events

    def slowly(*args, **kwargs):
        time.sleep(seconds)
        recorder._fetch_ids_after_insert_events = original
        return original(*args, **kwargs)

    recorder._fetch_ids_after_insert_events = slowly
