"""Checks that a command line is one ``aspe`` would run, and that a variable is a setting:
what the container files and ``aspe up`` are held to (tests/test_container_files.py,
tests/test_topology.py)."""

from __future__ import annotations

from collections.abc import Sequence

import typer
from typer.core import TyperGroup
from typer.exceptions import TyperException

from aspe.cli.main import app
from aspe.settings import Settings


def command_problem(arguments: Sequence[str]) -> str | None:
    """Why ``aspe <arguments>`` is not a real command (an unknown sub-command, a group
    without its sub-command, an unknown option), or ``None`` when the parser takes it."""
    command = typer.main.get_command(app)
    rest = list(arguments)
    path = ["aspe"]
    while isinstance(command, TyperGroup):
        if not rest:
            return f"{' '.join(path)}: a group, not a command"
        name = rest.pop(0)
        found = command.commands.get(name)
        if found is None:
            return f"{' '.join(path)}: no sub-command {name!r}"
        command, path = found, [*path, name]
    try:
        command.make_context(" ".join(path), rest, resilient_parsing=False)
    except TyperException as error:  # typer's own click: an unknown option, a bad value
        return f"{' '.join(path)}: {error}"
    return None


def setting_problem(variable: str) -> str | None:
    """Why ``variable`` (``ASPE_…``) is not one of the settings, or ``None``."""
    field = variable.removeprefix("ASPE_").lower()
    if not variable.startswith("ASPE_") or field not in Settings.model_fields:
        return f"{variable}: not a setting"
    return None
