"""Writes on another organisation's people or households are refused, revealing nothing.

The issue: a head of service qualified another association's staff (which bypassed R10), a
referent recorded an FSL accompaniment for another association's household, and association
Y opened a case on a household association X registered — then saw its name and telephone,
and X could no longer open its own case (R9).

Given two associations, when one sends a mutation over HTTP naming the other's staff or
household, then it is refused as ``NOT_FOUND`` with the very message an unknown id gets
(DESIGN §6: what one may not see is indistinguishable from what does not exist), nothing is
stored, and the other association's household and case are as they were. The SPSLH (the
département's service) still records accompaniments for any household, an administrator
still qualifies anyone, and a head of service still qualifies their own staff.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from aspe.demo.scenarios import ADMIN
from aspe.domain.values import Status

if TYPE_CHECKING:  # the test folders are not packages: their fixtures' types, for reading
    from tests.conftest import World
    from tests.gql.conftest import Api

Login = Callable[..., "Api"]

RECORD_QUALIFICATION = """
mutation Qualify($staff: ID!) { recordQualification(staffId: $staff, diploma: DEASS) { id } }
"""
RECORD_ACCOMPANIMENT = """
mutation Fsl($household: ID!, $on: Date!) {
  recordAccompaniment(householdId: $household, input: {kind: FSL, startsOn: $on}) { id }
}
"""
OPEN_CASE = """
mutation Open($household: ID!, $referent: ID!) {
  openCase(householdId: $household, referentId: $referent) { id status }
}
"""


def refusal(api: Api, world: World, query: str, variables: dict[str, Any]) -> tuple[str, str]:
    """The (code, message) of a mutation that must be refused, once checked it stored nothing."""
    head = world.app.head()
    body = api.run(query, variables)
    assert world.app.head() == head, "a refused mutation stored events"
    (error,) = body["errors"]
    return error["extensions"]["code"], error["message"]


def today(world: World) -> str:
    return world.clock.today().isoformat()


# ------------------------------------------------------------------ qualifications
def test_a_manager_may_not_qualify_another_associations_staff(world, login):
    other_manager = login(world.other_association.manager)
    unqualified = str(world.unqualified.actor.id)
    before = world.event_names(world.unqualified.actor.id)

    refused = refusal(other_manager, world, RECORD_QUALIFICATION, {"staff": unqualified})
    unknown = refusal(other_manager, world, RECORD_QUALIFICATION, {"staff": str(uuid4())})

    assert refused == unknown == ("NOT_FOUND", "Compte introuvable.")
    assert world.event_names(world.unqualified.actor.id) == before


def test_a_manager_qualifies_their_own_staff_and_an_administrator_anyone(world, login):
    with world.acting(ADMIN):
        admin = world.departement.add_staff(world.departement.platform_id, ADMIN.role, "Admin")
    other_referent = world.other_association.referents[0].actor.id

    own = login(world.manager).data(
        RECORD_QUALIFICATION, {"staff": str(world.unqualified.actor.id)}
    )
    anyone = login(admin).data(RECORD_QUALIFICATION, {"staff": str(other_referent)})

    assert own == {"recordQualification": {"id": str(world.unqualified.actor.id)}}
    assert anyone == {"recordQualification": {"id": str(other_referent)}}
    assert world.event_names(world.unqualified.actor.id)[-1] == "QualificationRecorded"


# ------------------------------------------------------------------ accompaniments
def test_a_referent_may_not_record_an_accompaniment_for_another_associations_household(
    world, login
):
    household = world.new_household()  # registered by the world's association
    intruder = login(world.other_association.referents[0])
    before = world.event_names(household)

    refused = refusal(
        intruder, world, RECORD_ACCOMPANIMENT, {"household": str(household), "on": today(world)}
    )
    unknown = refusal(
        intruder, world, RECORD_ACCOMPANIMENT, {"household": str(uuid4()), "on": today(world)}
    )

    assert refused == unknown == ("NOT_FOUND", "Ménage introuvable.")
    assert world.event_names(household) == before


def test_the_spslh_records_an_accompaniment_for_any_household(world, login):
    household = world.new_household()

    recorded = login(world.spslh).data(
        RECORD_ACCOMPANIMENT, {"household": str(household), "on": today(world)}
    )

    assert recorded == {"recordAccompaniment": {"id": str(household)}}
    assert world.event_names(household)[-1] == "AccompanimentRecorded"


# --------------------------------------------------------------------------- cases
def test_another_association_may_not_open_a_case_on_a_household_it_did_not_register(world, login):
    household = world.new_household()
    intruder = world.other_association.referents[0]
    api = login(intruder)
    before = world.event_names(household)

    refused = refusal(
        api, world, OPEN_CASE, {"household": str(household), "referent": str(intruder.actor.id)}
    )
    unknown = refusal(
        api, world, OPEN_CASE, {"household": str(uuid4()), "referent": str(intruder.actor.id)}
    )
    after = world.event_names(household)
    own = login(world.referent).data(
        OPEN_CASE, {"household": str(household), "referent": str(world.referent.actor.id)}
    )

    assert refused == unknown == ("NOT_FOUND", "Ménage introuvable.")
    assert after == before
    assert own["openCase"]["status"] == "DIAGNOSTIC", "the household's association is not blocked"


def test_another_association_learns_nothing_of_a_household_whose_case_is_open(world, login, story):
    walk = story()
    case_id: UUID = walk.walk_to(Status.ACTIVE)
    intruder = world.other_association.referents[0]
    household_events = world.event_names(walk.household_id)
    case_events = world.event_names(case_id)

    refused = refusal(
        login(intruder),
        world,
        OPEN_CASE,
        {"household": str(walk.household_id), "referent": str(intruder.actor.id)},
    )

    assert refused == ("NOT_FOUND", "Ménage introuvable."), "not COMBINATION_FORBIDDEN: it exists"
    assert world.event_names(walk.household_id) == household_events
    assert world.event_names(case_id) == case_events
    assert world.app.get_case(case_id).status is Status.ACTIVE


def test_a_manager_may_not_open_a_case_for_another_associations_household_either(world, login):
    household = world.new_household()
    other = world.other_association

    refused = refusal(
        login(other.manager),
        world,
        OPEN_CASE,
        {"household": str(household), "referent": str(other.referents[0].actor.id)},
    )

    assert refused == ("NOT_FOUND", "Ménage introuvable.")


def test_qualifying_is_still_refused_to_a_referent(world, login):
    """The role check comes first and is unchanged: a referent qualifies nobody."""
    code, _ = refusal(
        login(world.referent),
        world,
        RECORD_QUALIFICATION,
        {"staff": str(world.unqualified.actor.id)},
    )

    assert code == "NOT_AUTHORISED"
