"""The world of the authorization matrix: cases rich enough that every field has a value.

Built once per module through the application, each step as the party who takes it (the
matrix does not depend on the mutations). The viewer's own party is the association
"Habitat Solidaire", the landlord "Lyon Habitat" and households of their own; the other party
is another association, another landlord and another household.

Free text a role may not see carries a marker (``NOTE_MARKER``, ``HEALTH_MARKER``,
``OTHER_PARTY_MARKER``…) so a test can look for it anywhere in a response body.

``serve_world`` puts the world behind the real FastAPI app, as a client reaches it.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack, closing
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient

from aspe.api import create_app
from aspe.application import AspeApplication
from aspe.bootstrap import build_application
from aspe.demo.scenarios import (
    DEFAULT_PASSWORD,
    Account,
    Association,
    CaseStory,
    Clock,
    Departement,
    Person,
    household_actor,
)
from aspe.domain.actors import Actor, Role
from aspe.domain.values import (
    AccompanimentKind,
    AidRequest,
    Commitment,
    ConsentScope,
    ContactChannel,
    DocumentKind,
    Finding,
    LandlordCategory,
    MeasureType,
    Objective,
    ObjectiveProgress,
    Participant,
    Party,
    Status,
    Step,
    StopReason,
    SuspensionReason,
    Theme,
    VisitKind,
)
from aspe.settings import Settings

DAY_ZERO = date(2026, 3, 2)
"""A Monday: the measures start on it, so ISO weeks start with them."""
NEXT_DAY = DAY_ZERO + timedelta(days=1)
ALERT_DAY = DAY_ZERO + timedelta(days=16)
"""14 full days after the last contact (``NEXT_DAY``): the alert is due; the world's today."""

NOTE_MARKER = "NOTE-SECRETE"
HEALTH_MARKER = "SANTE-SECRETE"
OTHER_PARTY_MARKER = "AUTRE-PARTIE"
WITHOUT_LANDLORD_MARKER = "SANS-BAILLEUR"
"""In the concertation the landlord did not take part in."""
OTHER_CREDITOR_MARKER = "AUTRE-CREANCIER"
"""In the debt owed to someone else than the landlord."""

FINDINGS = (
    Finding(Theme.BUDGET, "Dette locative de quatre mois"),
    Finding(Theme.HOUSING, "Logement suroccupé"),
    Finding(Theme.HEALTH, f"{HEALTH_MARKER} constat : suivi médical interrompu"),
)
OBJECTIVES = (
    Objective("obj-budget", Theme.BUDGET, "Établir un budget mensuel", "BUDGET_PLAN"),
    Objective("obj-landlord", Theme.MEDIATION, "Renouer avec le bailleur", "MEDIATION_LANDLORD"),
    Objective("obj-health", Theme.HEALTH, f"{HEALTH_MARKER} objectif : reprendre un suivi"),
)
STEPS = (
    Step("Budget établi", DAY_ZERO + timedelta(days=30), Theme.BUDGET),
    Step("Plan d'apurement signé", theme=Theme.BUDGET),
    Step(f"{HEALTH_MARKER} étape : rendez-vous au CMP", theme=Theme.HEALTH),
)
COMMITMENTS = (
    Commitment(Party.HOUSEHOLD, "Payer le loyer courant", Theme.BUDGET),
    Commitment(Party.REFERENT, "Visiter le ménage chaque semaine", Theme.HOUSING),
    Commitment(Party.HOUSEHOLD, f"{HEALTH_MARKER} engagement : suivre le traitement", Theme.HEALTH),
)


@dataclass
class CaseUnderTest:
    """One case of the world and what the matrix needs to know of it."""

    name: str
    id: UUID
    household_id: UUID
    association_id: UUID
    landlord_id: UUID
    reached: Status
    """Where it stands: REJECTED was registered, never granted; STOPPED and COMPLETED were
    granted."""
    consent: bool = False
    household: Account | None = None

    @property
    def submitted(self) -> bool:
        return self.reached is not Status.DIAGNOSTIC

    @property
    def registered(self) -> bool:
        return self.reached not in (Status.DIAGNOSTIC, Status.SUBMITTED)

    @property
    def granted(self) -> bool:
        return self.reached in (Status.GRANTED, Status.ACTIVE, Status.STOPPED, Status.COMPLETED)


