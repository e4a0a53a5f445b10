"""The mutations over HTTP: each party runs its commands and gets the case as it now stands;
a refusal answers with its code and stores nothing.

Given a world and a case walked to some status (``walked``), when one party sends a mutation
through the real app, then the returned case shows the change, or the error's code is the
rule's and the store's head has not moved.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

import graphql
import pytest
from fastapi.testclient import TestClient
from strawberry.utils.str_converters import to_camel_case

from aspe.application import AspeApplication
from aspe.demo.scenarios import ADMIN, CaseStory
from aspe.domain.actors import Role
from aspe.domain.household import Household
from aspe.domain.values import Status
from aspe.graphql.schema import export_sdl

if TYPE_CHECKING:  # the test folders are not packages: their fixtures' types, for reading
    from tests.conftest import World
    from tests.gql.conftest import Api

Login = Callable[..., "Api"]
Story = Callable[..., CaseStory]
Walk = Callable[[Status], str]

OPEN_CASE = """
mutation Open($household: ID!, $referent: ID!) {
  openCase(householdId: $household, referentId: $referent) { id status referentId openedOn }
}
"""
RECORD_DIAGNOSTIC = """
mutation Diagnose($case: ID!, $findings: [FindingInput!]!, $objectives: [ObjectiveInput!]!) {
  recordDiagnostic(caseId: $case, findings: $findings, objectives: $objectives) {
    diagnostic { recordedOn findings { theme difficulty } objectives { id theme action } }
  }
}
"""
SUBMIT_REQUEST = """
mutation Submit($case: ID!, $input: SubmitRequestInput!) {
  submitRequest(caseId: $case, input: $input) {
    status request { aidRequested rentArrears monthlyRent proposedMeasure proposedDurationMonths }
  }
}
"""
REGISTER_REQUEST = """
mutation Register($case: ID!, $on: Date!) {
  registerRequest(caseId: $case, commissionSessionOn: $on) {
    status request { registeredOn commissionSessionOn }
  }
}
"""
GRANT_MEASURE = """
mutation Grant($case: ID!, $input: GrantMeasureInput!) {
  grantMeasure(caseId: $case, input: $input) {
    status decision { decidedOn measureType durationMonths probationMonths aidGranted }
  }
}
"""
RECORD_VISIT = """
mutation Visit($case: ID!, $input: RecordVisitInput!) {
  recordVisit(caseId: $case, input: $input) {
    visitsDone visits { occurredOn state kind themes householdPresent note }
  }
}
"""
RECORD_CONSENT = """
mutation Consent($case: ID!) {
  recordConsent(caseId: $case, scope: LANDLORD_DETAIL) { landlordConsent }
}
"""
REPORT_RENT = """
mutation Rent($case: ID!, $input: RentPaymentInput!, $key: String) {
  reportRentPayment(caseId: $case, input: $input, idempotencyKey: $key) {
    rentLedger { months { month amountDue amountPaid } totalDue totalPaid }
  }
}
"""
RECORD_CONTACT = """
mutation Contact($case: ID!, $input: RecordContactInput!, $key: String) {
  recordContact(caseId: $case, input: $input, idempotencyKey: $key) {
    contactsCount contacts { occurredOn channel initiatedByHousehold }
  }
}
"""
RECORD_DEBT = """
mutation Debt($case: ID!, $input: DebtInput!) {
  recordDebt(caseId: $case, input: $input) { debts { creditor amount } }
}
"""
ADJOURN = """
mutation Adjourn($case: ID!, $reason: String!) {
  adjournRequest(caseId: $case, reason: $reason) { status }
}
"""
MISSED_VISIT = """
mutation Missed($case: ID!, $visit: ID!) {
  recordMissedVisit(caseId: $case, visitId: $visit) { visits { id state } }
}
"""
REGISTER_HOUSEHOLD = """
mutation Household($input: HouseholdInput!) { registerHousehold(input: $input) { id } }
"""
RECORD_ACCOMPANIMENT = """
mutation Accompaniment($household: ID!, $input: AccompanimentInput!) {
  recordAccompaniment(householdId: $household, input: $input) { id }
}
"""
REGISTER_STAFF = """
mutation Staff($input: StaffInput!, $key: String) {
  registerStaff(input: $input, idempotencyKey: $key) { id }
}
"""
ME = "{ me { id role organisationId name } }"

READ_MODEL_TIMEOUT = 10.0
STANDARD_AID = {"amountRequested": "1800.00", "rentArrears": "2400.00", "monthlyRent": "620.00"}


def refused(api: Api, world: World, query: str, variables: dict[str, Any]) -> str:
    """The code of a mutation that must be refused, once checked that it stored nothing."""
    head = world.app.head()
    code = api.error_code(query, variables)
    assert world.app.head() == head, "a refused mutation stored events"
    return code


@pytest.fixture
def in_read_model(client: TestClient, world: World) -> Callable[[], None]:
    """Waits until the API's read models hold what the test stored directly: the world's
    application is another instance on the same store, whose saves the API's runner picks up
    on its next poll (SQLite) or notification (PostgreSQL)."""

    def wait() -> None:
        projector = client.app.state.projector  # type: ignore[attr-defined]
        projector.wait("case_file", world.app.head(), timeout=READ_MODEL_TIMEOUT)

    return wait


@pytest.fixture
def walked(story: Story, in_read_model: Callable[[], None]) -> Callable[[Status], str]:
    """``walked(status)``: the id of a new case walked to ``status``, as the API sees it."""

    def walk(status: Status) -> str:
        case_id = story().walk_to(status)
        in_read_model()
        return str(case_id)

    return walk


@pytest.fixture
def diagnosed(story: Story, in_read_model: Callable[[], None]) -> CaseStory:
    """A new case whose diagnostic is recorded: the request comes next."""
    walk = story()
    walk.walk_to(Status.DIAGNOSTIC)
    walk.diagnose()
    in_read_model()
    return walk


def amounts(item: dict[str, Any], *names: str) -> list[Decimal]:
    return [Decimal(item[name]) for name in names]


def today(world: World) -> str:
    return world.clock.today().isoformat()


def visit_input(world: World, **changes: Any) -> dict[str, Any]:
    return {"occurredOn": today(world), "kind": "HOME", "themes": ["BUDGET"], **changes}


# ------------------------------------------------------------------- the schema
def mutation_fields() -> dict[str, Any]:
    return dict(graphql.build_schema(export_sdl()).mutation_type.fields)  # type: ignore[union-attr]


NOT_COMMANDS = {"login", "markNotificationsRead"}
"""Mutations that store no event: a session, and the viewer's own inbox."""
PLATFORM_ONLY = {"archive"}
"""Commands only the platform runs (the retention clock): no person may, so no mutation."""


