"""``aspe projections run | rebuild | status``: the read models' long-running process and
its maintenance; ``aspe notifier run``: the notifier alone. Messages in French and English,
like the rest of the command line.

``aspe projections run`` also runs the notifier (``aspe.workers.notifier``), in a thread of
its own with its own connections: while Redis is down the notifier waits and retries, and
the read models go on. SIGTERM or Ctrl-C stops both after the batch in progress.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import TextColumn
from rich.table import Table

from aspe import french, metrics
from aspe.application import AspeApplication
from aspe.bootstrap import build_application, build_notifier, build_projector
from aspe.cli.console import events_progress, fail, load_settings, stopped_by_signals
from aspe.logs.setup import configure_logging
from aspe.projections.errors import UnknownProjection
from aspe.projections.runner import ProjectionStatus, Projector
from aspe.settings import Settings
from aspe.workers.notifier import run_notifier

projections_app = typer.Typer(
    help="Vues (read models) : suivre, reconstruire, état / follow, rebuild, status.",
    no_args_is_help=True,
)
notifier_app = typer.Typer(
    help="Notifieur : suit les événements et envoie les notifications / follows the events "
    "and sends the notifications.",
    no_args_is_help=True,
)

Names = Annotated[
    list[str] | None,
    typer.Argument(help="Vues à traiter (toutes par défaut) / read models (default: all)."),
]


@contextmanager
def _projector(names: list[str] | None, settings: Settings | None = None) -> Iterator[Projector]:
    settings = settings or load_settings()
    try:
        projector = build_projector(settings, names or ())
    except UnknownProjection as error:
        fail(error.message)
    try:
        yield projector
    finally:
        projector.close()
        projector.app.close()


@projections_app.command()
def run(
    names: Names = None,
    notifier: Annotated[
        bool,
        typer.Option("--notifier/--no-notifier", help="Avec le notifieur / also run the notifier."),
    ] = True,
) -> None:
    """Suit les nouveaux événements / follow new events (until Ctrl-C or SIGTERM); runs the
    notifier too, unless --no-notifier."""
    console = Console()
    settings = load_settings()
    configure_logging(settings, "projections")
    metrics.configure(settings)  # before anything is counted
    with _projector(names, settings) as projector, stopped_by_signals() as stop:
        failure: list[Exception] = []

        def follow(stop: threading.Event, ready: threading.Event) -> None:
            try:
                projector.follow(stop, ready)
            except Exception as error:  # said below, once the notifier has stopped too
                failure.append(error)
                stop.set()

        follower = _Thread("aspe-projections", follow, stop)
        # One application for the process: the notifier reads the same store's events.
        threads = [follower]
        if notifier:
            threads.append(_Thread("aspe-notifier", _notifying(settings, projector.app), stop))
        while not follower.ready.wait(0.2) and follower.is_alive():
            pass
        if follower.ready.is_set():
            console.print(
                f"Vues à jour, suivi en cours / read models up to date, following: "
                f"{', '.join(projector.read_models)}"
            )
        _wait(console, threads)
    console.print("Arrêt / stopped.")
    if failure:
        fail(f"le suivi des vues s'est arrêté / the read models stopped: {failure[0]}")


@notifier_app.command("run")
def run_notifier_alone() -> None:
    """Suit les événements et envoie les notifications / follow events and notify (until
    Ctrl-C or SIGTERM)."""
    console = Console()
    settings = load_settings()
    configure_logging(settings, "notifier")
    metrics.configure(settings)  # before anything is counted
    with closing(build_application(settings)) as app, stopped_by_signals() as stop:
        _wait(console, [_Thread("aspe-notifier", _notifying(settings, app), stop)])
    console.print("Arrêt / stopped.")


def _notifying(
    settings: Settings, app: AspeApplication
) -> Callable[[threading.Event, threading.Event], None]:
    """The notifier over ``app``'s events, built when its thread starts, closed when it
    stops."""

    def run(stop: threading.Event, ready: threading.Event) -> None:
        projector = build_notifier(settings, app)
        try:
            run_notifier(projector, stop, ready)
        finally:
            projector.close()

    return run


class _Thread(threading.Thread):
    """``target(stop, ready)`` in a daemon thread, started at once."""

    def __init__(
        self,
        name: str,
        target: Callable[[threading.Event, threading.Event], None],
        stop: threading.Event,
    ) -> None:
        self.ready = threading.Event()
        super().__init__(target=target, args=(stop, self.ready), name=name, daemon=True)
        self.start()


def _wait(console: Console, threads: list[_Thread]) -> None:
    """Until every thread has stopped, saying when the notifier follows the store."""
    said = False
    while any(thread.is_alive() for thread in threads):
        for thread in threads:
            if thread.name == "aspe-notifier" and not said and thread.ready.is_set():
                console.print("Notifieur à jour, suivi en cours / notifier up to date, following")
                said = True
            thread.join(0.2)


@projections_app.command()
def rebuild(names: Names = None) -> None:
    """Reconstruit depuis l'origine / drop and replay from position 0 (resumes if interrupted)."""
    console = Console()
    with _projector(names) as projector, stopped_by_signals() as stop:
        resuming = [m.name for m in projector.select(names or ()) if m.view.is_rebuilding]
        if resuming:
            console.print(f"Reprise / resuming: {', '.join(resuming)}")
        started = time.perf_counter()
        with _progress(console) as start_task:
            finished = projector.rebuild(names or (), progress=start_task, stop=stop)
        if not finished:
            console.print(
                "Interrompu : relancez la même commande pour reprendre / "
                "interrupted: run the same command again to resume."
            )
            raise typer.Exit(code=130)
        console.print(f"Reconstruit en {time.perf_counter() - started:.1f} s / rebuilt.")
        if not _print_status(console, projector):
            raise typer.Exit(code=1)


