"""What an operator's command (``aspe up``, ``aspe backup``, ``aspe audit``…) refuses to do.

Each refusal says why in ``message`` (French / English), which the command line prints as it
is; the kinds of refusal are the subclasses, where they are raised.
"""

from __future__ import annotations


class Refused(Exception):
    """An operation refused; ``message`` says why, for the person who asked."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
