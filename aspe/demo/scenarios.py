"""A département and the path of a case through it, driven through the application.

One place that knows how to build the parties of DESIGN §1 and walk a case from diagnostic
to any status with plausible values. The demo, the tests and the benchmarks all use it, so
they exercise the same commands a person would.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

from aspe.application import AspeApplication
from aspe.application.passwords import hash_password
from aspe.domain.actors import SYSTEM_ACTOR, Actor, Role, acting_as
from aspe.domain.local_time import day_of
from aspe.domain.values import (
    Address,
    AidRequest,
    Commitment,
    Diploma,
    Finding,
    LandlordCategory,
    MeasureType,
    Objective,
    OrganisationKind,
    Party,
    Signatory,
    Status,
    Step,
    StopReason,
    Theme,
)

ADMIN_ID = UUID("00000000-0000-0000-0000-00000000ad01")
ADMIN = Actor(ADMIN_ID, Role.ADMIN)
"""The platform administrator who registers organisations and accounts."""

DEFAULT_PASSWORD = "aspe-demo"


@dataclass
class Clock:
    """A settable clock: scenarios move it to the day each action happens."""

    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __call__(self) -> datetime:
        return self.now

    def set_day(self, day: date, at: time = time(10, 0)) -> None:
        self.now = datetime.combine(day, at, tzinfo=UTC)

    def today(self) -> date:
        """The date in Paris, as the rules count it."""
        return day_of(self.now)


@dataclass
class Account:
    actor: Actor
    email: str
    name: str


@dataclass
class Association:
    id: UUID
    name: str
    manager: Account
    referents: list[Account]


@dataclass(frozen=True)
class Person:
    name: str
    email: str | None = None
    """None: an address is made up from the name."""


DEFAULT_PEOPLE: Mapping[Role, Person] = {
    Role.SPSLH_AGENT: Person("Agent SPSLH"),
    Role.COMMISSION_MEMBER: Person("Membre de la commission"),
    Role.AUDITOR: Person("Auditeur"),
}


class Departement:
    """The parties of one deployment, registered through the application.

    ``people`` names the SPSLH agent, the commission member, the auditor and, if given, a
    platform administrator with a staff account.
    """

    def __init__(
        self,
        app: AspeApplication,
        clock: Clock | None = None,
        password_hash: str | None = None,
        people: Mapping[Role, Person] = DEFAULT_PEOPLE,
    ) -> None:
        self.app = app
        self.clock = clock or Clock()
        self.password_hash = password_hash or hash_password(DEFAULT_PASSWORD)
        self.associations: list[Association] = []
        self.landlords: list[tuple[UUID, str, Account]] = []
        self.accounts: list[Account] = []
        people = {**DEFAULT_PEOPLE, **people}
        with self.acting(ADMIN):
            self.spslh_id = self._organisation("SPSLH du département", OrganisationKind.SPSLH)
            self.commission_id = self._organisation("Commission FPEL", OrganisationKind.COMMISSION)
            self.platform_id = self._organisation("Plateforme ASPE", OrganisationKind.PLATFORM)
            self.spslh_agent = self.add_staff(
                self.spslh_id, Role.SPSLH_AGENT, people[Role.SPSLH_AGENT]
            )
            self.commission_member = self.add_staff(
                self.commission_id, Role.COMMISSION_MEMBER, people[Role.COMMISSION_MEMBER]
            )
            self.auditor = self.add_staff(self.platform_id, Role.AUDITOR, people[Role.AUDITOR])
            self.admin = (
                self.add_staff(self.platform_id, Role.ADMIN, people[Role.ADMIN])
                if Role.ADMIN in people
                else None
            )

    @contextmanager
    def acting(self, actor: Actor) -> Iterator[None]:
        with acting_as(actor, clock=self.clock):
            yield

    def _organisation(
        self, name: str, kind: OrganisationKind, category: LandlordCategory | None = None
    ) -> UUID:
        return self.app.register_organisation(name, kind, category).id

    def add_staff(
        self,
        organisation_id: UUID,
        role: Role,
        person: Person | str,
        diploma: Diploma = Diploma.NONE,
    ) -> Account:
        """A staff account (run it as ``ADMIN``), all with the département's one password."""
        person = Person(person) if isinstance(person, str) else person
        email = person.email or f"{_slug(person.name)}.{uuid4().hex[:6]}@aspe.test"
        staff_id = self.app.register_staff(
            organisation_id, role, person.name, email, self.password_hash, diploma
        ).id
        account = Account(Actor(staff_id, role, organisation_id), email, person.name)
        self.accounts.append(account)
        return account

    def add_association(self, name: str, referent_names: list[str]) -> Association:
        with self.acting(ADMIN):
            association_id = self._organisation(name, OrganisationKind.ASSOCIATION)
            manager = self.add_staff(
                association_id, Role.ASSOCIATION_MANAGER, f"Responsable {name}", Diploma.CAFERUIS
            )
            referents = [
                self.add_staff(association_id, Role.REFERENT, referent, Diploma.DECESF)
                for referent in referent_names
            ]
        association = Association(association_id, name, manager, referents)
        self.associations.append(association)
        return association

    def add_unqualified_staff(self, association: Association, name: str) -> Account:
        with self.acting(ADMIN):
            return self.add_staff(association.id, Role.REFERENT, name, Diploma.DEME)

    def add_landlord(self, name: str, category: LandlordCategory) -> tuple[UUID, Account]:
        with self.acting(ADMIN):
            landlord_id = self._organisation(name, OrganisationKind.LANDLORD, category)
            staff = self.add_staff(landlord_id, Role.LANDLORD, f"Gestionnaire {name}")
        self.landlords.append((landlord_id, name, staff))
        return landlord_id, staff

    def add_household(self, by: Account, landlord_id: UUID, name: str, members: int = 3) -> UUID:
        with self.acting(by.actor):
            return self.app.register_household(
                landlord_id,
                Address("12 rue des Lilas", "69003", "Lyon"),
                name,
                "06 12 34 56 78",
                members,
            ).id


