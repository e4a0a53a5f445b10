"""``aspe audit verify | checkpoint | seal``: the tamper-evident history (``aspe.audit``).

``verify`` re-computes the chain of the whole store with a progress bar and exits 1 at the
first break, saying where, which event and what differs; ``--against CHECKPOINT`` also
proves the history up to a checkpoint was not rewritten since. ``checkpoint`` verifies,
then prints a signed checkpoint (JSON) to keep outside the system. ``seal`` links, once,
the events of a store written before the chain.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated
from uuid import UUID

import typer
from rich.console import Console
from rich.markup import escape

from aspe import french
from aspe.audit import checkpoints, store
from aspe.audit.checkpoints import Checkpoint, CheckpointRefused
from aspe.audit.verify import Break, BreakKind, Difference, Verification
from aspe.bootstrap import build_application
from aspe.cli.console import events_progress, fail, load_settings
from aspe.settings import Settings

audit_app = typer.Typer(
    help="Historique infalsifiable : vérifier, point de contrôle, sceller / "
    "tamper-evident history: verify, checkpoint, seal.",
    no_args_is_help=True,
)


@audit_app.command()
def verify(
    against: Annotated[
        Path | None,
        typer.Option(
            "--against",
            help="Point de contrôle (fichier JSON) dont l'historique doit être inchangé / "
            "a checkpoint file the history up to which must be unchanged.",
        ),
    ] = None,
) -> None:
    """Recalcule la chaîne de tout le magasin / re-compute the whole store's chain; exit
    code 1 at the first break."""
    settings = load_settings()
    checkpoint = _checked(against, settings) if against is not None else None
    console = Console()
    result = _verified(settings, console, checkpoint.position if checkpoint else None)
    if checkpoint is not None:
        _compare(console, result, checkpoint)
    if result.first_break is not None:
        _say_break(result.first_break)
        raise typer.Exit(code=1)
    console.print(
        f"[green]Historique intact[/] : {french.number(result.checked)} événements vérifiés "
        f"jusqu'à la position {result.position}, tête {result.head.hex()} / history intact."
    )


@audit_app.command()
def checkpoint(
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Fichier à écrire / file to write (default: stdout)."),
    ] = None,
) -> None:
    """Vérifie la chaîne, puis émet un point de contrôle signé (position, tête, heure) à
    conserver hors du système / verify, then print a signed checkpoint to keep elsewhere."""
    settings = load_settings()
    console = Console(stderr=True)  # standard output is the checkpoint itself
    result = _verified(settings, console, None)
    if result.first_break is not None:
        _say_break(result.first_break)
        fail("chaîne rompue : pas de point de contrôle / broken chain: no checkpoint issued")
    text = checkpoints.issue(
        settings.checkpoint_seed(), result.position, result.head, result.checked,
        datetime.now(UTC).replace(microsecond=0),
    )  # fmt: skip
    if output is None:
        typer.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    console.print(
        f"Point de contrôle écrit dans {escape(str(output))} (position {result.position}) / "
        "checkpoint written."
    )


@audit_app.command()
def seal() -> None:
    """Enchaîne, une fois, les événements écrits avant la chaîne / link, once, the events
    stored before the chain."""
    settings = load_settings()
    with closing(build_application(settings)) as app:
        started = time.perf_counter()
        linked = store.seal(app)
    Console().print(
        f"{french.number(linked)} événements enchaînés en {time.perf_counter() - started:.1f} s "
        f"/ events linked. Vérifiez avec / verify with: aspe audit verify"
    )


# ----------------------------------------------------------------------- helpers
def _checked(path: Path, settings: Settings) -> Checkpoint:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        fail(f"point de contrôle illisible / unreadable checkpoint: {path}: {error}")
    try:
        return checkpoints.check(text, settings.checkpoint_seed())
    except CheckpointRefused as refused:
        fail(refused.message)


def _verified(settings: Settings, console: Console, mark: int | None) -> Verification:
    with closing(build_application(settings)) as app, _progress(console) as start:
        return store.verify(app, mark=mark, start=start)


@contextmanager
def _progress(console: Console) -> Iterator[Callable[[int], Callable[[int], None]]]:
    progress = events_progress(console, "Vérification / verify")

    def start(total: int) -> Callable[[int], None]:
        task = progress.add_task("verify", total=max(total, 1))
        return lambda count: progress.advance(task, count)

    with progress:
        yield start


def _compare(console: Console, result: Verification, checkpoint: Checkpoint) -> None:
    """Whether the history up to the checkpoint is the one it signed; exit 1 if not."""
    where = f"position {checkpoint.position}, {checkpoint.at}"
    broken_before = (
        result.first_break is not None and result.first_break.position <= checkpoint.position
    )
    if broken_before or result.marked is None:
        if broken_before:
            reason = "la chaîne est rompue avant elle (ci-dessus) / the chain breaks before it"
        elif result.position < checkpoint.position:
            reason = (
                f"le magasin s'arrête à la position {result.position} / the store ends before it"
            )
        else:
            reason = "plus aucun événement à cette position / no event at that position any more"
        if result.first_break is not None:
            _say_break(result.first_break)
        fail(f"historique réécrit avant le point de contrôle ({where}) : {reason} / "
             "history rewritten before the checkpoint")  # fmt: skip
    if result.marked.hex() != checkpoint.head:
        fail(
            f"historique réécrit avant le point de contrôle ({where}) : la chaîne recalculée "
            f"donne {result.marked.hex()} au lieu de {checkpoint.head} / history rewritten "
            "before the checkpoint: the re-computed head differs"
        )
    console.print(
        f"[green]Conforme au point de contrôle[/] ({where}) : l'historique jusqu'à cette "
        "position n'a pas été réécrit / history up to the checkpoint not rewritten."
    )


def _say_break(found: Break) -> None:
    Console(stderr=True).print(
        f"[bold red]Rupture de la chaîne / broken chain[/] — position {found.position}: "
        f"{escape(_described(found))}",
        soft_wrap=True,
    )


def _described(found: Break) -> str:
    if found.kind is BreakKind.DELETED:
        assert found.recorded is not None
        gone = _event(found.recorded.originator_id, found.recorded.version, found.recorded.topic)
        return (
            f"l'événement enchaîné ici ({gone}) a été supprimé / the event linked here was deleted"
        )
    assert found.event is not None
    event = _event(found.event.originator_id, found.event.version, found.event.topic)
    if found.kind is BreakKind.UNLINKED:
        return (
            f"l'événement {event} n'a pas de maillon : inséré hors de l'application, ou écrit "
            "avant la chaîne (un magasin antérieur se scelle une fois par « aspe audit seal ») / "
            "this event has no link: inserted outside the application, or stored before the "
            "chain (an older store is sealed once with `aspe audit seal`)"
        )
    assert found.recorded is not None
    return f"l'événement {event} : " + "; ".join(
        _difference(difference, found) for difference in found.differences
    )


def _difference(difference: Difference, found: Break) -> str:
    recorded = found.recorded
    assert recorded is not None
    if difference is Difference.EVENT:
        was = _event(recorded.originator_id, recorded.version, recorded.topic)
        return (
            f"ce n'est pas l'événement enchaîné à cette position ({was}) : déplacé, échangé ou "
            "remplacé / another event sits at this position"
        )
    if difference is Difference.TOPIC:
        return f"type modifié (enchaîné : {recorded.topic}) / topic changed"
    if difference is Difference.STATE:
        return "contenu modifié (octets stockés de l'état) / stored state bytes changed"
    return (
        "le maillon ne correspond plus : maillon réécrit, ou événement précédent supprimé avec "
        "son maillon / the link no longer matches: rewritten, or an earlier event removed with it"
    )


def _event(originator_id: bytes, version: int, topic: str) -> str:
    return f"{_shown_id(originator_id)} v{version} {topic.rpartition(':')[2] or topic}"


def _shown_id(raw: bytes) -> str:
    try:
        return str(UUID(bytes=raw) if len(raw) == 16 else UUID(raw.decode()))
    except ValueError:
        return raw.decode(errors="replace")
