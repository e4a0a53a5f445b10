"""The fields every log record gets, read from the context it was logged in."""

from __future__ import annotations

import logging

from aspe.domain.actors import CommandContext, current_context
from aspe.domain.errors import NoActor
from aspe.logs.context import LogContext, current_log_context

CONTEXT_FIELDS = ("request_id", "correlation_id", "actor_id", "actor_role")


class ContextFields(logging.Filter):
    """Adds ``process_name`` and the context fields to each record (``None`` when unknown).

    A command running (``acting_as``) names its actor and correlation id: its events carry
    the same, so a line and the events it speaks of can be joined. Otherwise the request's
    or task's context says them."""

    def __init__(self, process_name: str) -> None:
        super().__init__()
        self.process_name = process_name

    def filter(self, record: logging.LogRecord) -> bool:
        record.process_name = self.process_name
        logged = current_log_context() or LogContext()
        command = _command_context()
        record.request_id = logged.request_id
        record.correlation_id = (
            str(command.correlation_id) if command is not None else logged.correlation_id
        )
        record.actor_id = str(command.actor.id) if command is not None else logged.actor_id
        record.actor_role = command.actor.role.value if command is not None else logged.actor_role
        return True


def _command_context() -> CommandContext | None:
    try:
        return current_context()
    except NoActor:
        return None