@dataclass
class MatrixWorld:
    departement: Departement
    association: Association
    other_association: Association
    landlord_id: UUID
    landlord: Account
    other_landlord_id: UUID
    other_landlord: Account
    cases: dict[str, CaseUnderTest] = field(default_factory=dict)

    @property
    def app(self) -> AspeApplication:
        return self.departement.app

    @property
    def clock(self) -> Clock:
        return self.departement.clock

    @property
    def admin(self) -> Account:
        assert self.departement.admin is not None
        return self.departement.admin

    def case_named(self, case_id: str) -> CaseUnderTest | None:
        return next((case for case in self.cases.values() if str(case.id) == case_id), None)


@dataclass
class Side:
    """Who stands on one side: an association's referent and a landlord."""

    referent: Account
    landlord_id: UUID
    landlord: Account
    association_id: UUID


class RichCase:
    """A case walked to an active measure with something in every part of DESIGN §6."""

    def __init__(
        self, world: MatrixWorld, side: Side, name: str, consent: bool, household: str
    ) -> None:
        self.world, self.side, self.name, self.consent = world, side, name, consent
        self.story = CaseStory(
            world.departement,
            side.referent,
            world.departement.add_household(side.referent, side.landlord_id, household),
        )
        self.missed_visit: UUID | None = None

    @property
    def app(self) -> AspeApplication:
        return self.world.app

    @property
    def id(self) -> UUID:
        assert self.story.case_id is not None
        return self.story.case_id

    def _as(self, who: Account | Actor, command: Callable[[], object]) -> None:
        with self.world.departement.acting(who.actor if isinstance(who, Account) else who):
            command()

    def on_day_zero(self) -> None:
        """Diagnostic, request adjourned then granted, CEOP signed, money, concertations."""
        story, referent = self.story, self.side.referent
        commission = self.world.departement.commission_member
        case_id = story.open()
        self._as(referent, lambda: self.app.record_diagnostic(case_id, FINDINGS, OBJECTIVES))
        if self.consent:
            self._as(
                referent, lambda: self.app.record_consent(case_id, ConsentScope.LANDLORD_DETAIL)
            )
        aid = AidRequest(Decimal("1800.00"), Decimal("2400.00"), Decimal("620.00"))
        self._as(
            referent, lambda: self.app.submit_request(case_id, aid, MeasureType.REINFORCED, 12)
        )
        story.register()
        self._as(commission, lambda: self.app.adjourn_request(case_id, "Pièces manquantes"))
        story.register()
        self._as(
            commission,
            lambda: self.app.grant_measure(
                case_id, MeasureType.REINFORCED, 12, 6, Decimal("1500.00")
            ),
        )
        story.notify()
        self._as(referent, lambda: self.app.draft_ceop(case_id, OBJECTIVES, STEPS, COMMITMENTS))
        story.sign_ceop()
        self._with_measure_started(referent, commission)

    def _with_measure_started(self, referent: Account, commission: Account) -> None:
        app, case_id = self.app, self.id
        self._as(referent, lambda: app.transmit_ceop(case_id))
        self._as(
            referent,
            lambda: app.record_objective_progress(
                case_id, "obj-budget", ObjectiveProgress.IN_PROGRESS, f"{NOTE_MARKER} progrès"
            ),
        )
        self._debts(referent)
        self._concertations(referent)
        self._documents(referent)
        self._as(
            commission,
            lambda: app.issue_commission_invitation(case_id, DAY_ZERO + timedelta(days=28)),
        )
        self._as(commission, lambda: app.extend_measure(case_id, 3, "Objectifs en cours"))
        with self.world.departement.acting(self.side.landlord.actor):
            for month, paid in ((date(2026, 2, 1), "0.00"), (date(2026, 3, 1), "620.00")):
                app.report_rent_payment(case_id, month, Decimal("620.00"), Decimal(paid))
        self._schedule(DAY_ZERO + timedelta(days=30))
        self.missed_visit = self._schedule(NEXT_DAY)
        self._combination_settled(commission)

    def _combination_settled(self, commission: Account) -> None:
        """R9: an FSL accompaniment reported during the measure, and the commission's
        reasoned decision that the measure goes on."""
        app, case_id, household_id = self.app, self.id, self.story.household_id
        starts_on = DAY_ZERO + timedelta(days=60)
        self._as(
            self.world.departement.spslh_agent,
            lambda: app.record_accompaniment(
                household_id, AccompanimentKind.FSL, starts_on, starts_on + timedelta(days=90)
            ),
        )
        self._as(
            commission,
            lambda: app.settle_combination_conflict(case_id, "Le FSL ne porte que sur l'énergie"),
        )

    def _debts(self, referent: Account) -> None:
        app, case_id = self.app, self.id
        for creditor, amount, to_landlord in (
            ("Lyon Habitat (loyers)", "2400.00", True),
            (f"Fournisseur d'énergie {OTHER_CREDITOR_MARKER}", "300.00", False),
        ):
            with self.world.departement.acting(referent.actor):
                debt = app.record_debt(case_id, creditor, Decimal(amount), to_landlord).id
                app.agree_repayment_plan(
                    case_id, debt, Decimal("50.00"), DAY_ZERO + timedelta(days=30), 6
                )

    def _documents(self, referent: Account) -> None:
        """A lease, and a medical certificate (a HEALTH item: its name carries the marker)."""
        app, case_id = self.app, self.id
        with self.world.departement.acting(referent.actor):
            for kind, filename, digit in (
                (DocumentKind.LEASE, "bail.pdf", "a"),
                (DocumentKind.MEDICAL, f"{HEALTH_MARKER} certificat.pdf", "b"),
            ):
                app.attach_document(case_id, kind, filename, "application/pdf", 1024, digit * 64)

    def _concertations(self, referent: Account) -> None:
        app, case_id = self.app, self.id
        landlord = Participant("Gestionnaire du bailleur", self.side.landlord_id)
        with self.world.departement.acting(referent.actor):
            app.hold_concertation(
                case_id, DAY_ZERO, "Plan d'apurement", [landlord], "Plan accepté par le bailleur"
            )
            app.hold_concertation(
                case_id,
                DAY_ZERO,
                f"Ouverture des droits {WITHOUT_LANDLORD_MARKER}",
                [Participant("CAF")],
                "Dossier déposé",
            )

    def _schedule(self, on: date) -> UUID:
        planned_at = datetime.combine(on, time(14, 0), tzinfo=UTC)
        with self.world.departement.acting(self.side.referent.actor):
            return self.app.schedule_visit(self.id, planned_at, VisitKind.HOME).id

    def on_next_day(self) -> None:
        """A visit done (a HEALTH theme among others), one missed, a contact: all with notes."""
        app, case_id, missed = self.app, self.id, self.missed_visit
        assert missed is not None
        with self.world.departement.acting(self.side.referent.actor):
            app.record_visit(
                case_id,
                NEXT_DAY,
                VisitKind.HOME,
                [Theme.BUDGET, Theme.HEALTH],
                f"{NOTE_MARKER} visite",
            )
            app.record_missed_visit(case_id, missed, f"{NOTE_MARKER} absence")
            app.record_contact(
                case_id,
                NEXT_DAY,
                ContactChannel.PHONE,
                True,
                [Theme.HEALTH, Theme.EMPLOYMENT],
                f"{NOTE_MARKER} appel",
            )

    def on_alert_day(self) -> None:
        """Silent for 14 days: the alert; then the clock suspended for a hospitalisation."""
        app, case_id = self.app, self.id
        with self.world.departement.acting(self.side.referent.actor):
            app.raise_non_collaboration_alert(case_id)
            app.suspend_alert_clock(
                case_id,
                ALERT_DAY + timedelta(days=1),
                ALERT_DAY + timedelta(days=8),
                SuspensionReason.HOSPITALISATION,
                f"{NOTE_MARKER} hospitalisation",
            )

    def under_test(self) -> CaseUnderTest:
        return CaseUnderTest(
            self.name,
            self.id,
            self.story.household_id,
            self.side.association_id,
            self.side.landlord_id,
            Status.ACTIVE,
            self.consent,
        )


