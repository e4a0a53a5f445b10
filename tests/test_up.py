"""``aspe up`` as an operator runs it: a real process tree, started, probed, killed,
stopped. The state file ``ASPE_DATA_DIR/up.json`` says which pid runs which process."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from aspe.settings import Settings
from tests.conftest import REDIS_URL, require_redis

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
WAIT = 60.0
"""A bound, not a duration: five processes import ASPE at once on a busy machine."""


def eventually(check: Callable[[], object], what: str, timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"not done within {timeout} s: {what}")
        time.sleep(0.1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def environment(**settings: str) -> dict[str, str]:
    """This environment without its ASPE_* settings, then the test's own."""
    kept = {name: value for name, value in os.environ.items() if not name.startswith("ASPE_")}
    return {**kept, "PYTHONPATH": str(ROOT), "COLUMNS": "300", "ASPE_ENV": "test", **settings}


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@dataclass
class Up:
    """A running ``aspe up``: its process, what it has written, its state file."""

    process: subprocess.Popen[str]
    data_dir: Path
    lines: list[str] = field(default_factory=list)

    def pids(self) -> dict[str, int]:
        try:
            return dict(json.loads((self.data_dir / "up.json").read_text()))
        except (FileNotFoundError, json.JSONDecodeError):
            return {}

    def output(self) -> str:
        return "\n".join(self.lines)

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> int:
        self.process.send_signal(sig)
        return self.process.wait(timeout=WAIT)


@contextmanager
def aspe_up(env: dict[str, str], *options: str) -> Iterator[Up]:
    process = subprocess.Popen(
        [sys.executable, "-m", "aspe.cli", "up", *options],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    up = Up(process, Path(env["ASPE_DATA_DIR"]))
    reader = threading.Thread(
        target=lambda: up.lines.extend(line.rstrip("\n") for line in process.stdout or ()),
        daemon=True,
    )
    reader.start()
    try:
        yield up
    finally:
        if process.poll() is None:  # a failed test: leave nothing running behind it
            process.send_signal(signal.SIGTERM)
            with suppress(subprocess.TimeoutExpired):
                process.wait(timeout=WAIT)
            for pid in up.pids().values():
                with suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
            process.kill()
        reader.join(timeout=5)
        print(up.output())  # shown by pytest when the test fails


def test_more_than_one_api_process_on_the_embedded_store_is_refused(tmp_path):
    # Given the embedded default (no ASPE_DATABASE_URL)
    env = environment(ASPE_DATA_DIR=str(tmp_path / "var"))

    # When two API processes are asked
    result = subprocess.run(
        [sys.executable, "-m", "aspe.cli", "up", "--api", "2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=WAIT,
    )

    # Then it refuses, saying why, and starts nothing
    assert result.returncode == 1
    assert "the embedded SQLite store has one writer" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "var" / "up.json").exists()


def test_the_embedded_api_is_restarted_when_killed_and_everything_stops_on_sigterm(tmp_path):
    # Given `aspe up` on the embedded default, serving on a free port, with the counts
    # of an earlier run left in the metrics folder
    port, counts = free_port(), tmp_path / "metrics"
    counts.mkdir()
    (counts / "counter_4242.db").write_bytes(b"an earlier run's counts")
    env = environment(
        ASPE_DATA_DIR=str(tmp_path / "var"), ASPE_API_PORT=str(port), ASPE_METRICS_DIR=str(counts)
    )
    with aspe_up(env) as up:
        eventually(lambda: healthy(port), "the API answers")
        assert not (counts / "counter_4242.db").exists()  # counted afresh
        assert list(up.pids()) == ["api.1"]
        first = up.pids()["api.1"]

        # When its API process is killed
        os.kill(first, signal.SIGKILL)

        # Then another takes its place, and answers
        eventually(lambda: up.pids().get("api.1") not in (None, first), "a new API process")
        eventually(lambda: healthy(port), "the new API process answers")
        second = up.pids()["api.1"]

        # And when `aspe up` is sent SIGTERM, it stops it and exits 0
        assert up.stop() == 0
    assert not alive(second)
    assert "api.1 s'est arrêté (code -9)" in up.output()
    assert all(" | " in line for line in up.lines), up.output()
    assert any(line.startswith("api.1 | ") for line in up.lines)
    assert not (tmp_path / "var" / "up.json").exists()


def test_processes_left_running_by_a_previous_aspe_up_are_pointed_out(tmp_path):
    # Given a state file naming a process still running (its `aspe up` was killed outright)
    leftover = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    (data_dir / "up.json").write_text(json.dumps({"api.1": leftover.pid}))
    env = environment(ASPE_DATA_DIR=str(data_dir), ASPE_API_PORT=str(free_port()))
    try:
        # When `aspe up` starts
        with aspe_up(env) as up:
            # Then it warns, naming it, and goes on
            eventually(lambda: "a previous `aspe up` was not stopped" in up.output(), "warning")
            assert f"api.1 (pid {leftover.pid})" in up.output()
            eventually(lambda: up.pids().get("api.1") not in (None, leftover.pid), "started")
            # (and Ctrl-C stops it as SIGTERM does)
            assert up.stop(signal.SIGINT) == 0
    finally:
        leftover.kill()
        leftover.wait()


@pytest.mark.postgres
@pytest.mark.redis
def test_with_postgresql_and_redis_it_runs_api_runner_notifier_worker_and_beat(
    postgres_settings: Settings,
):
    # Given PostgreSQL (a schema of the test's own) and Redis (a queue of its own)
    require_redis()
    port = free_port()
    env = environment(
        ASPE_DATA_DIR=str(postgres_settings.data_dir),
        ASPE_DATABASE_URL=str(postgres_settings.database_url),
        ASPE_DATABASE_SCHEMA=str(postgres_settings.database_schema),
        ASPE_REDIS_URL=REDIS_URL,
        ASPE_CELERY_QUEUE=f"up-{uuid.uuid4().hex[:8]}",
        ASPE_API_PORT=str(port),
    )

    # When `aspe up` starts
    with aspe_up(env) as up:
        expected = ["api.1", "runner.1", "notifier", "worker.1", "beat"]
        eventually(lambda: list(up.pids()) == expected, f"{expected} started")
        eventually(lambda: healthy(port), "the API answers")
        # (a line of each one's own: `aspe up`'s list of processes names worker.1@ too)
        for name in ("worker.1", "runner.1"):
            eventually(
                lambda name=name: any(line.startswith(f"{name} | ") for line in up.lines),
                f"{name} has written",
            )

        # Then every process runs
        pids = up.pids()
        assert all(alive(pid) for pid in pids.values())

        # And SIGTERM stops them all, with exit code 0
        assert up.stop() == 0
    assert not any(alive(pid) for pid in pids.values())
    assert any(line.startswith("worker.1 | ") for line in up.lines)
    assert any(line.startswith("runner.1 | ") for line in up.lines)
