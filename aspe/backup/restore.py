"""``restore``: an archive (``aspe.backup.archive``) into an empty store, then its read models.

Nothing is written before the whole archive is found as its manifest lists it. The store's
tables are then written in one transaction holding the events' write lock, after checking
they are all empty: rows as the archive holds them, the events at their positions. While
the events stream in, their chain is computed again from the archive's own rows: events
that do not lead to the manifest's head link are refused, and the transaction rolled back.
The documents are written to their folder as they come (after the tables). Once committed,
the restored store's chain is verified as ``aspe audit verify`` does, the restored history
is marked as told for the notifier, and the read models are rebuilt.

From one kind of store into the other (SQLite into PostgreSQL: a département outgrowing the
embedded default), the rows are the same but a link covers an event's id as its store keeps
it (``aspe.audit.links``): the chain is therefore made again over the same events, in the
same order, and its new head reported; the archive's own chain is still checked first.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from aspe.audit import store as audit
from aspe.audit.links import GENESIS, StoredRow, link_hash
from aspe.audit.verify import Verification
from aspe.backup import stores
from aspe.backup.archive import (
    MANIFEST,
    ArchiveRefused,
    Manifest,
    checked_manifest,
    members,
    refusing_unreadable,
)
from aspe.backup.stores import Store
from aspe.backup.tables import BY_NAME, TABLES, Spec, decoder, originator_bytes
from aspe.bootstrap import build_application, build_projector, build_views
from aspe.files import PRIVATE_FILE, private_folder
from aspe.privacy.keys import UnknownDataKey, unwrap
from aspe.refusals import Refused
from aspe.settings import Settings
from aspe.workers.notifier import Notifier

RebuildProgress = Callable[[int, int], Callable[[int], None]]
"""``Projector.rebuild``'s: ``start(done, total)`` gives the callback told of each batch."""
Told = Callable[[str, int], None]
"""Told of each table restored: its name and its rows."""


class StoreNotEmpty(Refused):
    """The store to restore into already holds rows: nothing was written."""

    def __init__(self, table: str, rows: int) -> None:
        super().__init__(
            f"le magasin n'est pas vide ({table} : {rows} lignes) ; on restaure dans un magasin "
            f"vide, rien n'a été écrit / the store is not empty ({table}: {rows} rows); "
            "restore into an empty store: nothing was written"
        )


class WrongMasterKey(Refused):
    """The archive's data keys are wrapped under a master key this one is not: nothing was
    written (the read models could open no personal value)."""

    def __init__(self, household_id: str) -> None:
        super().__init__(
            "les clés des ménages de l'archive sont chiffrées sous une autre clé maîtresse, ou "
            "ASPE_MASTER_KEY n'est pas défini ; rien n'a été écrit / the archive's data keys "
            f"are wrapped under another master key, or ASPE_MASTER_KEY is not set (household "
            f"{household_id}): nothing was written"
        )


class RestoreFailed(Refused):
    """The restored store does not read back as the archive said it would."""


@dataclass
class RestoreReport:
    manifest: Manifest
    rows: dict[str, int] = field(default_factory=dict)
    blobs: int = 0
    verification: Verification | None = None
    relinked: bool = False
    """The chain was made again (an archive of the other kind of store)."""
    rebuilt: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    """Read models that stopped on an event while rebuilding (``aspe projections status``)."""

    @property
    def head_hash(self) -> str | None:
        if self.verification is None or not self.verification.checked:
            return None
        return self.verification.head.hex()


def kind_of(settings: Settings) -> str:
    return "postgres" if settings.uses_postgres else "sqlite"


def restore(
    settings: Settings,
    path: Path,
    *,
    rebuild: bool = True,
    progress: RebuildProgress | None = None,
    told: Told | None = None,
) -> RestoreReport:
    """Restore the archive at ``path`` into the empty store ``settings`` name."""
    report = RestoreReport(checked_manifest(path))
    _refuse_missing_tables(report.manifest)
    report.relinked = report.manifest.source != kind_of(settings)
    _write(settings, path, report, told)
    with closing(build_application(settings)) as app:
        if report.relinked:
            audit.seal(app)
        report.verification = _verified(audit.verify(app), report)
        _notifier_quiet_until(settings, report.manifest.head_position)
        if rebuild:
            try:
                _rebuild(settings, app, report, progress)
            except Exception as error:  # the store is restored: say so, and what to run next
                raise RestoreFailed(
                    "archive restaurée, mais la reconstruction des vues a échoué / restored, "
                    f"but rebuilding the read models failed: {error} (aspe projections rebuild)"
                ) from error
    return report


