"""R9 through the API: an accompaniment reported during a measure raises a conflict that the
commission and the association see, and that the commission settles with its reasons."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from aspe.demo.scenarios import Account
from aspe.domain.values import AccompanimentKind, Status
from tests.gql.conftest import Api
from tests.portal.conftest import READ_MODEL_TIMEOUT

Login = Callable[[Account], Api]
CONFLICTS = """
query C($id: ID!) {
  case(id: $id) {
    availableCommands
    combinationConflicts { kind startsOn endsOn settledOn decision }
  }
}
"""
HOUSEHOLD_OF = "query H($id: ID!) { case(id: $id) { householdId } }"
RECORD_ACCOMPANIMENT = """
mutation R($household: ID!, $input: AccompanimentInput!) {
  recordAccompaniment(householdId: $household, input: $input) { id }
}
"""
SETTLE = """
mutation S($id: ID!, $decision: String!) {
  settleCombinationConflict(caseId: $id, decision: $decision) {
    combinationConflicts { settledOn decision }
  }
}
"""


@pytest.fixture
def settled(client: TestClient, world: Any) -> Callable[[], None]:
    def wait() -> None:
        projector = client.app.state.projector  # type: ignore[attr-defined]
        projector.wait("case_file", world.app.head(), timeout=READ_MODEL_TIMEOUT)

    return wait


def test_a_conflict_is_shown_to_the_commission_and_the_association_and_settled(
    login: Login, world: Any, story: Any, settled: Callable[[], None]
) -> None:
    # Given an active measure, and the SPSLH reporting an FSL accompaniment a month into it
    given = story()
    case_id = str(given.walk_to(Status.ACTIVE))
    settled()
    starts_on = world.clock.today() + timedelta(days=30)
    spslh = login(world.spslh)
    household = spslh.data(HOUSEHOLD_OF, {"id": case_id})["case"]["householdId"]
    spslh.data(
        RECORD_ACCOMPANIMENT,
        {"household": household, "input": {"kind": "FSL", "startsOn": starts_on.isoformat()}},
    )
    settled()

    # When the commission and the referent read the case
    commission = login(world.commission).data(CONFLICTS, {"id": case_id})["case"]
    referent = login(world.referent).data(CONFLICTS, {"id": case_id})["case"]

    # Then both see the conflict, and only the commission may settle it
    expected = {
        "kind": "FSL",
        "startsOn": starts_on.isoformat(),
        "endsOn": None,
        "settledOn": None,
        "decision": None,
    }
    assert commission["combinationConflicts"] == [expected]
    assert referent["combinationConflicts"] == [expected]
    assert "SETTLE_COMBINATION_CONFLICT" in commission["availableCommands"]
    assert "SETTLE_COMBINATION_CONFLICT" not in referent["availableCommands"]

    # When the commission decides that the measure goes on
    reasons = "Le FSL ne porte que sur les factures d'énergie"
    after = login(world.commission).data(SETTLE, {"id": case_id, "decision": reasons})

    # Then the conflict is settled, with its reasons
    assert after["settleCombinationConflict"]["combinationConflicts"] == [
        {"settledOn": world.clock.today().isoformat(), "decision": reasons}
    ]


def test_the_landlord_and_the_household_are_not_told_of_another_accompaniment(
    login: Login, world: Any, story: Any, settled: Callable[[], None], household_login: Any
) -> None:
    given = story()
    case_id = str(given.walk_to(Status.ACTIVE))
    with world.acting(world.spslh):
        world.app.record_accompaniment(
            given.household_id, AccompanimentKind.ANTI_POVERTY_PLAN, world.clock.today()
        )
    settled()
    query = "query C($id: ID!) { case(id: $id) { id combinationConflicts { kind } } }"

    commission = login(world.commission).data(query, {"id": case_id})["case"]
    assert commission["combinationConflicts"] == [{"kind": "ANTI_POVERTY_PLAN"}]

    landlord = login(world.landlord).run(query, {"id": case_id})
    household = household_login(given.household_id).run(query, {"id": case_id})

    for body in (landlord, household):
        assert body["data"]["case"]["combinationConflicts"] == []  # hidden: as if none


@pytest.fixture
def household_login(login: Login, world: Any) -> Callable[[Any], Api]:
    def as_household(household_id: Any) -> Api:
        email = f"menage.{str(household_id)[:8]}@aspe.test"
        with world.acting(world.referent):
            world.app.open_household_account(household_id, email, world.departement.password_hash)
        return login(email)

    return as_household


def test_settling_without_reasons_is_refused_next_to_the_reasons(
    login: Login, world: Any, story: Any, settled: Callable[[], None]
) -> None:
    given = story()
    case_id = str(given.walk_to(Status.ACTIVE))
    with world.acting(world.spslh):
        world.app.record_accompaniment(
            given.household_id, AccompanimentKind.FSL, world.clock.today()
        )
    settled()
    head = world.app.head()

    body = login(world.commission).run(SETTLE, {"id": case_id, "decision": " "})

    assert body["errors"][0]["extensions"] == {"code": "INVALID_INPUT", "field": "decision"}
    assert world.app.head() == head
