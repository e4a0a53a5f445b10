"""R4 measure type, R5 duration and probation, R6 start on signature, R8 the CEOP."""

from datetime import date, timedelta
from decimal import Decimal

from aspe.demo.scenarios import STANDARD_COMMITMENTS, STANDARD_OBJECTIVES, household_actor
from aspe.domain.rules import RuleParameters, WeeklyCadence
from aspe.domain.values import (
    Commitment,
    MeasureType,
    Objective,
    ObjectiveProgress,
    Party,
    Signatory,
    Status,
    Step,
    Theme,
)


def test_R4_the_decision_records_the_proposed_and_the_decided_measure(world, story):
    given = story(measure_type=MeasureType.SIMPLE)
    case_id = given.walk_to(Status.REGISTERED)

    with world.acting(world.commission):
        world.app.grant_measure(case_id, MeasureType.REINFORCED, 12, 6, Decimal("1500"))

    granted = world.last_event(case_id)
    assert granted.proposed_measure is MeasureType.SIMPLE
    assert granted.measure_type is MeasureType.REINFORCED
    assert world.app.get_case(case_id).measure_type is MeasureType.REINFORCED


def test_R4_only_the_commission_decides_the_measure(world, story, refused):
    case_id = story().walk_to(Status.REGISTERED)

    for intruder in (world.referent, world.manager, world.spslh, world.landlord):
        with world.acting(intruder), refused.expect("NOT_AUTHORISED"):
            world.app.grant_measure(case_id, MeasureType.SIMPLE, 12, 6, Decimal("1500"))


def test_R4_the_weekly_cadence_defaults_to_the_cahier_and_is_configurable():
    assert RuleParameters().cadence(MeasureType.SIMPLE) == WeeklyCadence(visits=1, home_visits=1)
    assert RuleParameters().cadence(MeasureType.REINFORCED) == WeeklyCadence(3, 2)
    assert RuleParameters(reinforced_visits_per_week=4).cadence(MeasureType.REINFORCED).visits == 4


def test_R5_a_duration_equal_to_the_probation_is_accepted(world, story):
    case_id = story().walk_to(Status.REGISTERED)

    with world.acting(world.commission):
        world.app.grant_measure(case_id, MeasureType.SIMPLE, 6, 6, Decimal("1500"))

    assert world.app.get_case(case_id).duration_months == 6


def test_R5_a_duration_shorter_than_probation_is_refused(world, story, refused):
    case_id = story().walk_to(Status.REGISTERED)

    with world.acting(world.commission), refused.expect("DURATION_SHORTER_THAN_PROBATION"):
        world.app.grant_measure(case_id, MeasureType.SIMPLE, 5, 6, Decimal("1500"))


def test_R6_the_measure_starts_the_day_the_last_required_signature_is_given(world, story):
    given = story(duration_months=12)
    world.clock.set_day(date(2026, 2, 16))
    case_id = given.walk_to(Status.GRANTED)
    given.draft_ceop()
    world.clock.set_day(date(2026, 2, 20))
    with world.acting(household_actor(given.household_id)):
        world.app.record_ceop_signature(case_id, Signatory.HOUSEHOLD, date(2026, 2, 20))
    assert world.app.get_case(case_id).status is Status.GRANTED
    world.clock.set_day(date(2026, 2, 27))

    with world.acting(world.referent):
        world.app.record_ceop_signature(case_id, Signatory.REFERENT, date(2026, 2, 27))

    case = world.app.get_case(case_id)
    assert case.status is Status.ACTIVE
    assert case.starts_on == date(2026, 2, 27)
    assert case.ends_on == date(2027, 2, 27)
    assert world.event_names(case_id)[-2:] == ["CeopSignatureRecorded", "CeopSigned"]


def test_R6_end_date_is_start_plus_duration_clamped_to_the_month(world, story):
    given = story(duration_months=1, probation_months=1)
    world.clock.set_day(date(2026, 1, 31))
    case_id = given.walk_to(Status.GRANTED)
    given.draft_ceop()
    with world.acting(household_actor(given.household_id)):
        world.app.record_ceop_signature(case_id, Signatory.HOUSEHOLD, date(2026, 1, 31))
    with world.acting(world.referent):
        world.app.record_ceop_signature(case_id, Signatory.REFERENT, date(2026, 1, 31))

    assert world.app.get_case(case_id).ends_on == date(2026, 2, 28)


def test_R6_an_extension_moves_the_end_date(world, story):
    case_id = story(duration_months=12).walk_to(Status.ACTIVE)

    with world.acting(world.commission):
        world.app.extend_measure(case_id, 6, "Plan d'apurement en cours")

    case = world.app.get_case(case_id)
    assert case.ends_on == date(2027, 9, 2)
    assert case.duration_months == 18


def test_R6_a_signature_in_the_future_is_refused(world, story, refused):
    given = story()
    case_id = given.walk_to(Status.GRANTED)
    given.draft_ceop()

    with world.acting(world.referent), refused.expect("INVALID_INPUT"):
        world.app.record_ceop_signature(
            case_id, Signatory.REFERENT, world.clock.today() + timedelta(days=1)
        )


def test_R6_a_signature_before_the_draft_of_its_version_is_refused(world, story, refused):
    given = story()
    case_id = given.walk_to(Status.GRANTED)
    given.draft_ceop()

    with world.acting(world.referent), refused.expect("INVALID_INPUT"):
        world.app.record_ceop_signature(
            case_id, Signatory.REFERENT, world.clock.today() - timedelta(days=1)
        )


