"""The ``aspe`` command: load the demo, serve the API, read a case's story, check settings.

Configuration comes from the environment only (``ASPE_*``, read by ``Settings``). Errors
are said in French and English, on standard error, with exit code 1.
"""

from __future__ import annotations

import json
import time
from contextlib import closing
from datetime import UTC, datetime
from enum import Enum
from typing import Annotated, Any
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID
from zoneinfo import ZoneInfo

import typer
import uvicorn
from pydantic import SecretStr
from rich.markup import escape
from rich.table import Table

from aspe import french
from aspe.api import create_app
from aspe.application.history import HistoryLine, case_history
from aspe.bootstrap import build_application
from aspe.cli.access_log import access_log_app
from aspe.cli.audit import audit_app
from aspe.cli.backup import backup_command, restore_command
from aspe.cli.console import fail as _fail
from aspe.cli.console import load_settings as _settings
from aspe.cli.console import out as _out
from aspe.cli.privacy import privacy_app
from aspe.cli.projections import notifier_app, projections_app
from aspe.cli.retention import retention_app
from aspe.cli.schema import graphql_app
from aspe.cli.status import status as status_command
from aspe.cli.up import up
from aspe.cli.workers import PASS_THROUGH, beat, notifications_app, worker
from aspe.demo import DemoReport, load_demo
from aspe.domain.errors import NotFound
from aspe.french import labels
from aspe.french.case_state import case_state
from aspe.logs.setup import configure_logging
from aspe.projections.time_travel import AgendaAtDecision, agenda_item_at_decision
from aspe.settings import Environment

app = typer.Typer(
    help="ASPE — Accompagnement Social de Prévention des Expulsions.",
    no_args_is_help=True,
    add_completion=False,
)
case_app = typer.Typer(help="Dossiers / cases.", no_args_is_help=True)
app.add_typer(case_app, name="case")
app.add_typer(projections_app, name="projections")
app.add_typer(graphql_app, name="graphql")
app.add_typer(notifications_app, name="notifications")
app.add_typer(notifier_app, name="notifier")
app.add_typer(audit_app, name="audit")
app.add_typer(privacy_app, name="privacy")
app.add_typer(retention_app, name="retention")
privacy_app.add_typer(access_log_app, name="access-log")
app.command(context_settings=PASS_THROUGH)(worker)
app.command(context_settings=PASS_THROUGH)(beat)
app.command("status")(status_command)
app.command()(up)
app.command("backup")(backup_command)
app.command("restore")(restore_command)


# ------------------------------------------------------------------------------- demo


@app.command()
def demo(
    if_empty: Annotated[
        bool,
        typer.Option(
            "--if-empty",
            help="Ne rien faire si le magasin contient déjà des événements / "
            "do nothing when the store already holds events.",
        ),
    ] = False,
) -> None:
    """Charge le département de démonstration / load the demo département."""
    settings = _settings()
    if settings.env is Environment.PRODUCTION:
        _fail(
            "pas de démonstration en production : ses comptes ont un mot de passe connu / "
            "no demo in production: its accounts share a known password"
        )
    with closing(build_application(settings)) as application:
        events = application.head()
        if events and if_empty:
            _out().print(
                f"Le magasin contient déjà {events} événements : démonstration non chargée. / "
                "The store already holds events: demo not loaded."
            )
            return
        if events:
            _fail(
                f"le magasin contient déjà {events} événements ; la démonstration créerait des "
                "comptes en double (utilisez --if-empty ou un ASPE_DATA_DIR vide) / the store "
                "already holds events; the demo would duplicate its accounts"
            )
        started = time.perf_counter()
        report = load_demo(application, settings.rules.day_of(datetime.now(UTC)))
    _print_report(report, time.perf_counter() - started)


def _print_report(report: DemoReport, seconds: float) -> None:
    out = _out()
    accounts = Table(title="Comptes de démonstration / demo accounts")
    accounts.add_column("Rôle / role", no_wrap=True)
    accounts.add_column("E-mail", no_wrap=True)
    accounts.add_column("Nom / name")
    for account in report.accounts:
        accounts.add_row(account.role.value, account.email, escape(account.name))
    out.print(accounts)
    out.print(
        f"Mot de passe de ces comptes / password of these accounts: [bold]{report.password}[/] "
        "(développement uniquement / development only)\n"
    )
    statuses = Table(title="Dossiers par statut / cases by status")
    statuses.add_column("Statut / status")
    statuses.add_column("Dossiers / cases", justify="right")
    for status, count in report.cases_by_status.items():
        statuses.add_row(status.value, str(count))
    out.print(statuses)
    out.print(
        f"{report.events} événements du {french.day(report.first_day)} au "
        f"{french.day(report.last_day)}"
        f", {report.households} ménages, {report.organisations} organisations, "
        f"{report.staff} comptes du personnel, {report.alerts} alertes — chargé en {seconds:.1f} s"
    )
    out.print("\nDossiers à ouvrir / cases to look at (aspe case history <id>):")
    for sample in report.sample_cases:
        out.print(f"  {sample.status.value:<10} {sample.case_id}  {escape(sample.label)}")


