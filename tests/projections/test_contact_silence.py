"""Contact silence: the last meeting or contact per measure, and the alerts due (R7)."""

from datetime import date, timedelta

from aspe.domain.actors import SYSTEM_ACTOR
from aspe.domain.rules import DEFAULT_RULES, RuleParameters
from aspe.domain.values import ContactChannel, Status, SuspensionReason, Theme, VisitKind
from aspe.projections.contact_silence import alerts_due, silent_days

START = date(2026, 3, 2)  # the frozen clock's day: the measure starts on it


def day(n: int) -> date:
    return START + timedelta(days=n)


def contact(world, case_id, on: date) -> None:
    world.clock.set_day(on)
    with world.acting(world.referent):
        world.app.record_contact(case_id, on, ContactChannel.PHONE, True)


def visit(world, case_id, on: date, household_present: bool) -> None:
    world.clock.set_day(on)
    with world.acting(world.referent):
        world.app.record_visit(case_id, on, VisitKind.HOME, [Theme.HOUSING], "", household_present)


def suspend(world, case_id, first: date, last: date) -> None:
    with world.acting(world.referent):
        world.app.suspend_alert_clock(case_id, first, last, SuspensionReason.HOSPITALISATION)


def due_ids(view, on: date, rules=DEFAULT_RULES) -> set[str]:
    return {row["case_id"] for row in alerts_due(view, on, rules)}


def test_a_started_measure_is_watched_from_its_start(world, story, project):
    case_id = story().walk_to(Status.ACTIVE)

    row = project("contact_silence").get("measures", str(case_id))

    assert (row["starts_on"], row["last_contact_on"], row["active"]) == ("2026-03-02", None, True)
    assert (row["association_id"], row["referent_id"]) == (
        str(world.association.id),
        str(world.referent.actor.id),
    )


def test_a_contact_is_the_last_contact(world, story, project):
    case_id = story().walk_to(Status.ACTIVE)
    contact(world, case_id, day(5))

    row = project("contact_silence").get("measures", str(case_id))

    assert row["last_contact_on"] == "2026-03-07"


def test_a_visit_with_the_household_present_is_the_last_contact(world, story, project):
    case_id = story().walk_to(Status.ACTIVE)
    visit(world, case_id, day(4), household_present=True)

    row = project("contact_silence").get("measures", str(case_id))

    assert row["last_contact_on"] == "2026-03-06"


def test_a_visit_without_the_household_is_no_contact(world, story, project):
    case_id = story().walk_to(Status.ACTIVE)
    contact(world, case_id, day(2))
    visit(world, case_id, day(6), household_present=False)

    row = project("contact_silence").get("measures", str(case_id))

    assert row["last_contact_on"] == "2026-03-04"


def test_a_contact_recorded_late_does_not_move_the_last_contact_back(world, story, project):
    case_id = story().walk_to(Status.ACTIVE)
    contact(world, case_id, day(9))
    with world.acting(world.referent):
        world.app.record_contact(case_id, day(3), ContactChannel.LETTER, False)

    row = project("contact_silence").get("measures", str(case_id))

    assert row["last_contact_on"] == "2026-03-11"


def test_silent_days_across_suspensions_equal_the_aggregates(world, story, project):
    case_id = story().walk_to(Status.ACTIVE)
    suspend(world, case_id, day(3), day(8))
    contact(world, case_id, day(10))
    suspend(world, case_id, day(14), day(20))
    suspend(world, case_id, day(18), day(25))

    row = project("contact_silence").get("measures", str(case_id))

    case = world.app.get_case(case_id)
    for on in (day(0), day(5), day(9), day(11), day(16), day(22), day(30), day(60)):
        assert silent_days(row, on) == case.silent_days(on), on
    assert silent_days(row, day(30)) == 19 - 12  # days 11..29, less 14..25 suspended once


def test_an_alert_falls_due_after_fourteen_silent_days_and_once(world, story, project):
    case_id = story().walk_to(Status.ACTIVE)
    view = project("contact_silence")
    assert str(case_id) not in due_ids(view, day(14))
    assert str(case_id) in due_ids(view, day(15))

    world.clock.set_day(day(15))
    with world.acting(SYSTEM_ACTOR):
        world.app.raise_non_collaboration_alert(case_id)

    view = project("contact_silence")
    assert view.get("measures", str(case_id))["alerted_silences"] == ["2026-03-02"]
    assert str(case_id) not in due_ids(view, day(20))


def test_a_suspension_delays_the_alert_as_for_the_aggregate(world, story, project):
    case_id = story().walk_to(Status.ACTIVE)
    suspend(world, case_id, day(3), day(8))

    view = project("contact_silence")

    case = world.app.get_case(case_id)
    for on in (day(15), day(20), day(21)):
        assert (str(case_id) in due_ids(view, on)) is case.is_alert_due(on), on
    assert str(case_id) in due_ids(view, day(21))


def test_the_silent_period_before_an_alert_is_a_setting_of_the_departement(world, story, project):
    case_id = story().walk_to(Status.ACTIVE)

    view = project("contact_silence")

    assert str(case_id) not in due_ids(view, day(11))
    assert str(case_id) in due_ids(view, day(11), RuleParameters(silent_days_before_alert=10))


def test_a_stopped_measure_is_no_longer_watched(world, story, project):
    case_id = story().walk_to(Status.STOPPED)

    view = project("contact_silence")

    assert view.get("measures", str(case_id))["active"] is False
    assert str(case_id) not in due_ids(view, day(30))


def test_a_handover_names_the_new_referent(world, story, project):
    case_id = story().walk_to(Status.ACTIVE)
    with world.acting(world.manager):
        world.app.assign_referent(case_id, world.second_referent.actor.id)

    row = project("contact_silence").get("measures", str(case_id))

    assert row["referent_id"] == str(world.second_referent.actor.id)
