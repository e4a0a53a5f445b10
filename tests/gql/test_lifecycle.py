"""End to end over HTTP: a case's whole life driven through ``/graphql`` by each party in turn.

The real FastAPI app on the test's store (both backends): the referent opens the case and
submits the request, the SPSLH registers it, the commission grants the measure, the household
and the referent sign the CEOP, the referent records a visit, the landlord reports the rent.
After every step each party asks for the case, and sees exactly its share (DESIGN §6).
A refused mutation returns its code and stores nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from aspe.demo.scenarios import DEFAULT_PASSWORD, Account

if TYPE_CHECKING:  # the test folders are not packages: their fixtures' types, for reading
    from tests.conftest import World
    from tests.gql.conftest import Api

SUBMITTED_ON = date(2026, 3, 2)
REGISTERED_ON = date(2026, 3, 3)
SESSION_ON = date(2026, 3, 16)
DRAFTED_ON = date(2026, 3, 17)
SIGNED_ON = date(2026, 3, 18)
MEASURE_ENDS_ON = date(2027, 3, 18)
VISITED_ON = date(2026, 3, 20)
RENT_REPORTED_ON = date(2026, 4, 6)
RENT_MONTH = date(2026, 3, 1)
REPORTED_RENT = (RENT_MONTH.isoformat(), Decimal("620"), Decimal("620"))
VISIT_NOTE = "Madame évoque son traitement ; à ne pas diffuser."
PARTIES = ("referent", "spslh", "commission", "landlord", "household")

CASE = """
query Case($id: ID!) {
  case(id: $id) {
    id status landlordConsent
    household { name city contact }
    diagnostic { findings { theme difficulty } }
    request { submittedOn aidRequested rentArrears commissionSessionOn }
    decision { measureType durationMonths probationMonths aidGranted notifiedOn startsOn endsOn }
    ceop {
      version objectives { id theme } commitments { party }
      signatures { signatory signedOn } signedOn transmittedOn
    }
    visits { occurredOn kind themes note }
    visitsDone
    rentLedger { months { month amountDue amountPaid } }
  }
}
"""
AGENDA = "query Agenda($on: Date) { commissionAgenda(sessionOn: $on) { id } }"
TENANCIES = "{ landlordTenancies { id status } }"

REGISTER_HOUSEHOLD = """
mutation Register($landlordId: ID!) {
  registerHousehold(input: {
    landlordId: $landlordId, name: "Ménage Durand", contact: "06 12 34 56 78", members: 3,
    address: {street: "12 rue des Lilas", postcode: "69003", city: "Lyon"}
  }) { id }
}
"""
OPEN_HOUSEHOLD_ACCOUNT = """
mutation Account($householdId: ID!, $email: String!, $password: String!) {
  openHouseholdAccount(householdId: $householdId, email: $email, password: $password) { id }
}
"""
RECORD_ACCOMPANIMENT = """
mutation Fsl($householdId: ID!, $startsOn: Date!) {
  recordAccompaniment(householdId: $householdId, input: {kind: FSL, startsOn: $startsOn}) {
    id
  }
}
"""
OPEN_CASE = """
mutation Open($householdId: ID!, $referentId: ID!) {
  openCase(householdId: $householdId, referentId: $referentId) { id status }
}
"""
RECORD_DIAGNOSTIC = """
mutation Diagnose($caseId: ID!) {
  recordDiagnostic(
    caseId: $caseId,
    findings: [
      {theme: BUDGET, difficulty: "Dette locative de quatre mois"},
      {theme: HEALTH, difficulty: "Suivi médical interrompu"}
    ],
    objectives: [
      {id: "obj-rent", theme: BUDGET, label: "Reprendre le paiement du loyer"},
      {id: "obj-health", theme: HEALTH, label: "Reprendre un suivi médical"}
    ]
  ) { id status }
}
"""
SUBMIT_REQUEST = """
mutation Submit($caseId: ID!) {
  submitRequest(caseId: $caseId, input: {
    aidRequest: {amountRequested: "1800.00", rentArrears: "2400.00", monthlyRent: "620.00"},
    proposedMeasure: SIMPLE, proposedDurationMonths: 12
  }) { id status }
}
"""
REGISTER_REQUEST = """
mutation RegisterRequest($caseId: ID!, $sessionOn: Date!) {
  registerRequest(caseId: $caseId, commissionSessionOn: $sessionOn) { id status }
}
"""
GRANT_MEASURE = """
mutation Grant($caseId: ID!, $durationMonths: Int!, $probationMonths: Int!) {
  grantMeasure(caseId: $caseId, input: {
    measureType: SIMPLE, durationMonths: $durationMonths,
    probationMonths: $probationMonths, aidGranted: "1500.00"
  }) { id status }
}
"""
NOTIFY_DECISION = "mutation Notify($caseId: ID!) { notifyDecision(caseId: $caseId) { id } }"
DRAFT_CEOP = """
mutation Draft($caseId: ID!) {
  draftCeop(caseId: $caseId, input: {
    objectives: [
      {id: "obj-rent", theme: BUDGET, label: "Reprendre le paiement du loyer"},
      {id: "obj-health", theme: HEALTH, label: "Reprendre un suivi médical"}
    ],
    steps: [{label: "Budget établi"}],
    commitments: [
      {party: HOUSEHOLD, text: "Payer le loyer courant et recevoir le référent"},
      {party: REFERENT, text: "Visiter le ménage chaque semaine"}
    ]
  }) { id status }
}
"""
SIGN_CEOP = """
mutation Sign($caseId: ID!, $signatory: Signatory!, $signedOn: Date!) {
  recordCeopSignature(caseId: $caseId, signatory: $signatory, signedOn: $signedOn) {
    id status
  }
}
"""
TRANSMIT_CEOP = "mutation Transmit($caseId: ID!) { transmitCeop(caseId: $caseId) { id } }"
RECORD_VISIT = """
mutation Visit($caseId: ID!, $on: Date!, $note: String!) {
  recordVisit(caseId: $caseId, input: {
    occurredOn: $on, kind: HOME, themes: [BUDGET, HEALTH], note: $note
  }) { id visitsDone }
}
"""
REPORT_RENT = """
mutation Rent($caseId: ID!, $month: Date!) {
  reportRentPayment(caseId: $caseId, input: {
    month: $month, amountDue: "620.00", amountPaid: "620.00"
  }) { id }
}
"""
RECORD_CONSENT = """
mutation Consent($caseId: ID!) {
  recordConsent(caseId: $caseId, scope: LANDLORD_DETAIL) { id landlordConsent }
}
"""


class Journey:
    """One household's case walked over HTTP, each step as the party who takes it, on its day.

    A step walks the steps before it (``grant`` submits and registers first), so a test names
    the furthest step it needs.
    """

    def __init__(self, world: World, client: TestClient, login: Callable[..., Api]) -> None:
        self.world = world
        self.client = client
        self.login = login
        self.sessions: dict[str, Api] = {}
        self.household_id = ""
        self.household_email = f"famille.durand.{uuid4().hex[:8]}@aspe.test"
        self.case_id = ""

    # ------------------------------------------------------------------ parties
    def account(self, party: str) -> Account | str:
        if party == "household":
            return self.household_email
        return {
            "referent": self.world.referent,
            "spslh": self.world.spslh,
            "commission": self.world.commission,
            "landlord": self.world.landlord,
        }[party]

    def as_(self, party: str) -> Api:
        """The party, logged in on the clock's day (a session does not outlive its day)."""
        if party not in self.sessions:
            self.sessions[party] = self.login(self.account(party))
        return self.sessions[party]

    def on(self, day: date) -> Journey:
        self.world.clock.set_day(day)
        self.sessions.clear()
        return self

    # -------------------------------------------------------------------- reads
    def settled(self) -> None:
        """Wait until every read model of the API holds every stored event."""
        projector = self.client.app.state.projector  # type: ignore[attr-defined]
        head = self.world.app.head()
        for name in projector.read_models:
            projector.wait(name, head)

    def seen_by(self, party: str) -> Any:
        """The case as ``party`` sees it (``None``: it may not see the case)."""
        self.settled()
        return self.as_(party).data(CASE, {"id": self.case_id})["case"]

    def views(self) -> dict[str, Any]:
        return {party: self.seen_by(party) for party in PARTIES}

    def mutate(self, party: str, mutation: str, **variables: Any) -> dict[str, Any]:
        data = self.as_(party).data(mutation, {"caseId": self.case_id, **variables})
        result: dict[str, Any] = next(iter(data.values()))
        return result

    def refused(self, party: str, mutation: str, **variables: Any) -> str:
        """The code of a refused mutation; it must have stored nothing."""
        head = self.world.app.head()
        code = self.as_(party).error_code(mutation, {"caseId": self.case_id, **variables})
        assert self.world.app.head() == head, "a refused mutation stored events"
        return code

    # -------------------------------------------------------------------- steps
    def register_household(self) -> None:
        referent = self.as_("referent")
        landlord = {"landlordId": str(self.world.landlord_id)}
        self.household_id = referent.data(REGISTER_HOUSEHOLD, landlord)["registerHousehold"]["id"]
        account = {"householdId": self.household_id, "email": self.household_email}
        referent.data(OPEN_HOUSEHOLD_ACCOUNT, {**account, "password": DEFAULT_PASSWORD})

    def open_case(self) -> None:
        ids = {"householdId": self.household_id, "referentId": str(self.world.referent.actor.id)}
        self.case_id = self.as_("referent").data(OPEN_CASE, ids)["openCase"]["id"]

    def diagnose(self) -> None:
        self.open_case()
        self.mutate("referent", RECORD_DIAGNOSTIC)

    def submit(self) -> None:
        self.diagnose()
        self.mutate("referent", SUBMIT_REQUEST)

    def register(self) -> None:
        self.submit()
        self.on(REGISTERED_ON).mutate("spslh", REGISTER_REQUEST, sessionOn=SESSION_ON.isoformat())

    def grant(self) -> None:
        self.register()
        self.on(SESSION_ON).mutate(
            "commission", GRANT_MEASURE, durationMonths=12, probationMonths=6
        )
        self.mutate("commission", NOTIFY_DECISION)

    def draft_ceop(self) -> None:
        self.grant()
        self.on(DRAFTED_ON).mutate("referent", DRAFT_CEOP)

    def sign_ceop(self) -> None:
        self.draft_ceop()
        self.on(SIGNED_ON)
        for party, signatory in (("household", "HOUSEHOLD"), ("referent", "REFERENT")):
            self.mutate(party, SIGN_CEOP, signatory=signatory, signedOn=SIGNED_ON.isoformat())
        self.mutate("referent", TRANSMIT_CEOP)

    def visit(self) -> None:
        self.sign_ceop()
        self.on(VISITED_ON).mutate(
            "referent", RECORD_VISIT, on=VISITED_ON.isoformat(), note=VISIT_NOTE
        )

    def report_rent(self) -> None:
        self.visit()
        self.on(RENT_REPORTED_ON).mutate("landlord", REPORT_RENT, month=RENT_MONTH.isoformat())


