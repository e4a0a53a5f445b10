"""R7 stop and non-collaboration, R10 referent qualification, R12 concertations, consent."""

from datetime import date, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from aspe.demo.scenarios import ADMIN, household_actor
from aspe.domain.actors import SYSTEM_ACTOR, Role
from aspe.domain.staff import Staff
from aspe.domain.values import (
    ConsentScope,
    ContactChannel,
    Diploma,
    Participant,
    Status,
    StopReason,
    SuspensionReason,
    Theme,
    VisitKind,
)

START = date(2026, 3, 2)  # the frozen clock's day: the measure starts on it


def day(n: int) -> date:
    return START + timedelta(days=n)


def raise_alert_on(world, case_id, on: date, actor=SYSTEM_ACTOR) -> None:
    world.clock.set_day(on)
    with world.acting(actor):
        world.app.raise_non_collaboration_alert(case_id)


# ------------------------------------------------------------------ R7: stop
def test_R7_the_commission_stops_a_measure_and_frees_the_household(world, story):
    given = story()
    case_id = given.walk_to(Status.ACTIVE)

    with world.acting(world.commission):
        world.app.stop_measure(case_id, StopReason.NON_COLLABORATION, "Aucun contact")

    case = world.app.get_case(case_id)
    assert (case.status, case.stop_reason) == (Status.STOPPED, StopReason.NON_COLLABORATION)
    assert world.event_names(given.household_id)[-1] == "AspeCaseClosed"


def test_R7_nobody_but_the_commission_stops_a_measure(world, story, refused):
    case_id = story().walk_to(Status.ACTIVE)

    for intruder in (world.referent, world.manager, world.spslh, world.landlord, SYSTEM_ACTOR):
        with world.acting(intruder), refused.expect("NOT_AUTHORISED"):
            world.app.stop_measure(case_id, StopReason.OTHER, "")


def test_R7_a_measure_completes_on_its_end_date_not_before(world, story, refused):
    case_id = story(duration_months=6).walk_to(Status.ACTIVE)
    world.clock.set_day(date(2026, 9, 1))
    with world.acting(SYSTEM_ACTOR), refused.expect("MEASURE_NOT_ENDED"):
        world.app.complete_measure(case_id)

    world.clock.set_day(date(2026, 9, 2))
    with world.acting(SYSTEM_ACTOR):
        world.app.complete_measure(case_id)

    case = world.app.get_case(case_id)
    assert (case.status, case.completed_on) == (Status.COMPLETED, date(2026, 9, 2))


def test_R7_the_final_report_is_submitted_once_after_the_end(world, story, refused):
    case_id = story().walk_to(Status.STOPPED)

    with world.acting(world.referent):
        world.app.submit_final_report(case_id, True, "Dette apurée, loyer repris")
    assert world.last_event(case_id).household_still_housed is True
    with world.acting(world.referent), refused.expect("ALREADY_DONE"):
        world.app.submit_final_report(case_id, True, "Encore")


# ------------------------------------------------- R7: non-collaboration alert
def test_R7_thirteen_silent_days_raise_no_alert(world, story, refused):
    case_id = story().walk_to(Status.ACTIVE)

    world.clock.set_day(day(14))
    assert world.app.get_case(case_id).silent_days(day(14)) == 13
    with world.acting(SYSTEM_ACTOR), refused.expect("ALERT_NOT_DUE"):
        world.app.raise_non_collaboration_alert(case_id)


def test_R7_fourteen_silent_days_raise_one_alert_for_the_commission(world, story):
    case_id = story().walk_to(Status.ACTIVE)

    raise_alert_on(world, case_id, day(15))

    alert = world.last_event(case_id)
    assert type(alert).__name__ == "NonCollaborationAlertRaised"
    assert (alert.silent_since, alert.silent_days, alert.raised_on) == (START, 14, day(15))


