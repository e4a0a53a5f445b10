"""What every ``aspe`` command shares: its console, its refusals, its settings."""

from __future__ import annotations

from typing import NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

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
