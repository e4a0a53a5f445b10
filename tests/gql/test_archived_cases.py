"""An archived case (its retention has run): the auditor and its association's manager
read it, each time saying why, and the access log keeps the reason; no one else sees it,
and no list holds it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from aspe.demo.scenarios import CaseStory
from aspe.domain.actors import SYSTEM_ACTOR
from aspe.domain.values import Status, StopReason
from tests.gql.conftest import Api

ONE_STORE = pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
"""For refusals decided before any store is read or written (who may, which input): the
store's own tests run both."""


Login = Callable[..., Api]

CASE = "query C($id: ID!, $reason: String) { case(id: $id, reason: $reason) { id status } }"
CASES = "query { cases(first: 50) { edges { node { id } } } }"
LOG = """
query Log($case: ID) { accessLog(caseId: $case) { entries { accountId what reason } } }
"""
REASON = "Contrôle de la CAF, demande du 3 mars"


@pytest.fixture
def archived_case(world: Any, client: TestClient) -> str:
    """A stopped case the platform archived, as the API's read models hold it."""
    case = CaseStory(world.departement, world.referent, world.new_household())
    case_id = case.walk_to(Status.ACTIVE)
    with world.acting(world.commission):
        world.app.stop_measure(case_id, StopReason.HOUSEHOLD_MOVED)
    with world.acting(SYSTEM_ACTOR):
        position = world.app.archive(case_id)
    case_file = client.app.state.projector.model("case_file").view  # type: ignore[attr-defined]
    assert case_file.wait_for(position, timeout=10)
    return str(case_id)


@ONE_STORE
@pytest.mark.parametrize("who", ["referent", "spslh", "commission", "landlord"])
def test_the_other_parties_no_longer_see_an_archived_case(
    login: Login, world: Any, archived_case: str, who: str
) -> None:
    api = login(getattr(world, who))

    case = api.data(CASE, {"id": archived_case, "reason": REASON})["case"]
    listed = [edge["node"]["id"] for edge in api.data(CASES)["cases"]["edges"]]

    assert case is None
    assert archived_case not in listed


@ONE_STORE
@pytest.mark.parametrize("who", ["manager", "auditor"])
def test_its_readers_must_say_why(login: Login, world: Any, archived_case: str, who: str) -> None:
    body = login(getattr(world, who)).run(CASE, {"id": archived_case})

    assert body["data"]["case"] is None
    assert body["errors"][0]["extensions"] == {"code": "REASON_REQUIRED", "field": "reason"}
    assert "archivé" in body["errors"][0]["message"]


@ONE_STORE
@pytest.mark.parametrize("who", ["manager", "auditor"])
def test_its_readers_read_it_with_a_reason_which_the_access_log_keeps(
    login: Login, world: Any, archived_case: str, who: str
) -> None:
    reader = getattr(world, who)

    case = login(reader).data(CASE, {"id": archived_case, "reason": REASON})["case"]

    assert case == {"id": archived_case, "status": "STOPPED"}
    entries = login(world.auditor).data(LOG, {"case": archived_case})["accessLog"]["entries"]
    assert {"accountId": str(reader.actor.id), "what": "CASE", "reason": REASON} in entries


def test_no_list_holds_an_archived_case_even_for_its_readers(
    login: Login, world: Any, archived_case: str
) -> None:
    listed = [e["node"]["id"] for e in login(world.manager).data(CASES)["cases"]["edges"]]

    assert archived_case not in listed
