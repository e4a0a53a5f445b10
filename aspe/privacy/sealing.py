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

import binascii
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


class Sealed:
    """A value sealed under a household's key, as the store keeps it. A plain class with
    slots (replays make a million of them; a tuple would be written as a JSON list)."""

    __slots__ = ("ciphertext", "household", "kind", "nonce")

    def __init__(self, household: bytes, kind: bytes, nonce: bytes, ciphertext: bytes) -> None:
        self.household = household
        """The household's id, its 16 bytes (also the ciphertext's associated data)."""
        self.kind = kind  # TEXT (a string) or JSON (a snapshot's state, transcoded)
        self.nonce = nonce
        self.ciphertext = ciphertext


class SealedAsText(Transcoding):
    type = Sealed
    name = "sealed"

    def encode(self, obj: Sealed) -> str:
        raw = obj.household + obj.kind + obj.nonce + obj.ciphertext
        return binascii.b2a_base64(raw, newline=False).decode("ascii")

    def decode(self, data: str) -> Sealed:
        raw = binascii.a2b_base64(data)
        return Sealed(raw[:16], raw[16:17], raw[17:_CIPHERTEXT], raw[_CIPHERTEXT:])


_CIPHERTEXT = 17 + NONCE_BYTES


def _sealing_walk(value: Any, personal: bool, seal: Callable[[str], Sealed]) -> Any:
    """``value`` with each personal string in it sealed; the values it holds are copied,
    never changed (they are the aggregate's)."""
    if isinstance(value, str):
        return seal(value) if personal else value
    if isinstance(value, list | tuple):
        return type(value)(_sealing_walk(item, personal, seal) for item in value)
    fields = PERSONAL_FIELDS.get(type(value))
    if fields:
        changed = {field: _sealing_walk(getattr(value, field), True, seal) for field in fields}
        return dataclasses.replace(value, **changed)
    return value


@cache
def _attributes_to_walk(event_class: type) -> tuple[tuple[str, bool], ...]:
    """The attributes of ``event_class`` that hold personal values, each with whether it is
    a personal text itself (declared) or carries values with personal fields."""
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
        household = household_id.bytes
        # Erased: nothing new is stored in clear, nor readable (a key no one keeps).
        cipher = self.keys.writing_cipher(household_id) or AESGCM(AESGCM.generate_key(256))

        def seal(text: str) -> Sealed:
            return _seal(cipher, household, TEXT, text.encode())

        state = dict(vars(event))
        if isinstance(event, Snapshot):
            plain = self.transcoder.encode(state["state"])
            state["state"] = _seal(cipher, household, JSON, plain)
        else:
            for name, personal in _attributes_to_walk(event.__class__):
                state[name] = _sealing_walk(state[name], personal, seal)
        sealed = object.__new__(type(event))
        object.__setattr__(sealed, "__dict__", state)
        return sealed

    # ------------------------------------------------------------------------ reading
    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        event = super().to_domain_event(stored_event)
        state = vars(event)
        if isinstance(event, Snapshot):
            if isinstance(state["state"], Sealed):
                state["state"] = self._open_snapshot(state["state"], stored_event)
            return event
        owner = event.__class__
        for name, personal in _attributes_to_walk(owner):
            value = state.get(name)
            if personal:
                if type(value) is Sealed:
                    state[name] = self._open(value, owner, name)
            elif isinstance(value, list | tuple):
                for item in value:
                    self._open_fields(item)
            elif value is not None:
                self._open_fields(value)
        return event

    def _open_fields(self, value: Any) -> None:
        """Open the sealed fields of a value the transcoder has just made (so in place)."""
        for field in PERSONAL_FIELDS.get(type(value), ()):
            sealed = getattr(value, field)
            if type(sealed) is Sealed:
                object.__setattr__(value, field, self._open(sealed, type(value), field))

    def _open(self, sealed: Sealed, owner: type, name: str) -> str:
        cipher = self._reading_cipher(sealed.household)
        if cipher is None:
            return placeholder(owner, name)
        return cipher.decrypt(sealed.nonce, sealed.ciphertext, sealed.household).decode()

    def _open_snapshot(self, sealed: Sealed, stored_event: StoredEvent) -> Any:
        cipher = self._reading_cipher(sealed.household)
        if cipher is None:
            raise LookupError(f"Snapshot of {stored_event.originator_id} sealed with an erased key")
        plain = cipher.decrypt(sealed.nonce, sealed.ciphertext, sealed.household)
        return self.transcoder.decode(plain)

    def _reading_cipher(self, household: bytes) -> AESGCM | None:
        if self.keys is None:
            raise LookupError("A sealed value, and no key table to open it")
        return self.keys.reading_cipher(household)


def _seal(cipher: AESGCM, household: bytes, kind: bytes, plain: bytes) -> Sealed:
    nonce = os.urandom(NONCE_BYTES)
    return Sealed(household, kind, nonce, cipher.encrypt(nonce, plain, household))
