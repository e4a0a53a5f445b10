"""SPSLH register: requests from their submission on, decisions, measure dates, CEOPs received."""

from aspe.demo.scenarios import STANDARD_COMMITMENTS, STANDARD_OBJECTIVES
from aspe.domain.values import Commitment, Party, Status, Step, StopReason, Theme
from aspe.projections.spslh_register import ceops_received, register, request


def ours(world, rows):
    """The rows of this test's association (a PostgreSQL store is shared by the run)."""
    return [row for row in rows if row["association_id"] == str(world.association.id)]


def test_a_submitted_request_appears_in_the_register_with_its_amounts(world, story, project):
    case_id = story(duration_months=9).walk_to(Status.SUBMITTED)

    row = request(project("spslh_register"), str(case_id))

    assert (row["status"], row["submitted_on"]) == ("SUBMITTED", "2026-03-02")
    assert row["household_name"] == "Ménage Durand"
    assert row["association_id"] == str(world.association.id)
    assert (row["rent_arrears_cents"], row["aid_requested_cents"]) == (240_000, 180_000)
    assert row["monthly_rent_cents"] == 62_000
    assert (row["proposed_measure"], row["proposed_duration_months"]) == ("SIMPLE", 9)


def test_the_register_shows_the_diagnostic_difficulties_without_health(story, project):
    case_id = story().walk_to(Status.SUBMITTED)

    row = request(project("spslh_register"), str(case_id))

    assert [finding["theme"] for finding in row["findings"]] == ["BUDGET", "HOUSING"]


def test_a_case_still_in_diagnostic_is_not_in_the_register(world, story, project):
    given = story()
    case_id = given.walk_to(Status.DIAGNOSTIC)
    given.diagnose()

    view = project("spslh_register")

    assert request(view, str(case_id)) is None
    assert ours(world, register(view)) == []


def test_the_register_lists_requests_at_a_status(world, story, project):
    submitted = story().walk_to(Status.SUBMITTED)
    registered = story().walk_to(Status.REGISTERED)

    view = project("spslh_register")

    at_registered = ours(world, register(view, Status.REGISTERED))
    assert [row["case_id"] for row in at_registered] == [str(registered)]
    assert {row["case_id"] for row in ours(world, register(view))} == {
        str(submitted),
        str(registered),
    }


def test_a_granted_decision_fills_the_decision_columns(story, project):
    case_id = story(duration_months=12).walk_to(Status.GRANTED)

    row = request(project("spslh_register"), str(case_id))

    assert (row["status"], row["decision"], row["decided_on"]) == (
        "GRANTED",
        "GRANTED",
        "2026-03-02",
    )
    assert (row["measure_type"], row["duration_months"], row["probation_months"]) == (
        "SIMPLE",
        12,
        6,
    )
    assert row["aid_granted_cents"] == 150_000
    assert row["decision_notified_on"] == "2026-03-02"
    assert (row["registered_on"], row["commission_session_on"]) == ("2026-03-02", "2026-03-16")


def test_an_adjourned_request_is_counted_and_cleared_when_registered_again(world, story, project):
    case_id = story().walk_to(Status.ADJOURNED)
    adjourned = request(project("spslh_register"), str(case_id))
    with world.acting(world.spslh):
        world.app.register_request(case_id, world.clock.today().replace(day=30))

    row = request(project("spslh_register"), str(case_id))

    assert (adjourned["decision"], adjourned["adjournments"]) == ("ADJOURNED", 1)
    assert (row["status"], row["decision"], row["adjournments"]) == ("REGISTERED", None, 1)
    assert row["commission_session_on"] == "2026-03-30"


def test_a_transmitted_ceop_is_received_without_its_health_objectives(world, story, project):
    case_id = story().walk_to(Status.ACTIVE)
    with world.acting(world.referent):
        world.app.transmit_ceop(case_id)

    (ceop,) = ceops_received(project("spslh_register"), str(case_id))

    assert (ceop["version"], ceop["signed_on"], ceop["transmitted_on"]) == (
        1,
        "2026-03-02",
        "2026-03-02",
    )
    assert [objective["id"] for objective in ceop["objectives"]] == [
        "obj-budget",
        "obj-rent",
        "obj-landlord",
    ]
    assert Theme.HEALTH.name not in {objective["theme"] for objective in ceop["objectives"]}
    assert {commitment["party"] for commitment in ceop["commitments"]} == {"HOUSEHOLD", "REFERENT"}
    assert [step["label"] for step in ceop["steps"]] == ["Budget établi", "Plan d'apurement signé"]


def test_a_signed_ceop_not_yet_transmitted_is_not_received(story, project):
    case_id = story().walk_to(Status.ACTIVE)

    view = project("spslh_register")

    assert ceops_received(view, str(case_id)) == []
    assert request(view, str(case_id))["starts_on"] == "2026-03-02"


def test_a_stopped_measure_shows_its_stop_and_final_report_but_no_free_text(world, story, project):
    case_id = story().walk_to(Status.STOPPED)
    with world.acting(world.referent):
        world.app.submit_final_report(case_id, True, "Ménage relogé chez un parent")

    row = request(project("spslh_register"), str(case_id))

    assert (row["status"], row["stopped_on"]) == ("STOPPED", "2026-03-02")
    assert row["stop_reason"] == StopReason.HOUSEHOLD_MOVED.name
    assert (row["final_report_on"], row["household_still_housed"]) == ("2026-03-02", True)
    assert not {"Relogé", "Ménage relogé chez un parent"} & set(map(str, row.values()))


def test_a_transmitted_ceop_is_received_without_its_health_steps_and_commitments(
    world, story, project
):
    given = story()
    case_id = given.walk_to(Status.GRANTED)
    steps = [Step("Budget établi"), Step("Rendez-vous au CMP", theme=Theme.HEALTH)]
    commitments = [
        *STANDARD_COMMITMENTS,
        Commitment(Party.HOUSEHOLD, "Reprendre le traitement", Theme.HEALTH),
    ]
    with world.acting(world.referent):
        world.app.draft_ceop(case_id, STANDARD_OBJECTIVES, steps, commitments)
    given.sign_ceop()
    with world.acting(world.referent):
        world.app.transmit_ceop(case_id)

    (ceop,) = ceops_received(project("spslh_register"), str(case_id))

    assert ceop["steps"] == [{"label": "Budget établi", "due_on": None, "theme": None}]
    assert "Reprendre le traitement" not in {item["text"] for item in ceop["commitments"]}
    assert len(ceop["commitments"]) == len(STANDARD_COMMITMENTS)