def test_every_command_of_the_application_is_a_mutation() -> None:
    members = vars(AspeApplication).items()
    commands = {name for name, member in members if hasattr(member, "__wrapped__")}
    commands -= PLATFORM_ONLY

    assert set(mutation_fields()) - NOT_COMMANDS == {to_camel_case(name) for name in commands}


def test_every_mutation_of_a_command_takes_an_idempotency_key() -> None:
    fields = mutation_fields().items()
    without_key = {name for name, field in fields if "idempotencyKey" not in field.args}

    assert without_key == NOT_COMMANDS


# ------------------------------------------------------------------- the path
def test_a_referent_opens_a_case_for_a_household(world: World, login: Login) -> None:
    household = world.new_household()

    case = login(world.referent).data(
        OPEN_CASE, {"household": str(household), "referent": str(world.referent.actor.id)}
    )["openCase"]

    assert case["status"] == "DIAGNOSTIC"
    assert case["referentId"] == str(world.referent.actor.id)
    assert case["openedOn"] == today(world)
    assert world.event_names(UUID(case["id"])) == ["Opened"]


def test_the_diagnostic_is_recorded_with_its_health_finding(
    world: World, login: Login, walked: Walk
) -> None:
    case_id = walked(Status.DIAGNOSTIC)
    findings = [
        {"theme": "BUDGET", "difficulty": "Dette locative de trois mois"},
        {"theme": "HEALTH", "difficulty": "Suivi médical interrompu"},
    ]
    objectives = [
        {"id": "o1", "theme": "BUDGET", "label": "Établir un budget", "action": "BUDGET_PLAN"}
    ]

    case = login(world.referent).data(
        RECORD_DIAGNOSTIC, {"case": case_id, "findings": findings, "objectives": objectives}
    )["recordDiagnostic"]

    assert case["diagnostic"] == {
        "recordedOn": today(world),
        "findings": findings,
        "objectives": [{"id": "o1", "theme": "BUDGET", "action": "BUDGET_PLAN"}],
    }


