"""The household's right of rectification over the API: its referent, its association's
manager or the SPSLH corrects its details on its case; every read model that copies them
follows; the registered values stay in the history; a refusal has its code and field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from aspe.application.history import case_history
from aspe.demo.scenarios import CaseStory
from aspe.domain.values import Status
from aspe.projections import caseload, commission_agenda, landlord_tenancies

ONE_STORE = pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
"""For refusals decided before any store is read or written (who may, which input): the
store's own tests run both."""


if TYPE_CHECKING:
    from tests.conftest import World
    from tests.gql.conftest import Api

Login = Callable[..., "Api"]
CORRECT = """
mutation Correct($case: ID!, $input: HouseholdDetailsInput!) {
  correctHouseholdDetails(caseId: $case, input: $input) {
    household { name street postcode city contact members }
  }
}
"""
CORRECTED = {
    "address": {"street": "3 rue Neuve", "postcode": "69003", "city": "Lyon"},
    "name": "Ménage Durand-Moreau",
    "contact": "06 11 22 33 44",
    "members": 4,
}
AVAILABLE = "query Case($id: ID!) { case(id: $id) { availableCommands } }"
TIMEOUT = 10.0


@pytest.fixture
def walked(world: World, client: TestClient) -> Callable[[Status], CaseStory]:
    """A new household's case walked to ``status``, as the API sees it."""

    def walk(status: Status) -> CaseStory:
        story = CaseStory(world.departement, world.referent, world.new_household())
        story.walk_to(status)
        client.app.state.projector.wait("case_file", world.app.head(), timeout=TIMEOUT)  # type: ignore[attr-defined]
        return story

    return walk


def correct(api: Api, story: CaseStory, **changes: Any) -> dict[str, Any]:
    return api.run(CORRECT, {"case": str(story.case_id), "input": {**CORRECTED, **changes}})


def refused(api: Api, world: World, story: CaseStory, **changes: Any) -> dict[str, Any]:
    """The extensions of a correction that must be refused, once checked it stored nothing."""
    head = world.app.head()
    body = correct(api, story, **changes)
    assert body.get("errors"), body
    assert world.app.head() == head, "a refused correction stored events"
    extensions: dict[str, Any] = body["errors"][0]["extensions"]
    return extensions


def test_the_referent_corrects_the_households_details_and_the_case_shows_them(
    world: World, login: Login, walked: Callable[[Status], CaseStory]
) -> None:
    story = walked(Status.DIAGNOSTIC)

    body = correct(login(world.referent), story)

    assert body["data"]["correctHouseholdDetails"]["household"] == {
        "name": "Ménage Durand-Moreau",
        "street": "3 rue Neuve",
        "postcode": "69003",
        "city": "Lyon",
        "contact": "06 11 22 33 44",
        "members": 4,
    }


def test_the_registered_name_stays_in_the_history(
    world: World, login: Login, walked: Callable[[Status], CaseStory]
) -> None:
    story = walked(Status.DIAGNOSTIC)

    correct(login(world.referent), story)

    names = [type(event).__name__ for event in world.app.stored_events(story.household_id)]
    registered = world.app.stored_events(story.household_id)[0]
    assert (names[0], names[-1]) == ("Registered", "DetailsCorrected")
    assert registered.name == "Ménage Durand"  # type: ignore[attr-defined]
    assert world.last_event(story.household_id).corrected == [
        "address",
        "name",
        "contact",
        "members",
    ]


def test_the_case_history_shows_the_correction_without_the_values(
    world: World, login: Login, walked: Callable[[Status], CaseStory]
) -> None:
    story = walked(Status.DIAGNOSTIC)

    correct(login(world.referent), story, members=3)

    last = case_history(world.app, UUID(str(story.case_id)))[-1]
    assert last.event == "DetailsCorrected"
    assert last.summary == "Informations du ménage corrigées : adresse, nom, coordonnées"
    assert "Durand-Moreau" not in last.summary


