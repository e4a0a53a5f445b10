"""The composition root: builds the application from ``Settings``. Nothing connects at import."""

from __future__ import annotations

from aspe.application import AspeApplication
from aspe.settings import Settings


def build_application(settings: Settings | None = None) -> AspeApplication:
    settings = settings or Settings()
    env = settings.eventsourcing_env("events")
    return AspeApplication(
        env=env, rules=settings.rules, snapshot_interval=settings.snapshot_interval
    )
