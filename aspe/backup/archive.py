"""The archive file: a gzip-compressed tar (the standard library's ``tarfile``), readable
with ``tar -tzf`` by anyone who has to look inside without ASPE.

It holds one JSON-lines file per table (``tables/<name>.jsonl``), the documents' contents
(``blobs/<2 digits>/<sha256>``) and, last, ``manifest.json``: the format, when and from
which kind of store it was made, the event count, the head's position and link, each
table's columns and row count, and every other file's size and SHA-256. The manifest is
last because it is known last: the tables are streamed into the archive one after the
other. A restore reads the archive twice: once to check every file against the manifest,
then to restore it.

It is written to ``FILE.tmp`` and renamed once complete: a backup that fails leaves no
archive, and a half-written one never has the final name.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tarfile
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from aspe.files import PRIVATE_FILE
from aspe.refusals import Refused

FORMAT = "aspe-backup/1"
MANIFEST = "manifest.json"
CHUNK = 1 << 20
COMPRESS_LEVEL = 6
"""gzip's default (9) costs much more time for a few percent on this kind of data."""
BLOB = re.compile(r"blobs/([0-9a-f]{2})/(\1[0-9a-f]{62})")


class ArchiveRefused(Refused):
    """The archive cannot be restored: unreadable, of another format, or altered."""


@dataclass(frozen=True)
class Member:
    sha256: str
    bytes: int


@dataclass
class Manifest:
    source: str
    """The kind of store it was made from: ``sqlite`` or ``postgres``."""
    created_at: str
    events: int
    head_position: int
    head_hash: str | None
    """The chain's link at the head (hexadecimal), as ``aspe audit checkpoint`` gives it;
    ``None`` when the head is not linked (a store written before the chain)."""
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per table: its file, columns and row count."""
    files: dict[str, Member] = field(default_factory=dict)
    format: str = FORMAT

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False).encode() + b"\n"

    @classmethod
    def from_json(cls, text: bytes) -> Manifest:
        document = json.loads(text)
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise ArchiveRefused(
                f"format d'archive inconnu / unknown archive format (attendu / expected {FORMAT})"
            )
        files = {name: Member(**member) for name, member in document.pop("files").items()}
        return cls(**document, files=files)

    @property
    def blobs(self) -> list[str]:
        return [name for name in self.files if name.startswith("blobs/")]


def table_file(name: str) -> str:
    return f"tables/{name}.jsonl"


class _Hashing:
    """A file read through, its SHA-256 computed on the way (tar reads each member once)."""

    def __init__(self, file: IO[bytes]) -> None:
        self.file = file
        self.hash = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        chunk = self.file.read(size)
        self.hash.update(chunk)
        return chunk


# ------------------------------------------------------------------------- writing
class ArchiveWriter:
    """Files added one at a time, each hashed as it goes in; the manifest last."""

    def __init__(self, tar: tarfile.TarFile, manifest: Manifest) -> None:
        self.tar = tar
        self.manifest = manifest

    def add(self, name: str, path: Path) -> Member:
        with path.open("rb") as file:
            info = self.tar.gettarinfo(fileobj=file, arcname=name)
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            reader = _Hashing(file)
            self.tar.addfile(info, reader)  # a reader is all tar needs
        member = Member(reader.hash.hexdigest(), info.size)
        self.manifest.files[name] = member
        return member

    def close(self) -> None:
        content = self.manifest.to_json()
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mode, info.mtime = len(content), PRIVATE_FILE, int(time.time())
        self.tar.addfile(info, io.BytesIO(content))


@contextmanager
def writing(path: Path, manifest: Manifest) -> Iterator[ArchiveWriter]:
    """The archive being written to ``path.tmp`` (``0600``: it holds personal data), renamed
    to ``path`` once whole; removed if anything fails."""
    temporary = path.with_name(path.name + ".tmp")
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    try:
        with os.fdopen(handle, "wb") as file:
            os.fchmod(file.fileno(), PRIVATE_FILE)
            with tarfile.open(fileobj=file, mode="w:gz", compresslevel=COMPRESS_LEVEL) as tar:
                writer = ArchiveWriter(tar, manifest)
                yield writer
                writer.close()
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


# ------------------------------------------------------------------------- reading
UNREADABLE = "archive illisible / unreadable archive"


@contextmanager
def refusing_unreadable() -> Iterator[None]:
    """What reading a damaged archive raises (gzip, tar, JSON), said as a refusal; wrap
    every read of a member's contents, which happens outside ``members``."""
    try:
        yield
    except (tarfile.TarError, EOFError, zlib.error, OSError, LookupError, ValueError, TypeError,
            AttributeError) as error:  # fmt: skip
        if isinstance(error, FileNotFoundError):
            raise ArchiveRefused(f"fichier introuvable / no such file: {error.filename}") from None
        raise ArchiveRefused(f"{UNREADABLE}: {error}") from None


def members(path: Path) -> Iterator[tuple[str, IO[bytes]]]:
    """Each file of the archive in order, streamed (the archive is read once, front to
    back); a file the archive cannot hold (a link, a folder, an odd name) is refused."""
    with refusing_unreadable(), tarfile.open(path, mode="r|gz") as tar:
        for info in tar:
            if not info.isfile() or not _expected(info.name):
                raise ArchiveRefused(f"{UNREADABLE}: {info.name!r}")
            file = tar.extractfile(info)
            assert file is not None  # a regular file has contents
            yield info.name, file


def _expected(name: str) -> bool:
    return (
        name == MANIFEST
        or bool(re.fullmatch(r"tables/[a-z_.]+\.jsonl", name))
        or bool(BLOB.fullmatch(name))
    )


def checked_manifest(path: Path) -> Manifest:
    """The archive's manifest, once every file in it is found as the manifest lists it
    (size and SHA-256), and none is missing or added: ``ArchiveRefused`` otherwise."""
    found: dict[str, Member] = {}
    manifest: Manifest | None = None
    with refusing_unreadable():
        for name, file in members(path):
            if name == MANIFEST:
                manifest = Manifest.from_json(file.read())
            else:
                found[name] = _digest(file)
    if manifest is None:
        raise ArchiveRefused(f"{UNREADABLE}: {MANIFEST} absent / missing")
    _compare(manifest.files, found)
    return manifest


def _digest(file: IO[bytes]) -> Member:
    hasher, size = hashlib.sha256(), 0
    while chunk := file.read(CHUNK):
        hasher.update(chunk)
        size += len(chunk)
    return Member(hasher.hexdigest(), size)


def _compare(listed: dict[str, Member], found: dict[str, Member]) -> None:
    for name in sorted(listed.keys() | found.keys()):
        if listed.get(name) != found.get(name):
            what = "absent / missing" if name not in found else "modifié / altered"
            what = "en trop / not listed" if name not in listed else what
            raise ArchiveRefused(
                f"archive corrompue ou modifiée / corrupt or altered archive: {name} {what} "
                "(ne correspond pas au manifeste / does not match the manifest)"
            )