def test_a_referent_submits_the_request_with_its_aid_request(
    world: World, login: Login, diagnosed: CaseStory
) -> None:
    request = {"aidRequest": STANDARD_AID, "proposedMeasure": "REINFORCED"}

    case = login(world.referent).data(
        SUBMIT_REQUEST,
        {"case": str(diagnosed.case_id), "input": {**request, "proposedDurationMonths": 9}},
    )["submitRequest"]

    assert case["status"] == "SUBMITTED"
    submitted = case["request"]
    assert (submitted["proposedMeasure"], submitted["proposedDurationMonths"]) == ("REINFORCED", 9)
    assert amounts(submitted, "aidRequested", "rentArrears", "monthlyRent") == [
        Decimal("1800"),
        Decimal("2400"),
        Decimal("620"),
    ]


def test_the_spslh_registers_the_request_on_a_session(
    world: World, login: Login, walked: Walk
) -> None:
    case_id = walked(Status.SUBMITTED)
    session = (world.clock.today() + timedelta(days=10)).isoformat()

    case = login(world.spslh).data(REGISTER_REQUEST, {"case": case_id, "on": session})[
        "registerRequest"
    ]

    assert case["status"] == "REGISTERED"
    assert case["request"] == {"registeredOn": today(world), "commissionSessionOn": session}


def test_the_commission_grants_the_measure(world: World, login: Login, walked: Walk) -> None:
    case_id = walked(Status.REGISTERED)
    grant = {"measureType": "SIMPLE", "durationMonths": 12, "probationMonths": 6}

    case = login(world.commission).data(
        GRANT_MEASURE, {"case": case_id, "input": {**grant, "aidGranted": "1500.50"}}
    )["grantMeasure"]

    assert case["status"] == "GRANTED"
    decision = case["decision"]
    assert Decimal(decision.pop("aidGranted")) == Decimal("1500.50")
    assert decision == {
        "decidedOn": today(world),
        "measureType": "SIMPLE",
        "durationMonths": 12,
        "probationMonths": 6,
    }


def test_a_referent_records_a_visit_on_an_active_measure(
    world: World, login: Login, walked: Walk
) -> None:
    case_id = walked(Status.ACTIVE)
    visit = visit_input(world, themes=["BUDGET", "HOUSING"], note="Budget revu ensemble")

    case = login(world.referent).data(RECORD_VISIT, {"case": case_id, "input": visit})[
        "recordVisit"
    ]

    assert case["visitsDone"] == 1
    assert case["visits"] == [
        {
            "occurredOn": today(world),
            "state": "DONE",
            "kind": "HOME",
            "themes": ["BUDGET", "HOUSING"],
            "householdPresent": True,
            "note": "Budget revu ensemble",
        }
    ]


def test_the_landlord_reports_rent_on_its_tenants_measure(
    world: World, login: Login, walked: Walk
) -> None:
    case_id = walked(Status.ACTIVE)
    consent = login(world.referent).data(RECORD_CONSENT, {"case": case_id})["recordConsent"]
    month = world.clock.today().replace(day=1).isoformat()
    rent = {"month": month, "amountDue": "620.00", "amountPaid": "620.00"}

    case = login(world.landlord).data(REPORT_RENT, {"case": case_id, "input": rent})[
        "reportRentPayment"
    ]

    assert consent == {"landlordConsent": True}
    ledger = case["rentLedger"]
    assert [report["month"] for report in ledger["months"]] == [month]
    assert amounts(ledger["months"][0], "amountDue", "amountPaid") == [Decimal("620")] * 2
    assert amounts(ledger, "totalDue", "totalPaid") == [Decimal("620")] * 2


