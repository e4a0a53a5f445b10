"""``aspe privacy erase``: erase a household's personal data (``aspe.privacy.erasure``);
``aspe privacy migrate``: copy a store written before personal values were sealed into a
new one that seals them (``aspe.privacy.migration``).

Run by whoever operates the platform, it acts as the platform itself (role SYSTEM): the
erasure's record says so, with the ground and the reason given here. It asks for
confirmation unless ``--yes``; run again on an erased household, it finishes purging what
an interrupted run left.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import typer

from aspe import french
from aspe.bootstrap import build_application, erasure_places
from aspe.cli.console import fail, load_settings, out
from aspe.domain.actors import SYSTEM_ACTOR, acting_as
from aspe.domain.errors import DomainError
from aspe.domain.values import ErasureGround
from aspe.privacy.erasure import ErasureReport, erase_household
from aspe.privacy.migration import CopyDiffers, NotEmpty, copy_sealed, verify_copy

privacy_app = typer.Typer(
    help="Données personnelles : effacer un ménage / personal data: erase a household.",
    no_args_is_help=True,
)


@privacy_app.command()
def erase(
    household_id: Annotated[str, typer.Argument(help="Identifiant du ménage / household id.")],
    reason: Annotated[
        str,
        typer.Option("--reason", help="Motif, sans donnée personnelle / why (no personal data)."),
    ],
    ground: Annotated[
        ErasureGround, typer.Option("--ground", help="Fondement / legal ground.")
    ] = ErasureGround.HOUSEHOLD_REQUEST,
    yes: Annotated[bool, typer.Option("--yes", help="Sans confirmation / do not ask.")] = False,
) -> None:
    """Efface les données personnelles d'un ménage, définitivement / erase a household's
    personal data, for good."""
    settings = load_settings()
    try:
        household = UUID(household_id)
    except ValueError:
        fail(f"identifiant de ménage invalide / invalid household id: {household_id}")
    if not yes:
        typer.confirm(
            f"Effacer définitivement les données du ménage {household} ? / Erase for good?",
            abort=True,
        )
    app = build_application(settings)
    try:
        with erasure_places(settings, app) as places, acting_as(SYSTEM_ACTOR, zone=settings.zone):
            report = erase_household(app, places, household, ground, reason)
    except DomainError as refusal:
        fail(refusal.message)
    finally:
        app.close()
    _print(report)


def _print(report: ErasureReport) -> None:
    console = out()
    done = "effacé" if report.recorded else "effacement déjà enregistré, purge terminée"
    console.print(f"Ménage {report.household_id} : {done} / erased.")
    console.print(
        f"Dossiers : {len(report.case_ids)} · lignes de vues refaites : "
        f"{french.number(report.read_model_rows)} · notifications effacées : "
        f"{french.number(report.notifications)} · fichiers supprimés : {len(report.files)}"
    )


@privacy_app.command()
def migrate(
    to_database_url: Annotated[
        str | None,
        typer.Option("--to-database-url", help="Nouveau magasin / the new store's database."),
    ] = None,
    to_schema: Annotated[
        str | None, typer.Option("--to-schema", help="Son schéma PostgreSQL / its schema.")
    ] = None,
    to_data_dir: Annotated[
        Path | None,
        typer.Option("--to-data-dir", help="Son dossier (SQLite) / its data directory."),
    ] = None,
) -> None:
    """Copie le magasin dans un nouveau, données personnelles scellées, et vérifie la copie /
    copy the store into a new one, personal values sealed, and verify the copy."""
    settings = load_settings()
    named: dict[str, Any] = {"database_url": to_database_url, "database_schema": to_schema}
    changes = {name: value for name, value in named.items() if value is not None}
    if to_data_dir is not None:
        changes["data_dir"] = to_data_dir
    if not changes:
        fail("indiquez le nouveau magasin / name the new store (--to-data-dir, --to-database-url)")
    target_settings = settings.model_copy(update=changes)
    if target_settings.sqlite_path() == settings.sqlite_path() and not settings.uses_postgres:
        fail("le nouveau magasin est l'ancien / the new store is the old one")
    source, target = build_application(settings), build_application(target_settings)
    try:
        copied = copy_sealed(source, target)
        report = verify_copy(source, target)
    except (NotEmpty, CopyDiffers) as problem:
        fail(f"copie refusée / copy refused: {problem}")
    finally:
        source.close()
        target.close()
    out().print(
        f"{french.number(copied)} événements copiés et vérifiés ({french.number(report.events)}) "
        "/ events copied and verified. Next: point ASPE_* at the new store, then run "
        "`aspe projections rebuild`."
    )