# ------------------------------------------------------------------------------ serve


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Adresse d'écoute / address to listen on.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
) -> None:
    """Sert l'API HTTP / serve the HTTP API."""
    settings = _settings()
    configure_logging(settings, "serve")
    # Open live-update streams (the portal's /evenements) would otherwise hold a stop back.
    # Uvicorn's logging is ours (log_config=None); its access log is RequestIds' (no query).
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        timeout_graceful_shutdown=5,
        log_config=None,
        access_log=False,
    )


# ------------------------------------------------------------------------ case history


@case_app.command("history")
def history(
    case_id: Annotated[str, typer.Argument(help="Identifiant du dossier / case id (UUID).")],
) -> None:
    """Affiche l'histoire d'un dossier / show a case's history."""
    identifier = _parse_case_id(case_id)
    settings = _settings()
    with closing(build_application(settings)) as application:
        try:
            lines = case_history(application, identifier)
        except NotFound:
            _fail(f"dossier introuvable / case not found: {case_id}")
    _out().print(_history_table(identifier, lines, settings.zone))


def _parse_case_id(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        _fail(f"identifiant de dossier invalide / malformed case id: {text!r}")


def _history_table(case_id: UUID, lines: list[HistoryLine], zone: ZoneInfo) -> Table:
    table = Table(title=f"Dossier {case_id}")
    for column in (f"Heure ({zone.key})", "Acteur", "Rôle", "Événement", "Résumé"):
        table.add_column(column)
    for line in lines:
        table.add_row(
            french.moment(line.at, zone),
            escape(line.actor),
            labels.title(line.role),
            line.event,
            escape(line.summary),
        )
    return table


# --------------------------------------------------------------------------- case show


@case_app.command("show")
def show(
    case_id: Annotated[str, typer.Argument(help="Identifiant du dossier / case id (UUID).")],
    as_of: Annotated[
        datetime | None,
        typer.Option(
            "--as-of",
            help="Le dossier tel qu'il était à cet instant (UTC), ex. 2026-03-01T12:00 / "
            "the case as it stood then.",
        ),
    ] = None,
    as_of_decision: Annotated[
        bool,
        typer.Option(
            "--as-of-decision",
            help="L'ordre du jour de la commission tel qu'il était à sa décision / "
            "the commission's agenda item as it stood when it decided.",
        ),
    ] = False,
) -> None:
    """Affiche l'état d'un dossier, maintenant ou à un instant passé / show a case's state."""
    identifier = _parse_case_id(case_id)
    settings = _settings()
    with closing(build_application(settings)) as application:
        try:
            if as_of_decision:
                agenda = agenda_item_at_decision(application, identifier)
                _out().print(_agenda_table(agenda, settings.zone))
                return
            case = (
                application.case_as_of(identifier, as_of)
                if as_of
                else application.get_case(identifier)
            )
        except NotFound as error:
            _fail(f"{error.message} / not found: {case_id}")
    then = None if as_of is None else french.moment(as_of, settings.zone)
    title = f"Dossier {identifier}" + (f" au {then} ({settings.zone.key})" if then else "")
    _out().print(_case_table(title, case_state(case)))


def _case_table(title: str, state: list[tuple[str, str]]) -> Table:
    table = Table(title=title, show_header=False)
    table.add_column("", style="bold")
    table.add_column("")
    for label, value in state:
        table.add_row(label, escape(value))
    return table


def _agenda_table(agenda: AgendaAtDecision, zone: ZoneInfo) -> Table:
    title = (
        f"Ordre du jour de la commission au moment de sa décision ({agenda.decision}, "
        f"{french.moment(agenda.decided_at, zone)}, {zone.key})"
    )
    fields = agenda.item.items() if agenda.item is not None else ()
    return _case_table(title, [(key, _cell(value)) for key, value in fields])


def _cell(value: Any) -> str:
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


# ------------------------------------------------------------------------ check-config


@app.command("check-config")
def check_config() -> None:
    """Affiche la configuration effective et vérifie le magasin / show settings, check store."""
    settings = _settings()
    table = Table(title="Configuration effective / effective settings")
    table.add_column("Réglage / setting")
    table.add_column("Valeur / value")
    for name, value in settings.model_dump().items():
        table.add_row(f"ASPE_{name.upper()}", escape(_shown(name, value)))
    out = _out()
    out.print(table)
    try:
        with closing(build_application(settings)) as application:
            events = application.head()
    except Exception as error:  # whatever the driver raises, the store is not usable as set
        _fail(f"le magasin d'événements ne s'ouvre pas / the event store does not open: {error}")
    out.print(f"Magasin d'événements : OK, {events} événements / event store: OK")


def _shown(name: str, value: Any) -> str:
    """Settings as printed: secrets masked, passwords taken out of URLs."""
    if isinstance(value, SecretStr):
        return "********"
    if name.endswith("_url") and isinstance(value, str):
        return _without_password(value)
    if isinstance(value, Enum):
        return str(value.value)
    return "" if value is None else str(value)


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    netloc = f"{parts.username or ''}:********@{host}{port}"
    return urlunsplit(parts._replace(netloc=netloc))
