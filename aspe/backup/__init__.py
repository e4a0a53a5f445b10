"""Backup and restore of a store: ``aspe backup FILE``, ``aspe restore FILE``.

A backup is one archive (``archive``) of what cannot be made again: the events with their
chain, the households' data keys as stored (a destroyed key stays destroyed; wrapped keys
need the same ``ASPE_MASTER_KEY``), the notifications store (what was sent, and each inbox's
read marks), the access log (a legal record) and the documents' contents. Read models and
snapshots are derived from the events and made again after a restore. ``tables`` says what
each table holds, ``stores`` how it is read and written, ``make`` and ``restore`` the two
operations.
"""

from aspe.backup.archive import ArchiveRefused, Manifest
from aspe.backup.make import BackupReport, backup
from aspe.backup.restore import (
    RestoreFailed,
    RestoreReport,
    StoreNotEmpty,
    WrongMasterKey,
    check,
    restore,
)

__all__ = [
    "ArchiveRefused",
    "BackupReport",
    "Manifest",
    "RestoreFailed",
    "RestoreReport",
    "StoreNotEmpty",
    "WrongMasterKey",
    "backup",
    "check",
    "restore",
]
