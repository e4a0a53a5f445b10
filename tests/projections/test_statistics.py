"""Statistics: counts by status and measure type, durations, outcomes at the end of measures."""

from datetime import date, timedelta

from aspe.demo.scenarios import CaseStory
from aspe.domain.actors import SYSTEM_ACTOR
from aspe.domain.values import MeasureType, Status, StopReason, Theme, VisitKind
from aspe.projections.statistics import Cadence, Outcomes, last_months, statistics


def test_cases_are_counted_by_the_status_they_stand_at(world, story, project):
    for status in (Status.DIAGNOSTIC, Status.SUBMITTED, Status.ACTIVE, Status.ACTIVE):
        story().walk_to(status)
    story().walk_to(Status.REJECTED)

    figures = statistics_of(world.association, project)

    assert figures.cases == 5
    assert figures.by_status["DIAGNOSTIC"] == 1
    assert figures.by_status["SUBMITTED"] == 1
    assert figures.by_status["ACTIVE"] == 2
    assert figures.by_status["REJECTED"] == 1
    assert figures.by_status["COMPLETED"] == 0


def test_granted_measures_are_counted_by_the_type_the_commission_decided(world, story, project):
    story().walk_to(Status.ACTIVE)
    story(measure_type=MeasureType.REINFORCED).walk_to(Status.GRANTED)
    story(measure_type=MeasureType.REINFORCED).walk_to(Status.STOPPED)
    story(measure_type=MeasureType.REINFORCED).walk_to(Status.REGISTERED)

    figures = statistics_of(world.association, project)

    assert figures.by_measure_type == {"SIMPLE": 1, "REINFORCED": 2}


def test_the_time_to_decision_runs_from_submission_to_the_commission(world, story, project):
    given = story()
    given.open()
    given.diagnose()
    given.submit()
    world.clock.set_day(date(2026, 3, 16))
    given.register()
    world.clock.set_day(date(2026, 3, 30))
    given.grant()
    story().walk_to(Status.REJECTED)  # submitted and rejected on the same day

    figures = statistics_of(world.association, project)

    assert figures.average_days_to_decision == (28 + 0) / 2


def test_the_measure_length_averages_ended_measures_from_start_to_end(world, story, project):
    story(duration_months=12).walk_to(Status.COMPLETED)  # 2026-03-02 to 2027-03-02
    stopped = story()
    stopped.walk_to(Status.ACTIVE)
    world.clock.set_day(date(2026, 3, 2) + timedelta(days=45))
    with world.acting(world.commission):
        world.app.stop_measure(stopped.case_id, StopReason.NON_COLLABORATION, "Sans nouvelles")
    story().walk_to(Status.ACTIVE)  # not ended: not counted

    figures = statistics_of(world.association, project)

    assert figures.average_measure_days == (365 + 45) / 2


def test_an_extended_measure_is_measured_to_its_new_end(world, story, project):
    case_id = story(duration_months=12).walk_to(Status.ACTIVE)
    with world.acting(world.commission):
        world.app.extend_measure(case_id, 6, "Plan d'apurement en cours")
    world.clock.set_day(date(2027, 9, 2))
    with world.acting(SYSTEM_ACTOR):
        world.app.complete_measure(case_id)

    figures = statistics_of(world.association, project)

    assert figures.average_measure_days == (date(2027, 9, 2) - date(2026, 3, 2)).days
    row = project("statistics").get("cases", str(case_id))
    assert (row["duration_months"], row["ends_on"]) == (18, "2027-09-02")


def test_a_final_report_counts_whether_the_household_was_still_housed(world, story, project):
    housed, not_housed = story().walk_to(Status.COMPLETED), story().walk_to(Status.STOPPED)
    story().walk_to(Status.STOPPED)  # no final report yet
    with world.acting(world.referent):
        world.app.submit_final_report(housed, True, "Loyer repris, dette apurée.")
        world.app.submit_final_report(not_housed, False, "Expulsion exécutée.")

    figures = statistics_of(world.association, project)

    assert figures.outcomes == Outcomes(housed=1, not_housed=1, unknown=1)


def test_an_association_sees_the_figures_of_its_own_cases(world, story, project):
    story().walk_to(Status.ACTIVE)
    other_referent = world.other_association.referents[0]
    household = world.departement.add_household(other_referent, world.landlord_id, "Ménage Roy")
    CaseStory(world.departement, other_referent, household).walk_to(Status.SUBMITTED)

    mine = statistics_of(world.association, project)
    theirs = statistics_of(world.other_association, project)

    assert (mine.cases, mine.by_status["ACTIVE"], mine.by_status["SUBMITTED"]) == (1, 1, 0)
    assert (theirs.cases, theirs.by_status["ACTIVE"], theirs.by_status["SUBMITTED"]) == (1, 0, 1)


def test_the_departement_figures_count_every_association(world, story, project):
    before = statistics(project("statistics"))
    story().walk_to(Status.SUBMITTED)
    other_referent = world.other_association.referents[0]
    household = world.departement.add_household(other_referent, world.landlord_id, "Ménage Roy")
    CaseStory(world.departement, other_referent, household).walk_to(Status.SUBMITTED)

    after = statistics(project("statistics"))

    assert after.cases - before.cases == 2
    assert after.by_status["SUBMITTED"] - before.by_status["SUBMITTED"] == 2


