"""``Case.availableCommands``: what the viewer may run now, from the domain's one table; and
a refusal about one value names it in ``extensions.field``, as the API's input names it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from aspe.demo.scenarios import Account
from aspe.domain.values import Status
from tests.gql.conftest import Api
from tests.portal.conftest import READ_MODEL_TIMEOUT

Login = Callable[[Account], Api]
COMMANDS = "query C($id: ID!) { case(id: $id) { availableCommands ceopSignaturesToRecord } }"
SUBMIT = """
mutation S($id: ID!, $input: SubmitRequestInput!) {
  submitRequest(caseId: $id, input: $input) { id }
}
"""


@pytest.fixture
def settled(client: TestClient, world: Any) -> Callable[[], None]:
    """Waits until the API's read model holds what the test stored directly."""

    def wait() -> None:
        projector = client.app.state.projector  # type: ignore[attr-defined]
        projector.wait("case_file", world.app.head(), timeout=READ_MODEL_TIMEOUT)

    return wait


def test_each_party_is_told_what_it_may_run_on_the_case_now(login: Login, world, story, settled):
    given = story()
    case_id = str(given.walk_to(Status.GRANTED))
    settled()

    referent = login(world.referent).data(COMMANDS, {"id": case_id})["case"]
    commission = login(world.commission).data(COMMANDS, {"id": case_id})["case"]

    assert "DRAFT_CEOP" in referent["availableCommands"]
    assert "SUBMIT_REQUEST" not in referent["availableCommands"]
    assert "STOP_MEASURE" in commission["availableCommands"]
    assert "DRAFT_CEOP" not in commission["availableCommands"]
    assert referent["ceopSignaturesToRecord"] == []


def test_the_association_is_told_which_signatures_it_may_record(
    login: Login, world, story, settled
):
    given = story()
    case_id = str(given.walk_to(Status.GRANTED))
    given.draft_ceop()
    settled()

    case = login(world.referent).data(COMMANDS, {"id": case_id})["case"]

    assert "RECORD_CEOP_SIGNATURE" in case["availableCommands"]
    assert set(case["ceopSignaturesToRecord"]) == {"HOUSEHOLD", "REFERENT"}


def test_a_refused_value_is_named_by_its_input_field(login: Login, world, story, settled):
    given = story()
    case_id = str(given.open())
    given.diagnose()
    settled()
    head = world.app.head()
    request = {
        "aidRequest": {"amountRequested": "1800", "rentArrears": "2400", "monthlyRent": "0"},
        "proposedMeasure": "SIMPLE",
        "proposedDurationMonths": 12,
    }

    body = login(world.referent).run(SUBMIT, {"id": case_id, "input": request})

    assert body["errors"][0]["extensions"] == {
        "code": "INVALID_INPUT",
        "field": "aidRequest.monthlyRent",
    }
    assert world.app.head() == head


def test_a_refusal_about_no_one_value_names_no_field(login: Login, world, story, settled) -> None:
    case_id = str(story().open())
    settled()
    request = {
        "aidRequest": {"amountRequested": "1800", "rentArrears": "2400", "monthlyRent": "620"},
        "proposedMeasure": "SIMPLE",
        "proposedDurationMonths": 12,
    }

    body = login(world.referent).run(SUBMIT, {"id": case_id, "input": request})

    assert body["errors"][0]["extensions"] == {"code": "DIAGNOSTIC_MISSING"}