def test_R7_one_alert_per_silent_period(world, story, refused):
    case_id = story().walk_to(Status.ACTIVE)
    raise_alert_on(world, case_id, day(15))

    world.clock.set_day(day(20))
    with world.acting(SYSTEM_ACTOR), refused.expect("ALERT_NOT_DUE"):
        world.app.raise_non_collaboration_alert(case_id)


def test_R7_a_contact_ends_the_silent_period_and_a_new_one_may_raise_again(world, story):
    case_id = story().walk_to(Status.ACTIVE)
    raise_alert_on(world, case_id, day(15))
    world.clock.set_day(day(18))
    with world.acting(world.referent):
        world.app.record_contact(case_id, day(18), ContactChannel.PHONE, True)

    raise_alert_on(world, case_id, day(33), actor=world.referent.actor)

    assert world.last_event(case_id).silent_since == day(18)


def test_R7_a_visit_without_the_household_does_not_end_the_silence(world, story):
    case_id = story().walk_to(Status.ACTIVE)
    world.clock.set_day(day(7))
    with world.acting(world.referent):
        world.app.record_visit(
            case_id, day(7), VisitKind.HOME, [Theme.HOUSING], "Porte close", False
        )

    assert world.app.get_case(case_id).is_alert_due(day(15))


@pytest.mark.parametrize(
    "channel", [ContactChannel.LETTER, ContactChannel.PHONE, ContactChannel.SMS]
)
def test_R7_a_contact_the_household_took_no_part_in_does_not_end_the_silence(world, story, channel):
    # given an active measure, and on day 7 a letter sent, a message left or a call
    # unanswered: recorded, but without the household
    case_id = story().walk_to(Status.ACTIVE)
    world.clock.set_day(day(7))
    with world.acting(world.referent):
        world.app.record_contact(
            case_id, day(7), channel, False, [Theme.BUDGET], "Sans réponse", False
        )

    # then the effort is on the record, and the clock runs on from the measure's start
    case = world.app.get_case(case_id)
    assert world.last_event(case_id).household_took_part is False
    assert case.silence_anchor() == START
    assert case.is_alert_due(day(15))


def test_R7_a_call_the_household_answered_ends_the_silence(world, story):
    # given an active measure and, on day 7, a call the household answered
    case_id = story().walk_to(Status.ACTIVE)
    world.clock.set_day(day(7))
    with world.acting(world.referent):
        world.app.record_contact(case_id, day(7), ContactChannel.PHONE, False, (), "", True)

    # then the silence starts again from day 7
    case = world.app.get_case(case_id)
    assert case.silence_anchor() == day(7)
    assert not case.is_alert_due(day(15))


def test_R7_a_contact_the_household_made_without_taking_part_is_refused(world, story, refused):
    case_id = story().walk_to(Status.ACTIVE)
    world.clock.set_day(day(7))

    with world.acting(world.referent), refused.expect("INVALID_INPUT"):
        world.app.record_contact(case_id, day(7), ContactChannel.PHONE, True, (), "", False)


def test_R7_a_suspended_clock_does_not_count_its_days(world, story, refused):
    case_id = story().walk_to(Status.ACTIVE)
    with world.acting(world.referent):
        world.app.suspend_alert_clock(
            case_id, day(3), day(8), SuspensionReason.HOSPITALISATION, "Hospitalisation"
        )

    world.clock.set_day(day(15))
    with world.acting(SYSTEM_ACTOR), refused.expect("ALERT_NOT_DUE"):
        world.app.raise_non_collaboration_alert(case_id)
    assert world.app.get_case(case_id).silent_days(day(15)) == 8
    raise_alert_on(world, case_id, day(21))


def test_R7_the_suspension_is_an_event_with_its_reason(world, story):
    case_id = story().walk_to(Status.ACTIVE)

    with world.acting(world.referent):
        world.app.suspend_alert_clock(case_id, day(3), day(8), SuspensionReason.HOSPITALISATION)

    suspended = world.last_event(case_id)
    assert suspended.reason is SuspensionReason.HOSPITALISATION
    assert (suspended.period.starts_on, suspended.period.ends_on) == (day(3), day(8))