def test_a_mutation_resent_with_its_idempotency_key_runs_once(
    world: World, login: Login, walked: Walk
) -> None:
    referent = login(world.referent)
    case_id = walked(Status.ACTIVE)
    contact = {
        "occurredOn": today(world),
        "channel": "PHONE",
        "initiatedByHousehold": True,
        "householdTookPart": True,
    }
    variables = {"case": case_id, "input": contact, "key": f"contact-{uuid4().hex}"}
    first = referent.data(RECORD_CONTACT, variables)["recordContact"]
    head = world.app.head()

    again = referent.data(RECORD_CONTACT, variables)["recordContact"]

    assert again == first
    assert again["contactsCount"] == 1
    assert world.app.head() == head


# ------------------------------------------------------- organisations, accounts
def test_a_referent_registers_a_household_of_a_landlord(world: World, login: Login) -> None:
    household = {
        "landlordId": str(world.landlord_id),
        "address": {"street": "3 place Bellecour", "postcode": "69002", "city": "Lyon"},
        "name": "Ménage Martin",
        "contact": "06 00 00 00 00",
        "members": 2,
    }

    registered = login(world.referent).data(REGISTER_HOUSEHOLD, {"input": household})

    stored = world.app.load(Household, UUID(registered["registerHousehold"]["id"]))
    assert (stored.name, stored.landlord_id, stored.members) == (
        "Ménage Martin",
        world.landlord_id,
        2,
    )
    assert stored.registered_by == world.association.id


@pytest.mark.parametrize("postcode", ["6900", "690021", "69 00", "2A004"])
def test_a_household_with_a_postcode_other_than_five_digits_is_refused(
    world: World, login: Login, postcode: str
) -> None:
    # given a household whose postcode is not five digits
    household = {
        "landlordId": str(world.landlord_id),
        "address": {"street": "3 place Bellecour", "postcode": postcode, "city": "Lyon"},
        "name": "Ménage Martin",
        "contact": "06 00 00 00 00",
        "members": 2,
    }

    # when a referent registers it
    head = world.app.head()
    body = login(world.referent).run(REGISTER_HOUSEHOLD, {"input": household})

    # then it is refused next to the postcode, and nothing is stored
    assert body["errors"][0]["extensions"] == {
        "code": "INVALID_POSTCODE",
        "field": "address.postcode",
    }
    assert world.app.head() == head


def test_an_administrator_registers_a_staff_account_that_can_log_in(
    world: World, login: Login
) -> None:
    with world.acting(ADMIN):
        admin = world.departement.add_staff(world.departement.platform_id, Role.ADMIN, "Admin")
    email = f"ines.roux.{uuid4().hex[:6]}@aspe.test"
    staff = {
        "organisationId": str(world.association.id),
        "role": "REFERENT",
        "fullName": "Inès Roux",
        "email": email,
        "password": "un-mot-de-passe",
        "diploma": "DEASS",
    }

    registered = login(admin).data(REGISTER_STAFF, {"input": staff})["registerStaff"]

    me = login(email, "un-mot-de-passe").data(ME)["me"]
    assert me == {
        "id": registered["id"],
        "role": "REFERENT",
        "organisationId": str(world.association.id),
        "name": "Inès Roux",
    }


def test_a_staff_account_resent_with_its_key_is_created_once(world: World, login: Login) -> None:
    """The password is hashed again, with a new salt, for the resent request: the same
    command all the same."""
    with world.acting(ADMIN):
        admin = world.departement.add_staff(world.departement.platform_id, Role.ADMIN, "Admin")
    staff = {
        "organisationId": str(world.association.id),
        "role": "REFERENT",
        "fullName": "Paul Girard",
        "email": f"paul.girard.{uuid4().hex[:6]}@aspe.test",
        "password": "un-mot-de-passe",
    }
    variables = {"input": staff, "key": f"staff-{uuid4().hex}"}
    first = login(admin).data(REGISTER_STAFF, variables)["registerStaff"]
    head = world.app.head()

    again = login(admin).data(REGISTER_STAFF, variables)["registerStaff"]

    assert again == first
    assert world.app.head() == head


# ------------------------------------------------------------------ refusals
def test_a_duration_shorter_than_the_probation_is_refused(
    world: World, login: Login, walked: Walk
) -> None:
    case_id = walked(Status.REGISTERED)
    grant = {"measureType": "SIMPLE", "durationMonths": 3, "probationMonths": 6}

    code = refused(
        login(world.commission),
        world,
        GRANT_MEASURE,
        {"case": case_id, "input": {**grant, "aidGranted": "1500"}},
    )

    assert code == "DURATION_SHORTER_THAN_PROBATION"


