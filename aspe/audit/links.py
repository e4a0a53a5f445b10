"""One link of the chain: what it covers, and how it is computed.

A link is ``SHA-256(previous link ‖ position ‖ originator id ‖ version ‖ topic ‖
SHA-256(state))``, every field as the store holds it (the originator id as its stored text or
bytes, the state as its stored bytes: compressed or encrypted payloads are covered as they
are, never decrypted). The first event's previous link is ``GENESIS``. Each variable-length
field is prefixed with its length, so no two different rows encode alike.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

GENESIS = bytes(32)
"""The link before the first event."""

_FIXED = struct.Struct(">QQ")


@dataclass(frozen=True, slots=True)
class StoredRow:
    """An event as the store holds it, at its position (notification id)."""

    position: int
    originator_id: bytes
    version: int
    topic: str
    state: bytes


@dataclass(frozen=True, slots=True)
class Link:
    """A row of the chain table: the link of the event at ``position``, with a copy of the
    fields it was computed over (the state by its digest), to say what differs at a break."""

    position: int
    originator_id: bytes
    version: int
    topic: str
    state_digest: bytes
    hash: bytes


def state_digest(state: bytes) -> bytes:
    return hashlib.sha256(state).digest()


def link_hash(previous: bytes, row: StoredRow, digest: bytes | None = None) -> bytes:
    """The link of ``row`` after ``previous``."""
    topic = row.topic.encode()
    hasher = hashlib.sha256(previous)
    hasher.update(_FIXED.pack(row.position, row.version & 0xFFFFFFFFFFFFFFFF))
    hasher.update(len(row.originator_id).to_bytes(4, "big") + row.originator_id)
    hasher.update(len(topic).to_bytes(4, "big") + topic)
    hasher.update(digest if digest is not None else state_digest(row.state))
    return hasher.digest()


def chain(previous: bytes, rows: list[StoredRow]) -> list[Link]:
    """The links of ``rows`` (in position order) after ``previous``."""
    links = []
    for row in rows:
        digest = state_digest(row.state)
        previous = link_hash(previous, row, digest)
        links.append(
            Link(row.position, row.originator_id, row.version, row.topic, digest, previous)
        )
    return links
