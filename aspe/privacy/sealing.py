"""The application's mapper: it seals a household's personal values as events are stored,
and opens them as events are read.

Only the values ``aspe.privacy.personal`` declares are sealed, each on its own, so the rest
of the stored event stays readable (statistics, history, the audit chain's verification).
A sealed value is stored as ``household id ‖ nonce ‖ AES-GCM(text)``, the household's id
bound to the ciphertext as associated data. A value whose key is destroyed reads as its
placeholder: replaying an erased case works, and shows no one what it said.

A case's events are sealed with its household's key: the case's first event names the
household, and the key table remembers it for the case's later events. A snapshot of a case
is sealed whole (it is derived data: erasure deletes it).
"""

from __future__ import annotations

import base64
import dataclasses
import os
import typing
from collections.abc import Callable
from functools import cache
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.domain import Snapshot
from eventsourcing.persistence import (
    JSONTranscoder,
    Mapper,
    StoredEvent,
    Transcoder,
    Transcoding,
)

from aspe.domain.case import Case
from aspe.domain.household import Household
from aspe.privacy.keys import NONCE_BYTES, DataKeys
from aspe.privacy.personal import PERSONAL_ATTRIBUTES, PERSONAL_FIELDS, placeholder

TEXT, JSON = b"s", b"j"


@dataclasses.dataclass(frozen=True)
class Sealed:
    """A value sealed under a household's key, as the store keeps it."""

    household_id: UUID
    kind: bytes  # TEXT (a string) or JSON (a snapshot's state, transcoded)
    nonce: bytes
    ciphertext: bytes


class SealedAsText(Transcoding):
    type = Sealed
    name = "sealed"

    def encode(self, obj: Sealed) -> str:
        raw = obj.household_id.bytes + obj.kind + obj.nonce + obj.ciphertext
        return base64.b64encode(raw).decode("ascii")

    def decode(self, data: str) -> Sealed:
        raw = base64.b64decode(data)
        start = 17 + NONCE_BYTES
        return Sealed(UUID(bytes=raw[:16]), raw[16:17], raw[17:start], raw[start:])


def _is_value(value: Any) -> bool:
    return type(value) in PERSONAL_FIELDS


def _walk(value: Any, personal: bool, leaf: Callable[[Any, type | None, str], Any],
          owner: type | None = None, name: str = "") -> Any:  # fmt: skip
    """``value`` with ``leaf`` applied to each personal string or sealed value in it."""
    if isinstance(value, str | Sealed):
        return leaf(value, owner, name) if personal or isinstance(value, Sealed) else value
    if isinstance(value, list | tuple):
        return type(value)(_walk(item, personal, leaf, owner, name) for item in value)
    if _is_value(value):
        fields = PERSONAL_FIELDS[type(value)]
        changed = {
            field: _walk(getattr(value, field), True, leaf, type(value), field) for field in fields
        }
        return dataclasses.replace(value, **changed)
    return value


@cache
def _attributes_to_walk(event_class: type) -> tuple[tuple[str, bool], ...]:
    """The attributes of ``event_class`` that hold personal values: declared ones, and those
    whose type carries a value type with personal fields."""
    declared = PERSONAL_ATTRIBUTES.get(event_class, frozenset())
    hints = typing.get_type_hints(event_class)
    carrying = {
        name for name, hint in hints.items()
        if any(value_type.__name__ in str(hint) for value_type in PERSONAL_FIELDS)
    }  # fmt: skip
    return tuple((name, name in declared) for name in sorted(declared | carrying))


