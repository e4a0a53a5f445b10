"""Staff accounts: who works where, in which role, with which qualification (R10)."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import event

from aspe.domain.accounts import normalise_email
from aspe.domain.actors import Role
from aspe.domain.audited import AuditedAggregate
from aspe.domain.errors import InvalidInput
from aspe.domain.guards import require_role, require_text
from aspe.domain.values import QUALIFYING_LEVEL, Diploma


class Staff(AuditedAggregate):
    """A staff account. Name and e-mail are personal data, in attributes of their own."""

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
        require_role(Role.ADMIN)
        if role in (Role.HOUSEHOLD, Role.SYSTEM):
            raise InvalidInput("Ce rôle ne peut pas être attribué à un membre du personnel.")
        return cls(
            organisation_id,
            role,
            require_text(full_name, "nom"),
            normalise_email(email),
            password_hash,
            diploma,
        )

    @event("Registered")
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
        self.password_hash = password_hash
        self.diploma = diploma

    @property
    def is_qualified_referent(self) -> bool:
        level = self.diploma.level
        return level is not None and level <= QUALIFYING_LEVEL

    def record_qualification(self, diploma: Diploma) -> None:
        require_role(Role.ADMIN, Role.ASSOCIATION_MANAGER)
        self._record_qualification(diploma)

    @event("QualificationRecorded")
    def _record_qualification(self, diploma: Diploma) -> None:
        self.diploma = diploma