@contextmanager
def _progress(console: Console) -> Iterator[Callable[[int, int], Callable[[int], None]]]:
    progress = events_progress(
        console, "Reconstruction / rebuild", TextColumn("{task.fields[rate]}")
    )

    def start_task(done: int, total: int) -> Callable[[int], None]:
        task = progress.add_task("rebuild", total=max(total, 1), completed=done, rate="")

        def advance(count: int) -> None:
            progress.advance(task, count)
            speed = progress.tasks[task].speed
            progress.update(task, rate=f"{french.number(round(speed))} év./s" if speed else "")

        return advance

    with progress:
        yield start_task


@projections_app.command()
def status() -> None:
    """Position de chaque vue, tête du magasin, retard / position, head, lag; exit code 1 if
    a read model has stopped on an error (which event, which error)."""
    with _projector(None) as projector:
        if not _print_status(Console(), projector):
            raise typer.Exit(code=1)


def _print_status(console: Console, projector: Projector) -> bool:
    """The status table, then where and why each stopped read model stopped; whether none did."""
    table = Table(title="Vues / read models")
    for column in ("Vue / read model", "Position", "Tête / head", "Retard / lag", "État / state"):
        table.add_column(column, justify="left" if column.startswith("V") else "right")
    lines = projector.status()
    for line in lines:
        table.add_row(line.name, str(line.position), str(line.head), str(line.lag), _state(line))
    console.print(table)
    for line in lines:
        if line.failure is not None:
            failure = line.failure
            console.print(
                f"{line.name} : arrêtée à la position {failure.position} "
                f"({failure.topic}) le {failure.at} / stopped at position {failure.position}: "
                f"{failure.error}: {failure.message}",
                style="red",
                markup=False,  # the error's message is not rich markup
                highlight=False,
                soft_wrap=True,
            )
    return all(line.failure is None for line in lines)


def _state(line: ProjectionStatus) -> str:
    if line.failure is not None:
        return "en échec / failed"
    if line.rebuilding:
        return "reconstruction / rebuilding"
    return "en retard / behind" if line.lag else "à jour / up to date"
