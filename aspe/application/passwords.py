"""Password hashing for local accounts (argon2, through a maintained library).

Each argon2 hash or verification takes the hasher's memory cost (64 MiB by default) for its
duration: a few slots per process (``ASPE_PASSWORD_HASH_SLOTS``) bound that memory, and a
caller that cannot get one within ``ASPE_PASSWORD_HASH_WAIT_SECONDS`` is refused
(``HashingBusy``) rather than queued without bound.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

Result = TypeVar("Result")


class HashingBusy(Exception):
    """Every hashing slot stayed taken for the whole wait: the server is overloaded."""

    code = "SERVER_BUSY"
    message = "Le service est momentanément surchargé : réessayez dans un instant."


class HashingSlots:
    """At most ``slots`` argon2 computations at once in this process."""

    def __init__(self, slots: int, wait_seconds: float) -> None:
        self.slots = slots
        self.wait_seconds = wait_seconds
        self._semaphore = threading.BoundedSemaphore(slots)

    @contextmanager
    def taken(self) -> Iterator[None]:
        if not self._semaphore.acquire(timeout=self.wait_seconds):
            raise HashingBusy(HashingBusy.message)
        try:
            yield
        finally:
            self._semaphore.release()


_slots = HashingSlots(slots=4, wait_seconds=1.0)


def limit_concurrent_hashing(slots: int, wait_seconds: float) -> None:
    """Size the process's hashing slots (the app does it from its settings when it starts)."""
    global _slots
    if (_slots.slots, _slots.wait_seconds) != (slots, wait_seconds):
        _slots = HashingSlots(slots, wait_seconds)


def _bounded(compute: Callable[[], Result]) -> Result:
    with _slots.taken():
        return compute()


class PasswordHash(str):
    """An argon2 hash, salted afresh each time: its ``repr`` is the same for every hash.

    A command's idempotency fingerprint is the ``repr`` of its arguments; the retry of an
    account's creation hashes the password again, with another salt, and must still be the
    same command. Logs and tracebacks do not show the hash either."""

    def __repr__(self) -> str:
        return "PasswordHash(…)"


class TypedPassword(str):
    """A password as a person typed it, to check against a hash: never shown, and left out
    of a command's idempotency fingerprint (its ``repr`` is the same for every password)."""

    def __repr__(self) -> str:
        return "TypedPassword(…)"


def hash_password(password: str) -> PasswordHash:
    hasher = _hasher
    return PasswordHash(_bounded(lambda: hasher.hash(password)))


def verify_password(password_hash: str, password: str) -> bool:
    hasher = _hasher

    def verify() -> bool:
        try:
            return hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError, UnicodeEncodeError):
            # A password that is not text (a lone surrogate cannot be encoded) matches nothing.
            return False

    return _bounded(verify)


def matches(password: str) -> Callable[[str | None], bool]:
    """The check the domain runs against an account's stored hash (none: no match)."""
    return lambda password_hash: (
        bool(password_hash) and verify_password(password_hash or "", password)
    )


_dummy_hashes: dict[tuple[object, ...], str] = {}


def verify_no_password(password: str) -> bool:
    """The work of ``verify_password`` for an account that does not exist (or has no
    password): a verification against a hash of the same parameters, which never matches.

    A login for an unknown e-mail then takes as long as one with a wrong password."""
    verify_password(_dummy_hash(), password)
    return False


def _dummy_hash() -> str:
    # One per set of parameters: a hash made with others would take another time to verify.
    hasher = _hasher
    key = (hasher.type, hasher.time_cost, hasher.memory_cost, hasher.parallelism)
    if key not in _dummy_hashes:
        _dummy_hashes[key] = _bounded(lambda: hasher.hash(secrets.token_urlsafe(32)))
    return _dummy_hashes[key]
