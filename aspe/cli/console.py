"""What every ``aspe`` command shares: its console, its refusals, its settings; and what the
long-running ones share: a stop asked by signal, a progress bar over the store's events."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from aspe.settings import Settings


def out() -> Console:
    """A console per command: it reads the terminal's width (``COLUMNS``) when it runs."""
    return Console()


def fail(message: str) -> NoReturn:
    """Say what went wrong (French / English) on standard error and exit with code 1."""
    Console(stderr=True).print(f"[bold red]Erreur / Error:[/] {escape(message)}")
    raise typer.Exit(code=1)


def load_settings() -> Settings:
    """The environment's settings, or a readable refusal (e.g. production, default secret)."""
    try:
        return Settings()
    except ValidationError as error:
        problems = "; ".join(
            f"ASPE_{str(problem['loc'][0]).upper()}: {problem['msg']}"
            if problem["loc"]
            else problem["msg"]
            for problem in error.errors()
        )
        fail(f"configuration invalide / invalid configuration — {problems}")


@contextmanager
def stopped_by_signals() -> Iterator[threading.Event]:
    """SIGINT (Ctrl-C) and SIGTERM set the event the block is given, instead of stopping the
    process: the command stops cleanly when it sees it; the previous handlers come back after."""
    stop = threading.Event()
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, lambda *_: stop.set())
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def events_progress(console: Console, title: str, *more: ProgressColumn) -> Progress:
    """A progress bar over the store's events: ``title``, the bar, how many of how many
    events, then ``more`` columns, the time elapsed and the time left."""
    return Progress(
        TextColumn(f"[bold]{title}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("événements / events"),
        *more,
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
    )
