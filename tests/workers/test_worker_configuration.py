"""A worker reads its configuration from ``ASPE_*`` and refuses to start on a bad one; it
runs as many pool processes as ``ASPE_WORKER_CONCURRENCY`` or ``--concurrency`` say."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from aspe.settings import Environment, Settings
from aspe.workers.app import create_app
from tests.workers.conftest import StartWorker, Worker, eventually

VENV_BIN = Path(sys.executable).parent
REQUEUE_ENTRY = "requeue-lost-deliveries"


def test_a_worker_with_an_invalid_environment_stops_instead_of_using_celery_defaults(
    tmp_path: Path,
) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ASPE_")}
    env.update(
        {
            "ASPE_DATA_DIR": str(tmp_path / "var"),
            "ASPE_REDIS_URL": "redis://127.0.0.1:6379/15",
            "ASPE_UPLOAD_MEDIA_TYPES": "not a JSON list",
        }
    )

    finished = subprocess.run(
        [str(VENV_BIN / "celery"), "-A", "aspe.workers.app", "worker", "--pool=solo"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        timeout=60,
    )

    output = (finished.stdout + finished.stderr).decode()
    assert finished.returncode != 0
    assert "upload_media_types" in output
    assert "amqp://" not in output


def test_beat_looks_for_lost_deliveries_as_often_as_they_may_wait(tmp_path: Path) -> None:
    # Given deliveries lost with Redis to be queued again after 5 s (the default is 5 min)
    settings = Settings(env=Environment.TEST, data_dir=tmp_path, delivery_requeue_after=5)
    default = Settings(env=Environment.TEST, data_dir=tmp_path)

    # When beat's schedule is read
    def every(settings: Settings) -> float:
        return float(create_app(settings).conf.beat_schedule[REQUEUE_ENTRY]["schedule"])

    # Then it looks every 5 s, not every minute; and every minute by default
    assert every(settings) == 5
    assert every(default) == 60


def pool_processes(worker: Worker) -> int:
    """The worker's child processes: its pool (Linux's ``/proc``)."""
    pid = worker.process.pid
    return len(Path(f"/proc/{pid}/task/{pid}/children").read_text().split())


def test_celery_is_configured_with_the_worker_concurrency_setting(tmp_path: Path) -> None:
    # Given eight pool processes asked, and the default
    asked = Settings(env=Environment.TEST, data_dir=tmp_path, worker_concurrency=8)
    default = Settings(env=Environment.TEST, data_dir=tmp_path)

    # Then Celery's own configuration says so (`celery -A aspe.workers.app worker` reads it)
    assert create_app(asked).conf.worker_concurrency == 8
    assert create_app(default).conf.worker_concurrency == 4


@pytest.mark.redis
@pytest.mark.slow
@pytest.mark.parametrize("store_settings", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("options", "expected"),
    [((), 3), (("--concurrency", "2"), 2)],
    ids=["the setting", "the option over the setting"],
)
def test_aspe_worker_runs_the_pool_processes_its_setting_or_its_option_asks(
    worker_settings: Callable[..., Settings],
    start_aspe_worker: StartWorker,
    options: tuple[str, ...],
    expected: int,
) -> None:
    # Given ASPE_WORKER_CONCURRENCY=3
    settings = worker_settings(worker_concurrency=3)

    # When `aspe worker` starts on Celery's default pool, with or without --concurrency
    worker = start_aspe_worker(settings, "--pool=prefork", *options)

    # Then Celery runs that many pool processes, and says so
    eventually(
        lambda: pool_processes(worker) == expected,
        what=lambda: f"{expected} pool processes, not {pool_processes(worker)}",
    )
    assert f"concurrency: {expected} (prefork)" in worker.output()
