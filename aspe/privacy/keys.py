"""Each household's data key, in a table of the event store itself.

A household's personal values are sealed with AES-GCM under a key of its own (256 bits,
made the first time one of its values is stored). Destroying that key is the erasure: the
sealed values stay in the events, where the audit chain covers them, and no one can read
them again. The row is kept, without its key, so a value sealed under it reads as erased
instead of failing as unknown.

With ``ASPE_MASTER_KEY`` the keys are stored wrapped (AES-GCM under the master key, bound to
their household): a copy of the database alone opens nothing. Keys stored before a master
key was set stay readable (each row says whether it is wrapped).

Ciphers are kept in the process: a replay opens a million values with one lookup of the
table per household. Every ``CACHE_SECONDS`` one query counts the destroyed keys; when
another process has destroyed one, every key held is forgotten. Another process's erasure
is therefore seen within that time; the erasing process forgets the key at once.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12
KEY_BYTES = 32
CACHE_SECONDS = 2.0


class UnknownDataKey(LookupError):
    """A sealed value names a household that never had a key: the store is not whole."""


@dataclass(frozen=True)
class KeyStatements:
    """The SQL of one backend's key table (SQLite or PostgreSQL)."""

    create: tuple[str, ...]
    insert: str
    select: str
    destroy: str
    count_destroyed: str
    """How many keys were destroyed: what a process watches to forget the ones it holds."""
    link_subject: str
    """Records which household a case belongs to (a case's events name none but the first)."""
    select_subject: str
    secure_delete: str | None = None
    """A statement run before destroying, so the freed bytes are overwritten (SQLite)."""


def sqlite_statements(events_table: str) -> KeyStatements:
    name, subjects = f"{events_table}_data_keys", f"{events_table}_data_subjects"
    create = (
        f"CREATE TABLE IF NOT EXISTS {name} (household_id TEXT PRIMARY KEY, "
        "data_key BLOB, wrapped INTEGER NOT NULL, created_at TEXT NOT NULL, "
        "destroyed_at TEXT)",
        f"CREATE TABLE IF NOT EXISTS {subjects} (originator_id TEXT PRIMARY KEY, "
        "household_id TEXT NOT NULL)",
    )
    return _statements(name, subjects, create, "?", secure_delete="PRAGMA secure_delete = ON")


def postgres_statements(schema: str, events_table: str) -> KeyStatements:
    name = f'"{schema}"."{events_table}_data_keys"'
    subjects = f'"{schema}"."{events_table}_data_subjects"'
    create = (
        f"CREATE TABLE IF NOT EXISTS {name} (household_id text PRIMARY KEY, "
        "data_key bytea, wrapped boolean NOT NULL, created_at text NOT NULL, "
        "destroyed_at text)",
        f"CREATE TABLE IF NOT EXISTS {subjects} (originator_id text PRIMARY KEY, "
        "household_id text NOT NULL)",
    )
    return _statements(name, subjects, create, "%s")


def _statements(
    name: str,
    subjects: str,
    create: tuple[str, ...],
    mark: str,
    secure_delete: str | None = None,
) -> KeyStatements:
    """The statements on the tables ``name`` (the keys) and ``subjects``, both backends'
    alike but for their tables' types (``create``) and the driver's placeholder (``mark``)."""
    return KeyStatements(
        create=create,
        insert=(
            f"INSERT INTO {name} (household_id, data_key, wrapped, created_at) "
            f"VALUES ({mark}, {mark}, {mark}, {mark}) ON CONFLICT (household_id) DO NOTHING"
        ),
        select=f"SELECT data_key, wrapped, destroyed_at FROM {name} WHERE household_id = {mark}",
        destroy=(
            f"UPDATE {name} SET data_key = NULL, destroyed_at = {mark} "
            f"WHERE household_id = {mark} AND data_key IS NOT NULL RETURNING household_id"
        ),
        count_destroyed=f"SELECT COUNT(*) FROM {name} WHERE data_key IS NULL",
        link_subject=(
            f"INSERT INTO {subjects} (originator_id, household_id) VALUES ({mark}, {mark}) "
            "ON CONFLICT (originator_id) DO NOTHING"
        ),
        select_subject=f"SELECT household_id FROM {subjects} WHERE originator_id = {mark}",
        secure_delete=secure_delete,
    )


OpenTransaction = Callable[[bool], AbstractContextManager[Any]]
"""A transaction of the store (``commit`` or not) and its cursor."""

DESTROYED = b""
"""What ``_load`` gives for a destroyed key."""


