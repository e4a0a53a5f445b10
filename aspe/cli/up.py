"""``aspe up``: the whole topology the settings describe, in one command, supervised.

It starts the API processes, the read-model runners and the notifier, the Celery workers
and beat (``aspe.topology`` says which), prefixes their output with their names, restarts
one that dies, and stops them all on Ctrl-C or SIGTERM. ``ASPE_DATA_DIR/up.json`` names
the running processes' pids.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from aspe import metrics
from aspe.cli.console import fail, load_settings, stopped_by_signals
from aspe.settings import Settings
from aspe.supervisor import Output, Supervisor
from aspe.topology import Scale, Service, TopologyRefused, services

STATE_FILE = "up.json"
"""Under ``ASPE_DATA_DIR``: ``{name: pid}`` of the running processes."""


def _instead_of(
    setting: str, what: str, *flags: str, min: int | None = None, max: int | None = None
) -> Any:
    """An option that replaces the setting ``setting`` for this run, and says so in its help."""
    return typer.Option(*flags, min=min, max=max, help=f"{what} (défaut / default: {setting}).")


def up(
    api: Annotated[
        int | None,
        _instead_of("ASPE_API_PROCESSES", "Processus API / API processes", "--api", min=1),
    ] = None,
    workers: Annotated[
        int | None,
        _instead_of("ASPE_WORKER_PROCESSES", "Workers Celery / Celery workers", "--workers", min=1),
    ] = None,
    runners: Annotated[
        int | None,
        _instead_of(
            "ASPE_RUNNER_PROCESSES", "Runners des vues / read-model runners", "--runners", min=1
        ),
    ] = None,
    host: Annotated[
        str | None, _instead_of("ASPE_API_HOST", "Adresse d'écoute de l'API / API address")
    ] = None,
    port: Annotated[
        int | None,
        _instead_of(
            "ASPE_API_PORT",
            "Port du premier processus API / first API process's port",
            min=1,
            max=65535,
        ),
    ] = None,
) -> None:
    """Lance et surveille toute la topologie / start and supervise every process (until
    Ctrl-C or SIGTERM)."""
    settings = load_settings()
    default = Scale.of(settings)
    scale = Scale(
        api=api or default.api,
        runners=runners or default.runners,
        workers=workers or default.workers,
        host=host or default.host,
        port=port or default.port,
    )
    try:
        planned = services(settings, scale)
    except TopologyRefused as refusal:
        fail(refusal.message)
    supervisor = Supervisor(
        planned,
        output=Output(sys.stdout, [Supervisor.SELF, *(service.name for service in planned)]),
        state_file=settings.data_dir / STATE_FILE,
        grace=settings.stop_grace_seconds,
        env=_child_environment(),
    )
    _announce(supervisor, planned, settings)
    if not _warn_of_leftovers(supervisor, settings.data_dir / STATE_FILE):
        metrics.start_afresh(settings)
    with stopped_by_signals() as stop:  # asks every child to stop
        supervisor.run(stop)


def _child_environment() -> dict[str, str]:
    # Children write to a pipe: unbuffered, each line comes as it is written; and a wide
    # console (unless one is set), so that rich does not cut their messages at 80 columns.
    return {"COLUMNS": "200", **os.environ, "PYTHONUNBUFFERED": "1"}


def _announce(supervisor: Supervisor, planned: list[Service], settings: Settings) -> None:
    supervisor.say(f"{len(planned)} processus / processes:")
    for service in planned:
        given = "".join(f"{name}={value} " for name, value in service.environment.items())
        supervisor.say(f"  {service.name:<10} {given}aspe {' '.join(service.command)}")
    if settings.runs_projections_in_process:
        supervisor.say(
            "les vues et le notifieur tournent dans le processus API / the read models and "
            "the notifier run inside the API process"
        )
    if settings.runs_clocks_in_process:
        supervisor.say(
            "le calendrier des horloges tourne dans api.1 / the clocks' schedule runs in api.1"
        )
    if not settings.redis_url:
        supervisor.say(
            "sans ASPE_REDIS_URL, ni worker ni beat : les tâches s'exécutent dans le processus "
            "qui les envoie / without ASPE_REDIS_URL, no worker nor beat: tasks run in the "
            "process that sends them"
        )


def _warn_of_leftovers(supervisor: Supervisor, state_file: Path) -> bool:
    """A previous ``aspe up`` killed outright (SIGKILL) left its children running: say so
    (a warning only: after a reboot, another process may hold one of those pids), and
    whether it did."""
    try:
        previous = json.loads(state_file.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return False
    running = {name: pid for name, pid in previous.items() if _alive(pid)}
    if running:
        listed = ", ".join(f"{name} (pid {pid})" for name, pid in running.items())
        supervisor.say(
            f"attention : un précédent « aspe up » n'a pas été arrêté, ses processus tournent "
            f"peut-être encore / warning: a previous `aspe up` was not stopped, its processes "
            f"may still run: {listed}"
        )
    return bool(running)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive, and not ours
        return True
    return True
