"""Run the checks side by side, each bounded in time, and say the verdict.

Each check runs in a daemon thread of its own: one that hangs (a database that does not
answer) is reported as failing once ``ASPE_READY_CHECK_TIMEOUT`` has passed, and never
holds back the others, the response or the command's exit.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aspe.health.checks import CHECKS, Check, CheckFunction, Sources


@dataclass(frozen=True)
class Readiness:
    checks: list[Check]

    @property
    def ready(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def failing(self) -> list[str]:
        return [check.name for check in self.checks if not check.ok]

    def body(self) -> dict[str, Any]:
        """The JSON of ``/readyz`` and ``aspe status --json``."""
        checks = {check.name: {"ok": check.ok, "detail": check.detail} for check in self.checks}
        if self.ready:
            return {"status": "ready", "checks": checks}
        return {"status": "not ready", "failing": self.failing, "checks": checks}


class _Run(threading.Thread):
    """One check in a daemon thread: its checks, or the failure it ended with."""

    def __init__(self, name: str, check: CheckFunction, sources: Sources) -> None:
        super().__init__(name=f"aspe-ready-{name}", daemon=True)
        self.check_name, self.check, self.sources = name, check, sources
        self.result: list[Check] | None = None

    def run(self) -> None:
        try:
            self.result = self.check(self.sources)
        except Exception as error:  # a check that raises is a failing check, never a 500
            self.result = [Check(self.check_name, False, _summary(error))]

    def outcome(self, timeout: float) -> list[Check]:
        if self.result is not None:
            return self.result
        return [
            Check(self.check_name, False, f"pas de réponse en {timeout:g} s / no answer in time")
        ]


def readiness(sources: Sources, checks: Mapping[str, CheckFunction] = CHECKS) -> Readiness:
    """Every check run at once; those still running after the timeout fail."""
    timeout = sources.settings.ready_check_timeout
    runs = [_Run(name, check, sources) for name, check in checks.items()]
    for run in runs:
        run.start()
    deadline = time.monotonic() + timeout
    for run in runs:
        run.join(max(0.0, deadline - time.monotonic()))
    return Readiness([check for run in runs for check in run.outcome(timeout)])


def _summary(error: Exception) -> str:
    """The error's type and the first line of its message (a connection error names a host
    and port; the read models' own failures are said by type only, in ``checks``)."""
    first_line = (str(error).strip().splitlines() or [""])[0][:200]
    text = f"{type(error).__name__}: {first_line}" if first_line else type(error).__name__
    return f"en échec / failing — {text}"
