"""R1 eligibility, R2 the request path, R3/R11 the diagnostic, R9 no combination."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from aspe.demo.scenarios import STANDARD_FINDINGS, STANDARD_OBJECTIVES, CaseStory
from aspe.domain.availability import CaseCommand as C
from aspe.domain.household import Household
from aspe.domain.values import (
    AccompanimentKind,
    AidRequest,
    Finding,
    MeasureType,
    Objective,
    Status,
    Theme,
)

AID = AidRequest(Decimal("1800"), Decimal("2400"), Decimal("620"))


def test_R1_a_request_with_an_fpel_aid_request_is_submitted(world, story):
    given = story()
    case_id = given.walk_to(Status.DIAGNOSTIC)
    given.diagnose()

    with world.acting(world.referent):
        world.app.submit_request(case_id, AID, MeasureType.REINFORCED, 12)

    submitted = world.last_event(case_id)
    assert type(submitted).__name__ == "RequestSubmitted"
    assert submitted.aid_request == AID
    assert submitted.proposed_measure is MeasureType.REINFORCED
    assert world.app.get_case(case_id).status is Status.SUBMITTED


def test_R1_a_household_without_an_fpel_aid_request_is_not_eligible(world, story, refused):
    given = story()
    case_id = given.walk_to(Status.DIAGNOSTIC)
    given.diagnose()

    with world.acting(world.referent), refused.expect("NOT_ELIGIBLE"):
        world.app.submit_request(case_id, None, MeasureType.SIMPLE, 12)


@pytest.mark.parametrize(
    "aid",
    [
        AidRequest(Decimal("0"), Decimal("2400"), Decimal("620")),
        AidRequest(Decimal("1800"), Decimal("-1"), Decimal("620")),
        AidRequest(Decimal("1800"), Decimal("2400"), Decimal("0")),
    ],
    ids=["no amount asked", "negative arrears", "no rent"],
)
def test_R1_an_aid_request_with_invalid_amounts_is_refused(world, story, refused, aid):
    given = story()
    case_id = given.walk_to(Status.DIAGNOSTIC)
    given.diagnose()

    with world.acting(world.referent), refused.expect("INVALID_INPUT"):
        world.app.submit_request(case_id, aid, MeasureType.SIMPLE, 12)


def test_R2_a_request_is_made_during_the_diagnostic_not_before_it(world, story, refused):
    case_id = story().walk_to(Status.DIAGNOSTIC)

    with world.acting(world.referent), refused.expect("DIAGNOSTIC_MISSING"):
        world.app.submit_request(case_id, AID, MeasureType.SIMPLE, 12)


def test_R2_the_request_goes_diagnostic_submitted_registered_decided_notified(world, story):
    case_id = story().walk_to(Status.GRANTED)

    assert world.event_names(case_id) == [
        "Opened",
        "DiagnosticRecorded",
        "RequestSubmitted",
        "RequestRegistered",
        "MeasureGranted",
        "DecisionNotified",
    ]


def test_R2_only_the_spslh_registers_a_request(world, story, refused):
    case_id = story().walk_to(Status.SUBMITTED)
    session = world.clock.today() + timedelta(days=10)

    for intruder in (world.referent, world.commission, world.landlord):
        with world.acting(intruder), refused.expect("NOT_AUTHORISED"):
            world.app.register_request(case_id, session)
    with world.acting(world.spslh):
        world.app.register_request(case_id, session)
    assert world.app.get_case(case_id).commission_session_on == session


def test_R2_an_adjourned_request_returns_to_a_later_agenda(world, story):
    case_id = story().walk_to(Status.ADJOURNED)

    with world.acting(world.spslh):
        world.app.register_request(case_id, world.clock.today() + timedelta(days=30))

    assert world.app.get_case(case_id).status is Status.REGISTERED


def test_R2_the_decision_is_notified_once(world, story, refused):
    case_id = story().walk_to(Status.GRANTED)

    with world.acting(world.commission), refused.expect("ALREADY_DONE"):
        world.app.notify_decision(case_id)


def test_R3_the_diagnostic_keeps_health_items_in_attributes_of_their_own(world, story):
    given = story()
    case_id = given.walk_to(Status.DIAGNOSTIC)

    given.diagnose()

    diagnostic = world.last_event(case_id)
    assert all(f.theme is not Theme.HEALTH for f in diagnostic.findings)
    assert all(o.theme is not Theme.HEALTH for o in diagnostic.objectives)
    assert [f.theme for f in diagnostic.health_findings] == [Theme.HEALTH]
    assert [o.theme for o in diagnostic.health_objectives] == [Theme.HEALTH]
    case = world.app.get_case(case_id)
    assert len(case.findings) == len(STANDARD_FINDINGS)
    assert len(case.proposed_objectives) == len(STANDARD_OBJECTIVES)


def test_R3_a_diagnostic_without_any_difficulty_is_refused(world, story, refused):
    case_id = story().walk_to(Status.DIAGNOSTIC)

    with world.acting(world.referent), refused.expect("INVALID_INPUT"):
        world.app.record_diagnostic(case_id, [], STANDARD_OBJECTIVES)


def test_R11_an_objective_may_be_free_text(world, story):
    case_id = story().walk_to(Status.DIAGNOSTIC)
    free = Objective("o1", Theme.MOBILITY, "Trouver un mode de garde pour les enfants")

    with world.acting(world.referent):
        world.app.record_diagnostic(case_id, [Finding(Theme.MOBILITY, "Pas de voiture")], [free])

    assert world.app.get_case(case_id).proposed_objectives == [free]


def test_R11_a_catalogue_action_must_belong_to_the_objective_theme(world, story, refused):
    case_id = story().walk_to(Status.DIAGNOSTIC)
    misfiled = Objective("o1", Theme.MOBILITY, "Établir un budget", "BUDGET_PLAN")

    with world.acting(world.referent), refused.expect("INVALID_INPUT"):
        world.app.record_diagnostic(case_id, [Finding(Theme.BUDGET, "Dettes")], [misfiled])


def test_R9_a_household_with_an_active_fsl_accompaniment_cannot_be_submitted(world, story, refused):
    given = story()
    case_id = given.walk_to(Status.DIAGNOSTIC)
    given.diagnose()
    with world.acting(world.referent):
        world.app.record_accompaniment(
            given.household_id, AccompanimentKind.FSL, date(2026, 1, 1), None
        )

    with world.acting(world.referent), refused.expect("COMBINATION_FORBIDDEN"):
        world.app.submit_request(case_id, AID, MeasureType.SIMPLE, 12)


def test_R9_an_anti_poverty_plan_accompaniment_forbids_the_grant(world, story, refused):
    given = story()
    case_id = given.walk_to(Status.REGISTERED)
    with world.acting(world.spslh):
        world.app.record_accompaniment(
            given.household_id, AccompanimentKind.ANTI_POVERTY_PLAN, date(2026, 2, 1)
        )

    with world.acting(world.commission), refused.expect("COMBINATION_FORBIDDEN"):
        world.app.grant_measure(case_id, MeasureType.SIMPLE, 12, 6, Decimal("1000"))


def test_R9_an_accompaniment_starting_later_within_the_measure_forbids_the_request(
    world, story, refused
):
    given = story()
    case_id = given.walk_to(Status.DIAGNOSTIC)
    given.diagnose()
    in_five_months = world.clock.today() + timedelta(days=150)
    with world.acting(world.spslh):
        world.app.record_accompaniment(given.household_id, AccompanimentKind.FSL, in_five_months)

    with world.acting(world.referent), refused.expect("COMBINATION_FORBIDDEN"):
        world.app.submit_request(case_id, AID, MeasureType.SIMPLE, 12)


def test_R9_an_accompaniment_starting_after_the_measure_does_not_forbid_the_request(world, story):
    given = story()
    case_id = given.walk_to(Status.DIAGNOSTIC)
    given.diagnose()
    in_a_year_and_a_month = world.clock.today() + timedelta(days=400)
    with world.acting(world.spslh):
        world.app.record_accompaniment(
            given.household_id, AccompanimentKind.FSL, in_a_year_and_a_month
        )
    with world.acting(world.referent):
        world.app.submit_request(case_id, AID, MeasureType.SIMPLE, 12)

    assert world.app.get_case(case_id).status is Status.SUBMITTED


def test_R9_an_accompaniment_starting_within_the_granted_duration_forbids_the_grant(
    world, story, refused
):
    given = story()
    case_id = given.walk_to(Status.REGISTERED)
    in_seven_months = world.clock.today() + timedelta(days=210)
    with world.acting(world.spslh):
        world.app.record_accompaniment(
            given.household_id, AccompanimentKind.ANTI_POVERTY_PLAN, in_seven_months
        )

    # Six months end before it starts; twelve would overlap it.
    with world.acting(world.commission), refused.expect("COMBINATION_FORBIDDEN"):
        world.app.grant_measure(case_id, MeasureType.SIMPLE, 12, 6, Decimal("1000"))
    with world.acting(world.commission):
        world.app.grant_measure(case_id, MeasureType.SIMPLE, 6, 6, Decimal("1000"))
    assert world.app.get_case(case_id).status is Status.GRANTED


def test_R9_an_accompaniment_reported_during_the_measure_is_recorded_and_raises_a_conflict(
    world, story
):
    given = story()
    case_id = given.walk_to(Status.ACTIVE)
    next_month = world.clock.today() + timedelta(days=30)

    with world.acting(world.spslh):
        world.app.record_accompaniment(given.household_id, AccompanimentKind.FSL, next_month)

    household = world.app.load(Household, given.household_id)
    case = world.app.get_case(case_id)
    assert household.accompaniment_during(next_month, next_month) is AccompanimentKind.FSL
    assert case.status is Status.ACTIVE
    assert case.open_combination_conflicts == 1
    raised = world.last_event(case_id)
    assert type(raised).__name__ == "CombinationConflictRaised"
    assert raised.correlation_id == world.last_event(given.household_id).correlation_id


def test_R9_an_accompaniment_that_ended_before_the_measure_raises_no_conflict(world, story):
    given = story()
    case_id = given.walk_to(Status.ACTIVE)
    last_year = world.clock.today() - timedelta(days=365)

    with world.acting(world.spslh):
        world.app.record_accompaniment(
            given.household_id, AccompanimentKind.FSL, last_year, last_year + timedelta(days=30)
        )

    assert world.app.get_case(case_id).open_combination_conflicts == 0


def test_R9_the_commission_settles_a_conflict_with_its_reasons(world, story, refused):
    given = story()
    case_id = given.walk_to(Status.ACTIVE)
    with world.acting(world.spslh):
        world.app.record_accompaniment(
            given.household_id, AccompanimentKind.FSL, world.clock.today()
        )
    commission = world.commission.actor
    today = world.clock.today()
    assert C.SETTLE_COMBINATION_CONFLICT in world.app.get_case(case_id).available_commands(
        commission, today
    )

    with world.acting(world.referent), refused.expect("NOT_AUTHORISED"):
        world.app.settle_combination_conflict(case_id, "Nous poursuivons")
    with world.acting(world.commission), refused.expect("INVALID_INPUT"):
        world.app.settle_combination_conflict(case_id, "  ")
    with world.acting(world.commission):
        world.app.settle_combination_conflict(case_id, "Le FSL ne porte que sur l'énergie")

    case = world.app.get_case(case_id)
    assert case.open_combination_conflicts == 0
    assert C.SETTLE_COMBINATION_CONFLICT not in case.available_commands(commission, today)


def test_R9_an_ended_fsl_accompaniment_does_not_forbid_the_request(world, story):
    given = story()
    case_id = given.walk_to(Status.DIAGNOSTIC)
    given.diagnose()
    with world.acting(world.referent):
        world.app.record_accompaniment(
            given.household_id, AccompanimentKind.FSL, date(2025, 1, 1), date(2025, 12, 31)
        )
        world.app.submit_request(case_id, AID, MeasureType.SIMPLE, 12)

    assert world.app.get_case(case_id).status is Status.SUBMITTED


def test_R9_a_household_cannot_have_a_second_aspe_case_open(world, story, refused):
    first = story()
    first.walk_to(Status.ACTIVE)

    with world.acting(world.referent), refused.expect("COMBINATION_FORBIDDEN"):
        world.app.open_case(first.household_id, world.referent.actor.id)


def test_R9_opening_a_case_claims_the_household_in_the_same_command(world, story):
    given = story()
    case_id = given.walk_to(Status.DIAGNOSTIC)

    household_events = world.event_names(given.household_id)
    opened = world.app.events.get(case_id)

    assert household_events[-1] == "AspeCaseOpened"
    assert next(iter(opened)).correlation_id == world.last_event(given.household_id).correlation_id


def test_R9_a_stopped_measure_frees_the_household_for_a_new_case(world, story):
    first = story()
    first.walk_to(Status.STOPPED)

    second = CaseStory(world.departement, world.referent, first.household_id)
    case_id = second.walk_to(Status.SUBMITTED)

    assert world.app.get_case(case_id).status is Status.SUBMITTED
