"""What the checks probe: a serving process's own store and read models, or those
``aspe status`` opens for the deployment."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from aspe.application import AspeApplication
from aspe.bootstrap import build_application, build_projector
from aspe.projections.runner import BackgroundFollower, Projector
from aspe.settings import Settings


@dataclass(frozen=True)
class Serving:
    """The API process's application and projector (opened by its lifespan)."""

    settings: Settings
    app: AspeApplication
    read_models: Projector
    in_process: BackgroundFollower | None = None
    """The thread keeping the read models up to date, in the embedded default."""

    def application(self) -> AspeApplication:
        return self.app

    def projector(self) -> Projector:
        return self.read_models

    def follower(self) -> BackgroundFollower | None:
        return self.in_process


class Opened:
    """The deployment's store and read models, opened on first use by whichever check
    needs them first (in its own thread, so a store that hangs is bounded by its timeout),
    closed by ``close``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._application: AspeApplication | None = None
        self._projector: Projector | None = None

    def application(self) -> AspeApplication:
        with self._lock:
            if self._application is None:
                self._application = build_application(self.settings)
            return self._application

    def follower(self) -> BackgroundFollower | None:
        """None: ``aspe serve``'s thread is another process's (the lag says how it fares)."""
        return None

    def projector(self) -> Projector:
        application = self.application()
        with self._lock:
            if self._projector is None:
                self._projector = build_projector(self.settings, app=application)
            return self._projector

    def close(self) -> None:
        """Close what was opened. A check still opening the store (it did not answer in
        time) holds the lock: what it opens is left to the process's exit."""
        if not self._lock.acquire(blocking=False):
            return
        try:
            if self._projector is not None:
                self._projector.close()
            if self._application is not None:
                self._application.close()
        finally:
            self._lock.release()
