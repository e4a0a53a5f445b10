"""A worker reads its configuration from ``ASPE_*`` and refuses to start on a bad one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

VENV_BIN = Path(sys.executable).parent


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