def build_world(app: AspeApplication, clock: Clock, password_hash: str) -> MatrixWorld:
    """The département, the rich cases of both parties, the closed ones and one per stage."""
    clock.set_day(DAY_ZERO)
    departement = Departement(app, clock, password_hash, {Role.ADMIN: Person("Thomas Perrin")})
    association = departement.add_association("Habitat Solidaire", ["Claire Martin"])
    other = departement.add_association("Entraide Logement", ["Inès Bernard"])
    landlord_id, landlord = departement.add_landlord("Lyon Habitat", LandlordCategory.SOCIAL)
    other_id, other_landlord = departement.add_landlord("SCI Bellecour", LandlordCategory.PRIVATE)
    world = MatrixWorld(
        departement, association, other, landlord_id, landlord, other_id, other_landlord
    )
    own = Side(association.referents[0], landlord_id, landlord, association.id)
    theirs = Side(other.referents[0], other_id, other_landlord, other.id)
    rich = [
        RichCase(world, own, "rich", True, "Ménage Durand"),
        RichCase(world, own, "rich_no_consent", False, "Ménage Martin"),
        RichCase(world, theirs, "other", True, f"Ménage {OTHER_PARTY_MARKER}"),
    ]
    for case in rich:
        case.on_day_zero()
    _closed_and_staged(world, own)
    clock.set_day(NEXT_DAY)
    for case in rich:
        case.on_next_day()
    _stop(world, "closed")
    _stop(world, "closed_no_consent")
    clock.set_day(ALERT_DAY)
    for case in rich:
        case.on_alert_day()
    for case in rich:
        world.cases[case.name] = case.under_test()
    _open_household_accounts(world)
    return world


