"""Signed checkpoints: the chain's head at a position, at a time, signed by the system.

A checkpoint is kept outside the system (printed, mailed to the auditor, filed). Checked
later against the store, it proves the history up to its position was not rewritten since:
re-computing the chain from the stored events must give its head again. The signature
(Ed25519) shows the checkpoint was issued by this system; anyone holding the public key
(``aspe audit checkpoint`` prints its id, ``public_key`` gives it) can check it, and only the
holder of the private key can issue one.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TypeVar

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from aspe.refusals import Refused

FORMAT = "aspe-audit-checkpoint/1"
T = TypeVar("T")


class CheckpointRefused(Refused):
    """A checkpoint that cannot be read, or whose signature does not hold."""


@dataclass(frozen=True)
class Checkpoint:
    position: int
    head: str
    """The link at ``position``, hexadecimal."""
    at: str
    """When it was issued (ISO 8601, UTC)."""
    events: int
    """How many events the store held up to ``position``."""
    key_id: str
    """The first 16 hexadecimal digits of the SHA-256 of the signing public key."""

    def payload(self) -> bytes:
        """What is signed: every field but the signature, in one canonical JSON."""
        return json.dumps(
            {"format": FORMAT, **asdict(self)}, sort_keys=True, separators=(",", ":")
        ).encode()


def key_of(seed: bytes) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(seed)


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def issue(seed: bytes, position: int, head: bytes, events: int, at: datetime) -> str:
    """The checkpoint, signed, as the JSON text to keep."""
    key = key_of(seed)
    checkpoint = Checkpoint(position, head.hex(), at.isoformat(), events, key_id(key.public_key()))
    signature = base64.b64encode(key.sign(checkpoint.payload())).decode()
    document = {"format": FORMAT, **asdict(checkpoint), "signature": signature}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def check(text: str, seed: bytes) -> Checkpoint:
    """The checkpoint ``text`` holds, once its signature is checked with this system's key;
    ``CheckpointRefused`` (saying why, in French and English) otherwise."""
    checkpoint, signature = _read(text)
    public = key_of(seed).public_key()
    if checkpoint.key_id != key_id(public):
        raise CheckpointRefused(
            f"point de contrôle signé par une autre clé ({checkpoint.key_id}) que celle de ce "
            f"système ({key_id(public)}) / checkpoint signed by another key than this system's"
        )
    try:
        public.verify(signature, checkpoint.payload())
    except InvalidSignature:
        raise CheckpointRefused(
            "signature du point de contrôle invalide : il a été modifié ou forgé / "
            "invalid checkpoint signature: altered or forged"
        ) from None
    return checkpoint


def _read(text: str) -> tuple[Checkpoint, bytes]:
    unreadable = "point de contrôle illisible / unreadable checkpoint"
    try:
        document = json.loads(text)
    except ValueError as error:
        raise CheckpointRefused(f"{unreadable}: JSON {error}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise CheckpointRefused(f"{unreadable}: format {FORMAT!r} attendu / expected")
    try:
        checkpoint = Checkpoint(
            position=_typed(document, "position", int),
            head=_typed(document, "head", str),
            at=_typed(document, "at", str),
            events=_typed(document, "events", int),
            key_id=_typed(document, "key_id", str),
        )
        signature = base64.b64decode(_typed(document, "signature", str), validate=True)
        bytes.fromhex(checkpoint.head)
    except (KeyError, TypeError, ValueError) as error:
        raise CheckpointRefused(f"{unreadable}: {error}") from None
    return checkpoint, signature


def _typed(document: dict[str, object], name: str, kind: type[T]) -> T:
    value = document[name]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise TypeError(f"{name}: {kind.__name__} attendu / expected")
    return value