@pytest.fixture
def journey(world: World, client: TestClient, login: Callable[..., Api]) -> Journey:
    """A new household of the world's landlord, registered with its own account."""
    journey = Journey(world, client, login)
    journey.on(SUBMITTED_ON).register_household()
    return journey


def themes(items: list[dict[str, Any]]) -> list[str]:
    return [item["theme"] for item in items]


def money(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def ledger(case: dict[str, Any]) -> list[tuple[str, Decimal | None, Decimal | None]]:
    """The rent ledger's months as (month, due, paid)."""
    months = case["rentLedger"]["months"]
    return [(m["month"], money(m["amountDue"]), money(m["amountPaid"])) for m in months]


# ------------------------------------------------------------------- the life
def test_during_the_diagnostic_only_the_association_and_the_household_see_the_case(
    journey: Journey,
):
    journey.diagnose()

    views = journey.views()

    assert views["spslh"] is None
    assert views["commission"] is None
    assert views["landlord"] is None
    for party in ("referent", "household"):
        case = views[party]
        assert case is not None, party
        assert case["status"] == "DIAGNOSTIC"
        assert case["household"]["name"] == "Ménage Durand"
        assert themes(case["diagnostic"]["findings"]) == ["BUDGET", "HEALTH"]
        assert case["request"] is None


def test_once_submitted_the_spslh_sees_the_request_but_no_health_item(journey: Journey):
    journey.submit()

    views = journey.views()

    spslh = views["spslh"]
    assert spslh is not None
    assert spslh["status"] == "SUBMITTED"
    assert spslh["household"]["name"] == "Ménage Durand"
    assert themes(spslh["diagnostic"]["findings"]) == ["BUDGET"]
    assert money(spslh["request"]["aidRequested"]) == Decimal("1800")
    assert money(spslh["request"]["rentArrears"]) == Decimal("2400")
    assert views["commission"] is None
    assert views["landlord"] is None
    for party in ("referent", "household"):
        assert money(views[party]["request"]["aidRequested"]) == Decimal("1800"), party


def test_once_registered_the_commission_finds_the_case_on_its_session_agenda(journey: Journey):
    journey.register()

    views = journey.views()
    commission_api = journey.as_("commission")
    agenda = commission_api.data(AGENDA, {"on": SESSION_ON.isoformat()})
    next_session = (SESSION_ON + timedelta(days=14)).isoformat()
    later = commission_api.data(AGENDA, {"on": next_session})

    assert journey.case_id in [case["id"] for case in agenda["commissionAgenda"]]
    assert journey.case_id not in [case["id"] for case in later["commissionAgenda"]]
    commission = views["commission"]
    assert commission is not None
    assert commission["status"] == "REGISTERED"
    assert commission["request"]["commissionSessionOn"] == SESSION_ON.isoformat()
    assert themes(commission["diagnostic"]["findings"]) == ["BUDGET"]
    assert views["spslh"]["status"] == "REGISTERED"
    assert views["landlord"] is None
    assert views["household"]["request"]["commissionSessionOn"] == SESSION_ON.isoformat()


def test_once_granted_the_landlord_sees_only_the_measure_its_type_and_dates(journey: Journey):
    journey.grant()

    views = journey.views()
    tenancies = journey.as_("landlord").data(TENANCIES)["landlordTenancies"]

    assert tenancies == [{"id": journey.case_id, "status": "GRANTED"}]
    landlord = views["landlord"]
    assert landlord is not None
    assert landlord["status"] == "GRANTED"
    assert landlord["landlordConsent"] is False
    assert landlord["decision"]["measureType"] == "SIMPLE"
    assert landlord["decision"]["durationMonths"] == 12
    assert landlord["decision"]["notifiedOn"] == SESSION_ON.isoformat()
    assert landlord["household"] == {"name": None, "city": None, "contact": None}
    assert landlord["diagnostic"] is None
    assert landlord["request"]["aidRequested"] is None
    assert landlord["request"]["rentArrears"] is None
    for party in ("referent", "spslh", "commission", "household"):
        decision = views[party]["decision"]
        assert money(decision["aidGranted"]) == Decimal("1500"), party
        assert decision["probationMonths"] == 6, party


def test_the_draft_ceop_shows_its_health_objective_to_the_association_and_household_only(
    journey: Journey,
):
    journey.draft_ceop()

    views = journey.views()

    for party in ("referent", "household"):
        assert themes(views[party]["ceop"]["objectives"]) == ["BUDGET", "HEALTH"], party
    for party in ("spslh", "commission"):
        assert themes(views[party]["ceop"]["objectives"]) == ["BUDGET"], party
    landlord_ceop = views["landlord"]["ceop"]
    assert landlord_ceop["objectives"] == []
    assert landlord_ceop["commitments"] == []
    assert landlord_ceop["signedOn"] is None


def test_the_household_signs_its_ceop_itself_and_the_measure_starts_that_day(journey: Journey):
    journey.sign_ceop()

    views = journey.views()

    for party in PARTIES:
        case = views[party]
        assert case is not None, party
        assert case["status"] == "ACTIVE", party
        assert case["decision"]["startsOn"] == SIGNED_ON.isoformat(), party
        assert case["decision"]["endsOn"] == MEASURE_ENDS_ON.isoformat(), party
    household_ceop = views["household"]["ceop"]
    assert household_ceop["signedOn"] == SIGNED_ON.isoformat()
    assert {s["signatory"] for s in household_ceop["signatures"]} == {"HOUSEHOLD", "REFERENT"}
    assert views["spslh"]["ceop"]["transmittedOn"] == SIGNED_ON.isoformat()
    assert views["landlord"]["ceop"]["signedOn"] is None


def test_a_visit_note_reaches_the_referent_only_and_the_household_sees_its_date_and_kind(
    journey: Journey,
):
    journey.visit()

    views = journey.views()

    referent = views["referent"]
    assert referent is not None
    assert referent["visits"] == [
        {
            "occurredOn": VISITED_ON.isoformat(),
            "kind": "HOME",
            "themes": ["BUDGET", "HEALTH"],
            "note": VISIT_NOTE,
        }
    ]
    for party in ("spslh", "commission"):
        assert views[party]["visits"] == [], party
        assert views[party]["visitsDone"] == 1, party
    assert views["landlord"]["visits"] == []
    assert views["landlord"]["visitsDone"] is None
    household = views["household"]
    assert household is not None
    assert household["visits"] == [
        {"occurredOn": VISITED_ON.isoformat(), "kind": "HOME", "themes": [], "note": None}
    ]
    assert household["visitsDone"] is None


def test_the_landlords_rent_report_reaches_the_association_and_public_services_only(
    journey: Journey,
):
    journey.report_rent()

    views = journey.views()

    for party in ("referent", "spslh", "commission"):
        assert ledger(views[party]) == [REPORTED_RENT], party
    assert views["household"]["rentLedger"] is None
    assert views["landlord"]["rentLedger"] is None, "without the household's consent"
    assert views["landlord"]["household"]["name"] is None


def test_once_the_household_consents_the_landlord_sees_its_tenant_and_its_own_reports(
    journey: Journey,
):
    journey.report_rent()

    consent = journey.mutate("household", RECORD_CONSENT)
    landlord = journey.seen_by("landlord")

    assert consent["landlordConsent"] is True
    assert landlord["landlordConsent"] is True
    assert ledger(landlord) == [REPORTED_RENT]
    assert landlord["household"] == {"name": "Ménage Durand", "city": "Lyon", "contact": None}
    assert money(landlord["request"]["rentArrears"]) == Decimal("2400")
    assert landlord["request"]["aidRequested"] is None
    assert landlord["ceop"]["signedOn"] == SIGNED_ON.isoformat()
    assert landlord["ceop"]["objectives"] == []
    assert landlord["visits"] == []
    assert journey.seen_by("household")["rentLedger"] is None


# ------------------------------------------------------------------ refusals
def test_a_duration_shorter_than_the_probation_is_refused_and_stores_nothing(journey: Journey):
    journey.register()
    journey.on(SESSION_ON)

    code = journey.refused("commission", GRANT_MEASURE, durationMonths=3, probationMonths=6)

    assert code == "DURATION_SHORTER_THAN_PROBATION"
    assert journey.seen_by("commission")["status"] == "REGISTERED"
    assert journey.seen_by("landlord") is None


def test_an_unqualified_referent_cannot_open_a_case(journey: Journey):
    unqualified = journey.login(journey.world.unqualified)
    variables = {
        "householdId": journey.household_id,
        "referentId": str(journey.world.unqualified.actor.id),
    }
    head = journey.world.app.head()

    code = unqualified.error_code(OPEN_CASE, variables)

    assert code == "NOT_QUALIFIED"
    assert journey.world.app.head() == head
    assert unqualified.data("{ cases { edges { node { id } } } }")["cases"]["edges"] == []


def test_a_request_for_a_household_followed_by_the_fsl_is_refused(journey: Journey):
    fsl = {"householdId": journey.household_id, "startsOn": "2026-01-05"}
    journey.as_("referent").data(RECORD_ACCOMPANIMENT, fsl)
    journey.diagnose()

    code = journey.refused("referent", SUBMIT_REQUEST)

    assert code == "COMBINATION_FORBIDDEN"
    assert journey.seen_by("referent")["status"] == "DIAGNOSTIC"
    assert journey.seen_by("spslh") is None


def test_a_landlord_cannot_record_a_visit_on_its_tenants_measure(journey: Journey):
    journey.sign_ceop()

    code = journey.refused("landlord", RECORD_VISIT, on=SIGNED_ON.isoformat(), note="Visite")

    assert code == "NOT_AUTHORISED"
    assert journey.seen_by("referent")["visits"] == []


def test_a_landlord_cannot_act_on_a_case_before_the_grant_it_is_not_found(journey: Journey):
    journey.register()

    code = journey.refused("landlord", REGISTER_REQUEST, sessionOn=SESSION_ON.isoformat())

    assert code == "NOT_FOUND"