class SealingMapper(Mapper[UUID]):
    """The library's mapper, sealing personal values with their household's key."""

    def __init__(self, transcoder: Transcoder, compressor: Any = None, cipher: Any = None):
        super().__init__(transcoder, compressor, cipher)
        if isinstance(transcoder, JSONTranscoder):
            transcoder.register(SealedAsText())
        self.keys: DataKeys | None = None
        """Set by the application once its recorder (and so the key table) exists."""
        self._ciphers: dict[UUID, tuple[bytes, AESGCM]] = {}

    # ------------------------------------------------------------------------ storing
    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        if self.keys is not None:
            household_id = self._household_of(self.keys, domain_event)
            if household_id is not None:
                domain_event = self._sealed(domain_event, household_id)
        return super().to_stored_event(domain_event)

    @staticmethod
    def _household_of(keys: DataKeys, event: Any) -> UUID | None:
        if isinstance(event, Household.Event):
            return event.originator_id
        if isinstance(event, Case.Opened):
            keys.link(event.originator_id, event.household_id)
            return event.household_id
        if isinstance(event, Case.Event):
            return keys.household_of(event.originator_id)
        if isinstance(event, Snapshot) and event.topic.endswith(":Case"):
            return UUID(str(event.state["household_id"]))
        return None

    def _sealed(self, event: Any, household_id: UUID) -> Any:
        assert self.keys is not None
        key = self.keys.key_for_writing(household_id)
        if key is None:  # erased: nothing new is stored in clear, nor readable
            key = AESGCM.generate_key(bit_length=256)
        cipher = self._cipher(household_id, key)

        def seal(text: Any, owner: type | None, name: str) -> Any:
            if isinstance(text, Sealed):
                return text
            return self._seal(cipher, household_id, TEXT, text.encode())

        state = dict(vars(event))
        if isinstance(event, Snapshot):
            plain = self.transcoder.encode(state["state"])
            state["state"] = self._seal(cipher, household_id, JSON, plain)
        else:
            for name, personal in _attributes_to_walk(event.__class__):
                state[name] = _walk(state[name], personal, seal, type(event), name)
        sealed = object.__new__(type(event))
        object.__setattr__(sealed, "__dict__", state)
        return sealed

    @staticmethod
    def _seal(cipher: AESGCM, household_id: UUID, kind: bytes, plain: bytes) -> Sealed:
        nonce = os.urandom(NONCE_BYTES)
        return Sealed(household_id, kind, nonce, cipher.encrypt(nonce, plain, household_id.bytes))

    # ------------------------------------------------------------------------ reading
    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        event = super().to_domain_event(stored_event)
        state = vars(event)
        if isinstance(event, Snapshot):
            if isinstance(state["state"], Sealed):
                state["state"] = self._open_snapshot(state["state"], stored_event)
            return event
        for name, _ in _attributes_to_walk(event.__class__):
            if name in state:
                state[name] = _walk(state[name], False, self._open, type(event), name)
        return event

    def _open(self, sealed: Any, owner: type | None, name: str) -> Any:
        if not isinstance(sealed, Sealed):
            return sealed
        cipher = self._reading_cipher(sealed.household_id)
        if cipher is None:
            return placeholder(owner or object, name)
        return cipher.decrypt(sealed.nonce, sealed.ciphertext, sealed.household_id.bytes).decode()

    def _open_snapshot(self, sealed: Sealed, stored_event: StoredEvent) -> Any:
        cipher = self._reading_cipher(sealed.household_id)
        if cipher is None:
            raise LookupError(f"Snapshot of {stored_event.originator_id} sealed with an erased key")
        plain = cipher.decrypt(sealed.nonce, sealed.ciphertext, sealed.household_id.bytes)
        return self.transcoder.decode(plain)

    def _reading_cipher(self, household_id: UUID) -> AESGCM | None:
        if self.keys is None:
            raise LookupError("A sealed value, and no key table to open it")
        key = self.keys.key_for_reading(household_id)
        if key is None:
            self._ciphers.pop(household_id, None)  # no copy of a destroyed key stays
            return None
        return self._cipher(household_id, key)

    def _cipher(self, household_id: UUID, key: bytes) -> AESGCM:
        known = self._ciphers.get(household_id)
        if known is None or known[0] != key:
            known = self._ciphers[household_id] = (key, AESGCM(key))
        return known[1]
