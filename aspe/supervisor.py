"""A small process supervisor: starts commands, prefixes their output, restarts those that
die, and stops them all.

Written on the standard library (``subprocess``, ``threading``, ``signal``) rather than
taken from PyPI: honcho (Procfile runner) does not restart a process that dies,
supervisord needs a daemon and a configuration file of its own, circus pulls in ZeroMQ.
What ``aspe up`` needs fits in this module and is tested through real processes.

Each child is the leader of a process group of its own, so that a Ctrl-C in the terminal
reaches the supervisor alone (which then stops the children in order), and so that what a
child leaves behind when it dies (Celery's pool processes) is killed with it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol, TextIO

TICK = 0.1
"""Seconds between two looks at the children."""


class Program(Protocol):
    """What the supervisor keeps running: a name for the logs, a command line, and what
    its environment holds besides the supervisor's own."""

    @property
    def name(self) -> str: ...

    @property
    def argv(self) -> tuple[str, ...]: ...

    @property
    def environment(self) -> Mapping[str, str]: ...


@dataclass(frozen=True)
class Backoff:
    """Waits before restarting a child that keeps dying: ``first``, doubled on each death
    up to ``longest``; a child that stayed up ``stable_after`` seconds starts afresh."""

    first: float = 0.5
    longest: float = 30.0
    stable_after: float = 10.0

    def delay(self, failures: int) -> float:
        return float(min(self.longest, self.first * 2 ** max(failures - 1, 0)))


class Output:
    """Every child's lines, each written whole, its child's name in front (``api.1 | …``):
    one lock, so two children never interleave within a line."""

    def __init__(self, stream: TextIO, names: Sequence[str]) -> None:
        self._stream = stream
        self._width = max(len(name) for name in names)
        self._lock = threading.Lock()

    def line(self, name: str, text: str) -> None:
        prefix = f"{name:<{self._width}} | "
        with self._lock:
            self._stream.writelines(f"{prefix}{part}\n" for part in text.splitlines() or [""])
            self._stream.flush()

    def pump(self, name: str, pipe: IO[bytes]) -> threading.Thread:
        """Copy ``pipe`` line by line until it closes, in a thread of its own."""

        def copy() -> None:
            with pipe:
                for raw in pipe:
                    self.line(name, raw.decode("utf-8", "replace").rstrip("\r\n"))

        thread = threading.Thread(target=copy, name=f"output-{name}", daemon=True)
        thread.start()
        return thread


@dataclass
class Child:
    """One program's current process, and how often it died lately."""

    program: Program
    process: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    failures: int = 0
    restart_at: float | None = None
    output: threading.Thread | None = None


class Supervisor:
    """Keeps ``programs`` running until ``stop`` is set, then stops them (SIGTERM, then
    SIGKILL after ``grace`` seconds). ``state_file`` holds ``{name: pid}`` of the running
    children, rewritten on each (re)start, so an operator (or a test) can find them."""

    SELF = "up"
    """The supervisor's own name in the output."""

    def __init__(
        self,
        programs: Sequence[Program],
        *,
        output: Output,
        state_file: Path,
        grace: float,
        backoff: Backoff | None = None,
        env: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.children = [Child(program) for program in programs]
        self.output = output
        self.state_file = state_file
        self.grace = grace
        self.backoff = backoff or Backoff()
        self.env = dict(os.environ if env is None else env)
        self.clock = clock

    def say(self, text: str) -> None:
        self.output.line(self.SELF, text)

    def run(self, stop: threading.Event) -> None:
        """Start every program, tend them until ``stop`` is set, then stop them all."""
        try:
            for child in self.children:
                self._start(child)
            while not stop.wait(TICK):
                for child in self.children:
                    self._tend(child)
        finally:
            self._stop_all()

    # ---------------------------------------------------------------------- starting

    def _start(self, child: Child) -> None:
        program = child.program
        child.process = subprocess.Popen(
            program.argv,
            env={**self.env, **program.environment},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            process_group=0,  # its own group: see the module's docstring
        )
        assert child.process.stdout is not None  # asked for just above
        child.output = self.output.pump(program.name, child.process.stdout)
        child.started, child.restart_at = self.clock(), None
        self.say(f"{program.name} : pid {child.process.pid}")
        self._write_state()

    def _tend(self, child: Child) -> None:
        if child.restart_at is not None:
            if self.clock() >= child.restart_at:
                self.say(f"{child.program.name} : redémarrage / restarting")
                self._start(child)
            return
        code = _reap(child.process)
        if code is not None:
            self._schedule_restart(child, code)

    def _schedule_restart(self, child: Child, code: int) -> None:
        lived = self.clock() - child.started
        child.failures = 1 if lived >= self.backoff.stable_after else child.failures + 1
        delay = self.backoff.delay(child.failures)
        child.process, child.restart_at = None, self.clock() + delay
        self.say(
            f"{child.program.name} s'est arrêté (code {code}) après {lived:.1f} s, "
            f"redémarrage dans {delay:.1f} s / exited (code {code}) after {lived:.1f} s, "
            f"restarting in {delay:.1f} s"
        )
        self._write_state()

    # ---------------------------------------------------------------------- stopping

    def _stop_all(self) -> None:
        running = [(c.program.name, c.process) for c in self.children if c.process is not None]
        self.say(f"arrêt de {len(running)} processus / stopping {len(running)} processes")
        for _, process in running:
            with suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
        deadline = self.clock() + self.grace
        while running and self.clock() < deadline:
            running = [(name, process) for name, process in running if _reap(process) is None]
            time.sleep(TICK)
        for name, process in running:
            self.say(f"{name} : tué après {self.grace:g} s / killed after {self.grace:g} s")
            _kill_group(process)
            process.wait()
        for child in self.children:
            if child.output is not None:
                child.output.join(timeout=2)  # its last lines
        self.state_file.unlink(missing_ok=True)
        self.say("arrêté / stopped")

    # ------------------------------------------------------------------------- state

    def _write_state(self) -> None:
        pids = {
            child.program.name: child.process.pid
            for child in self.children
            if child.process is not None
        }
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        # Written aside then renamed: a reader never sees half a file.
        descriptor, temporary = tempfile.mkstemp(dir=self.state_file.parent, prefix=".up.")
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            json.dump(pids, file)
        os.replace(temporary, self.state_file)


def _reap(process: subprocess.Popen[bytes] | None) -> int | None:
    """The exit code of ``process`` if it has ended (``None`` while it runs); what it left
    in its process group is killed first."""
    if process is None or process.returncode is not None:
        return None if process is None else process.returncode
    if not _has_ended(process):
        return None
    _kill_group(process)
    return process.wait()


def _has_ended(process: subprocess.Popen[bytes]) -> bool:
    """Whether ``process`` has exited, left unreaped where the system allows it: a zombie's
    pid still names its process group, so no other process can have taken it."""
    if not hasattr(os, "waitid"):  # macOS before Python 3.13: poll() reaps
        return process.poll() is not None
    try:
        return os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:  # already reaped: wait() reads the code Popen kept
        return True


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
