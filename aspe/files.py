"""Files of personal data (the embedded store, uploaded documents, e-mails in the outbox):
readable by the account that runs ASPE only, whatever its umask.

Folders are ``0700`` and files ``0600``. A mode given at creation is masked by the umask
(it can only lose bits), so each one is set again, explicitly, once the file exists.
"""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")
"""Files SQLite keeps next to a database; it creates them with the database's own mode."""


def private_folder(path: Path, *, tighten: bool = True) -> Path:
    """``path`` as a folder only its owner may enter: each missing folder up to it is
    created ``0700``; with ``tighten``, ``path`` itself is made ``0700`` if it already was
    there (not when it is someone else's folder, such as ``/tmp``)."""
    missing = [folder for folder in (path, *path.parents) if not folder.exists()]
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=PRIVATE_FOLDER)
        except FileExistsError:  # made meanwhile by another thread or process
            continue
        os.chmod(folder, PRIVATE_FOLDER)
    if tighten and not missing:
        os.chmod(path, PRIVATE_FOLDER)
    return path


def private_file(path: Path) -> Path:
    """``path`` made ``0600``, created empty if it is not there yet."""
    handle = os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE)
    try:
        os.fchmod(handle, PRIVATE_FILE)
    finally:
        os.close(handle)
    return path


def write_private(path: Path, content: bytes) -> Path:
    """Write ``content`` to ``path`` (replacing it), ``0600`` before a byte is written."""
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    with os.fdopen(handle, "wb") as file:
        os.fchmod(file.fileno(), PRIVATE_FILE)
        file.write(content)
    return path


def private_sqlite(path: Path, *, owned_folder: bool) -> Path:
    """A SQLite database file ready for the library to open: created ``0600`` before it
    does (an empty file is an empty database), so its journal and WAL files, which SQLite
    creates with the database's mode, are private too; those left by an earlier run are
    tightened. ``owned_folder``: the folder is ASPE's own (its data dir), so tightened."""
    private_folder(path.parent, tighten=owned_folder)
    private_file(path)
    for suffix in SQLITE_COMPANIONS:
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            os.chmod(companion, PRIVATE_FILE)
    return path
