"""The two shapes of a log line: a JSON object (production), or text for people.

A small formatter of our own rather than a library: the fields are few and fixed, and the
context fields come from ``fields.ContextFields`` either way.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from aspe.logs.fields import CONTEXT_FIELDS

EXTRA_FIELDS = ("method", "path", "status", "duration_ms")
"""What the access lines add (``extra=``); other extras are not written: a library's
extra could hold anything."""

TEXT_FORMAT = (
    "%(asctime)s %(levelname)-7s %(process_name)s %(name)s "
    "[request=%(request_id)s actor=%(actor_role)s:%(actor_id)s] %(message)s"
)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, process,
    the context fields when known, the access fields, and the exception's traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": _utc(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": getattr(record, "process_name", record.processName),
            "pid": record.process,
        }
        for name in (*CONTEXT_FIELDS, *EXTRA_FIELDS):
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The readable line of development: unknown context fields shown as ``-``."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        for name in ("process_name", *CONTEXT_FIELDS):
            if getattr(record, name, None) is None:
                setattr(record, name, "-")
        return super().format(record)


def _utc(created: float) -> str:
    return datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")