def test_the_read_models_that_copy_the_details_follow_the_correction(
    world: World, login: Login, walked: Callable[[Status], CaseStory], client: TestClient
) -> None:
    story = walked(Status.REGISTERED)

    correct(login(world.spslh), story)

    projector = client.app.state.projector  # type: ignore[attr-defined]
    case_id = str(story.case_id)
    for name in ("association_caseload", "commission_agenda", "landlord_tenancies"):
        projector.wait(name, world.app.head(), timeout=TIMEOUT)

    def view(name: str) -> Any:
        return projector.model(name).view

    assert view("association_caseload").get(caseload.CASES, case_id)["household_name"] == (
        "Ménage Durand-Moreau"
    )
    item = view("commission_agenda").get(commission_agenda.ITEMS, case_id)
    assert (item["household_contact"], item["household_members"]) == ("06 11 22 33 44", 4)
    tenancy = view("landlord_tenancies").get(landlord_tenancies.TENANCIES, case_id)
    assert (tenancy["household_name"], tenancy["street"]) == ("Ménage Durand-Moreau", "3 rue Neuve")


def test_the_referent_is_offered_the_correction_and_the_landlord_is_not(
    world: World, login: Login, walked: Callable[[Status], CaseStory]
) -> None:
    story = walked(Status.GRANTED)

    def offered(api: Api) -> bool:
        case = api.data(AVAILABLE, {"id": str(story.case_id)})["case"]
        return "CORRECT_HOUSEHOLD_DETAILS" in case["availableCommands"]

    assert [offered(login(party)) for party in (world.referent, world.spslh)] == [True, True]
    assert [offered(login(party)) for party in (world.landlord, world.commission)] == [False] * 2


@ONE_STORE
@pytest.mark.parametrize("role", ["landlord", "commission"])
def test_a_party_that_may_not_correct_is_refused_with_a_stable_code(
    world: World, login: Login, walked: Callable[[Status], CaseStory], role: str
) -> None:
    story = walked(Status.GRANTED)

    extensions = refused(login(getattr(world, role)), world, story)

    assert extensions["code"] == "NOT_AUTHORISED"


def test_the_spslh_may_not_correct_before_the_request_is_submitted(
    world: World, login: Login, walked: Callable[[Status], CaseStory]
) -> None:
    story = walked(Status.DIAGNOSTIC)

    assert refused(login(world.spslh), world, story)["code"] == "NOT_FOUND"


@ONE_STORE
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "   "}, "name"),
        ({"members": 0}, "members"),
        ({"contact": "06\x00 11"}, "contact"),
        (
            {"address": {"street": "x" * 20_000, "postcode": "69003", "city": "Lyon"}},
            "address.street",
        ),
    ],
    ids=[
        "empty name",
        "no member",
        "control character",
        "over-long street",
    ],
)
def test_invalid_details_are_refused_next_to_their_field(
    world: World,
    login: Login,
    walked: Callable[[Status], CaseStory],
    changes: dict[str, Any],
    field: str,
) -> None:
    story = walked(Status.DIAGNOSTIC)

    extensions = refused(login(world.referent), world, story, **changes)

    assert extensions == {"code": "INVALID_INPUT", "field": field}


def test_details_unchanged_are_not_stored_again(
    world: World, login: Login, walked: Callable[[Status], CaseStory]
) -> None:
    story = walked(Status.DIAGNOSTIC)
    correct(login(world.referent), story)

    assert refused(login(world.referent), world, story)["code"] == "ALREADY_DONE"


@ONE_STORE
def test_a_correction_to_a_four_digit_postcode_is_refused_next_to_the_postcode(
    world: World, login: Login, walked: Callable[[Status], CaseStory]
) -> None:
    # given a case in diagnostic
    story = walked(Status.DIAGNOSTIC)

    # when its referent corrects the address with a four-digit postcode
    address = {**CORRECTED["address"], "postcode": "6903"}
    extensions = refused(login(world.referent), world, story, address=address)

    # then the correction is refused, next to the postcode, and nothing is stored
    assert extensions == {"code": "INVALID_POSTCODE", "field": "address.postcode"}