def test_R8_the_ceop_is_drafted_only_after_the_decision_is_notified(world, story, refused):
    given = story()
    case_id = given.walk_to(Status.REGISTERED)
    given.grant()

    with world.acting(world.referent), refused.expect("DECISION_NOT_NOTIFIED"):
        world.app.draft_ceop(case_id, STANDARD_OBJECTIVES, [], STANDARD_COMMITMENTS)


def test_R8_the_ceop_defines_objectives_steps_and_each_party_commitments(world, story):
    given = story()
    case_id = given.walk_to(Status.GRANTED)
    steps = [Step("Budget établi", date(2026, 4, 1))]

    with world.acting(world.referent):
        world.app.draft_ceop(case_id, STANDARD_OBJECTIVES, steps, STANDARD_COMMITMENTS)

    drafted = world.last_event(case_id)
    assert drafted.version == 1
    assert drafted.steps == steps
    assert {c.party for c in drafted.commitments} == {Party.HOUSEHOLD, Party.REFERENT}
    assert [o.theme for o in drafted.health_objectives] == [Theme.HEALTH]
    assert drafted.required_signatories == [Signatory.HOUSEHOLD, Signatory.REFERENT]


def test_R8_a_ceop_without_the_household_commitments_is_refused(world, story, refused):
    case_id = story().walk_to(Status.GRANTED)
    only_referent = [Commitment(Party.REFERENT, "Visiter le ménage")]

    with world.acting(world.referent), refused.expect("INVALID_INPUT"):
        world.app.draft_ceop(case_id, STANDARD_OBJECTIVES, [], only_referent)


def test_R8_a_commitment_of_the_landlord_requires_its_signature(world, story, refused):
    given = story()
    case_id = given.walk_to(Status.GRANTED)
    commitments = [*STANDARD_COMMITMENTS, Commitment(Party.LANDLORD, "Suspendre la procédure")]
    with world.acting(world.referent):
        world.app.draft_ceop(case_id, STANDARD_OBJECTIVES, [], commitments)
    given.sign_ceop()
    assert world.app.get_case(case_id).status is Status.GRANTED

    with world.acting(world.other_landlord), refused.expect("NOT_AUTHORISED"):
        world.app.record_ceop_signature(case_id, Signatory.LANDLORD, world.clock.today())
    with world.acting(world.landlord):
        world.app.record_ceop_signature(case_id, Signatory.LANDLORD, world.clock.today())

    assert world.app.get_case(case_id).status is Status.ACTIVE


def test_R8_a_signature_not_required_by_the_version_is_refused(world, story, refused):
    given = story()
    case_id = given.walk_to(Status.GRANTED)
    given.draft_ceop()

    with world.acting(world.landlord), refused.expect("SIGNATURE_NOT_REQUIRED"):
        world.app.record_ceop_signature(case_id, Signatory.LANDLORD, world.clock.today())


def test_R8_a_party_signs_a_version_once(world, story, refused):
    given = story()
    case_id = given.walk_to(Status.GRANTED)
    given.draft_ceop()
    with world.acting(world.referent):
        world.app.record_ceop_signature(case_id, Signatory.REFERENT, world.clock.today())

    with world.acting(world.referent), refused.expect("ALREADY_DONE"):
        world.app.record_ceop_signature(case_id, Signatory.REFERENT, world.clock.today())


def test_R8_the_signed_ceop_is_transmitted_to_the_spslh_once_per_version(world, story, refused):
    case_id = story().walk_to(Status.ACTIVE)

    with world.acting(world.referent):
        world.app.transmit_ceop(case_id)
    assert world.last_event(case_id).version == 1
    with world.acting(world.referent), refused.expect("ALREADY_DONE"):
        world.app.transmit_ceop(case_id)


def test_R8_an_amendment_is_a_new_version_with_its_own_signatures(world, story):
    case_id = story().walk_to(Status.ACTIVE)
    started = world.app.get_case(case_id).starts_on
    extra = Objective("obj-job", Theme.EMPLOYMENT, "Lien avec le référent RSA", "EMPLOYMENT_RSA")
    world.clock.set_day(date(2026, 4, 1))

    with world.acting(world.referent):
        world.app.amend_ceop(case_id, [*STANDARD_OBJECTIVES, extra], [], STANDARD_COMMITMENTS)
        world.app.record_ceop_signature(case_id, Signatory.REFERENT, date(2026, 4, 1))
    case = world.app.get_case(case_id)
    assert (case.ceop_version, case.ceop_signed_version) == (2, 1)
    with world.acting(household_actor(case.household_id)):
        world.app.record_ceop_signature(case_id, Signatory.HOUSEHOLD, date(2026, 4, 1))

    case = world.app.get_case(case_id)
    assert case.ceop_signed_version == 2
    assert case.starts_on == started


def test_R8_progress_is_recorded_against_an_objective_of_the_ceop(world, story, refused):
    progress_target = "obj-budget"
    case_id = story().walk_to(Status.ACTIVE)

    with world.acting(world.referent):
        world.app.record_objective_progress(case_id, progress_target, ObjectiveProgress.ACHIEVED)
    assert world.app.get_case(case_id).objective_progress == {
        progress_target: ObjectiveProgress.ACHIEVED
    }
    with world.acting(world.referent), refused.expect("INVALID_INPUT"):
        world.app.record_objective_progress(case_id, "unknown", ObjectiveProgress.ACHIEVED)
