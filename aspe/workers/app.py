"""The Celery app, configured from ``Settings`` when it is first used (never at import).

With ``ASPE_REDIS_URL`` set, Redis carries the queue and the results, and ``aspe worker``
runs the tasks: acknowledged once done (``acks_late``), given back to the queue when their
worker dies (``task_reject_on_worker_lost``; for a worker killed outright, after the
broker's visibility timeout), one at a time per pool process (prefetch 1), in
``ASPE_WORKER_CONCURRENCY`` pool processes per worker. Without Redis (the embedded default)
the same tasks run in the process that sends them (``task_always_eager``), so ``make run``
needs no server; beat does not run there.

``celery -A aspe.workers.app worker`` finds ``app`` below, configured from the environment;
tests make their own with ``create_app(settings)``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from celery import Celery

from aspe.settings import Settings
from aspe.workers.schedule import beat_schedule

if TYPE_CHECKING:
    from aspe.workers.clocks import Clocks

ClocksFactory = Callable[[Settings], "Clocks"]
"""Builds the clocks over the store ``Settings`` name: ``bootstrap.build_clocks``."""

EMAIL_TASK = "aspe.notifications.deliver_email"
INBOX_TASK = "aspe.notifications.deliver_to_inbox"
REQUEUE_TASK = "aspe.notifications.requeue_stale"
TASK_MODULES = ("aspe.workers.delivery", "aspe.workers.notifier", "aspe.workers.clocks")
REQUEUE_EVERY = 60.0
"""Most seconds between two looks for deliveries whose task was lost (``requeue_stale``);
less when ``ASPE_DELIVERY_REQUEUE_AFTER`` is shorter, so that setting is what a lost
delivery waits, not a minute more."""


class AspeCelery(Celery):  # type: ignore[misc]
    """A Celery app that knows the ``Settings`` it was configured from."""

    def __init__(
        self,
        settings: Settings | None = None,
        clocks: ClocksFactory | None = None,
        **options: Any,
    ) -> None:
        super().__init__("aspe", include=list(TASK_MODULES), **options)
        self._aspe_settings = settings
        self._build_clocks = clocks
        self._clocks: tuple[int, Clocks] | None = None

    def clocks(self) -> Clocks:
        """This process's clocks, built once by the factory the process's entry point gave
        (``bootstrap.build_celery``) and kept for every clock task after: once per worker
        process, since a worker's pool forks after the app is made."""
        if self._build_clocks is None:
            raise RuntimeError(
                "Ce worker n'a pas d'horloges : démarrez-le avec `aspe worker` / this worker "
                "has no clocks: start it with `aspe worker`."
            )
        if self._clocks is None or self._clocks[0] != os.getpid():
            self._clocks = (os.getpid(), self._build_clocks(self.settings))
        return self._clocks[1]

    @property
    def settings(self) -> Settings:
        """The settings given, or else the environment's (read when first needed)."""
        if self._aspe_settings is None:
            self._aspe_settings = Settings()
        return self._aspe_settings

    def on_configure(self) -> None:
        """Configure from ``Settings`` when Celery first needs its configuration.

        A method, not a receiver of Celery's ``on_configure`` signal: Celery logs and
        ignores a receiver's exception, and a worker whose environment is invalid would
        then run on Celery's defaults (another broker). Here the error stops it."""
        self.config_from_object(celery_config(self.settings))

    @property
    def runs_in_process(self) -> bool:
        return self.settings.redis_url is None


def celery_config(settings: Settings) -> dict[str, Any]:
    """Celery's configuration for these settings (nothing is imported while it is made:
    a task module imported now would bind its tasks to this app, configuring it again)."""
    redis = settings.redis_url
    retries = {  # the delivery tasks' retry policy, as Celery's task annotations
        "max_retries": settings.delivery_max_retries,
        "retry_backoff": settings.delivery_retry_backoff,
        "retry_backoff_max": settings.delivery_retry_backoff_max,
    }
    return {
        # The in-memory transport, named with a host so kombu need not say it assumed one.
        "broker_url": redis or "memory://localhost/",
        "result_backend": redis,
        "task_always_eager": redis is None,
        "task_default_queue": settings.celery_queue,
        "task_eager_propagates": False,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "worker_concurrency": settings.worker_concurrency,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "result_expires": 24 * 60 * 60,
        "timezone": settings.timezone,
        "enable_utc": True,
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": {
            "visibility_timeout": settings.broker_visibility_timeout,
            "unacked_restore_interval": max(1, int(settings.broker_visibility_timeout / 10)),
            "unacked_restore_throttle": 1,
            "socket_timeout": 10,
            "socket_connect_timeout": 5,
        },
        "result_backend_transport_options": {"socket_timeout": 10, "socket_connect_timeout": 5},
        "task_publish_retry_policy": {
            "max_retries": 3,
            "interval_start": 0,
            "interval_step": 0.5,
            "interval_max": 1,
        },
        "beat_schedule": {**beat_schedule(settings), **delivery_schedule(settings)},
        "beat_schedule_filename": str(settings.data_dir / "celerybeat-schedule"),
        "task_annotations": {EMAIL_TASK: retries, INBOX_TASK: retries},
    }


def delivery_schedule(settings: Settings) -> dict[str, dict[str, Any]]:
    every = min(REQUEUE_EVERY, settings.delivery_requeue_after)
    return {
        "requeue-lost-deliveries": {
            "task": REQUEUE_TASK,
            "schedule": every,
            "options": {"expires": every},
        }
    }


def create_app(settings: Settings | None = None) -> AspeCelery:
    """A Celery app for ``settings`` (the environment's by default)."""
    return AspeCelery(settings)


def settings_of(celery: Celery) -> Settings:
    """The settings a task's app was configured from."""
    return celery.settings if isinstance(celery, AspeCelery) else Settings()


app = create_app()
