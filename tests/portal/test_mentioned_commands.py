"""What the portal tells people to run exists: every ``aspe …`` command a page names is a
command of the ``aspe`` command line (typer's app), down to its last sub-command."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer

from aspe.cli import app

PORTAL = Path(__file__).resolve().parents[2] / "aspe" / "portal"
WORDS = r"aspe((?: [a-z][a-z-]*)+)"
MENTION = {
    ".html": re.compile(rf"\b{WORDS}"),
    ".py": re.compile(rf"(?:`|<code>|[\"'])\s*{WORDS}"),
}
"""``aspe`` then words: a command line as a page shows it (``aspe case history``); in a
module, only inside a string or a quote (not ``from aspe import …``)."""


def mentions(source: Path) -> list[list[str]]:
    text = source.read_text(encoding="utf-8")
    return [match[1].split() for match in MENTION[source.suffix].finditer(text)]


def runs(words: list[str]) -> bool:
    """The words name a command: each one, while the command has sub-commands, one of them."""
    command: Any = typer.main.get_command(app)
    for position, word in enumerate(words):
        subcommands = getattr(command, "commands", None)  # typer's own click: no isinstance
        if subcommands is None:
            return True  # the rest are the command's arguments
        found = subcommands.get(word)
        if found is None:
            return position > 0 and bool(getattr(command, "invoke_without_command", False))
        command = found
    return True


def test_the_check_tells_a_command_from_one_that_does_not_exist():
    # given a command that exists and two that do not
    # then only the first is taken
    assert runs(["case", "history", "0f1e"])
    assert not runs(["accounts", "create"])
    assert not runs(["case", "delete"])


def test_every_aspe_command_a_page_names_exists():
    # given every template and module of the portal
    sources = [*PORTAL.glob("templates/*.html"), *PORTAL.glob("*.py")]

    # when the ``aspe …`` commands they name are looked up in the command line
    missing = [
        f"{source.name}: aspe {' '.join(words)}"
        for source in sources
        for words in mentions(source)
        if not runs(words)
    ]

    # then each of them exists
    assert missing == []


def test_the_administrators_home_names_no_command_line_that_does_not_exist():
    # given the administrator's part of the home page
    home = (PORTAL / "templates" / "home.html").read_text(encoding="utf-8")
    admin = home[home.index('id="titre-admin"') :]

    # then it sends to the accounts pages, not to a command line the platform lacks
    assert "ligne de commande" not in admin
    assert 'href="/comptes"' in admin
