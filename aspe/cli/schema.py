"""``aspe graphql``: the schema's SDL, for clients and for review (``schema.graphql``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from aspe.cli.console import out
from aspe.graphql.schema import export_sdl

graphql_app = typer.Typer(help="L'API GraphQL / the GraphQL API.", no_args_is_help=True)

SCHEMA_FILE = Path("schema.graphql")


@graphql_app.command("export-schema")
def export_schema(
    path: Annotated[
        Path, typer.Option("--output", "-o", help="où écrire le SDL / where to write the SDL")
    ] = SCHEMA_FILE,
) -> None:
    """Écrit le schéma (SDL) / write the schema's SDL (default: ./schema.graphql)."""
    path.write_text(export_sdl(), encoding="utf-8")
    out().print(f"Schéma écrit dans {path} / schema written to {path}")