def check(settings: Settings, path: Path, told: Told | None = None) -> RestoreReport:
    """Everything ``restore`` checks before it commits, without a store: the files against
    the manifest, the events against the head link, the data keys against the master key
    of ``settings``. Writes nothing; ``ArchiveRefused`` or ``WrongMasterKey`` otherwise."""
    report = RestoreReport(checked_manifest(path))
    manifest = report.manifest
    _refuse_missing_tables(manifest)
    master = _master(settings)
    with refusing_unreadable():
        for name, file in members(path):
            if name.startswith("tables/"):
                spec = _spec(name, manifest)
                rows = _checked_rows(file, spec, manifest.source, manifest, master)
                report.rows[spec.name] = _as_listed(spec, sum(1 for _ in rows), manifest)
                if told:
                    told(spec.name, report.rows[spec.name])
            elif name != MANIFEST:
                report.blobs += 1
    return report


def _master(settings: Settings) -> AESGCM | None:
    key = settings.master_key_bytes()
    return AESGCM(key) if key else None


# ------------------------------------------------------------------------- writing
def _write(settings: Settings, path: Path, report: RestoreReport, told: Told | None) -> None:
    manifest = report.manifest
    master = _master(settings)
    with stores.writing(settings) as store:
        _refuse_non_empty(store)
        with refusing_unreadable():
            for name, file in members(path):
                if name.startswith("tables/"):
                    spec = _spec(name, manifest)
                    _write_table(store, spec, file, report, master)
                    if told and spec.name in report.rows:
                        told(spec.name, report.rows[spec.name])
                elif name != MANIFEST:
                    report.blobs += _write_blob_or_fail(settings.blob_path, name, file)
        store.finish_restore()
    if told:
        told("blobs", report.blobs)


def _refuse_non_empty(store: Store) -> None:
    for spec in TABLES:
        rows = store.scalar(f"SELECT COUNT(*) FROM {store.names[spec.name]}")
        if rows:
            raise StoreNotEmpty(spec.name, rows)


def _refuse_missing_tables(manifest: Manifest) -> None:
    """Every table of the format, each with its file: checked before anything is written."""
    missing = sorted(
        spec.name
        for spec in TABLES
        if manifest.tables.get(spec.name, {}).get("file") not in manifest.files
    )
    if missing:
        raise ArchiveRefused(f"tables absentes / missing tables: {', '.join(missing)}")


def _spec(name: str, manifest: Manifest) -> Spec:
    table = name.removeprefix("tables/").removesuffix(".jsonl")
    spec = BY_NAME.get(table)
    listed = manifest.tables.get(table, {})
    if spec is None or listed.get("columns") != [column.name for column in spec.columns]:
        raise ArchiveRefused(
            f"table inconnue ou de colonnes inattendues / unknown table or columns: {table}"
        )
    return spec


def _write_table(
    store: Store, spec: Spec, file: IO[bytes], report: RestoreReport, master: AESGCM | None
) -> None:
    if spec.name == "chain" and report.relinked:
        return  # the other kind's links: made again once the events are in
    count = store.insert(spec, _checked_rows(file, spec, store.kind, report.manifest, master))
    report.rows[spec.name] = _as_listed(spec, count, report.manifest)


def _checked_rows(
    file: IO[bytes], spec: Spec, kind: str, manifest: Manifest, master: AESGCM | None
) -> Iterable[Sequence[Any]]:
    """The table's rows for a store of ``kind``, each checked as it passes: the events by
    their chain, the data keys by the master key."""
    rows: Iterable[Sequence[Any]] = _rows(file, spec, kind)
    if spec.name == "events":
        return _chained(rows, manifest)
    if spec.name == "data_keys":
        return _opened(rows, master)
    return rows


def _as_listed(spec: Spec, count: int, manifest: Manifest) -> int:
    listed = manifest.tables[spec.name]["rows"]
    if count != listed:
        raise ArchiveRefused(
            f"{spec.name} : {count} lignes au lieu de {listed} / rows differ from the manifest"
        )
    return count


def _rows(file: IO[bytes], spec: Spec, kind: str) -> Iterator[list[Any]]:
    decode = decoder(spec, kind)
    for line in file:  # bytes: json reads UTF-8 (a text wrapper would want to seek)
        yield decode(json.loads(line))


