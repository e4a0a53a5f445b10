"""Login e-mails (one account per address, across staff and household accounts), and what
every account shares (``Account``): its lifecycle, who may act on it, its credentials version.

An account's *credentials version* counts the events after which the tokens signed before
must stop working: a password changed, reset or replaced, a deactivation, a sign-out. A
token carries the version it was signed at, and is refused once the account moved on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar
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


class CredentialsChanged(AuditedAggregate.Event):
    """An event after which the tokens signed before must stop working: it moves the
    account's credentials version on."""

    def apply(self, account: Account) -> None:
        account.credentials_version += 1


class ActivationChanged(CredentialsChanged):
    """The account deactivated or reactivated: ``ACTIVE`` says which."""

    ACTIVE: ClassVar[bool]

    def apply(self, account: Account) -> None:
        super().apply(account)
        account.active = self.ACTIVE


class PasswordSet(CredentialsChanged):
    """A new password: changed by its holder, or reset by a manager."""

    password_hash: str

    def apply(self, account: Account) -> None:
        super().apply(account)
        account.password_hash = self.password_hash


class Account(AuditedAggregate):
    """What a staff account and a household's login share: a password, an ``active`` flag,
    the credentials version, and the commands of their lifecycle. An administrator, or the
    manager of the association it belongs to (``managing_organisation_id``), deactivates
    and reactivates it; its holder changes its password (giving the current one) and ends
    its sessions.

    Its events are written once, here, and stored under each account's own class
    (``Staff.SignedOut``, ``Household.SignedOut``): see ``__init_subclass__``.
    """

    LIFECYCLE_EVENTS = ("AccountDeactivated", "AccountReactivated", "PasswordChanged", "SignedOut")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # The library gives the event classes it finds on an aggregate class that class's
        # topic: each account class takes the ones below as its own, so that its events
        # keep the topic they are stored under.
        for name in Account.LIFECYCLE_EVENTS:
            if name not in vars(cls):
                setattr(cls, name, getattr(Account, name))
        super().__init_subclass__(**kwargs)

    def start_credentials(self, password_hash: str | None) -> None:
        """The state of an account at its registration (its ``__init__`` calls this)."""
        self.password_hash = password_hash
        self.active = True
        self.credentials_version = 0

    @property
    def managing_organisation_id(self) -> UUID | None:
        """The organisation whose manager manages the account."""
        raise NotImplementedError

    def require_account(self) -> None:
        """Refuses a command on an account that does not exist yet (a household's login is
        opened after its registration; a staff account exists from its own)."""

    def check_may_manage(self) -> None:
        """An administrator manages every account; a manager, its own association's."""
        actor = require_someone_else(self.id)
        if actor.role is Role.ADMIN:
            return
        if (
            actor.role is Role.ASSOCIATION_MANAGER
            and actor.organisation_id == self.managing_organisation_id
        ):
            return
        raise NotAuthorised()

    def set_active(self, active: bool) -> None:
        """Deactivate the account (its sessions end), or reactivate it."""
        self.check_may_manage()
        self.require_account()
        if self.active == active:
            raise AlreadyDone(
                "Ce compte est déjà actif." if active else "Ce compte est déjà désactivé."
            )
        self.trigger_event(self.AccountReactivated if active else self.AccountDeactivated)

    class AccountDeactivated(ActivationChanged):
        ACTIVE = False

    class AccountReactivated(ActivationChanged):
        ACTIVE = True

    def change_password(self, current_matches: PasswordCheck, password_hash: str) -> None:
        require_self(self.id)
        self.require_account()
        if not current_matches(self.password_hash):
            raise WrongPassword()
        self.trigger_event(self.PasswordChanged, password_hash=password_hash)

    class PasswordChanged(PasswordSet):
        pass

    def sign_out(self) -> None:
        """Ends every session of the account (see ``AspeApplication.logout``)."""
        require_self(self.id)
        self.trigger_event(self.SignedOut)

    class SignedOut(CredentialsChanged):
        pass


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
