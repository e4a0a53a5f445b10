"""Who read what (DESIGN §10), through the API: each read of a case is recorded once; the
auditor searches the log across cases; the household sees who read its file.

Given a case and the accounts of the world, when someone reads it through ``case``,
``caseAsOf`` or ``auditTrail``, then the access log holds one entry for that read.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, timedelta
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from aspe.access_log import recording, store
from aspe.demo.scenarios import Account
from aspe.domain.values import Status
from tests.gql.conftest import Api

ONE_STORE = pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
"""For refusals decided before any store is read or written (who may, which input): the
store's own tests run both."""


Login = Callable[[Account | str], Api]
READ_MODEL_TIMEOUT = 30.0

READS = {
    "CASE": "query R($id: ID!) { case(id: $id) { id household { name } } }",
    "CASE_AS_OF": "query R($id: ID!, $at: DateTime!) { caseAsOf(caseId: $id, at: $at) { id } }",
    "AUDIT_TRAIL": "query R($id: ID!) { auditTrail(caseId: $id) { event } }",
}
LOG = """
query Log($account: ID, $case: ID, $since: DateTime, $until: DateTime, $first: Int! = 50,
          $after: String) {
  accessLog(accountId: $account, caseId: $case, since: $since, until: $until, first: $first,
            after: $after) {
    entries { at accountId accountName role organisationId organisationName caseId what }
    hasNextPage endCursor
  }
}
"""
ACCESSES = """
query A($id: ID!) { caseAccesses(caseId: $id) { at role organisationName readerName what } }
"""


@pytest.fixture
def settled(client: TestClient, world: Any) -> Callable[[], None]:
    def wait() -> None:
        projector = client.app.state.projector  # type: ignore[attr-defined]
        for name in projector.read_models:
            projector.wait(name, world.app.head(), timeout=READ_MODEL_TIMEOUT)

    return wait


@pytest.fixture
def case_id(story: Any, settled: Callable[[], None]) -> str:
    case = str(story().walk_to(Status.ACTIVE))
    settled()
    return case


@pytest.fixture
def household_login(login: Login, world: Any) -> Callable[[str], Api]:
    def as_household(case_id: str) -> Api:
        household_id = login(world.auditor).data(
            "query H($id: ID!) { case(id: $id) { householdId } }", {"id": case_id}
        )["case"]["householdId"]
        email = f"menage.{household_id[:8]}@aspe.test"
        with world.acting(world.referent):
            world.app.open_household_account(
                UUID(household_id), email, world.departement.password_hash
            )
        return login(email)

    return as_household


def read(api: Api, kind: str, case_id: str, world: Any) -> None:
    variables = {"id": case_id, "at": world.clock().isoformat()}
    data = api.data(READS[kind], variables)
    assert any(data.values()), data


def log_of(auditor: Api, **filters: Any) -> dict[str, Any]:
    page: dict[str, Any] = auditor.data(LOG, filters)["accessLog"]
    return page


@pytest.mark.parametrize("kind", sorted(READS))
def test_each_read_of_a_case_is_recorded_once_with_who_what_and_when(
    login: Login, world: Any, case_id: str, kind: str
) -> None:
    referent, auditor = login(world.referent), login(world.auditor)

    read(referent, kind, case_id, world)

    entries = log_of(auditor, case=case_id)["entries"]
    assert len(entries) == 1
    (entry,) = entries
    assert entry["what"] == kind
    assert entry["accountId"] == str(world.referent.actor.id)
    assert entry["accountName"] == world.referent.name
    assert entry["role"] == "REFERENT"
    assert entry["organisationId"] == str(world.association.id)
    assert entry["organisationName"] == world.association.name
    assert entry["at"].startswith(world.clock().isoformat()[:19])


def test_a_case_the_viewer_may_not_see_records_no_read(
    login: Login, world: Any, case_id: str
) -> None:
    outsider = login(world.other_association.referents[0])

    assert outsider.data(READS["CASE"], {"id": case_id})["case"] is None

    assert log_of(login(world.auditor), case=case_id)["entries"] == []


def test_one_operation_asking_a_case_twice_records_one_read(
    login: Login, world: Any, case_id: str
) -> None:
    twice = "query T($id: ID!) { a: case(id: $id) { id } b: case(id: $id) { status } }"

    login(world.referent).data(twice, {"id": case_id})

    assert len(log_of(login(world.auditor), case=case_id)["entries"]) == 1