def test_no_personal_data_is_stored(world, story, project):
    case_id = story().walk_to(Status.STOPPED)
    with world.acting(world.referent):
        world.app.submit_final_report(case_id, True, "Mme Durand est relogée chez sa sœur.")

    rows = project("statistics").select(
        "cases", where={"association_id": str(world.association.id)}
    )

    stored = " ".join(str(value) for row in rows for value in row.values())
    assert "Durand" not in stored
    assert rows[0]["stop_reason"] == "HOUSEHOLD_MOVED"


def test_the_durations_to_submission_and_to_start_are_averaged(world, story, project):
    given = story()
    given.open()
    world.clock.set_day(date(2026, 3, 12))
    given.diagnose()
    given.submit()
    given.register()
    given.grant()
    given.notify()
    given.draft_ceop()
    world.clock.set_day(date(2026, 3, 19))
    given.sign_ceop()

    figures = statistics_of(world.association, project)

    assert (figures.average_days_to_submission, figures.average_days_to_start) == (10, 7)


def test_stopped_measures_are_counted_by_reason(world, story, project):
    story().walk_to(Status.STOPPED)  # the story stops it as HOUSEHOLD_MOVED
    story().walk_to(Status.COMPLETED)

    figures = statistics_of(world.association, project)

    assert figures.by_stop_reason is not None
    assert figures.by_stop_reason["HOUSEHOLD_MOVED"] == 1
    assert sum(figures.by_stop_reason.values()) == 1


def test_every_alert_raised_is_counted_in_its_month(world, story, project):
    case_id = story().walk_to(Status.ACTIVE)  # started 2026-03-02, nobody heard of since
    world.clock.set_day(date(2026, 3, 20))
    with world.acting(SYSTEM_ACTOR):
        world.app.raise_non_collaboration_alert(case_id)
    with world.acting(world.referent):  # the household is met: the alert is resolved
        world.app.record_visit(case_id, date(2026, 3, 20), VisitKind.HOME, [Theme.BUDGET])
    world.clock.set_day(date(2026, 4, 10))
    with world.acting(SYSTEM_ACTOR):
        world.app.raise_non_collaboration_alert(case_id)

    figures = statistics_of(world.association, project, today=date(2026, 4, 10))

    assert figures.alerts_raised == 2
    months = {month.month: month.alerts_raised for month in figures.months}
    assert (months["2026-03"], months["2026-04"]) == (1, 1)


def test_weeks_over_are_counted_with_those_that_met_the_cadence(world, story, project):
    case_id = story().walk_to(Status.ACTIVE)  # SIMPLE: one home visit a week, from Monday 2
    with world.acting(world.referent):
        for day in (date(2026, 3, 3), date(2026, 3, 17), date(2026, 3, 31)):
            world.clock.set_day(day)
            world.app.record_visit(case_id, day, VisitKind.HOME, [Theme.BUDGET])

    figures = statistics_of(world.association, project, today=date(2026, 4, 1))

    # weeks of March 2, 9, 16, 23 are over; the week of March 30 is not
    assert figures.cadence == Cadence(measured_weeks=4, compliant_weeks=2)
    assert figures.cadence.rate == 0.5
    march = next(month for month in figures.months if month.month == "2026-03")
    assert march.cadence == Cadence(4, 2)


def test_months_follow_cases_from_opening_to_their_end(world, story, project):
    story(measure_type=MeasureType.REINFORCED).walk_to(Status.ACTIVE)  # all on 2026-03-02
    stopped = story().walk_to(Status.ACTIVE)
    world.clock.set_day(date(2026, 4, 15))
    with world.acting(world.commission):
        world.app.stop_measure(stopped, StopReason.NON_COLLABORATION, "Sans nouvelles")
    story().walk_to(Status.REJECTED)
    story().walk_to(Status.SUBMITTED)

    figures = statistics_of(world.association, project, today=date(2026, 5, 6))

    assert len(figures.months) == 12
    assert [month.month for month in figures.months[-3:]] == ["2026-03", "2026-04", "2026-05"]
    march, april, may = figures.months[-3:]
    assert (march.opened, march.submitted, march.granted) == (2, 2, {"SIMPLE": 1, "REINFORCED": 1})
    assert march.running == {"SIMPLE": 1, "REINFORCED": 1}
    assert (april.opened, april.submitted, april.rejected, april.stopped) == (2, 2, 1, 1)
    assert april.running == {"SIMPLE": 0, "REINFORCED": 1}
    assert (may.opened, may.running) == (0, {"SIMPLE": 0, "REINFORCED": 1})


def test_the_last_months_end_with_the_current_one_up_to_today():
    months = last_months(date(2026, 2, 14), count=3)

    assert months == [
        ("2025-12", date(2025, 12, 31)),
        ("2026-01", date(2026, 1, 31)),
        ("2026-02", date(2026, 2, 14)),
    ]


def statistics_of(association, project, today=None):
    """The figures of one association: the PostgreSQL store is shared by the session's tests."""
    return statistics(
        project("statistics"),
        association_id=str(association.id),
        compliance=project("visit_compliance"),
        today=today,
    )
