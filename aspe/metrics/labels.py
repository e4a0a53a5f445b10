"""Label values that can never carry a personal value, and never grow without bound."""

from __future__ import annotations

import re
import threading

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]{0,63}$")
"""A name written in code (an operation, a command, a read model, a clock)."""
ERROR_CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER = "other"


def identifier(value: str) -> str:
    """``value`` if it reads as a name in code, else ``other``: free text (an e-mail, a
    sentence, a UUID) never becomes a label."""
    return value if IDENTIFIER.match(value) else OTHER


def error_code(value: str) -> str:
    return value if ERROR_CODE.match(value) else "OTHER"


def method_label(method: str) -> str:
    return method if method in METHODS else "OTHER"


def status_class(status: int) -> str:
    """``2xx``, ``4xx``…: the class, not the status, keeps the series few."""
    return f"{status // 100}xx" if 100 <= status < 600 else OTHER


class BoundedLabel:
    """At most ``limit`` distinct values (those seen first); any later one is ``other``.

    For labels a client chooses (a GraphQL operation's name): a client inventing names
    cannot grow the series without bound."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def value(self, value: str) -> str:
        with self._lock:
            if value in self._seen:
                return value
            if len(self._seen) >= self.limit:
                return OTHER
            self._seen.add(value)
            return value