def test_an_unqualified_referent_is_refused(world: World, login: Login) -> None:
    household = world.new_household()

    code = refused(
        login(world.manager),
        world,
        OPEN_CASE,
        {"household": str(household), "referent": str(world.unqualified.actor.id)},
    )

    assert code == "NOT_QUALIFIED"


def test_a_request_for_a_household_followed_by_the_fsl_is_refused(
    world: World, login: Login, diagnosed: CaseStory
) -> None:
    referent = login(world.referent)
    household = str(diagnosed.household_id)
    fsl = {"kind": "FSL", "startsOn": today(world)}
    recorded = referent.data(RECORD_ACCOMPANIMENT, {"household": household, "input": fsl})
    request = {"aidRequest": STANDARD_AID, "proposedMeasure": "SIMPLE"}

    code = refused(
        referent,
        world,
        SUBMIT_REQUEST,
        {"case": str(diagnosed.case_id), "input": {**request, "proposedDurationMonths": 12}},
    )

    assert recorded == {"recordAccompaniment": {"id": household}}
    assert code == "COMBINATION_FORBIDDEN"


def test_the_landlord_may_not_record_a_visit_on_its_tenants_case(
    world: World, login: Login, walked: Walk
) -> None:
    case_id = walked(Status.ACTIVE)

    code = refused(
        login(world.landlord), world, RECORD_VISIT, {"case": case_id, "input": visit_input(world)}
    )

    assert code == "NOT_AUTHORISED"


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        (ADJOURN, {"reason": "Pièces manquantes"}),
        (RECORD_VISIT, {"input": {"occurredOn": "2026-03-02", "kind": "HOME", "themes": []}}),
    ],
    ids=["adjournRequest", "recordVisit"],
)
def test_another_associations_referent_finds_no_such_case(
    world: World,
    login: Login,
    walked: Walk,
    query: str,
    variables: dict[str, Any],
) -> None:
    case_id = walked(Status.ACTIVE)
    stranger = login(world.other_association.referents[0])

    code = refused(stranger, world, query, {"case": case_id, **variables})

    assert code == "NOT_FOUND"


def test_a_mutation_without_a_token_is_unauthenticated(
    world: World, anonymous: Api, walked: Walk
) -> None:
    case_id = walked(Status.ACTIVE)

    code = refused(anonymous, world, RECORD_VISIT, {"case": case_id, "input": visit_input(world)})

    assert code == "UNAUTHENTICATED"


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        (RECORD_DEBT, {"input": {"creditor": "EDF", "amount": "-10", "creditorIsLandlord": False}}),
        (RECORD_DEBT, {"input": {"creditor": "EDF", "amount": "NaN", "creditorIsLandlord": False}}),
        (RECORD_DEBT, {"input": {"creditor": "  ", "amount": "10", "creditorIsLandlord": False}}),
        (MISSED_VISIT, {"visit": "not-an-id"}),
    ],
    ids=["negative amount", "not a number", "empty creditor", "malformed id"],
)
def test_invalid_values_are_refused_as_invalid_input(
    world: World,
    login: Login,
    walked: Walk,
    query: str,
    variables: dict[str, Any],
) -> None:
    case_id = walked(Status.ACTIVE)

    code = refused(login(world.referent), world, query, {"case": case_id, **variables})

    assert code == "INVALID_INPUT"


@pytest.mark.parametrize(
    "variables",
    [
        {"input": {"occurredOn": "yesterday", "kind": "HOME", "themes": []}},
        {"input": {"occurredOn": "2026-03-02", "kind": "AT_THE_CAFE", "themes": []}},
        {"input": {"occurredOn": "2026-03-02", "kind": "HOME"}},
    ],
    ids=["not a date", "unknown enum value", "missing field"],
)
def test_values_of_the_wrong_type_fail_validation(
    world: World, login: Login, walked: Walk, variables: dict[str, Any]
) -> None:
    case_id = walked(Status.ACTIVE)

    code = refused(login(world.referent), world, RECORD_VISIT, {"case": case_id, **variables})

    assert code == "GRAPHQL_VALIDATION_FAILED"
