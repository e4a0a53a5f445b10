"""The household: identity, landlord, and the accompaniments that exclude each other (R9).

The Household is the consistency boundary for R9: opening an ASPE case claims it and
closing the case releases it, and both are saved atomically with the Case.
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, TypedDict
from uuid import UUID

from eventsourcing.domain import event

from aspe.domain.accounts import Account, normalise_email
from aspe.domain.actors import ASSOCIATION_ROLES, Actor, Role, current_actor
from aspe.domain.audited import AuditedAggregate
from aspe.domain.errors import (
    AlreadyDone,
    CombinationForbidden,
    DomainError,
    InvalidInput,
    InvalidPostcode,
    InvalidTransition,
    NotAuthorised,
    NotFound,
)
from aspe.domain.guards import require_role, require_text
from aspe.domain.values import AccompanimentKind, Address, ErasureGround

if TYPE_CHECKING:
    from aspe.domain.case import Case

HOUSEHOLD_NOT_FOUND = "Ménage introuvable."
"""What a missing household id answers, and so what another association's household does."""
POSTCODE = re.compile(r"[0-9]{5}")
"""A French postcode: five digits, overseas ones too (971xx to 989xx); ASCII ones (``\\d``
would take other scripts' digits too)."""


class Details(TypedDict):
    """What the household registers and may later correct."""

    address: Address
    name: str
    contact: str
    members: int


def checked_details(address: Address, name: str, contact: str, members: int) -> Details:
    """The details as stored: a name, at least one member, a French postcode (five digits);
    texts trimmed."""
    if members < 1:
        raise InvalidInput("Le ménage compte au moins une personne.", field="members")
    postcode = address.postcode.strip()
    if not POSTCODE.fullmatch(postcode):
        raise InvalidPostcode()
    return {
        "address": Address(address.street.strip(), postcode, address.city.strip()),
        "name": require_text(name, "nom", field="name"),
        "contact": contact.strip(),
        "members": members,
    }


