"""The readiness checks: each takes what it probes (``Sources``) and says ``Check``s:
the store answers, Redis answers (when configured), each read model is close enough to
the head and not stopped, each clock ran when it was due.

A check says what it saw in ids, positions and error types only — never a value of the
store (an error's message may quote one). Add a check by writing one more function and
naming it in ``CHECKS``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import redis

from aspe.application import AspeApplication
from aspe.projections.runner import BackgroundFollower, ProjectionStatus, Projector
from aspe.settings import Settings
from aspe.workers.scheduler import ClockState, clock_states


@dataclass(frozen=True)
class Check:
    """One thing found ready or not; ``detail`` says what was seen (French / English)."""

    name: str
    ok: bool
    detail: str


class Sources(Protocol):
    """What the checks probe: the serving process's own, or opened for ``aspe status``."""

    @property
    def settings(self) -> Settings: ...

    def application(self) -> AspeApplication: ...

    def projector(self) -> Projector: ...

    def follower(self) -> BackgroundFollower | None: ...


CheckFunction = Callable[[Sources], list[Check]]


def store(sources: Sources) -> list[Check]:
    """The event store answers a cheap query: the position of its last event."""
    head = sources.application().head()
    return [Check("store", True, f"{head} événements / events")]


def redis_broker(sources: Sources) -> list[Check]:
    """Redis answers a PING, when the deployment has one (else tasks run in-process)."""
    settings = sources.settings
    if settings.redis_url is None:
        return [Check("redis", True, "non configuré / not configured")]
    timeout = settings.ready_check_timeout
    client = redis.Redis.from_url(
        settings.redis_url, socket_connect_timeout=timeout, socket_timeout=timeout
    )
    with client:
        client.ping()
    return [Check("redis", True, "répond / answers")]


def read_models(sources: Sources) -> list[Check]:
    """Each read model is within ``ASPE_READY_MAX_LAG`` events of the store's head, and not
    stopped on an event it could not apply. Their positions are in the database, so any
    process reads them, wherever the read models run."""
    bound = sources.settings.ready_max_lag
    return [_read_model(line, bound) for line in sources.projector().status()]


def projections_thread(sources: Sources) -> list[Check]:
    """This process's thread that keeps the read models up to date (the embedded default)
    still runs: once it has stopped, nothing applies new events here."""
    follower = sources.follower()
    if follower is None:
        return []  # they run in `aspe projections run`: their lag says how it fares
    if follower.error is not None:
        failed = type(follower.error).__name__
        return [Check("projections", False, f"arrêtées / stopped: {failed}")]
    if follower.stop_event.is_set():
        return [Check("projections", False, "arrêtées / stopped")]
    return [Check("projections", True, "suivent le magasin / following the store")]


def _read_model(line: ProjectionStatus, bound: int) -> Check:
    name = f"read_model:{line.name}"
    if line.failure is not None:
        failure = line.failure
        return Check(
            name,
            False,
            f"arrêtée à la position {failure.position} / stopped at position "
            f"{failure.position}: {failure.error}",
        )
    where = f"position {line.position}, tête / head {line.head}"
    if line.lag > bound:
        return Check(
            name, False, f"{where}: retard / lag {line.lag} > {bound} (ASPE_READY_MAX_LAG)"
        )
    return Check(name, True, f"{where}, retard / lag {line.lag}")


def clocks(sources: Sources) -> list[Check]:
    """Each clock of the schedule did its work when due (``aspe.workers.scheduler``): late
    when a run fell due more than ``LATE_AFTER`` ago and none since did all its work.

    A clock that never ran is not counted late: a deployment that just started cannot be
    told from one whose scheduler never runs (``aspe status`` shows it as never run)."""
    return [_clock(state) for state in clock_states(sources.settings)]


def _clock(state: ClockState) -> Check:
    name, run = f"clock:{state.clock}", state.last_run
    if run is None:
        return Check(name, True, "jamais exécutée / never ran")
    last = f"dernière / last {run.at.isoformat(timespec='seconds')} ({run.outcome})"
    if state.late and state.due_since is not None:
        due = state.due_since.isoformat(timespec="seconds")
        return Check(name, False, f"{last}; en retard, due depuis / late, due since {due}")
    return Check(name, True, last)


CHECKS: dict[str, CheckFunction] = {
    "store": store,
    "redis": redis_broker,
    "read_models": read_models,
    "projections": projections_thread,
    "clocks": clocks,
}
"""Each check by the name it is reported under when it fails as a whole (raises, or
does not answer in time)."""
