"""The household sees its own visits: when, where (at home, at the office) and whether they
were held, planned or missed; never the referent's themes, note nor reason."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from fastapi.testclient import TestClient

from aspe.demo.scenarios import CaseStory
from aspe.domain.values import Status, Theme, VisitKind

if TYPE_CHECKING:
    from tests.conftest import World
    from tests.gql.conftest import Api

Login = Callable[..., "Api"]
VISITS = """
query($id: ID!) {
  case(id: $id) {
    visits { occurredOn plannedAt state kind themes householdPresent note missedReason }
  }
}
"""
NOTE = "Le ménage évoque un suivi psychologique"
MISSED = "Absent : rendez-vous médical"


def test_the_household_sees_the_dates_kinds_and_states_of_its_visits_only(
    world: World, client: TestClient, login: Login
) -> None:
    # given an active measure: a home visit held with a note, an office visit missed,
    # another office visit planned
    story = CaseStory(world.departement, world.referent, world.new_household("Famille Durand"))
    case_id = story.walk_to(Status.ACTIVE)
    soon = datetime.combine(world.clock.today(), time(10), UTC) + timedelta(days=3)
    with world.acting(world.referent):
        world.app.record_visit(case_id, world.clock.today(), VisitKind.HOME, [Theme.HEALTH], NOTE)
        missed = world.app.schedule_visit(case_id, soon, VisitKind.OFFICE)
        world.app.record_missed_visit(case_id, missed.id, MISSED)
        world.app.schedule_visit(case_id, soon + timedelta(days=7), VisitKind.OFFICE)
        email = f"menage.{str(story.household_id)[:8]}@aspe.test"
        world.app.open_household_account(story.household_id, email, world.departement.password_hash)
    client.app.state.projector.wait("case_file", world.app.head(), timeout=10.0)  # type: ignore[attr-defined]

    # when the household reads its visits
    visits: list[dict[str, Any]] = login(email).data(VISITS, {"id": str(case_id)})["case"]["visits"]

    # then it gets each one's date, kind and state; not the themes, the note nor the reason
    assert sorted((v["kind"], v["state"]) for v in visits) == [
        ("HOME", "DONE"),
        ("OFFICE", "MISSED"),
        ("OFFICE", "PLANNED"),
    ]
    assert all(v["occurredOn"] or v["plannedAt"] for v in visits)
    assert {(v["note"], v["missedReason"], v["householdPresent"]) for v in visits} == {
        (None, None, None)
    }
    assert [v["themes"] for v in visits] == [[], [], []]
