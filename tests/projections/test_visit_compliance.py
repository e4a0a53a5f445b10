"""Weekly visit compliance: per measure and ISO week, the visits R4 requires and those made."""

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from eventsourcing.sqlite import SQLiteDatastore

from aspe.domain.rules import RuleParameters
from aspe.domain.values import MeasureType, Status, StopReason, Theme, VisitKind
from aspe.projections.runner import Projector
from aspe.projections.view import PostgresTableView, SQLiteTableView, TableView
from aspe.projections.visit_compliance import WeeklyVisitCompliance, weekly_compliance

START = date(2026, 3, 2)  # the frozen clock's Monday: the measure starts on it, week 10


def day(n: int) -> date:
    return START + timedelta(days=n)


def visit(
    world, case_id, on: date, kind=VisitKind.HOME, note: str = "", present: bool = True
) -> None:
    world.clock.set_day(on)
    with world.acting(world.referent):
        world.app.record_visit(case_id, on, kind, [Theme.HOUSING], note, present)


def summary(weeks) -> list[tuple]:
    return [(w.iso_week, w.visits, w.home_visits, w.compliant) for w in weeks]


def test_a_simple_measure_is_compliant_in_the_weeks_with_a_home_visit(world, story, project):
    case_id = story().walk_to(Status.ACTIVE)
    visit(world, case_id, day(2))
    visit(world, case_id, day(8), VisitKind.OFFICE)

    weeks = weekly_compliance(project("visit_compliance"), case_id, until=day(20))

    assert summary(weeks) == [
        ("2026-W10", 1, 1, True),
        ("2026-W11", 1, 0, False),
        ("2026-W12", 0, 0, False),
    ]
    assert {(w.required_visits, w.required_home_visits) for w in weeks} == {(1, 1)}


def test_a_visit_with_nobody_home_is_shown_as_attempted_not_counted_as_held(world, story, project):
    # given a simple measure (one home visit a week) and, in week 10, two home visits
    # with nobody home; in week 11, one held
    case_id = story().walk_to(Status.ACTIVE)
    visit(world, case_id, day(1), note="Porte close", present=False)
    visit(world, case_id, day(3), note="Porte close", present=False)
    visit(world, case_id, day(8))

    # when the weeks are read
    weeks = weekly_compliance(project("visit_compliance"), case_id, until=day(9))

    # then week 10 is below cadence, its two attempts shown beside it (R4 counts visits held)
    assert [(w.iso_week, w.visits, w.attempted_visits, w.compliant) for w in weeks] == [
        ("2026-W10", 0, 2, False),
        ("2026-W11", 1, 0, True),
    ]


def test_a_reinforced_measure_needs_three_visits_of_which_two_at_home(world, story, project):
    case_id = story(measure_type=MeasureType.REINFORCED).walk_to(Status.ACTIVE)
    for on, kind in [(0, VisitKind.HOME), (2, VisitKind.OFFICE), (4, VisitKind.HOME)]:
        visit(world, case_id, day(on), kind)
    for on, kind in [(7, VisitKind.HOME), (8, VisitKind.OFFICE), (9, VisitKind.OTHER)]:
        visit(world, case_id, day(on), kind)

    weeks = weekly_compliance(project("visit_compliance"), case_id, until=day(13))

    assert summary(weeks) == [("2026-W10", 3, 2, True), ("2026-W11", 3, 1, False)]
    assert (weeks[1].required_visits, weeks[1].required_home_visits) == (3, 2)
    assert weeks[1].other_visits == 2


@pytest.fixture
def four_visits_a_week(settings, projector) -> Iterator[TableView]:
    """The read model under a cadence of four reinforced visits, in a view of its own."""
    name = "visit_compliance_four_visits"
    if settings.uses_postgres:
        datastore = projector.model("visit_compliance").view.datastore
        view = PostgresTableView(datastore, name, WeeklyVisitCompliance.tables)
    else:
        datastore = SQLiteDatastore(str(settings.sqlite_path(name)))
        view = SQLiteTableView(datastore, name, WeeklyVisitCompliance.tables)
    view.create_tables()
    yield view
    if not settings.uses_postgres:
        datastore.close()


def test_the_weekly_cadence_is_a_setting_of_the_departement(
    world, story, projector, four_visits_a_week
):
    case_id = story(measure_type=MeasureType.REINFORCED).walk_to(Status.ACTIVE)
    for on, kind in [(0, VisitKind.HOME), (2, VisitKind.OFFICE), (4, VisitKind.HOME)]:
        visit(world, case_id, day(on), kind)

    rules = RuleParameters(reinforced_visits_per_week=4)
    Projector(world.app, [WeeklyVisitCompliance(four_visits_a_week, rules)]).catch_up()

    (week,) = weekly_compliance(four_visits_a_week, case_id, until=day(6))
    assert (week.required_visits, week.required_home_visits) == (4, 2)
    assert (week.visits, week.compliant) == (3, False)


def test_the_weeks_end_with_the_week_the_measure_is_stopped(world, story, project):
    case_id = story().walk_to(Status.ACTIVE)
    world.clock.set_day(day(9))
    with world.acting(world.commission):
        world.app.stop_measure(case_id, StopReason.HOUSEHOLD_MOVED)

    weeks = weekly_compliance(project("visit_compliance"), case_id, until=day(40))

    assert [w.iso_week for w in weeks] == ["2026-W10", "2026-W11"]


def test_an_extension_moves_the_end_of_the_measure(world, story, project):
    case_id = story(duration_months=6).walk_to(Status.ACTIVE)
    with world.acting(world.commission):
        world.app.extend_measure(case_id, 2, "Relogement en cours")

    row = project("visit_compliance").get("measures", str(case_id))

    assert (row["starts_on"], row["ends_on"]) == ("2026-03-02", "2026-11-02")


def test_no_weeks_before_the_measure_starts(world, story, project):
    case_id = story().walk_to(Status.GRANTED)

    assert weekly_compliance(project("visit_compliance"), case_id, until=day(20)) == []


def test_the_compliance_holds_counts_never_notes(world, story, project):
    case_id = story().walk_to(Status.ACTIVE)
    visit(world, case_id, day(1), note="Madame évoque des violences conjugales")

    dump = repr(project("visit_compliance").dump())

    assert "violences" not in dump
    assert "HOUSING" not in dump
