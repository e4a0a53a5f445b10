"""A worker reads its configuration from ``ASPE_*`` and refuses to start on a bad one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from aspe.settings import Environment, Settings
from aspe.workers.app import create_app

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
