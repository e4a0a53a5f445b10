"""``aspe backup FILE`` and ``aspe restore FILE [--no-rebuild]`` (``aspe.backup``).

The backup reads the store in one snapshot while ASPE keeps running; the restore writes an
empty store (nothing else may write it meanwhile), checks it, then rebuilds the read models
as ``aspe projections rebuild`` does.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Annotated

import psycopg
import typer
from eventsourcing.persistence import PersistenceError
from rich.console import Console

from aspe import french
from aspe.backup import (
    ArchiveRefused,
    BackupReport,
    RestoreFailed,
    RestoreReport,
    StoreNotEmpty,
    WrongMasterKey,
    backup,
    check,
    restore,
)
from aspe.backup.restore import RebuildProgress
from aspe.cli.console import fail, load_settings, out
from aspe.cli.projections import _progress as rebuild_progress
from aspe.settings import Settings

STORE_ERRORS = (psycopg.Error, sqlite3.Error, PersistenceError)
"""The store does not open or answer: said in one line, not a traceback."""

Archive = Annotated[Path, typer.Argument(help="Fichier d'archive / archive file (.tar.gz).")]


def backup_command(
    file: Archive,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Remplacer le fichier / replace the file.")
    ] = False,
) -> None:
    """Sauvegarde le magasin dans une archive / back the store up into an archive: events
    and their chain, data keys, notifications, access log, documents."""
    settings = load_settings()
    if file.exists() and not overwrite:
        fail(f"le fichier existe déjà (--overwrite pour le remplacer) / file exists: {file}")
    if not file.parent.is_dir():
        fail(f"dossier introuvable / no such folder: {file.parent}")
    console = out()
    try:
        report = backup(settings, file, progress=_told(console))
    except STORE_ERRORS as error:
        fail(f"le magasin ne se lit pas / the store cannot be read: {error}")
    except OSError as error:
        fail(f"l'archive ne s'écrit pas / the archive cannot be written: {error}")
    _print_backup(console, report)


def _told(console: Console) -> Callable[[str, int], None]:
    """Each table (and the documents) said as it is done: a large store takes minutes."""

    def say(name: str, rows: int) -> None:
        what = "documents" if name == "blobs" else "lignes / rows"
        console.print(f"  {name} : {french.number(rows)} {what}")

    return say


def _print_backup(console: Console, report: BackupReport) -> None:
    manifest = report.manifest
    console.print(f"Sauvegarde écrite / backup written: {report.path} ({french.size(report.size)})")
    console.print(_head_line(manifest.events, manifest.head_position, manifest.head_hash))


def restore_command(
    file: Archive,
    rebuild: Annotated[
        bool,
        typer.Option(
            "--rebuild/--no-rebuild",
            help="Reconstruire les vues ensuite / rebuild the read models after.",
        ),
    ] = True,
    check_only: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Vérifier l'archive sans rien écrire / check the archive, write nothing.",
        ),
    ] = False,
) -> None:
    """Restaure une archive dans un magasin vide, puis reconstruit les vues / restore an
    archive into an empty store, then rebuild the read models."""
    settings = load_settings()
    console = out()
    if check_only:
        _check(settings, file, console)
        return
    try:
        with _progress_when_rebuilding(console) as start:
            report = restore(settings, file, rebuild=rebuild, progress=start, told=_told(console))
    except (ArchiveRefused, StoreNotEmpty, WrongMasterKey, RestoreFailed) as refusal:
        fail(refusal.message)
    except STORE_ERRORS as error:
        fail(f"le magasin ne s'ouvre pas / the store does not open: {error}")
    _print_restore(console, report)
    if report.failed:
        fail(
            f"vues arrêtées sur un événement / read models stopped on an event: "
            f"{', '.join(report.failed)} (aspe projections status)"
        )


@contextmanager
def _progress_when_rebuilding(console: Console) -> Iterator[RebuildProgress]:
    """The rebuild's progress bar, shown once the rebuild starts (not for a refusal)."""
    with ExitStack() as stack:

        def start(done: int, total: int) -> Callable[[int], None]:
            return stack.enter_context(rebuild_progress(console))(done, total)

        yield start


def _check(settings: Settings, file: Path, console: Console) -> None:
    """What a restore checks before it commits, on any machine: a test of the backup."""
    try:
        report = check(settings, file, told=_told(console))
    except (ArchiveRefused, WrongMasterKey) as refusal:
        fail(refusal.message)
    manifest = report.manifest
    console.print(
        f"Archive vérifiée, rien n'a été écrit / archive checked, nothing written "
        f"({manifest.source}, {manifest.created_at}). Documents : {french.number(report.blobs)}"
    )
    console.print(_head_line(manifest.events, manifest.head_position, manifest.head_hash))


def _print_restore(console: Console, report: RestoreReport) -> None:
    console.print(
        f"Archive restaurée (magasin d'origine : {report.manifest.source}, sauvegardé le "
        f"{report.manifest.created_at}) / archive restored."
    )
    verification = report.verification
    assert verification is not None  # restore() verifies before it returns
    console.print(
        _head_line(verification.checked or report.rows.get("events", 0),
                   verification.position, report.head_hash)
    )  # fmt: skip
    if report.relinked:
        console.print(
            "Chaîne recalculée pour ce type de magasin : émettez un nouveau point de contrôle "
            "(aspe audit checkpoint) / chain made again for this kind of store: issue a new "
            f"checkpoint (the archive's head was {report.manifest.head_hash})."
        )
    if report.rebuilt:
        console.print(f"Vues reconstruites / read models rebuilt: {', '.join(report.rebuilt)}")
    else:
        console.print("Vues non reconstruites : lancez `aspe projections rebuild` / not rebuilt.")


def _head_line(events: int, position: int, head: str | None) -> str:
    link = head or "non chaînée / not linked"
    return f"{french.number(events)} événements / events, tête / head {position} : {link}"