def test_R7_silent_days_are_a_setting_of_the_departement(world, story):
    from aspe.domain.rules import RuleParameters

    case_id = story().walk_to(Status.ACTIVE)
    case = world.app.get_case(case_id)

    assert not case.is_alert_due(day(11))
    assert case.is_alert_due(day(11), RuleParameters(silent_days_before_alert=10))


# ---------------------------------------------------------- R10: the referent
QUALIFYING = {
    Diploma.DEASS,
    Diploma.DEES,
    Diploma.DEEJE,
    Diploma.DEETS,
    Diploma.DECESF,
    Diploma.CAFERUIS,
    Diploma.DEIS,
}


@pytest.mark.parametrize("diploma", list(Diploma), ids=lambda d: d.value)
def test_R10_only_level_three_or_higher_social_work_diplomas_qualify(world, diploma):
    with world.acting(ADMIN):
        staff = world.app.register_staff(
            world.association.id, Role.REFERENT, "Sam", f"sam.{uuid4().hex}@aspe.test", "x", diploma
        )

    assert world.app.load(Staff, staff.id).is_qualified_referent is (diploma in QUALIFYING)


def test_R10_an_unqualified_referent_cannot_open_a_case(world, refused):
    household_id = world.new_household()

    with world.acting(world.manager), refused.expect("NOT_QUALIFIED"):
        world.app.open_case(household_id, world.unqualified.actor.id)


def test_R10_a_case_cannot_be_handed_over_to_an_unqualified_referent(world, story, refused):
    case_id = story().walk_to(Status.ACTIVE)

    with world.acting(world.manager), refused.expect("NOT_QUALIFIED"):
        world.app.assign_referent(case_id, world.unqualified.actor.id)


def test_R10_a_qualification_recorded_later_makes_the_referent_eligible(world):
    household_id = world.new_household()
    with world.acting(world.manager):
        world.app.record_qualification(world.unqualified.actor.id, Diploma.DEASS)

        case = world.app.open_case(household_id, world.unqualified.actor.id)

    assert world.app.get_case(case.id).referent_id == world.unqualified.actor.id


def test_R10_a_manager_hands_a_case_over_and_the_former_referent_keeps_access_30_days(world, story):
    case_id = story().walk_to(Status.ACTIVE)

    with world.acting(world.manager):
        world.app.assign_referent(case_id, world.second_referent.actor.id)

    handover = world.last_event(case_id)
    assert handover.previous_referent_id == world.referent.actor.id
    assert handover.previous_access_until == START + timedelta(days=30)
    assert world.app.get_case(case_id).referent_id == world.second_referent.actor.id


def test_R10_a_referent_cannot_hand_over_nor_to_another_association(world, story, refused):
    case_id = story().walk_to(Status.ACTIVE)
    outsider = world.other_association.referents[0].actor.id

    with world.acting(world.referent), refused.expect("NOT_AUTHORISED"):
        world.app.assign_referent(case_id, world.second_referent.actor.id)
    with world.acting(world.manager), refused.expect("INVALID_INPUT"):
        world.app.assign_referent(case_id, outsider)


def test_R10_the_former_referent_no_longer_acts_on_the_case(world, story, refused):
    case_id = story().walk_to(Status.ACTIVE)
    with world.acting(world.manager):
        world.app.assign_referent(case_id, world.second_referent.actor.id)

    with world.acting(world.referent), refused.expect("NOT_AUTHORISED"):
        world.app.record_contact(case_id, START, ContactChannel.PHONE, True)


# ------------------------------------------------------ R12: concertations
def test_R12_the_referent_holds_a_concertation_with_the_landlord(world, story):
    case_id = story().walk_to(Status.ACTIVE)
    landlord = Participant("Lyon Habitat", world.landlord_id)

    with world.acting(world.referent):
        world.app.hold_concertation(case_id, START, "Plan d'apurement", [landlord], "Accord")

    held = world.last_event(case_id)
    assert held.participants == [landlord]
    assert held.outcome == "Accord"


