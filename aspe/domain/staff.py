"""Staff accounts: who works where, in which role, with which qualification (R10)."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import event

from aspe.domain.accounts import Account, PasswordSet, normalise_email
from aspe.domain.actors import ASSOCIATION_ROLES, Role, current_actor
from aspe.domain.audited import AuditedAggregate
from aspe.domain.errors import InvalidInput, NotAuthorised, NotFound
from aspe.domain.guards import require_role, require_text
from aspe.domain.values import QUALIFYING_LEVEL, Diploma

STAFF_NOT_FOUND = "Compte introuvable."
"""What a missing account id answers, and so what another organisation's staff does."""


STAFF_ROLES = frozenset(Role) - {Role.HOUSEHOLD, Role.SYSTEM}


def roles_assignable_by(role: Role) -> frozenset[Role]:
    """The roles an account of ``role`` may give the staff it registers: the administrator
    any staff role, an association's manager its association's roles, anyone else none."""
    if role is Role.ADMIN:
        return STAFF_ROLES
    if role is Role.ASSOCIATION_MANAGER:
        return ASSOCIATION_ROLES
    return frozenset()


class Staff(Account):
    """A staff account. Name and e-mail are personal data, in attributes of their own.

    Its lifecycle is an ``Account``'s; whoever manages it (an administrator, any account;
    its association's manager) may also reset its password. Each of these, and a sign-out,
    bumps ``credentials_version``.
    """

    @classmethod
    def register(
        cls,
        organisation_id: UUID,
        role: Role,
        full_name: str,
        email: str,
        password_hash: str,
        diploma: Diploma = Diploma.NONE,
    ) -> Staff:
        require_role(Role.ADMIN, Role.ASSOCIATION_MANAGER)
        actor = current_actor()
        if role in (Role.HOUSEHOLD, Role.SYSTEM):
            raise InvalidInput("Ce rôle ne peut pas être attribué à un membre du personnel.")
        if role not in roles_assignable_by(actor.role):
            raise NotAuthorised()
        if actor.role is Role.ASSOCIATION_MANAGER and organisation_id != actor.organisation_id:
            raise NotAuthorised()  # a manager staffs its own association only
        return cls(
            organisation_id,
            role,
            require_text(full_name, "nom"),
            normalise_email(email),
            password_hash,
            diploma,
        )

    class Registered(AuditedAggregate.Created):
        organisation_id: UUID
        role: Role
        full_name: str
        email: str
        password_hash: str
        diploma: Diploma

    @event(Registered)
    def __init__(
        self,
        organisation_id: UUID,
        role: Role,
        full_name: str,
        email: str,
        password_hash: str,
        diploma: Diploma,
    ) -> None:
        self.organisation_id = organisation_id
        self.role = role
        self.full_name = full_name
        self.email = email
        self.diploma = diploma
        self.start_credentials(password_hash)

    @property
    def managing_organisation_id(self) -> UUID:
        return self.organisation_id

    @property
    def is_qualified_referent(self) -> bool:
        level = self.diploma.level
        return level is not None and level <= QUALIFYING_LEVEL

    def record_qualification(self, diploma: Diploma) -> None:
        """An administrator qualifies anyone; a head of service only the staff of their own
        organisation (R10): to them, another's staff is an account that does not exist."""
        require_role(Role.ADMIN, Role.ASSOCIATION_MANAGER)
        actor = current_actor()
        if actor.role is Role.ASSOCIATION_MANAGER and actor.organisation_id != self.organisation_id:
            raise NotFound(STAFF_NOT_FOUND)
        self._record_qualification(diploma)

    class QualificationRecorded(AuditedAggregate.Event):
        diploma: Diploma

    @event(QualificationRecorded)
    def _record_qualification(self, diploma: Diploma) -> None:
        self.diploma = diploma

    # ------------------------------------------------------------------ lifecycle
    def reset_password(self, password_hash: str) -> None:
        self.check_may_manage()
        self.trigger_event(self.PasswordReset, password_hash=password_hash)

    class PasswordReset(PasswordSet):
        pass
