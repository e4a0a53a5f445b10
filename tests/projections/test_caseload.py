"""Association caseload: each association sees its cases, their referent and status."""

from aspe.domain.values import Status


def test_a_new_case_appears_in_its_association_caseload(world, story, project):
    given = story()
    case_id = given.walk_to(Status.DIAGNOSTIC)

    caseload = project("association_caseload")

    row = caseload.get("cases", str(case_id))
    assert row["association_id"] == str(world.association.id)
    assert row["referent_id"] == str(world.referent.actor.id)
    assert (row["status"], row["household_name"]) == ("DIAGNOSTIC", "Ménage Durand")


def test_the_caseload_follows_the_case_to_its_measure_and_end(world, story, project):
    case_id = story().walk_to(Status.STOPPED)

    row = project("association_caseload").get("cases", str(case_id))

    assert (row["status"], row["measure_type"]) == ("STOPPED", "SIMPLE")
    assert row["starts_on"] == "2026-03-02"
    assert row["closed_on"] == "2026-03-02"


def test_a_handover_keeps_the_previous_referent_until_the_date_given(world, story, project):
    case_id = story().walk_to(Status.ACTIVE)
    with world.acting(world.manager):
        world.app.assign_referent(case_id, world.second_referent.actor.id)

    row = project("association_caseload").get("cases", str(case_id))

    assert row["referent_id"] == str(world.second_referent.actor.id)
    assert row["former_referents"] == {str(world.referent.actor.id): "2026-04-01"}


def test_cases_of_other_associations_are_listed_under_theirs(world, story, project):
    case_id = story().walk_to(Status.SUBMITTED)

    caseload = project("association_caseload")

    mine = caseload.select("cases", where={"association_id": str(world.association.id)})
    theirs = caseload.select("cases", where={"association_id": str(world.other_association.id)})
    assert str(case_id) in {row["case_id"] for row in mine}
    assert str(case_id) not in {row["case_id"] for row in theirs}