def test_the_auditor_filters_by_person_case_and_period_and_pages(
    login: Login, world: Any, story: Any, settled: Callable[[], None]
) -> None:
    first_case, second_case = (str(story().walk_to(Status.ACTIVE)) for _ in range(2))
    settled()
    referent, spslh, auditor = login(world.referent), login(world.spslh), login(world.auditor)
    start = world.clock()
    read(referent, "CASE", first_case, world)
    world.clock.now = start + timedelta(hours=1)
    read(spslh, "CASE", first_case, world)
    read(referent, "CASE", second_case, world)
    world.clock.now = start + timedelta(hours=2)
    read(referent, "AUDIT_TRAIL", first_case, world)

    by_person = log_of(auditor, account=str(world.referent.actor.id))["entries"]
    by_case = log_of(auditor, case=second_case)["entries"]
    day_two = log_of(
        auditor,
        since=(start + timedelta(hours=1)).isoformat(),
        until=(start + timedelta(hours=2)).isoformat(),
    )["entries"]
    assert [(e["caseId"], e["what"]) for e in by_person] == [
        (first_case, "AUDIT_TRAIL"),
        (second_case, "CASE"),
        (first_case, "CASE"),
    ]
    assert [(e["role"], e["caseId"]) for e in by_case] == [("REFERENT", second_case)]
    assert sorted(e["role"] for e in day_two) == ["REFERENT", "SPSLH_AGENT"]

    # a bound given without its offset is UTC's, beside one that has it (found by the fuzz)
    naive_until = (start + timedelta(hours=2)).astimezone(UTC).replace(tzinfo=None)
    mixed = log_of(
        auditor, since=(start + timedelta(hours=1)).isoformat(), until=naive_until.isoformat()
    )["entries"]
    assert sorted(e["role"] for e in mixed) == ["REFERENT", "SPSLH_AGENT"]

    page_one = log_of(auditor, first=3)
    page_two = log_of(auditor, first=3, after=page_one["endCursor"])
    assert page_one["hasNextPage"]
    assert not page_two["hasNextPage"]
    assert len(page_one["entries"]) + len(page_two["entries"]) == 4
    assert page_two["entries"][0]["at"] < page_one["entries"][-1]["at"]


@ONE_STORE
@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"after": "pas-un-curseur"}, "INVALID_INPUT"),
        ({"first": 0}, "INVALID_INPUT"),
        ({"case": "pas-un-identifiant"}, "INVALID_INPUT"),
        ({"since": "2026-03-02T00:00:00Z", "until": "2026-03-01T00:00:00Z"}, "INVALID_INPUT"),
    ],
    ids=["cursor", "page-size", "case-id", "period"],
)
def test_malformed_filters_are_refused_with_a_stable_code(
    login: Login, world: Any, filters: dict[str, Any], expected: str
) -> None:
    assert login(world.auditor).error_code(LOG, filters) == expected


@ONE_STORE
@pytest.mark.parametrize(
    "who", ["referent", "manager", "spslh", "commission", "landlord", "unqualified"]
)
def test_no_one_but_the_auditor_reads_the_access_log(
    login: Login, world: Any, case_id: str, who: str
) -> None:
    login(world.referent).data(READS["CASE"], {"id": case_id})

    body = login(getattr(world, who)).run(LOG)

    assert body["data"]["accessLog"] is None


def test_the_household_sees_roles_and_organisations_and_its_referents_name_only(
    login: Login, world: Any, case_id: str, household_login: Callable[[str], Api]
) -> None:
    household = household_login(case_id)
    login(world.referent).data(READS["CASE"], {"id": case_id})
    login(world.spslh).data(READS["CASE"], {"id": case_id})
    household.data(READS["CASE"], {"id": case_id})

    body = household.run(ACCESSES, {"id": case_id})

    assert not body.get("errors"), body
    accesses = body["data"]["caseAccesses"]
    by_role = {access["role"]: access for access in accesses}
    # The auditor looked the household up (household_login); its own read is left out.
    assert sorted(by_role) == ["AUDITOR", "REFERENT", "SPSLH_AGENT"]
    assert by_role["REFERENT"]["readerName"] == world.referent.name
    assert by_role["REFERENT"]["organisationName"] == world.association.name
    assert by_role["SPSLH_AGENT"]["readerName"] is None
    assert by_role["SPSLH_AGENT"]["organisationName"]
    for other in (world.spslh, world.auditor):
        assert other.name not in str(body)
        assert str(other.actor.id) not in str(body)


def test_another_party_does_not_see_who_read_a_case(login: Login, world: Any, case_id: str) -> None:
    login(world.spslh).data(READS["CASE"], {"id": case_id})

    body = login(world.referent).run(ACCESSES, {"id": case_id})

    assert body["data"]["caseAccesses"] == []  # hidden: as if nobody had read it


def test_a_read_is_served_and_counted_when_the_log_cannot_be_written(
    login: Login, world: Any, case_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any) -> None:
        raise OSError("the access log's database is away")

    monkeypatch.setattr(store, "append", broken)
    failures = recording.failures()

    data = login(world.referent).data(READS["CASE"], {"id": case_id})

    assert data["case"]["id"] == case_id
    assert recording.failures() == failures + 1
