"""What ASPE tells Prometheus: ``/metrics``, and the calls that feed it.

The processes that count (``aspe serve``, ``aspe projections run``, ``aspe notifier run``,
``aspe worker``, ``aspe beat``) call ``configure(settings)`` first. With ``ASPE_METRICS_DIR``
it points prometheus_client's multi-process mode at that directory
(``PROMETHEUS_MULTIPROC_DIR``): each process writes its values to files of its own there,
and ``/metrics`` sums them. prometheus_client chooses between a plain value and a file-backed
one when it is imported (``prometheus_client.values``), so nothing imports it before
``configure`` has run: this module and the middleware only reach ``instruments`` (which
does) on the first count.

Labels are never personal values: route templates, operation names that look like names
(bounded in number), command names and error codes, read-model, clock and channel names.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import TYPE_CHECKING

from aspe.metrics.labels import BoundedLabel, error_code, identifier, method_label, status_class
from aspe.settings import Settings

if TYPE_CHECKING:
    from types import ModuleType

MULTIPROC_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
"""Where prometheus_client reads its multi-process directory (when it is imported)."""

_configuring = threading.Lock()
_operations = BoundedLabel(limit=200)
"""GraphQL operation names are chosen by clients: at most this many distinct per process."""
_clocks = BoundedLabel(limit=50)


def configure(settings: Settings) -> None:
    """Count into ``ASPE_METRICS_DIR`` (shared with the host's other processes), or alone."""
    if settings.metrics_dir is None:
        return
    directory = settings.metrics_dir.resolve()
    with _configuring:
        directory.mkdir(parents=True, exist_ok=True)
        os.environ[MULTIPROC_VARIABLE] = str(directory)
        values = sys.modules.get("prometheus_client.values")
        if values is not None:  # imported before us (by a library): choose its value class again
            values.ValueClass = values.get_value_class()  # type: ignore[attr-defined]


def start_afresh(settings: Settings) -> None:
    """Empty ``ASPE_METRICS_DIR`` before a deployment's processes start (``aspe up``): the
    files of processes gone would otherwise be added to the new ones' for ever. Never while
    processes run; Prometheus reads the drop of a counter as a restart."""
    if settings.metrics_dir is not None and settings.metrics_dir.is_dir():
        for counts in settings.metrics_dir.glob("*.db"):
            counts.unlink()


def multiprocess_dir() -> str | None:
    """The directory every process of this host writes to, when multi-process."""
    return os.environ.get(MULTIPROC_VARIABLE) or None


def _instruments() -> ModuleType:
    from aspe.metrics import instruments  # first import: after configure()

    return instruments


# --------------------------------------------------------------- what the code counts
def http_request(method: str, route: str, status: int, seconds: float) -> None:
    """A request answered (its headers sent) ``seconds`` after it arrived."""
    _instruments().HTTP_LATENCY.labels(method_label(method), route, status_class(status)).observe(
        seconds
    )


def graphql_operation(name: str | None, kind: str, seconds: float) -> None:
    """A GraphQL operation run (over ``/graphql`` or by a portal page)."""
    label = "anonymous" if name is None else _operations.value(identifier(name))
    _instruments().GRAPHQL_LATENCY.labels(label, identifier(kind)).observe(seconds)


def command_accepted(command: str) -> None:
    _instruments().COMMANDS_ACCEPTED.labels(identifier(command)).inc()


def command_refused(command: str, code: str) -> None:
    _instruments().COMMANDS_REFUSED.labels(identifier(command), error_code(code)).inc()


def projection_stopped(read_model: str) -> None:
    """A read model stopped on an event it could not apply."""
    _instruments().PROJECTION_ERRORS.labels(identifier(read_model)).inc()


def clock_ran(name: str, outcome: str, seconds: float | None = None) -> None:
    """A clock's run ended: ``outcome`` is ``ok``, ``retried`` or ``failed``."""
    clock = _clocks.value(identifier(name))
    instruments = _instruments()
    instruments.CLOCK_RUNS.labels(clock, identifier(outcome)).inc()
    if seconds is not None:
        instruments.CLOCK_SECONDS.labels(clock).observe(seconds)
