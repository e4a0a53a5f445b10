"""Login e-mails (one account per address, across staff and household accounts), and what
every account's lifecycle shares: who may act on it, and its credentials version.

An account's *credentials version* counts the events after which the tokens signed before
must stop working: a password changed, reset or replaced, a deactivation, a sign-out. A
token carries the version it was signed at, and is refused once the account moved on.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from aspe.domain.actors import Actor, Role, current_actor
from aspe.domain.audited import AuditedAggregate
from aspe.domain.errors import AlreadyDone, InvalidInput, NotAuthorised, WrongPassword
from aspe.domain.hygiene import FORBIDDEN_CHARACTERS

MAX_EMAIL_LENGTH = 254
"""The longest address SMTP carries (RFC 5321)."""

_EMAIL_NAMESPACE = uuid5(NAMESPACE_URL, "https://aspe.example/login-email")

PasswordCheck = Callable[[str | None], bool]
"""Tells whether a stored password hash matches the password the person typed: the
application hashes, the domain only decides."""


def normalise_email(email: str) -> str:
    address = email.strip().lower()
    local, _, domain = address.partition("@")
    if (
        not local
        or "." not in domain
        or len(address) > MAX_EMAIL_LENGTH
        or FORBIDDEN_CHARACTERS.search(address)
    ):
        raise InvalidInput("L'adresse électronique est invalide.", field="email")
    return address


def require_self(account_id: UUID) -> Actor:
    """Only the account itself may run this command (its password, its sessions)."""
    actor = current_actor()
    if actor.id != account_id or actor.role is Role.SYSTEM:
        raise NotAuthorised()
    return actor


def require_someone_else(account_id: UUID) -> Actor:
    """Commands one runs on others' accounts: on one's own they would lock one out, or set
    a password without knowing the current one (``change_password`` is for that)."""
    actor = current_actor()
    if actor.id == account_id:
        raise NotAuthorised("Cette action ne peut pas porter sur votre propre compte.")
    return actor


def require_current_password(matches: PasswordCheck, password_hash: str | None) -> None:
    if not matches(password_hash):
        raise WrongPassword()


def require_active(active: bool) -> None:
    if not active:
        raise AlreadyDone("Ce compte est déjà désactivé.")


def require_inactive(active: bool) -> None:
    if active:
        raise AlreadyDone("Ce compte est déjà actif.")


class EmailClaim(AuditedAggregate):
    """The claim of a login e-mail by one account.

    Its id derives from the address, so a second account with the same address conflicts in
    the store itself, even when both are registered at the same instant. A claim is
    released when its account moves to another address; another account may then take it.
    """

    @staticmethod
    def id_for(email: str) -> UUID:
        return uuid5(_EMAIL_NAMESPACE, normalise_email(email))

    @classmethod
    def claim(cls, email: str, account_id: UUID, role: Role) -> EmailClaim:
        return cls(cls.id_for(email), account_id, role)

    class Claimed(AuditedAggregate.Created):
        account_id: UUID
        role: Role

    @event(Claimed)
    def __init__(  # the library passes the aggregate id as ``id``
        self,
        id: UUID,
        account_id: UUID,
        role: Role,
    ) -> None:
        self.account_id: UUID | None = account_id
        self.role = role

    @property
    def is_released(self) -> bool:
        return self.account_id is None

    def release(self) -> None:
        self._release()

    class Released(AuditedAggregate.Event):
        pass

    @event(Released)
    def _release(self) -> None:
        self.account_id = None

    def claim_again(self, account_id: UUID, role: Role) -> None:
        if not self.is_released:
            raise InvalidInput("Cette adresse est encore celle d'un compte.")
        self._claim_again(account_id, role)

    class ClaimedAgain(AuditedAggregate.Event):
        account_id: UUID
        role: Role

    @event(ClaimedAgain)
    def _claim_again(self, account_id: UUID, role: Role) -> None:
        self.account_id = account_id
        self.role = role
