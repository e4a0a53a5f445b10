"""Password hashing for local accounts (argon2, through a maintained library)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


class PasswordHash(str):
    """An argon2 hash, salted afresh each time: its ``repr`` is the same for every hash.

    A command's idempotency fingerprint is the ``repr`` of its arguments; the retry of an
    account's creation hashes the password again, with another salt, and must still be the
    same command. Logs and tracebacks do not show the hash either."""

    def __repr__(self) -> str:
        return "PasswordHash(…)"


def hash_password(password: str) -> PasswordHash:
    return PasswordHash(_hasher.hash(password))


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
