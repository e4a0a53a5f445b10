"""``aspe worker``, ``aspe beat`` (Celery's own, configured from ``ASPE_*``) and
``aspe notifications status | requeue``. Messages in French and English."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from aspe import metrics
from aspe.bootstrap import build_celery
from aspe.cli.console import fail, load_settings, out
from aspe.french import labels
from aspe.logs.setup import log_celery
from aspe.workers.app import AspeCelery, create_app
from aspe.workers.delivery import STATUSES, delivery_counts, recent_failures, requeue_stale
from aspe.workers.scheduler import SCHEDULER

PASS_THROUGH: dict[str, Any] = {"allow_extra_args": True, "ignore_unknown_options": True}
"""Celery's own options (``--pool``, ``--loglevel``, ``--hostname``…) go through as is."""

notifications_app = typer.Typer(
    help="Notifications : état des envois / delivery status.", no_args_is_help=True
)


def _bilingual(french: str, english: str) -> str:
    """``en attente / queued``: the French word, then the English one unless it is the same
    word (``e-mail``, ``email``)."""
    return french if french.replace("-", "") == english else f"{french} / {english}"


def _celery() -> AspeCelery:
    settings = load_settings()
    metrics.configure(settings)  # before anything is counted, and before the pool forks
    celery = build_celery(settings)
    if celery.runs_in_process:
        fail(
            "ASPE_REDIS_URL n'est pas défini : les tâches s'exécutent dans le processus qui les "
            "envoie, sans worker ni beat / ASPE_REDIS_URL is not set: tasks run in-process"
        )
    return celery


def worker(
    context: typer.Context,
    concurrency: Annotated[
        int | None,
        typer.Option(
            "--concurrency",
            "-c",
            min=1,
            help="Processus du pool / pool processes (défaut / default: ASPE_WORKER_CONCURRENCY).",
        ),
    ] = None,
) -> None:
    """Démarre un worker Celery / start a Celery worker (options of `celery worker`)."""
    celery = _celery()
    log_celery(celery.settings, "worker")
    # Without the option, Celery's configuration holds ASPE_WORKER_CONCURRENCY already.
    override = [f"--concurrency={concurrency}"] if concurrency else []
    celery.worker_main(["worker", *override, *context.args])


def beat(context: typer.Context) -> None:
    """Démarre l'ordonnanceur Celery beat / start Celery beat (options of `celery beat`)."""
    celery = _celery()
    log_celery(celery.settings, "beat")
    # The clocks' previous runs come from the store, not from beat's own file: a beat that
    # starts after a time it missed runs that clock at once (aspe.workers.scheduler).
    celery.start(["beat", "--scheduler", SCHEDULER, *context.args])


@notifications_app.command()
def status() -> None:
    """Envois en attente, délivrés, échoués, par canal / deliveries per channel and status."""
    settings = load_settings()
    counts = delivery_counts(settings)
    table = Table(title="Notifications")
    table.add_column("Canal / channel")
    for state in STATUSES:
        table.add_column(_bilingual(labels.DELIVERY_STATUSES[state], state), justify="right")
    for channel, by_status in counts.items():
        french = labels.DELIVERY_CHANNELS.get(channel, channel)
        table.add_row(_bilingual(french, channel), *(str(by_status[s]) for s in STATUSES))
    console = out()
    console.print(table)
    failures = recent_failures(settings)
    if failures:
        failed = Table(title="Derniers échecs / last failures")
        for column in ("Envoi / delivery", "Canal / channel", "Essais / attempts", "Erreur"):
            failed.add_column(column)
        for row in failures:
            failed.add_row(
                escape(row["key"]), row["channel"], str(row["attempts"]), escape(row["error"] or "")
            )
        console.print(failed)


@notifications_app.command()
def requeue(
    older_than: float | None = typer.Option(
        None,
        help="Secondes d'attente au-delà desquelles un envoi est remis en file "
        "(défaut : ASPE_DELIVERY_REQUEUE_AFTER) / seconds waited before queuing again.",
    ),
) -> None:
    """Remet en file les envois dont la tâche a été perdue / queue lost deliveries again."""
    count = requeue_stale(create_app(load_settings()), older_than)
    out().print(f"{count} envoi(s) remis en file / deliveries queued again")