class DataKeys:
    """The households' data keys of one store."""

    def __init__(
        self,
        statements: KeyStatements,
        transaction: OpenTransaction,
        master_key: bytes | None = None,
    ) -> None:
        self._sql = statements
        self._transaction = transaction
        self._master = AESGCM(master_key) if master_key else None
        self._cache: dict[bytes, AESGCM | None] = {}
        """Ciphers by household id (its 16 bytes); ``None``: the key is destroyed."""
        self._destroyed = -1
        self._checked_until = 0.0
        self._subjects: dict[UUID, UUID] = {}

    # ---------------------------------------------------------------------- reading
    def reading_cipher(self, household: bytes) -> AESGCM | None:
        """The cipher of the household whose id is ``household`` (its 16 bytes, as a sealed
        value names it); ``None`` once its key is destroyed. ``UnknownDataKey`` if it
        never had one. The hot path of every replay: one dictionary lookup."""
        self._forget_destroyed()
        if household in self._cache:
            return self._cache[household]
        household_id = UUID(bytes=household)
        key = self._load(household_id)
        if key is None:
            raise UnknownDataKey(str(household_id))
        return self._remember(household, key)

    def writing_cipher(self, household_id: UUID) -> AESGCM | None:
        """The household's cipher, its key made now if it has none; ``None`` once destroyed."""
        household = household_id.bytes
        self._forget_destroyed()
        if household in self._cache:
            return self._cache[household]
        key = self._load(household_id)
        if key is None:
            self._insert(household_id, AESGCM.generate_key(bit_length=KEY_BYTES * 8))
            key = self._load(household_id)  # another process's key if it won the insert
            assert key is not None
        return self._remember(household, key)

    def _remember(self, household: bytes, key: bytes) -> AESGCM | None:
        cipher = AESGCM(key) if key else None
        self._cache[household] = cipher
        return cipher

    def _forget_destroyed(self) -> None:
        """Every ``CACHE_SECONDS``, one count of the destroyed keys: when another process has
        destroyed one since, forget every key held (the next reads load them again)."""
        now = time.monotonic()
        if now < self._checked_until:
            return
        with self._transaction(False) as cursor:
            cursor.execute(self._sql.count_destroyed)
            destroyed = int(_first(cursor.fetchone()))
        if destroyed != self._destroyed:
            self._cache.clear()
            self._destroyed = destroyed
        self._checked_until = now + CACHE_SECONDS

    def _load(self, household_id: UUID) -> bytes | None:
        with self._transaction(False) as cursor:
            cursor.execute(self._sql.select, (str(household_id),))
            row = cursor.fetchone()
        if row is None:
            return None
        stored, wrapped, _ = tuple(row.values()) if isinstance(row, dict) else tuple(row)
        if stored is None:
            return DESTROYED
        return self._unwrap(household_id, bytes(stored)) if wrapped else bytes(stored)

    def _insert(self, household_id: UUID, key: bytes) -> None:
        stored = self._wrap(household_id, key)
        with self._transaction(True) as cursor:
            cursor.execute(
                self._sql.insert,
                (str(household_id), stored, self._master is not None, _now()),
            )

    # --------------------------------------------------------------------- subjects
    def link(self, originator_id: UUID, household_id: UUID) -> None:
        """Remember that ``originator_id`` (a case) holds ``household_id``'s values."""
        with self._transaction(True) as cursor:
            cursor.execute(self._sql.link_subject, (str(originator_id), str(household_id)))
        self._subjects[originator_id] = household_id

    def household_of(self, originator_id: UUID) -> UUID | None:
        """The household whose values ``originator_id``'s events hold, if linked."""
        found = self._subjects.get(originator_id)
        if found is None:
            with self._transaction(False) as cursor:
                cursor.execute(self._sql.select_subject, (str(originator_id),))
                row = cursor.fetchone()
            if row is None:
                return None
            found = UUID(_first(row))
            self._subjects[originator_id] = found  # a case never changes household
        return found

    # ---------------------------------------------------------------------- erasing
    def destroy(self, household_id: UUID) -> bool:
        """Destroy the household's key for good; whether there was one to destroy."""
        with self._transaction(True) as cursor:
            if self._sql.secure_delete:
                cursor.execute(self._sql.secure_delete)
            cursor.execute(self._sql.destroy, (_now(), str(household_id)))
            destroyed = bool(cursor.fetchall())
        self._cache[household_id.bytes] = None  # this process: at once
        return destroyed

    # --------------------------------------------------------------------- wrapping
    def _wrap(self, household_id: UUID, key: bytes) -> bytes:
        if self._master is None:
            return key
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._master.encrypt(nonce, key, household_id.bytes)

    def _unwrap(self, household_id: UUID, stored: bytes) -> bytes:
        return unwrap(self._master, household_id, stored)


def unwrap(master: AESGCM | None, household_id: UUID, stored: bytes) -> bytes:
    """A household's key as stored wrapped, opened with the master key (``InvalidTag``
    under another master key); also what a restore checks its master key with."""
    if master is None:
        raise UnknownDataKey(f"{household_id}: wrapped, and ASPE_MASTER_KEY is not set")
    nonce, sealed = stored[:NONCE_BYTES], stored[NONCE_BYTES:]
    return master.decrypt(nonce, sealed, household_id.bytes)


def _first(row: Any) -> Any:
    return next(iter(row.values())) if isinstance(row, dict) else row[0]


def _now() -> str:
    return datetime.now(UTC).isoformat()