def test_R12_a_concertation_needs_another_party(world, story, refused):
    case_id = story().walk_to(Status.ACTIVE)

    with world.acting(world.referent), refused.expect("INVALID_INPUT"):
        world.app.hold_concertation(case_id, START, "Point", [], "")


def test_R12_the_commission_invites_the_referent_to_a_session(world, story, refused):
    case_id = story().walk_to(Status.REGISTERED)
    session = START + timedelta(days=14)

    with world.acting(world.commission):
        world.app.issue_commission_invitation(case_id, session)

    invitation = world.last_event(case_id)
    assert (invitation.session_on, invitation.invitee_id) == (session, world.referent.actor.id)
    with world.acting(world.referent), refused.expect("NOT_AUTHORISED"):
        world.app.issue_commission_invitation(case_id, session)


# ------------------------------------------------------------ consent and rent
def test_the_household_consents_to_share_detail_with_its_landlord(world, story, refused):
    given = story()
    case_id = given.walk_to(Status.GRANTED)

    with world.acting(household_actor(given.household_id)):
        world.app.record_consent(case_id, ConsentScope.LANDLORD_DETAIL)

    assert world.app.get_case(case_id).has_consent(ConsentScope.LANDLORD_DETAIL)
    with world.acting(world.landlord), refused.expect("NOT_AUTHORISED"):
        world.app.withdraw_consent(case_id, ConsentScope.LANDLORD_DETAIL)
    with world.acting(world.referent):
        world.app.withdraw_consent(case_id, ConsentScope.LANDLORD_DETAIL)
    assert not world.app.get_case(case_id).has_consent(ConsentScope.LANDLORD_DETAIL)


def test_only_the_case_landlord_reports_rent_payments(world, story, refused):
    case_id = story().walk_to(Status.ACTIVE)

    with world.acting(world.landlord):
        world.app.report_rent_payment(case_id, date(2026, 2, 1), Decimal("620"), Decimal("620"))
    assert world.last_event(case_id).amount_paid == Decimal("620")
    for intruder in (world.other_landlord, world.referent):
        with world.acting(intruder), refused.expect("NOT_AUTHORISED"):
            world.app.report_rent_payment(case_id, date(2026, 2, 1), Decimal("620"), Decimal("0"))


def test_a_repayment_plan_is_agreed_on_a_recorded_debt(world, story, refused):
    case_id = story().walk_to(Status.ACTIVE)

    with world.acting(world.referent):
        debt = world.app.record_debt(case_id, "Lyon Habitat", Decimal("2400"), True)
        world.app.agree_repayment_plan(case_id, debt.id, Decimal("100"), date(2026, 4, 1), 24)

    assert world.last_event(case_id).debt_id == debt.id.hex
    with world.acting(world.referent), refused.expect("INVALID_INPUT"):
        world.app.agree_repayment_plan(
            case_id, world.landlord_id, Decimal("100"), date(2026, 4, 1), 24
        )


def test_another_association_cannot_act_on_the_case(world, story, refused):
    case_id = story().walk_to(Status.ACTIVE)
    outsider = world.other_association.referents[0]

    with world.acting(outsider), refused.expect("NOT_AUTHORISED"):
        world.app.record_contact(case_id, START, ContactChannel.PHONE, True)
    with world.acting(world.other_association.manager), refused.expect("NOT_AUTHORISED"):
        world.app.record_contact(case_id, START, ContactChannel.PHONE, True)


def test_a_visit_planned_outside_the_possible_dates_is_refused(world, story, refused):
    from datetime import datetime, timezone

    case_id = story().walk_to(Status.ACTIVE)
    beyond = datetime.max.replace(tzinfo=timezone(-timedelta(hours=23)))

    with world.acting(world.referent), refused.expect("INVALID_INPUT"):
        world.app.schedule_visit(case_id, beyond, VisitKind.HOME)
