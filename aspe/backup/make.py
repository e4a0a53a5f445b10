"""``backup``: the store, read in one snapshot, written to an archive (``aspe.backup.archive``).

Each table is streamed from its cursor to a JSON-lines file next to the archive, then into
the archive, then deleted: however many events the store holds, memory holds one row, and
the disk one table uncompressed. The documents' folder is listed after the snapshot is
taken, so every document an event of the archive names is there (those uploaded since are
there too, harmlessly; those erased since are not, as they must not be).
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from aspe.backup import archive
from aspe.backup.archive import ArchiveWriter, Manifest
from aspe.backup.stores import Store, reading
from aspe.backup.tables import TABLES, Spec, encode
from aspe.files import PRIVATE_FILE
from aspe.settings import Settings

log = logging.getLogger(__name__)

Progress = Callable[[str, int], None]
"""Told of each table and document folder written: its name, and how many rows or files."""


@dataclass(frozen=True)
class BackupReport:
    path: Path
    manifest: Manifest

    @property
    def size(self) -> int:
        return self.path.stat().st_size


def backup(settings: Settings, path: Path, progress: Progress | None = None) -> BackupReport:
    """Write the archive of the store ``settings`` name to ``path`` (replaced if there)."""
    with reading(settings) as store:
        manifest = _manifest(store)
        with (
            archive.writing(path, manifest) as writer,
            tempfile.TemporaryDirectory(dir=path.parent, prefix=f".{path.name}.") as staging,
        ):
            for spec in TABLES:
                rows = _add_table(writer, store, spec, Path(staging))
                if progress:
                    progress(spec.name, rows)
            blobs = _add_blobs(writer, settings.blob_path)
            if progress:
                progress("blobs", blobs)
    return BackupReport(path, manifest)


def _manifest(store: Store) -> Manifest:
    """The store's extent, read in the snapshot the tables are read in."""
    events, head = (
        store.scalar(f"SELECT COUNT(*) FROM {store.events}"),
        store.scalar(
            f"SELECT MAX({'rowid' if store.kind == 'sqlite' else 'notification_id'}) "
            f"FROM {store.events}"
        ),
    )
    link = store.scalar(
        f"SELECT hash FROM {store.names['chain']} WHERE notification_id = "
        f"{'?' if store.kind == 'sqlite' else '%s'}",
        (head or 0,),
    )
    return Manifest(
        source=store.kind,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        events=int(events),
        head_position=int(head or 0),
        head_hash=bytes(link).hex() if link is not None else None,
    )


def _add_table(writer: ArchiveWriter, store: Store, spec: Spec, staging: Path) -> int:
    """Stream the table to a file of the staging folder, then into the archive."""
    staged, count = staging / f"{spec.name}.jsonl", 0
    with staged.open("w", encoding="utf-8") as file:
        staged.chmod(PRIVATE_FILE)
        for row in store.rows(spec):
            file.write(json.dumps(encode(spec, row), ensure_ascii=False, separators=(",", ":")))
            file.write("\n")
            count += 1
    name = archive.table_file(spec.name)
    writer.add(name, staged)
    staged.unlink()
    writer.manifest.tables[spec.name] = {
        "file": name,
        "columns": [column.name for column in spec.columns],
        "rows": count,
    }
    return count


def _add_blobs(writer: ArchiveWriter, root: Path) -> int:
    """Every document's content under ``root``: the files named by their SHA-256."""
    count = 0
    for path in _blob_files(root):
        name = f"blobs/{path.parent.name}/{path.name}"
        try:
            member = writer.add(name, path)
        except FileNotFoundError:  # erased since it was listed: rightly left out
            continue
        if member.sha256 != path.name:
            log.warning("document %s does not hash to its name (%s)", path, member.sha256)
        count += 1
    return count


def _blob_files(root: Path) -> Iterator[Path]:
    if not root.is_dir():
        return
    for path in sorted(root.glob("??/*")):
        if archive.BLOB.fullmatch(f"blobs/{path.parent.name}/{path.name}") and path.is_file():
            yield path
