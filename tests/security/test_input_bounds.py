"""Input hygiene: a bad character, an over-long text, an implausible date or duration is
refused with INVALID_INPUT before anything is stored, whatever the command.

Given a world and a case walked to the status the command needs, when a party sends the
mutation over HTTP with the hostile value, then the answer is INVALID_INPUT and the store's
head has not moved; ordinary text (newlines, tabs, a browser's CRLF) still goes through.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import closing
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient

from aspe.bootstrap import build_application
from aspe.demo.scenarios import Account, CaseStory
from aspe.domain.bounds import DEFAULT_BOUNDS
from aspe.domain.errors import InvalidInput
from aspe.domain.values import Status, Theme, VisitKind
from aspe.portal.new_case import URL as NEW_HOUSEHOLD
from aspe.settings import Settings
from tests.gql.conftest import LOGIN

if TYPE_CHECKING:  # the test folders are not packages: their fixtures' types, for reading
    from tests.conftest import World
    from tests.gql.conftest import Api
    from tests.portal.conftest import Visitor

Login = Callable[..., "Api"]
Walk = Callable[[Status], str]

REGISTER_HOUSEHOLD = """
mutation Household($input: HouseholdInput!) { registerHousehold(input: $input) { id } }
"""
RECORD_VISIT = """
mutation Visit($case: ID!, $input: RecordVisitInput!) {
  recordVisit(caseId: $case, input: $input) { visits { note } }
}
"""
GRANT_MEASURE = """
mutation Grant($case: ID!, $input: GrantMeasureInput!) {
  grantMeasure(caseId: $case, input: $input) { status }
}
"""
SUBMIT_REQUEST = """
mutation Submit($case: ID!, $input: SubmitRequestInput!) {
  submitRequest(caseId: $case, input: $input) { status }
}
"""
EXTEND_MEASURE = """
mutation Extend($case: ID!, $months: Int!) {
  extendMeasure(caseId: $case, additionalMonths: $months, reason: "Objectifs en cours") { status }
}
"""
SUSPEND = """
mutation Suspend($case: ID!, $input: SuspensionInput!) {
  suspendAlertClock(caseId: $case, input: $input) { status }
}
"""
HOLD_CONCERTATION = """
mutation Concertation($case: ID!, $input: ConcertationInput!) {
  holdConcertation(caseId: $case, input: $input) { status }
}
"""
REGISTER_REQUEST = """
mutation Register($case: ID!, $on: Date!) {
  registerRequest(caseId: $case, commissionSessionOn: $on) { status }
}
"""
STANDARD_AID = {"amountRequested": "1800.00", "rentArrears": "2400.00", "monthlyRent": "620.00"}
MAX_INT = 2**31 - 1
"""The largest GraphQL Int."""


@pytest.fixture
def in_read_model(client: TestClient, world: World) -> Callable[[], None]:
    """Waits until the API's read model holds what the test stored directly."""

    def wait() -> None:
        projector = client.app.state.projector  # type: ignore[attr-defined]
        projector.wait("case_file", world.app.head(), timeout=10.0)

    return wait


@pytest.fixture
def walked(
    story: Callable[..., CaseStory], in_read_model: Callable[[], None]
) -> Callable[[Status], str]:
    """``walked(status)``: a new case walked to ``status``, as the API sees it."""

    def walk(status: Status) -> str:
        case_id = story().walk_to(status)
        in_read_model()
        return str(case_id)

    return walk


def refused(api: Api, world: World, query: str, variables: dict[str, Any]) -> str:
    """The code of a mutation that must be refused, once checked that it stored nothing."""
    head = world.app.head()
    code = api.error_code(query, variables)
    assert world.app.head() == head, "a refused mutation stored events"
    return code


def household(world: World, name: str) -> dict[str, Any]:
    return {
        "input": {
            "landlordId": str(world.landlord_id),
            "address": {"street": "12 rue Garibaldi", "postcode": "69003", "city": "Lyon"},
            "name": name,
            "contact": "06 12 34 56 78",
            "members": 3,
        }
    }


def visit(world: World, note: str = "", on: date | None = None) -> dict[str, Any]:
    day = on or world.clock.today()
    return {"occurredOn": day.isoformat(), "kind": "HOME", "themes": ["BUDGET"], "note": note}


def suspension(starts_on: date, ends_on: date) -> dict[str, Any]:
    return {"startsOn": starts_on.isoformat(), "endsOn": ends_on.isoformat(), "reason": "OTHER"}


# --------------------------------------------------------------------- characters
def test_a_nul_in_a_household_name_is_refused(world: World, login: Login) -> None:
    code = refused(login(world.referent), world, REGISTER_HOUSEHOLD, household(world, "Nul\0Nom"))

    assert code == "INVALID_INPUT"


