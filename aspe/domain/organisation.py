"""Organisations of a département: associations, the SPSLH, the commission, landlords."""

from __future__ import annotations

from eventsourcing.domain import event

from aspe.domain.actors import Role
from aspe.domain.audited import AuditedAggregate
from aspe.domain.errors import InvalidInput
from aspe.domain.guards import require_role, require_text
from aspe.domain.values import LandlordCategory, OrganisationKind


class Organisation(AuditedAggregate):
    @classmethod
    def register(
        cls,
        name: str,
        kind: OrganisationKind,
        landlord_category: LandlordCategory | None = None,
    ) -> Organisation:
        require_role(Role.ADMIN)
        if (kind is OrganisationKind.LANDLORD) != (landlord_category is not None):
            raise InvalidInput(
                "Seul un bailleur a une catégorie (social ou privé), et il en a une."
            )
        return cls(require_text(name, "nom"), kind, landlord_category)

    class Registered(AuditedAggregate.Created):
        name: str
        kind: OrganisationKind
        landlord_category: LandlordCategory | None

    @event(Registered)
    def __init__(
        self,
        name: str,
        kind: OrganisationKind,
        landlord_category: LandlordCategory | None,
    ) -> None:
        self.name = name
        self.kind = kind
        self.landlord_category = landlord_category
