"""The household: identity, landlord, and the accompaniments that exclude each other (R9).

The Household is the consistency boundary for R9: opening an ASPE case claims it and
closing the case releases it, and both are saved atomically with the Case.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from eventsourcing.domain import event

from aspe.domain.accounts import normalise_email
from aspe.domain.actors import ASSOCIATION_ROLES, Role, current_actor
from aspe.domain.audited import AuditedAggregate
from aspe.domain.errors import CombinationForbidden, InvalidInput, NotAuthorised
from aspe.domain.guards import require_role, require_text
from aspe.domain.values import AccompanimentKind, Address


class Household(AuditedAggregate):
    @classmethod
    def register(
        cls,
        landlord_id: UUID,
        address: Address,
        name: str,
        contact: str,
        members: int,
    ) -> Household:
        require_role(*ASSOCIATION_ROLES, Role.ADMIN)
        if members < 1:
            raise InvalidInput("Le ménage compte au moins une personne.")
        actor = current_actor()
        return cls(
            landlord_id=landlord_id,
            registered_by=actor.organisation_id,
            address=address,
            name=require_text(name, "nom"),
            contact=contact.strip(),
            members=members,
        )

    @event("Registered")
    def __init__(
        self,
        landlord_id: UUID,
        registered_by: UUID | None,
        address: Address,
        name: str,
        contact: str,
        members: int,
    ) -> None:
        self.landlord_id = landlord_id
        self.registered_by = registered_by
        self.address = address
        self.name = name
        self.contact = contact
        self.members = members
        self.accompaniments: dict[str, list[date | None]] = {}
        self.open_case_id: UUID | None = None
        self.account_email: str | None = None
        self.password_hash: str | None = None

    def record_accompaniment(
        self, kind: AccompanimentKind, starts_on: date, ends_on: date | None = None
    ) -> None:
        """An FSL or anti-poverty-plan accompaniment, as reported by the body that runs it."""
        require_role(*ASSOCIATION_ROLES, Role.SPSLH_AGENT)
        if ends_on is not None and ends_on < starts_on:
            raise InvalidInput("La fin de l'accompagnement précède son début.")
        self._record_accompaniment(kind, starts_on, ends_on)

    @event("AccompanimentRecorded")
    def _record_accompaniment(
        self, kind: AccompanimentKind, starts_on: date, ends_on: date | None
    ) -> None:
        self.accompaniments[kind.value] = [starts_on, ends_on]

    def active_accompaniment(self, on: date) -> AccompanimentKind | None:
        for kind, (starts_on, ends_on) in self.accompaniments.items():
            if starts_on is not None and starts_on <= on and (ends_on is None or on <= ends_on):
                return AccompanimentKind(kind)
        return None

    def check_no_other_accompaniment(self, on: date) -> None:
        """R9: an ASPE measure is never combined with FSL or the anti-poverty plan."""
        kind = self.active_accompaniment(on)
        if kind is AccompanimentKind.FSL:
            raise CombinationForbidden("Le ménage bénéficie déjà d'un accompagnement FSL.")
        if kind is AccompanimentKind.ANTI_POVERTY_PLAN:
            raise CombinationForbidden(
                "Le ménage bénéficie déjà d'un accompagnement du Plan national de lutte "
                "contre la pauvreté."
            )

    def claim_for_case(self, case_id: UUID) -> None:
        """R9: one ASPE case at a time per household."""
        if self.open_case_id is not None and self.open_case_id != case_id:
            raise CombinationForbidden("Le ménage fait déjà l'objet d'une mesure ASPE en cours.")
        self._claim(case_id)

    @event("AspeCaseOpened")
    def _claim(self, case_id: UUID) -> None:
        self.open_case_id = case_id

    def release_case(self, case_id: UUID) -> None:
        if self.open_case_id == case_id:
            self._release(case_id)

    @event("AspeCaseClosed")
    def _release(self, case_id: UUID) -> None:
        self.open_case_id = None

    def open_account(self, email: str, password_hash: str) -> None:
        """The household's own, optional, portal account."""
        actor = current_actor()
        if actor.role not in ASSOCIATION_ROLES or actor.organisation_id != self.registered_by:
            raise NotAuthorised()
        self._open_account(normalise_email(email), password_hash)

    @event("AccountOpened")
    def _open_account(self, email: str, password_hash: str) -> None:
        self.account_email = email
        self.password_hash = password_hash