def post_escaped(client: TestClient, body: dict[str, Any], token: str | None = None) -> Any:
    """Post ``body`` as JSON escaped to ASCII: a lone surrogate travels as ``\\ud800``, valid
    JSON that decodes to no valid text (an HTTP client would refuse to encode it raw)."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return client.post("/graphql", content=json.dumps(body).encode("ascii"), headers=headers)


def code_of(response: Any) -> str:
    assert response.status_code == 200, response.text
    code: str = response.json()["errors"][0]["extensions"]["code"]
    return code


def test_a_lone_surrogate_in_a_json_variable_is_refused(
    world: World, login: Login, client: TestClient
) -> None:
    api = login(world.referent)
    body = {"query": REGISTER_HOUSEHOLD, "variables": household(world, "Surrogate\ud800")}
    head = world.app.head()

    response = post_escaped(client, body, api.token)

    assert code_of(response) == "INVALID_INPUT"
    assert world.app.head() == head


def test_a_lone_surrogate_in_a_login_is_a_wrong_login_not_an_internal_error(
    world: World, client: TestClient
) -> None:
    for email, password in (("claire\ud800@aspe.test", "x"), (world.referent.email, "mot\udfff")):
        body = {"query": LOGIN, "variables": {"email": email, "password": password}}

        assert code_of(post_escaped(client, body)) == "INVALID_CREDENTIALS"


def test_a_bell_in_a_visit_note_is_refused(world: World, login: Login, walked: Walk) -> None:
    case_id = walked(Status.ACTIVE)

    code = refused(
        login(world.referent),
        world,
        RECORD_VISIT,
        {"case": case_id, "input": visit(world, "Sonnette\a")},
    )

    assert code == "INVALID_INPUT"


def test_newlines_tabs_and_a_browsers_crlf_are_text(
    world: World, login: Login, walked: Walk
) -> None:
    case_id = walked(Status.ACTIVE)
    note = "Budget revu.\r\nPlan d'apurement :\n\t- loyer courant\n\t- 50 € par mois"

    case = login(world.referent).data(RECORD_VISIT, {"case": case_id, "input": visit(world, note)})[
        "recordVisit"
    ]

    assert [item["note"] for item in case["visits"]] == [note]


# --------------------------------------------------------------------- lengths
def test_a_note_one_character_over_the_bound_is_refused(
    world: World, login: Login, walked: Walk
) -> None:
    case_id = walked(Status.ACTIVE)
    api = login(world.referent)
    longest = "a" * DEFAULT_BOUNDS.max_text_length

    code = refused(
        api, world, RECORD_VISIT, {"case": case_id, "input": visit(world, longest + "a")}
    )

    assert code == "INVALID_INPUT"
    assert api.data(RECORD_VISIT, {"case": case_id, "input": visit(world, longest)})


# --------------------------------------------------------------------- durations
def test_a_grant_of_two_to_the_31_months_is_refused(
    world: World, login: Login, walked: Walk
) -> None:
    case_id = walked(Status.REGISTERED)
    grant = {"measureType": "SIMPLE", "probationMonths": 6, "aidGranted": "1500.00"}

    for months in (MAX_INT, DEFAULT_BOUNDS.max_measure_months + 1):
        code = refused(
            login(world.commission),
            world,
            GRANT_MEASURE,
            {"case": case_id, "input": {**grant, "durationMonths": months}},
        )

        assert code == "INVALID_INPUT"


def test_a_request_proposing_two_to_the_31_months_is_refused(
    world: World, login: Login, story: Callable[..., CaseStory], in_read_model: Callable[[], None]
) -> None:
    walk = story()
    walk.walk_to(Status.DIAGNOSTIC)
    walk.diagnose()
    in_read_model()
    request = {"aidRequest": STANDARD_AID, "proposedMeasure": "SIMPLE"}

    code = refused(
        login(world.referent),
        world,
        SUBMIT_REQUEST,
        {"case": str(walk.case_id), "input": {**request, "proposedDurationMonths": MAX_INT}},
    )

    assert code == "INVALID_INPUT"


def test_an_extension_beyond_the_longest_measure_is_refused(
    world: World, login: Login, walked: Walk
) -> None:
    case_id = walked(Status.ACTIVE)  # a measure of 12 months
    over = DEFAULT_BOUNDS.max_measure_months - 12 + 1

    for months in (MAX_INT, over):
        code = refused(
            login(world.commission), world, EXTEND_MEASURE, {"case": case_id, "months": months}
        )

        assert code == "INVALID_INPUT"


def test_a_suspension_to_the_end_of_time_or_past_the_bound_is_refused(
    world: World, login: Login, walked: Walk
) -> None:
    case_id = walked(Status.ACTIVE)
    api = login(world.referent)
    today = world.clock.today()
    longest = today + timedelta(days=DEFAULT_BOUNDS.max_suspension_days - 1)

    for ends_on in (date(9999, 12, 31), longest + timedelta(days=1)):
        code = refused(api, world, SUSPEND, {"case": case_id, "input": suspension(today, ends_on)})

        assert code == "INVALID_INPUT"
    assert api.data(SUSPEND, {"case": case_id, "input": suspension(today, longest)})


# --------------------------------------------------------------------- dates
def test_a_visit_two_hundred_years_ago_is_refused(world: World, login: Login, walked: Walk) -> None:
    case_id = walked(Status.ACTIVE)
    long_ago = world.clock.today() - timedelta(days=200 * 365)

    code = refused(
        login(world.referent),
        world,
        RECORD_VISIT,
        {"case": case_id, "input": visit(world, on=long_ago)},
    )

    assert code == "INVALID_INPUT"


def test_a_concertation_two_hundred_years_ago_is_refused(
    world: World, login: Login, walked: Walk
) -> None:
    case_id = walked(Status.ACTIVE)
    concertation = {
        "heldOn": (world.clock.today() - timedelta(days=200 * 365)).isoformat(),
        "subject": "Plan d'apurement",
        "participants": [{"label": "Bailleur"}],
    }

    code = refused(
        login(world.referent), world, HOLD_CONCERTATION, {"case": case_id, "input": concertation}
    )

    assert code == "INVALID_INPUT"


def test_a_commission_session_in_the_year_9999_is_refused(
    world: World, login: Login, walked: Walk
) -> None:
    case_id = walked(Status.SUBMITTED)

    code = refused(
        login(world.spslh), world, REGISTER_REQUEST, {"case": case_id, "on": "9999-12-31"}
    )

    assert code == "INVALID_INPUT"


# --------------------------------------------------------------------- the portal
def test_the_new_household_form_with_a_nul_comes_back_in_french(
    logged_in: Callable[[Account | str], Visitor], world: World
) -> None:
    # given the referent's home
    browser = logged_in(world.referent)
    head = world.app.head()
    form = {
        "nom": "Ménage\0Lefèvre",
        "rue": "12 rue Garibaldi",
        "code_postal": "69003",
        "commune": "Lyon",
        "contact": "06 12 34 56 78",
        "membres": "4",
        "bailleur": str(world.landlord_id),
    }

    # when the form is posted with a NUL in the name
    response = browser.post_form(NEW_HOUSEHOLD, form, from_page="/")

    # then it comes back (422) saying so, in French, and nothing is stored
    assert response.status_code == 422, response.text
    assert "contient un caractère non autorisé" in response.text
    assert world.app.head() == head


# --------------------------------------------------------------------- settings
def test_the_bounds_are_the_settings(
    world: World, settings: Settings, story: Callable[..., CaseStory]
) -> None:
    # given an application whose settings allow shorter notes than the default
    case_id = story().walk_to(Status.ACTIVE)
    strict = build_application(settings.model_copy(update={"max_text_length": 300}))
    head = world.app.head()

    # when a note of 301 characters is recorded through it
    with closing(strict), world.acting(world.referent), pytest.raises(InvalidInput) as caught:
        strict.record_visit(case_id, world.clock.today(), VisitKind.HOME, [Theme.BUDGET], "a" * 301)

    # then it is refused, saying why, and nothing is stored
    assert "dépasse 300 caractères" in caught.value.message
    assert world.app.head() == head


def test_a_lone_surrogate_in_an_idempotency_key_is_refused(
    world: World, login: Login, client: TestClient
) -> None:
    api = login(world.referent)
    body = {
        "query": REGISTER_HOUSEHOLD.replace(
            "registerHousehold(input: $input)",
            "registerHousehold(input: $input, idempotencyKey: $key)",
        ).replace("($input: HouseholdInput!)", "($input: HouseholdInput!, $key: String)"),
        "variables": {**household(world, "Ménage Durand"), "key": "clé\ud800"},
    }
    head = world.app.head()

    assert code_of(post_escaped(client, body, api.token)) == "INVALID_INPUT"
    assert world.app.head() == head


def test_a_lone_surrogate_in_the_query_or_bytes_that_are_not_utf8_are_client_errors(
    world: World, login: Login, client: TestClient
) -> None:
    token = login(world.referent).token
    in_comment = post_escaped(client, {"query": "{ me { name } } # \ud800"}, token)
    in_literal = post_escaped(client, {"query": '{ case(id: "\ud800") { id } }'}, token)
    not_utf8 = client.post(
        "/graphql",
        content=b'{"query": "{ me { name } }", "x": "\xff"}',
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )

    for response in (in_comment, in_literal, not_utf8):
        assert response.status_code < 500, response.text
        assert "INTERNAL_ERROR" not in response.text
