"""The supervisor behind ``aspe up`` (aspe/supervisor.py), with small real programs: lines
prefixed and whole, a dead child restarted after a growing wait, leftovers killed, a child
deaf to SIGTERM killed after the grace period."""

from __future__ import annotations

import io
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from aspe.supervisor import Backoff, Output, Supervisor

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Script:
    name: str
    code: str
    environment: dict[str, str] = field(default_factory=dict)

    @property
    def argv(self) -> tuple[str, ...]:
        return (sys.executable, "-c", self.code)


@dataclass
class Run:
    supervisor: Supervisor
    stream: io.StringIO

    def lines(self) -> list[str]:
        return self.stream.getvalue().splitlines()

    def said(self, text: str) -> int:
        return sum(text in line for line in self.lines())


def eventually(check: Callable[[], object], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not done in time"
        time.sleep(0.05)


@contextmanager
def supervising(
    tmp_path: Path, *scripts: Script, grace: float = 5.0, backoff: Backoff | None = None
) -> Iterator[Run]:
    stream = io.StringIO()
    supervisor = Supervisor(
        scripts,
        output=Output(stream, [Supervisor.SELF, *(script.name for script in scripts)]),
        state_file=tmp_path / "up.json",
        grace=grace,
        backoff=backoff,
    )
    stop = threading.Event()
    thread = threading.Thread(target=supervisor.run, args=(stop,))
    thread.start()
    try:
        yield Run(supervisor, stream)
    finally:
        stop.set()
        thread.join(timeout=grace + 10)
        assert not thread.is_alive(), "the supervisor did not stop"


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


SLEEPER = "import time\nprint('up', flush=True)\ntime.sleep(60)"


def test_each_line_is_written_whole_behind_its_process_name(tmp_path):
    # Given one program that writes a line in two halves, and another that writes meanwhile
    halves = "import sys, time\nsys.stdout.write('first half, '); sys.stdout.flush()\n"
    halves += "time.sleep(0.5); print('second half', flush=True); time.sleep(60)"
    chatty = "import time\nfor i in range(20): print('chat', i, flush=True); time.sleep(0.05)\n"
    chatty += "time.sleep(60)"

    # When both run under the supervisor
    with supervising(tmp_path, Script("halves", halves), Script("chatty", chatty)) as run:
        eventually(lambda: run.said("second half") and run.said("chat 19"))

    # Then the split line comes out whole, and every line names its process
    assert "halves | first half, second half" in run.lines()
    assert all(line.split(" | ")[0].strip() in {"up", "halves", "chatty"} for line in run.lines())


def test_a_process_runs_in_the_supervisors_environment_and_its_own_additions(tmp_path, monkeypatch):
    # Given a variable of the supervisor's environment, and one given to the program alone
    monkeypatch.setenv("SHARED_BY_ALL", "shared")
    code = "import os, time\nprint(os.environ['SHARED_BY_ALL'], os.environ['ITS_OWN'], flush=True)"
    code += "\ntime.sleep(60)"

    # When the program runs
    with supervising(tmp_path, Script("env", code, {"ITS_OWN": "own"})) as run:
        # Then it sees both
        eventually(lambda: run.said("env | shared own"))


def test_a_process_that_dies_is_restarted_after_a_wait_that_grows(tmp_path):
    # Given a program that dies as soon as it starts
    backoff = Backoff(first=0.1, longest=0.4, stable_after=30)

    # When it runs under the supervisor for a while
    with supervising(tmp_path, Script("dies", "raise SystemExit(3)"), backoff=backoff) as run:
        eventually(lambda: run.said("restarting in 0.4 s") >= 2)

    # Then each restart is logged, with a wait doubling up to the longest
    waits = [line.split("restarting in ")[1] for line in run.lines() if "restarting in" in line]
    assert waits[:4] == ["0.1 s", "0.2 s", "0.4 s", "0.4 s"]
    assert "exited (code 3)" in run.stream.getvalue()


def test_a_process_that_stayed_up_a_while_is_restarted_after_the_first_wait(tmp_path):
    # Given a program that lives longer than the backoff's "stable" time, then dies
    backoff = Backoff(first=0.1, longest=5, stable_after=0.3)
    code = "import time\ntime.sleep(0.5)\nraise SystemExit(1)"

    # When it dies several times
    with supervising(tmp_path, Script("lives", code), backoff=backoff) as run:
        eventually(lambda: run.said("restarting in") >= 3)

    # Then it waits the first delay each time: its deaths are not counted against it
    assert run.said("restarting in 0.1 s") == run.said("restarting in")


def test_a_killed_process_is_restarted_and_the_state_file_names_its_new_pid(tmp_path):
    # Given a running program
    with supervising(tmp_path, Script("sleeper", SLEEPER), backoff=Backoff(first=0.1)) as run:
        state = tmp_path / "up.json"
        eventually(lambda: run.said("sleeper | up"))
        first = json.loads(state.read_text())["sleeper"]

        # When it is killed
        os.kill(first, 9)

        # Then it runs again under another pid, written in the state file
        eventually(lambda: json.loads(state.read_text()).get("sleeper") not in (None, first))
        eventually(lambda: run.said("sleeper | up") == 2)
    assert "exited (code -9)" in run.stream.getvalue()
    assert not state.exists(), "the state file is removed once everything has stopped"


@pytest.mark.parametrize("waitid", [True, False], ids=["linux", "without-waitid"])
def test_what_a_dead_process_left_running_is_killed_with_it(tmp_path, monkeypatch, waitid):
    # Given a program that starts a grandchild of its own, then dies (also where Python
    # has no os.waitid: macOS before 3.13)
    if not waitid:
        monkeypatch.delattr(os, "waitid", raising=False)
    pid_file = tmp_path / "grandchild.pid"
    code = (
        "import subprocess, sys, time\n"
        f"child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        "time.sleep(0.3)\nraise SystemExit(1)"
    )

    # When it dies under the supervisor
    with supervising(tmp_path, Script("parent", code), backoff=Backoff(first=5)) as run:
        eventually(lambda: run.said("exited (code 1)"))
        grandchild = int(pid_file.read_text())

        # Then its grandchild is gone too
        eventually(lambda: not alive(grandchild) or _zombie(grandchild))


def _zombie(pid: int) -> bool:
    # A killed grandchild whose parent died is reaped by init: a zombie for a moment.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def test_a_process_deaf_to_sigterm_is_killed_after_the_grace_period(tmp_path):
    # Given a program that ignores SIGTERM
    deaf = "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    deaf += "print('up', flush=True)\ntime.sleep(60)"
    started = time.monotonic()

    # When the supervisor is asked to stop, with half a second of grace
    with supervising(tmp_path, Script("deaf", deaf), grace=0.5) as run:
        eventually(lambda: run.said("deaf | up"))
        pid = json.loads((tmp_path / "up.json").read_text())["deaf"]

    # Then it is killed once the grace has run out, and the stop does not wait longer
    assert run.said("deaf : tué après") == 1
    assert not alive(pid)
    assert time.monotonic() - started < 10


def test_the_backoff_doubles_up_to_its_longest():
    backoff = Backoff(first=0.5, longest=3)

    assert [backoff.delay(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]