class Household(Account):
    """A household, and its own optional portal login: an ``Account`` once opened, managed
    by an administrator or the manager of the association that registered it."""

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
        details = checked_details(address, name, contact, members)
        return cls(
            landlord_id=landlord_id, registered_by=current_actor().organisation_id, **details
        )

    class Registered(AuditedAggregate.Created):
        landlord_id: UUID
        registered_by: UUID | None
        address: Address
        name: str
        contact: str
        members: int

    @event(Registered)
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
        self.start_credentials(None)
        self.case_ids: list[UUID] = []
        self.erased = False
        self.legal_hold: str | None = None

    # ------------------------------------------------------- rectification (GDPR)
    def correct_details(
        self, case: Case, address: Address, name: str, contact: str, members: int
    ) -> None:
        """The household's right of rectification: its name, address, contact or number of
        members corrected by whoever ``case`` (one of its cases) lets correct them. The
        registered values stay in the history: the correction is a new event."""
        if case.household_id != self.id:
            raise NotFound(HOUSEHOLD_NOT_FOUND)
        case.check_may_correct_household_details()
        details = checked_details(address, name, contact, members)
        corrected = [key for key, value in details.items() if getattr(self, key) != value]
        if not corrected:
            raise AlreadyDone("Ces informations sont déjà celles du ménage.")
        self._correct_details(corrected=corrected, **details)

    class DetailsCorrected(AuditedAggregate.Event):
        """Personal values: ``address``, ``name``, ``contact``, ``members``; ``corrected``
        names the attributes that changed (not personal)."""

        address: Address
        name: str
        contact: str
        members: int
        corrected: list[str]

    @event(DetailsCorrected)
    def _correct_details(
        self, address: Address, name: str, contact: str, members: int, corrected: list[str]
    ) -> None:
        self.address = address
        self.name = name
        self.contact = contact
        self.members = members

    def record_accompaniment(
        self, kind: AccompanimentKind, starts_on: date, ends_on: date | None = None
    ) -> None:
        """An FSL or anti-poverty-plan accompaniment, as reported by the body that runs it."""
        require_role(*ASSOCIATION_ROLES, Role.SPSLH_AGENT)
        self.check_actor_may_act_on()  # the SPSLH, the département's service, on any
        if ends_on is not None and ends_on < starts_on:
            raise InvalidInput("La fin de l'accompagnement précède son début.")
        self._record_accompaniment(kind, starts_on, ends_on)

    class AccompanimentRecorded(AuditedAggregate.Event):
        kind: AccompanimentKind
        starts_on: date
        ends_on: date | None

    @event(AccompanimentRecorded)
    def _record_accompaniment(
        self, kind: AccompanimentKind, starts_on: date, ends_on: date | None
    ) -> None:
        self.accompaniments[kind.value] = [starts_on, ends_on]

    def check_actor_may_act_on(self) -> None:
        """An association acts only on the households it registered: another association's
        household is, to it, indistinguishable from one that does not exist (DESIGN §6)."""
        actor = current_actor()
        if actor.role in ASSOCIATION_ROLES and actor.organisation_id != self.registered_by:
            raise NotFound(HOUSEHOLD_NOT_FOUND)

    def accompaniment_during(self, starts_on: date, ends_on: date) -> AccompanimentKind | None:
        """The FSL or anti-poverty-plan accompaniment whose period overlaps ``starts_on`` to
        ``ends_on`` (both included), if any: one that starts later in the period overlaps
        it too. An accompaniment without an end runs on."""
        for kind, (begins, ends) in self.accompaniments.items():
            if begins is not None and begins <= ends_on and (ends is None or starts_on <= ends):
                return AccompanimentKind(kind)
        return None

    def check_no_accompaniment_during(self, starts_on: date, ends_on: date) -> None:
        """R9: an ASPE measure is never combined with FSL or the anti-poverty plan, that is,
        their periods never overlap."""
        kind = self.accompaniment_during(starts_on, ends_on)
        if kind is AccompanimentKind.FSL:
            raise CombinationForbidden(
                "Le ménage bénéficie d'un accompagnement FSL pendant la période de la mesure."
            )
        if kind is AccompanimentKind.ANTI_POVERTY_PLAN:
            raise CombinationForbidden(
                "Le ménage bénéficie d'un accompagnement du Plan national de lutte contre la "
                "pauvreté pendant la période de la mesure."
            )

    def claim_for_case(self, case_id: UUID) -> None:
        """R9: one ASPE case at a time per household."""
        if self.open_case_id is not None and self.open_case_id != case_id:
            raise CombinationForbidden("Le ménage fait déjà l'objet d'une mesure ASPE en cours.")
        self._claim(case_id)

    class AspeCaseOpened(AuditedAggregate.Event):
        case_id: UUID

    @event(AspeCaseOpened)
    def _claim(self, case_id: UUID) -> None:
        self.open_case_id = case_id
        if case_id not in self.case_ids:
            self.case_ids.append(case_id)

    def release_case(self, case_id: UUID) -> None:
        if self.open_case_id == case_id:
            self._release(case_id)

    class AspeCaseClosed(AuditedAggregate.Event):
        case_id: UUID

    @event(AspeCaseClosed)
    def _release(self, case_id: UUID) -> None:
        self.open_case_id = None

    # ------------------------------------------------------------------ its account
    @property
    def has_account(self) -> bool:
        return self.account_email is not None

    def open_account(self, email: str, password_hash: str) -> None:
        """The household's own, optional, portal account: opened once, by the staff of the
        association that registered it. Another login for the same household is a
        replacement of its credentials (``replace_credentials``), for its manager only."""
        refusal = self.account_opening_refusal(current_actor())
        if refusal is not None:
            raise refusal
        self._open_account(normalise_email(email), password_hash)

    def account_opening_refusal(self, actor: Actor) -> DomainError | None:
        """Why ``actor`` may not open the household's account now, or ``None``: what the
        case page asks before offering the form."""
        if actor.role not in ASSOCIATION_ROLES or actor.organisation_id != self.registered_by:
            return NotAuthorised()
        if self.has_account:
            return AlreadyDone(
                "Le ménage a déjà un compte : seul·e un·e responsable de l'association peut "
                "en remplacer les identifiants."
            )
        return None

    class AccountOpened(AuditedAggregate.Event):
        email: str
        password_hash: str

    @event(AccountOpened)
    def _open_account(self, email: str, password_hash: str) -> None:
        self.account_email = email
        self.password_hash = password_hash

    def replace_credentials(self, email: str, password_hash: str) -> None:
        """A new login for a household that lost its own (the household is told, at its old
        address too): the manager of the association that registered it, only."""
        actor = current_actor()
        if (
            actor.role is not Role.ASSOCIATION_MANAGER
            or actor.organisation_id != self.registered_by
        ):
            raise NotAuthorised()
        self.require_account()
        self._replace_credentials(normalise_email(email), password_hash, self.account_email)

    class CredentialsReplaced(AuditedAggregate.Event):
        email: str
        password_hash: str
        previous_email: str | None

    @event(CredentialsReplaced)
    def _replace_credentials(
        self, email: str, password_hash: str, previous_email: str | None
    ) -> None:
        self.account_email = email
        self.password_hash = password_hash
        self.credentials_version += 1

    def require_account(self) -> None:
        if not self.has_account:
            raise InvalidInput("Le ménage n'a pas de compte sur la plateforme.")

    @property
    def managing_organisation_id(self) -> UUID | None:
        return self.registered_by

    # ------------------------------------------------------------------ its erasure
    def erase(self, ground: ErasureGround, reason: str) -> None:
        """Record that the household's personal data is erased (GDPR art. 17, or the end of
        its retention period). The record names who, when, why and on which ground, and no
        personal value; destroying the household's key is the application's part. An
        administrator decides it, or the platform when a retention period ends; not while
        an ASPE case of the household is open (its parties still need the file)."""
        require_role(Role.ADMIN, Role.SYSTEM)
        if self.erased:
            raise AlreadyDone("Les données de ce ménage sont déjà effacées.")
        if self.legal_hold is not None:
            raise InvalidTransition(
                "Les données de ce ménage sont sous conservation légale : levez-la d'abord."
            )
        if self.open_case_id is not None:
            raise InvalidTransition(
                "Le ménage a un dossier ASPE en cours : ses données ne peuvent être effacées "
                "qu'une fois le dossier clos."
            )
        self._erase(ground, require_text(reason, "motif", field="reason"), list(self.case_ids))

    class Erased(AuditedAggregate.Event):
        ground: ErasureGround
        reason: str
        case_ids: list[UUID]

    @event(Erased)
    def _erase(self, ground: ErasureGround, reason: str, case_ids: list[UUID]) -> None:
        self.erased = True
        self.active = False
        self.credentials_version += 1  # its sessions end with it

    # ------------------------------------------------------------- legal hold
    def set_legal_hold(self, reason: str) -> None:
        """Keep the household's data past its retention period (a dispute, a court's
        request): no erasure, by the platform or anyone, until it is lifted."""
        require_role(Role.ADMIN)
        if self.erased:
            raise AlreadyDone("Les données de ce ménage sont déjà effacées.")
        if self.legal_hold is not None:
            raise AlreadyDone("Les données de ce ménage sont déjà sous conservation légale.")
        self._set_legal_hold(require_text(reason, "motif", field="reason"))

    class LegalHoldSet(AuditedAggregate.Event):
        reason: str

    @event(LegalHoldSet)
    def _set_legal_hold(self, reason: str) -> None:
        self.legal_hold = reason

    def lift_legal_hold(self) -> None:
        require_role(Role.ADMIN)
        if self.legal_hold is None:
            raise AlreadyDone("Les données de ce ménage ne sont pas sous conservation légale.")
        self._lift_legal_hold()

    class LegalHoldLifted(AuditedAggregate.Event):
        pass

    @event(LegalHoldLifted)
    def _lift_legal_hold(self) -> None:
        self.legal_hold = None
