"""Each process's logging, configured once at its entry point from ``Settings``.

``aspe serve``, ``aspe projections run`` and ``aspe notifier run`` call
``configure_logging``; ``aspe worker`` and ``aspe beat`` call ``log_celery`` before Celery
starts: Celery then leaves the root logger to us instead of putting its own handlers there.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from celery import signals

from aspe.logs.context import LogContext, Scope, enter, leave
from aspe.logs.fields import ContextFields
from aspe.logs.formats import JsonFormatter, TextFormatter
from aspe.settings import Settings

HANDLER_NAME = "aspe"
OWN_HANDLERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "celery", "celery.task")
"""Loggers that may come with a handler of their own: their lines go through ours instead
(one format, one stream, the context fields)."""


def configure_logging(settings: Settings, process: str) -> logging.Handler:
    """Every line of this process on standard error, in ``ASPE_LOG_FORMAT``, from
    ``ASPE_LOG_LEVEL`` up; ``process`` names it in each line (``serve``, ``worker``…)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(JsonFormatter() if settings.logs_as_json else TextFormatter())
    handler.addFilter(ContextFields(process))
    root = logging.getLogger()
    for previous in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(previous)  # configured again (a test, a second app): replaced
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    logging.captureWarnings(True)  # a library's warning is a line like any other
    for name in OWN_HANDLERS:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    return handler


def log_celery(settings: Settings, process: str) -> None:
    """Configure the logging of a worker or beat process, and give each task's lines its
    id as correlation id. A receiver of ``setup_logging`` tells Celery not to configure
    logging itself (nor hijack the root logger)."""

    def setup(**_: Any) -> None:
        configure_logging(settings, process)

    setup()  # now: Celery warns (running as root, say) before it sets logging up
    signals.setup_logging.connect(setup, weak=False)
    signals.task_prerun.connect(_task_started, weak=False)
    signals.task_postrun.connect(_task_finished, weak=False)


_task_scopes: dict[str, Scope] = {}


def _task_started(task_id: str | None = None, **_: Any) -> None:
    if task_id is not None:
        _task_scopes[task_id] = enter(LogContext(correlation_id=task_id))


def _task_finished(task_id: str | None = None, **_: Any) -> None:
    scope = _task_scopes.pop(task_id, None) if task_id is not None else None
    if scope is not None:
        leave(scope)