def household_actor(household_id: UUID) -> Actor:
    return Actor(household_id, Role.HOUSEHOLD)


def _slug(name: str) -> str:
    """``Inès Bernard`` → ``ines.bernard``: the ASCII local part every mail server takes."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(c if c.isalnum() else "." for c in ascii_name.lower()).strip(".")


STANDARD_OBJECTIVES = (
    Objective("obj-budget", Theme.BUDGET, "Établir un budget mensuel", "BUDGET_PLAN"),
    Objective("obj-rent", Theme.BUDGET, "Reprendre le paiement du loyer", "BUDGET_RENT_BILLS"),
    Objective("obj-landlord", Theme.MEDIATION, "Renouer avec le bailleur", "MEDIATION_LANDLORD"),
    Objective("obj-health", Theme.HEALTH, "Reprendre un suivi médical", "HEALTH_FOLLOW_UP"),
)
STANDARD_FINDINGS = (
    Finding(Theme.BUDGET, "Dette locative de quatre mois après une perte d'emploi"),
    Finding(Theme.HOUSING, "Logement suroccupé, chaudière défectueuse"),
    Finding(Theme.HEALTH, "Suivi médical interrompu depuis un an"),
)
STANDARD_COMMITMENTS = (
    Commitment(Party.HOUSEHOLD, "Payer le loyer courant et recevoir le référent chaque semaine"),
    Commitment(Party.REFERENT, "Visiter le ménage chaque semaine et l'aider dans ses démarches"),
)
STANDARD_STEPS = (Step("Budget établi"), Step("Plan d'apurement signé"))


@dataclass
class CaseStory:
    """One case's walk through the statuses, each step as the party who takes it."""

    departement: Departement
    referent: Account
    household_id: UUID
    case_id: UUID | None = None
    measure_type: MeasureType = MeasureType.SIMPLE
    duration_months: int = 12
    probation_months: int = 6

    @property
    def app(self) -> AspeApplication:
        return self.departement.app

    def _as(self, actor: Actor, command: Callable[[], object]) -> None:
        with self.departement.acting(actor):
            command()

    def open(self) -> UUID:
        with self.departement.acting(self.referent.actor):
            self.case_id = self.app.open_case(self.household_id, self.referent.actor.id).id
        return self.case_id

    def diagnose(self) -> None:
        self._as(
            self.referent.actor,
            lambda: self.app.record_diagnostic(self._id, STANDARD_FINDINGS, STANDARD_OBJECTIVES),
        )

    def submit(self) -> None:
        aid = AidRequest(Decimal("1800.00"), Decimal("2400.00"), Decimal("620.00"))
        self._as(
            self.referent.actor,
            lambda: self.app.submit_request(self._id, aid, self.measure_type, self.duration_months),
        )

    def register(self, session_in_days: int = 14) -> None:
        session = self.departement.clock.today() + timedelta(days=session_in_days)
        self._as(
            self.departement.spslh_agent.actor,
            lambda: self.app.register_request(self._id, session),
        )

    def grant(self) -> None:
        self._as(
            self.departement.commission_member.actor,
            lambda: self.app.grant_measure(
                self._id,
                self.measure_type,
                self.duration_months,
                self.probation_months,
                Decimal("1500.00"),
            ),
        )

    def notify(self) -> None:
        self._as(
            self.departement.commission_member.actor,
            lambda: self.app.notify_decision(self._id),
        )

    def draft_ceop(self) -> None:
        self._as(
            self.referent.actor,
            lambda: self.app.draft_ceop(
                self._id, STANDARD_OBJECTIVES, STANDARD_STEPS, STANDARD_COMMITMENTS
            ),
        )

    def sign_ceop(self) -> None:
        today = self.departement.clock.today()
        self._as(
            household_actor(self.household_id),
            lambda: self.app.record_ceop_signature(self._id, Signatory.HOUSEHOLD, today),
        )
        self._as(
            self.referent.actor,
            lambda: self.app.record_ceop_signature(self._id, Signatory.REFERENT, today),
        )

    def walk_to(self, status: Status) -> UUID:
        """Drive a new case to ``status`` along the ordinary path (all on the clock's day)."""
        steps: dict[Status, list[Callable[[], None]]] = {
            Status.DIAGNOSTIC: [],
            Status.SUBMITTED: [self.diagnose, self.submit],
            Status.REGISTERED: [self.diagnose, self.submit, self.register],
            Status.ADJOURNED: [self.diagnose, self.submit, self.register, self._adjourn],
            Status.REJECTED: [self.diagnose, self.submit, self.register, self._reject],
            Status.GRANTED: [self.diagnose, self.submit, self.register, self.grant, self.notify],
            Status.ACTIVE: [
                self.diagnose, self.submit, self.register, self.grant, self.notify,
                self.draft_ceop, self.sign_ceop,
            ],
            Status.STOPPED: [
                self.diagnose, self.submit, self.register, self.grant, self.notify,
                self.draft_ceop, self.sign_ceop, self._stop,
            ],
            Status.COMPLETED: [
                self.diagnose, self.submit, self.register, self.grant, self.notify,
                self.draft_ceop, self.sign_ceop, self._complete,
            ],
        }  # fmt: skip
        case_id = self.open()
        for step in steps[status]:
            step()
        return case_id

    def _adjourn(self) -> None:
        self._as(
            self.departement.commission_member.actor,
            lambda: self.app.adjourn_request(self._id, "Pièces manquantes"),
        )

    def _reject(self) -> None:
        self._as(
            self.departement.commission_member.actor,
            lambda: self.app.reject_request(self._id, "Situation ne relevant pas du FPEL"),
        )

    def _stop(self) -> None:
        self._as(
            self.departement.commission_member.actor,
            lambda: self.app.stop_measure(self._id, StopReason.HOUSEHOLD_MOVED, "Relogé"),
        )

    def _complete(self) -> None:
        clock = self.departement.clock
        saved = clock.now
        ends_on = self.app.get_case(self._id).ends_on
        assert ends_on is not None
        clock.set_day(ends_on)
        self._as(SYSTEM_ACTOR, lambda: self.app.complete_measure(self._id))
        clock.now = saved

    @property
    def _id(self) -> UUID:
        assert self.case_id is not None, "open the case first"
        return self.case_id