def _chained(rows: Iterable[Sequence[Any]], manifest: Manifest) -> Iterator[Sequence[Any]]:
    """The events, passed on as they are, their chain computed as the source's store did;
    refused at the end unless it leads to the manifest's head link."""
    previous = GENESIS
    for row in rows:
        position, originator_id, version, topic, state = row
        stored = StoredRow(
            position, originator_bytes(manifest.source, str(originator_id)), version, topic, state
        )
        previous = link_hash(previous, stored)
        yield row
    if manifest.head_hash is not None and previous.hex() != manifest.head_hash:
        raise ArchiveRefused(
            "les événements de l'archive ne mènent pas à la tête de chaîne de son manifeste : "
            "ils ont été modifiés / the archive's events do not chain to its manifest's head "
            "link: they were altered"
        )


def _opened(rows: Iterable[Sequence[Any]], master: AESGCM | None) -> Iterator[Sequence[Any]]:
    """The data keys, passed on as they are, once each wrapped one opens with the master key
    of ``settings``: refused otherwise, before the transaction commits."""
    for row in rows:
        household_id, stored, wrapped = row[0], row[1], row[2]
        if stored is not None and wrapped:
            try:
                unwrap(master, UUID(household_id), stored)
            except (UnknownDataKey, InvalidTag):
                raise WrongMasterKey(household_id) from None
        yield row


def _write_blob_or_fail(root: Path, name: str, file: IO[bytes]) -> int:
    try:
        return _write_blob(root, name, file)
    except OSError as error:  # the folder's, not the archive's: said apart from "unreadable"
        raise RestoreFailed(
            f"les documents ne s'écrivent pas dans {root}, rien n'a été enregistré dans le "
            f"magasin / documents cannot be written, nothing was committed: {error}"
        ) from None


def _write_blob(root: Path, name: str, file: IO[bytes]) -> int:
    """A document's content into its folder (``aspe.portal.blobs``' layout); 0 if there."""
    _, folder, digest = name.split("/")
    target = private_folder(root / folder)
    if (target / digest).is_file():
        return 0
    handle, temporary = tempfile.mkstemp(prefix=".restore-", dir=target)
    try:
        with os.fdopen(handle, "wb") as out:
            os.fchmod(out.fileno(), PRIVATE_FILE)
            while chunk := file.read(1 << 20):
                out.write(chunk)
        os.replace(temporary, target / digest)
    finally:
        Path(temporary).unlink(missing_ok=True)
    return 1


# ------------------------------------------------------------------------- after
def _verified(verification: Verification, report: RestoreReport) -> Verification:
    """The restored store's chain, whole, of the archive's count and (same kind) head."""
    manifest = report.manifest
    if manifest.head_hash is None and not report.relinked:
        return verification  # a store written before the chain: `aspe audit seal` links it
    if not verification.intact:
        raise RestoreFailed(
            f"chaîne rompue après restauration / chain broken after restore: "
            f"{verification.first_break}"
        )
    if verification.checked != manifest.events:
        raise RestoreFailed(
            f"{verification.checked} événements au lieu de {manifest.events} / "
            "events differ from the archive's count"
        )
    head = verification.head.hex() if verification.checked else None
    if not report.relinked and manifest.head_hash is not None and head != manifest.head_hash:
        raise RestoreFailed(
            f"tête de chaîne {head} au lieu de {manifest.head_hash} / head link differs"
        )
    return verification


def _notifier_quiet_until(settings: Settings, head: int) -> None:
    """The notifier tells nobody of the restored history, even one started on the empty
    store before (which would otherwise take every restored event as news): it reads them
    quietly, for its directory, and tells of what is stored after them."""
    (view,) = build_views(settings, [Notifier])
    try:
        view.refresh_position()
        changes = view.begin()
        changes.start.put({"name": "quiet_until", "position": head})
        view.rewrite(changes, view.position)
    finally:
        view.datastore.close()


def _rebuild(
    settings: Settings, app: Any, report: RestoreReport, progress: RebuildProgress | None
) -> None:
    projector = build_projector(settings, app=app)
    try:
        projector.rebuild(progress=progress)
        statuses = projector.status()
    finally:
        projector.close()
    report.rebuilt = [status.name for status in statuses]
    report.failed = [status.name for status in statuses if status.failure is not None]