def _closed_and_staged(world: MatrixWorld, own: Side) -> None:
    """Cases that ended (stopped, completed, rejected) and cases stopped at each stage."""
    departement = world.departement
    walks = {
        "closed": (Status.ACTIVE, True),
        "closed_no_consent": (Status.ACTIVE, False),
        "completed": (Status.COMPLETED, True),
        "rejected": (Status.REJECTED, False),
        "diagnostic": (Status.DIAGNOSTIC, False),
        "submitted": (Status.SUBMITTED, False),
        "registered": (Status.REGISTERED, False),
        "granted": (Status.GRANTED, False),
    }
    for name, (status, consent) in walks.items():
        household_id = departement.add_household(own.referent, own.landlord_id, f"Ménage {name}")
        story = CaseStory(departement, own.referent, household_id)
        case_id = story.walk_to(status)
        if consent:
            with departement.acting(own.referent.actor):
                world.app.record_consent(case_id, ConsentScope.LANDLORD_DETAIL)
        if status is Status.COMPLETED:
            _report(world, case_id)
        reached = Status.STOPPED if name.startswith("closed") else status
        world.cases[name] = CaseUnderTest(
            name, case_id, household_id, own.association_id, own.landlord_id, reached, consent
        )


def _stop(world: MatrixWorld, name: str) -> None:
    case_id = world.cases[name].id
    with world.departement.acting(world.departement.commission_member.actor):
        world.app.stop_measure(case_id, StopReason.HOUSEHOLD_MOVED, "Relogé par Action Logement")
    _report(world, case_id)


def _report(world: MatrixWorld, case_id: UUID) -> None:
    with world.departement.acting(world.association.referents[0].actor):
        world.app.submit_final_report(case_id, True, "Le ménage est relogé, la dette soldée.")


def _open_household_accounts(world: MatrixWorld) -> None:
    """Every case's household logs in (the other party's with its own referent)."""
    for case in world.cases.values():
        referent = (
            world.association.referents[0]
            if case.association_id == world.association.id
            else world.other_association.referents[0]
        )
        email = f"menage.{case.name}@aspe.test"
        with world.departement.acting(referent.actor):
            world.app.open_household_account(
                case.household_id, email, world.departement.password_hash
            )
        case.household = Account(household_actor(case.household_id), email, case.name)


# ------------------------------------------------------------------ the served world
LOGIN = """
mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) { token }
}
"""


def matrix_settings(base: Settings) -> Settings:
    """The test's store, read models kept in the API process; the abuse limits (tested on
    their own) are lifted so one document can ask a field of every case, four ways."""
    return base.model_copy(
        update={
            "projections_in_process": True,
            "graphql_max_aliases": 100_000,
            "graphql_max_tokens": 10_000_000,
            "graphql_max_cost": 10**15,
            "max_request_bytes": 10_000_000,
        }
    )


@dataclass
class Served:
    """The matrix world behind the real app, and the tokens of its accounts."""

    world: MatrixWorld
    client: TestClient
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, account: Account) -> str:
        if account.email not in self.tokens:
            body = self.ask(None, LOGIN, {"email": account.email, "password": DEFAULT_PASSWORD})
            self.tokens[account.email] = body["data"]["login"]["token"]
        return self.tokens[account.email]

    def ask(
        self, account: Account | None, query: str, variables: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The JSON body of ``query`` posted as ``account`` (``None``: anonymously)."""
        headers = {} if account is None else {"Authorization": f"Bearer {self.token(account)}"}
        response = self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def data(self, account: Account, query: str) -> dict[str, Any]:
        body = self.ask(account, query)
        assert not body.get("errors"), body["errors"]
        data: dict[str, Any] = body["data"]
        return data


def serve_world(settings: Settings, password_hash: str, stack: ExitStack) -> Served:
    """The world built on ``settings``'s store, served by the real app (closed by ``stack``)
    once its read models hold every event."""
    app = stack.enter_context(closing(build_application(settings)))
    clock = Clock()
    world = build_world(app, clock, password_hash)
    client = stack.enter_context(TestClient(create_app(settings, clock=clock)))
    projector = client.app.state.projector  # type: ignore[attr-defined]
    for name in projector.read_models:
        projector.wait(name, app.head(), timeout=60)
    return Served(world, client)
