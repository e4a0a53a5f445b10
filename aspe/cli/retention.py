"""``aspe retention run [--dry-run]``: archive and erase what retention asks for today
(``aspe.privacy.retention``), or only list it.

What the daily clock does (Celery beat, ``ASPE_RETENTION_AT``), run by hand: the same read
model, the same rules, each action an event of the platform.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from aspe import french
from aspe.bootstrap import build_clocks
from aspe.cli.console import load_settings, out
from aspe.privacy.retention import Due, RetentionRun

retention_app = typer.Typer(
    help="Durées de conservation : archiver, effacer / retention: archive, erase.",
    no_args_is_help=True,
)


@retention_app.command()
def run(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Lister sans rien faire / list, do nothing.")
    ] = False,
) -> None:
    """Archive les dossiers et efface les ménages dont le délai est échu / archive the
    cases and erase the households whose time has come."""
    settings = load_settings().model_copy(update={"projections_in_process": True})
    clocks = build_clocks(settings)
    try:
        todo = clocks.retention_due()
        console = out()
        console.print(_due_table(todo, settings.archive_after_months, settings.erase_after_years))
        if dry_run:
            console.print("Rien n'a été fait (--dry-run) / nothing done.")
            return
        console.print(_done(clocks.apply_retention()))
    finally:
        clocks.projector.close()
        clocks.app.close()


def _due_table(todo: Due, months: int, years: int) -> Table:
    table = Table(title=f"Conservation au {french.day(todo.today)}")
    for column in ("action", "dossier / ménage", "depuis"):
        table.add_column(column)
    for case in todo.archive:
        table.add_row(
            f"archiver ({months} mois après la clôture)", str(case.case_id),
            french.day(case.closed_on),
        )  # fmt: skip
    for household in todo.erase:
        table.add_row(
            f"effacer ({years} ans après la clôture)", str(household.household_id),
            french.day(household.since),
        )  # fmt: skip
    return table


def _done(run: RetentionRun) -> str:
    refused = (
        f" · refusés : {len(run.refused)} ("
        + ", ".join(f"{subject} {code}" for subject, code in run.refused.items())
        + ")"
        if run.refused
        else ""
    )
    return f"Dossiers archivés : {len(run.archived)} · ménages effacés : {len(run.erased)}{refused}"
