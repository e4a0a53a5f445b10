"""What ``aspe up`` runs for a deployment: each process's name and ``aspe`` command.

The settings decide. On the embedded SQLite store the API process runs the read models
and the notifier itself, and SQLite has one writer: one API process and nothing else. On
PostgreSQL, N API processes (process i on ``api_port + i - 1``, for a reverse proxy to
balance), M read-model runners sharing out the read models, and one notifier; without
Redis, the first API process alone runs the clocks' schedule. With Redis, K Celery workers
and one beat (which sends the clocks) as well.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field

from aspe.projections import READ_MODELS
from aspe.refusals import Refused
from aspe.settings import Settings

NO_CLOCKS = {"ASPE_CLOCKS_IN_PROCESS": "false"}
"""What an API process is given when another one runs the clocks' schedule."""


class TopologyRefused(Refused):
    """The asked topology cannot run on these settings; ``message`` says why (French /
    English)."""


@dataclass(frozen=True)
class Scale:
    """How many of each process, and where the API listens: the settings, or what the
    command line asks instead."""

    api: int
    runners: int
    workers: int
    host: str
    port: int

    @classmethod
    def of(cls, settings: Settings) -> Scale:
        return cls(
            api=settings.api_processes,
            runners=settings.runner_processes,
            workers=settings.worker_processes,
            host=settings.api_host,
            port=settings.api_port,
        )


@dataclass(frozen=True)
class Service:
    """One process: its name in the logs (``api.1``), its ``aspe`` sub-command, and the
    settings it is given besides the environment's."""

    name: str
    command: tuple[str, ...]
    environment: Mapping[str, str] = field(default_factory=dict)

    @property
    def argv(self) -> tuple[str, ...]:
        # The interpreter running `aspe up`, so children import the same installation.
        return (sys.executable, "-m", "aspe.cli", *self.command)


def services(settings: Settings, scale: Scale) -> list[Service]:
    """Every process to run, in the order they start."""
    check(settings, scale)
    planned = api_services(scale, settings.runs_clocks_in_process)
    if not settings.runs_projections_in_process:
        planned += runner_services(scale.runners)
        planned.append(Service("notifier", ("notifier", "run")))
    if settings.redis_url:
        planned += worker_services(scale.workers)
        planned.append(Service("beat", ("beat",)))
    return planned


def check(settings: Settings, scale: Scale) -> None:
    if scale.api > 1 and not settings.uses_postgres:
        raise TopologyRefused(
            f"{scale.api} processus API demandés, mais le magasin embarqué (SQLite) n'a qu'un "
            "écrivain et chaque processus API y suivrait les vues : un seul processus API, ou "
            "PostgreSQL (ASPE_DATABASE_URL) pour en lancer plusieurs / "
            f"{scale.api} API processes asked, but the embedded SQLite store has one writer "
            "and each API process would run the read models: one API process only, or "
            "PostgreSQL (ASPE_DATABASE_URL) to run several"
        )
    if scale.api > 1 and settings.runs_projections_in_process:
        raise TopologyRefused(
            "ASPE_PROJECTIONS_IN_PROCESS est activé : chaque processus API suivrait les vues ; "
            "un seul processus API, ou laissez les vues aux runners / "
            "ASPE_PROJECTIONS_IN_PROCESS is on: each API process would run the read models; "
            "one API process only, or leave them to the runners"
        )
    if scale.runners > len(READ_MODELS):
        raise TopologyRefused(
            f"{scale.runners} runners demandés pour {len(READ_MODELS)} vues : au plus un "
            f"runner par vue / {scale.runners} runners asked for {len(READ_MODELS)} read "
            "models: at most one runner per read model"
        )
    if scale.port + scale.api - 1 > 65535:
        raise TopologyRefused(
            f"les ports {scale.port}…{scale.port + scale.api - 1} dépassent 65535 / "
            "ports beyond 65535"
        )


def api_services(scale: Scale, clocks_in_process: bool) -> list[Service]:
    """The API processes; where the API runs the clocks' schedule (no Redis), the first
    alone runs it: the others are told not to."""
    return [
        Service(
            f"api.{i}",
            ("serve", "--host", scale.host, "--port", str(scale.port + i - 1)),
            dict(NO_CLOCKS) if clocks_in_process and i > 1 else {},
        )
        for i in range(1, scale.api + 1)
    ]


def runner_services(count: int) -> list[Service]:
    """``count`` runners, the read models dealt out among them like cards; the notifier
    runs apart (``aspe notifier run``), so that it runs once whatever the count."""
    names = [model.name for model in READ_MODELS]
    return [
        Service(f"runner.{i}", ("projections", "run", *names[i - 1 :: count], "--no-notifier"))
        for i in range(1, count + 1)
    ]


def worker_services(count: int) -> list[Service]:
    # A node name of its own: Celery warns of (and mixes up) workers sharing one.
    return [
        Service(f"worker.{i}", ("worker", "--hostname", f"worker.{i}@%h"))
        for i in range(1, count + 1)
    ]
