"""The work lists of ``cases``: search by household name (accents and case aside),
filters, sorts and paging, each refused with a stable code when its input is wrong or
when it filters on what the viewer does not see."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from aspe.demo.scenarios import CaseStory
from aspe.domain.values import MeasureType, Status, StopReason
from tests.gql.conftest import Api

ONE_STORE = pytest.mark.parametrize("settings", ["sqlite"], indirect=True)

Login = Callable[..., Api]

LIST = """
query List($search: String, $status: CaseStatus, $referentId: ID, $measureType: MeasureType,
           $withOpenAlert: Boolean, $sort: CaseSort, $first: Int, $after: String) {
  cases(search: $search, status: $status, referentId: $referentId, measureType: $measureType,
        withOpenAlert: $withOpenAlert, sort: $sort, first: $first, after: $after) {
    edges { cursor node { id status household { name } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


@pytest.fixture
def caseload(world: Any, client: TestClient) -> dict[str, str]:
    """Four households of the association's first referent, one of the second's, opened
    a day apart; one of them stopped, one alerted; by name."""
    made: dict[str, str] = {}

    def case(name: str, status: Status, referent: Any = None, **story: Any) -> str:
        world.clock.set_day(world.clock.today() + timedelta(days=1))  # opened a day apart
        household = world.departement.add_household(
            referent or world.referent, world.landlord_id, name
        )
        walked = CaseStory(world.departement, referent or world.referent, household, **story)
        made[name] = str(walked.walk_to(status))
        return made[name]

    case("Famille LEFEVRE", Status.DIAGNOSTIC)
    case("Famille Lefèvre-Martin", Status.ACTIVE, measure_type=MeasureType.REINFORCED)
    stopped = case("Famille Abadie", Status.ACTIVE)
    case("Famille Œuvray", Status.SUBMITTED)
    case("Famille Zidane", Status.DIAGNOSTIC, referent=world.second_referent)
    with world.acting(world.commission):
        world.app.stop_measure(UUID(stopped), StopReason.HOUSEHOLD_MOVED)
    alerted = made["Famille Lefèvre-Martin"]
    world.clock.set_day(world.clock.today() + timedelta(days=30))
    with world.acting(world.referent):
        position = world.app.raise_non_collaboration_alert(UUID(alerted))
    case_file = client.app.state.projector.model("case_file").view  # type: ignore[attr-defined]
    assert case_file.wait_for(position, timeout=10)
    alerts = client.app.state.projector.model("open_alerts").view  # type: ignore[attr-defined]
    assert alerts.wait_for(position, timeout=10)
    return made


def names(api: Api, **variables: Any) -> list[str]:
    data = api.data(LIST, {"first": 50, **variables})["cases"]
    return [edge["node"]["household"]["name"] for edge in data["edges"]]


def test_a_search_finds_a_household_whatever_its_accents_and_case(
    login: Login, world: Any, caseload: dict[str, str]
) -> None:
    # given the manager of an association with a LEFEVRE and a Lefèvre-Martin household
    api = login(world.manager)

    # when they search « lefèvre », « LEFEVRE » and « oeuvray »
    accented = names(api, search="lefèvre")
    capitals = names(api, search="  LEFEVRE ")
    ligature = names(api, search="oeuvray")

    # then both Lefèvre households are found either way, and the Œuvray one with « oe »
    assert sorted(accented) == ["Famille LEFEVRE", "Famille Lefèvre-Martin"]
    assert sorted(capitals) == sorted(accented)
    assert ligature == ["Famille Œuvray"]


@ONE_STORE
def test_a_search_takes_its_wildcards_literally(
    login: Login, world: Any, caseload: dict[str, str]
) -> None:
    # given households none of whose names holds « % » or « _ »
    api = login(world.manager)

    # when one searches for them
    found = names(api, search="%") + names(api, search="_")

    # then nothing matches
    assert found == []


@ONE_STORE
def test_the_filters_keep_a_referents_cases_a_measure_type_an_open_alert(
    login: Login, world: Any, caseload: dict[str, str]
) -> None:
    # given the manager
    api = login(world.manager)

    # when they filter on the second referent, reinforced measures, open alerts, or none
    second = names(api, referentId=str(world.second_referent.actor.id))
    reinforced = names(api, measureType="REINFORCED")
    alerted = names(api, withOpenAlert=True)
    quiet = names(api, withOpenAlert=False)
    submitted = names(api, status="SUBMITTED")

    # then each list keeps just those
    assert second == ["Famille Zidane"]
    assert reinforced == ["Famille Lefèvre-Martin"]
    assert alerted == ["Famille Lefèvre-Martin"]
    assert sorted(quiet) == [
        "Famille Abadie",
        "Famille LEFEVRE",
        "Famille Zidane",
        "Famille Œuvray",
    ]
    assert submitted == ["Famille Œuvray"]


@ONE_STORE
def test_the_sorts_put_open_cases_first(login: Login, world: Any, caseload: dict[str, str]) -> None:
    # given the manager, and Abadie's measure stopped
    api = login(world.manager)

    # when they sort by name, by status, and by default (opening date)
    by_name = names(api, sort="HOUSEHOLD_NAME")
    by_status = names(api, sort="STATUS")
    by_default = names(api)

    # then the closed case comes last, the open ones by name (accents aside), by course,
    # or in the order they were opened
    assert by_name == [
        "Famille LEFEVRE",
        "Famille Lefèvre-Martin",
        "Famille Œuvray",
        "Famille Zidane",
        "Famille Abadie",
    ]
    assert by_status == [
        "Famille LEFEVRE",
        "Famille Zidane",
        "Famille Œuvray",
        "Famille Lefèvre-Martin",
        "Famille Abadie",
    ]
    assert by_default == [
        "Famille LEFEVRE",
        "Famille Lefèvre-Martin",
        "Famille Œuvray",
        "Famille Zidane",
        "Famille Abadie",
    ]


def test_a_sorted_list_pages_without_skipping_or_repeating(
    login: Login, world: Any, caseload: dict[str, str]
) -> None:
    # given the manager's list sorted by name
    api = login(world.manager)
    whole = names(api, sort="HOUSEHOLD_NAME")

    # when they read it two at a time
    paged: list[str] = []
    after = None
    while True:
        variables = {"sort": "HOUSEHOLD_NAME", "first": 2, "after": after}
        page = api.data(LIST, variables)["cases"]
        paged += [edge["node"]["household"]["name"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    # then the pages hold the whole list once, in order
    assert paged == whole


@ONE_STORE
@pytest.mark.parametrize(
    ("variables", "code"),
    [
        ({"search": "x" * 101}, "INVALID_INPUT"),
        ({"search": "   "}, "INVALID_INPUT"),
        ({"referentId": "pas-un-identifiant"}, "INVALID_INPUT"),
        ({"after": "n'importe quoi"}, "INVALID_INPUT"),
        ({"first": 0}, "INVALID_INPUT"),
        ({"sort": "PAR_AGE"}, "GRAPHQL_VALIDATION_FAILED"),
    ],
)
def test_bad_arguments_are_refused_with_a_stable_code(
    login: Login, world: Any, variables: dict[str, Any], code: str
) -> None:
    # given the referent
    api = login(world.referent)

    # when they list their cases with a bad argument
    found = api.error_code(LIST, {"first": 20, **variables})

    # then the API refuses it with its code
    assert found == code


@ONE_STORE
def test_a_cursor_names_no_household_and_pages_only_what_it_came_from(
    login: Login, world: Any, caseload: dict[str, str]
) -> None:
    # given a cursor of the list sorted by name
    api = login(world.manager)
    page = api.data(LIST, {"sort": "HOUSEHOLD_NAME", "first": 1})["cases"]
    cursor = page["pageInfo"]["endCursor"]

    # when it is used to page the list sorted by status, or by another association's staff
    code = api.error_code(LIST, {"sort": "STATUS", "first": 1, "after": cursor})
    outsider = login(world.other_association.referents[0])
    other = outsider.error_code(LIST, {"sort": "HOUSEHOLD_NAME", "first": 1, "after": cursor})

    # then both are refused, and the cursor holds no name
    assert code == other == "INVALID_INPUT"
    assert "lefevre" not in base64.urlsafe_b64decode(cursor).decode().lower()


@ONE_STORE
def test_a_landlord_may_not_search_names_it_does_not_see(
    login: Login, world: Any, caseload: dict[str, str]
) -> None:
    # given a landlord, who sees a tenant's name only with the household's consent
    api = login(world.landlord)

    # when it searches its tenants by name, or sorts them by name
    searched = api.error_code(LIST, {"search": "lefevre", "first": 20})
    sorted_ = api.error_code(LIST, {"sort": "HOUSEHOLD_NAME", "first": 20})

    # then both are refused: which case matched would tell a name it may not read
    assert searched == sorted_ == "NOT_AUTHORISED"
