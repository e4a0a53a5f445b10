"""``aspe privacy access-log``: the access log's retention (``aspe.access_log``).

Run it from cron or a Celery beat of the deployment's own (daily is plenty): entries older
than ``ASPE_ACCESS_LOG_RETENTION_MONTHS`` are deleted, the others left alone.
"""

from __future__ import annotations

from datetime import UTC, datetime

import typer

from aspe import french
from aspe.access_log.recording import purge_expired, retention_cutoff
from aspe.cli.console import load_settings, out

access_log_app = typer.Typer(
    help="Journal des accès aux dossiers / who read which case.", no_args_is_help=True
)


@access_log_app.command("purge")
def purge() -> None:
    """Supprime les entrées plus anciennes que la durée de conservation / delete the entries
    older than ASPE_ACCESS_LOG_RETENTION_MONTHS."""
    settings, now = load_settings(), datetime.now(UTC)
    deleted = purge_expired(settings, now)
    cutoff = french.day(retention_cutoff(settings, now), settings.zone)
    out().print(
        f"Entrées supprimées : {deleted} (antérieures au {cutoff}) / "
        f"{deleted} entries older than {settings.access_log_retention_months} months deleted"
    )
