"""The application layer: the event-sourced service that runs the domain's commands."""

from aspe.application.commands import Created
from aspe.application.service import AspeApplication

__all__ = ["AspeApplication", "Created"]
