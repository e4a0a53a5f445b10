"""Login e-mails: one account per address, across staff and household accounts."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from aspe.domain.actors import Role
from aspe.domain.audited import AuditedAggregate
from aspe.domain.errors import InvalidInput

_EMAIL_NAMESPACE = uuid5(NAMESPACE_URL, "https://aspe.example/login-email")


def normalise_email(email: str) -> str:
    address = email.strip().lower()
    local, _, domain = address.partition("@")
    if not local or "." not in domain:
        raise InvalidInput("L'adresse électronique est invalide.")
    return address


class EmailClaim(AuditedAggregate):
    """The claim of a login e-mail by one account.

    Its id derives from the address, so a second account with the same address conflicts in
    the store itself, even when both are registered at the same instant.
    """

    @staticmethod
    def id_for(email: str) -> UUID:
        return uuid5(_EMAIL_NAMESPACE, normalise_email(email))

    @classmethod
    def claim(cls, email: str, account_id: UUID, role: Role) -> EmailClaim:
        return cls(cls.id_for(email), account_id, role)

    @event("Claimed")
    def __init__(  # the library passes the aggregate id as ``id``
        self,
        id: UUID,
        account_id: UUID,
        role: Role,
    ) -> None:
        self.account_id = account_id
        self.role = role
