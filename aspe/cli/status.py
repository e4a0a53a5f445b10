"""``aspe status``: the readiness checks of ``/readyz``, for the whole deployment, from
the command line (its store, its Redis, its read models wherever they run)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from aspe.cli.console import load_settings, out
from aspe.health.readiness import Readiness, readiness
from aspe.health.sources import Opened


def status(
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Le corps JSON de /readyz / the body of /readyz."),
    ] = False,
) -> None:
    """Prêt ou pas, et pourquoi / ready or not, and why: store, Redis, read models (exit
    code 1 when not ready)."""
    sources = Opened(load_settings())
    try:
        result = readiness(sources)
    finally:
        sources.close()
    if as_json:
        typer.echo(json.dumps(result.body(), ensure_ascii=False, indent=2))
    else:
        _print(result)
    if not result.ready:
        raise typer.Exit(code=1)


def _print(result: Readiness) -> None:
    table = Table(title="État du déploiement / deployment status")
    table.add_column("Vérification / check", no_wrap=True)
    table.add_column("État / state", no_wrap=True)
    table.add_column("Détail / detail")
    for check in result.checks:
        state = "[green]prêt / ready[/]" if check.ok else "[bold red]en échec / failing[/]"
        table.add_row(check.name, state, escape(check.detail))
    console = out()
    console.print(table)
    if result.ready:
        console.print("Prêt / ready.")
    else:
        console.print(f"Pas prêt / not ready: {', '.join(result.failing)}", style="red")
