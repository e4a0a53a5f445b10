"""Open alerts: non-collaboration alerts raised and not yet resolved, and the clock's
suspensions the commission sees."""

from datetime import date, timedelta

from aspe.domain.actors import SYSTEM_ACTOR
from aspe.domain.values import (
    ContactChannel,
    Status,
    StopReason,
    SuspensionReason,
    Theme,
    VisitKind,
)
from aspe.projections.open_alerts import open_alerts, suspensions

START = date(2026, 3, 2)  # the frozen clock's day: the measure starts on it


def day(n: int) -> date:
    return START + timedelta(days=n)


def raise_alert_on(world, case_id, on: date, actor=SYSTEM_ACTOR) -> None:
    world.clock.set_day(on)
    with world.acting(actor):
        world.app.raise_non_collaboration_alert(case_id)


def alert_of(view, case_id, association_id=None) -> dict | None:
    found = [a for a in open_alerts(view, association_id) if a["case_id"] == str(case_id)]
    return found[0] if found else None


def test_a_raised_alert_is_open_for_its_association(world, story, project):
    case_id = story().walk_to(Status.ACTIVE)
    raise_alert_on(world, case_id, day(15))

    alert = alert_of(project("open_alerts"), case_id, world.association.id)

    assert alert == {
        "case_id": str(case_id),
        "association_id": str(world.association.id),
        "silent_since": "2026-03-02",
        "silent_days": 14,
        "raised_on": "2026-03-17",
        "raised_by_role": "SYSTEM",
    }


def test_another_associations_alerts_are_not_listed_under_it(world, story, project):
    case_id = story().walk_to(Status.ACTIVE)
    raise_alert_on(world, case_id, day(15), actor=world.referent.actor)

    view = project("open_alerts")

    assert alert_of(view, case_id)["raised_by_role"] == "REFERENT"
    assert alert_of(view, case_id, world.other_association.id) is None


def test_a_contact_after_the_alert_resolves_it(world, story, project):
    case_id = story().walk_to(Status.ACTIVE)
    raise_alert_on(world, case_id, day(15))
    world.clock.set_day(day(18))
    with world.acting(world.referent):
        world.app.record_contact(case_id, day(18), ContactChannel.PHONE, True)

    assert alert_of(project("open_alerts"), case_id) is None


def test_a_visit_without_the_household_leaves_the_alert_open(world, story, project):
    case_id = story().walk_to(Status.ACTIVE)
    raise_alert_on(world, case_id, day(15))
    with world.acting(world.referent):
        world.app.record_visit(
            case_id, day(15), VisitKind.HOME, [Theme.HOUSING], "Porte close", False
        )

    assert alert_of(project("open_alerts"), case_id) is not None


def test_a_visit_with_the_household_resolves_the_alert(world, story, project):
    case_id = story().walk_to(Status.ACTIVE)
    raise_alert_on(world, case_id, day(15))
    with world.acting(world.referent):
        world.app.record_visit(case_id, day(15), VisitKind.OFFICE, [Theme.BUDGET])

    assert alert_of(project("open_alerts"), case_id) is None


def test_a_stopped_measure_leaves_no_open_alert(world, story, project):
    case_id = story().walk_to(Status.ACTIVE)
    raise_alert_on(world, case_id, day(15))
    with world.acting(world.commission):
        world.app.stop_measure(case_id, StopReason.NON_COLLABORATION, "Aucune nouvelle")

    assert alert_of(project("open_alerts"), case_id) is None


def test_a_suspension_shows_its_period_and_reason_category_never_its_details(world, story, project):
    case_id = story().walk_to(Status.ACTIVE)
    with world.acting(world.referent):
        world.app.suspend_alert_clock(
            case_id, day(3), day(8), SuspensionReason.HOSPITALISATION, "Service d'oncologie"
        )

    view = project("open_alerts")

    assert suspensions(view, case_id) == [
        {
            "case_id": str(case_id),
            "starts_on": "2026-03-05",
            "ends_on": "2026-03-10",
            "reason": "HOSPITALISATION",
        }
    ]
    assert "oncologie" not in repr(view.dump())
