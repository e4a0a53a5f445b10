"""Commission agenda: registered requests awaiting a decision, with what it takes to decide."""

from datetime import date

from aspe.domain.values import Status
from aspe.projections.commission_agenda import agenda, item
from aspe.projections.view import Changes, RowCache, Rows


def ours(world, rows):
    """The rows of this test's association (a PostgreSQL store is shared by the run)."""
    return [row for row in rows if row["association_id"] == str(world.association.id)]


def test_a_registered_request_is_on_the_agenda_without_health(world, story, project):
    case_id = story().walk_to(Status.REGISTERED)

    (row,) = ours(world, agenda(project("commission_agenda")))

    assert row["case_id"] == str(case_id)
    assert (row["session_on"], row["registered_on"]) == ("2026-03-16", "2026-03-02")
    assert (row["household_name"], row["household_members"]) == ("Ménage Durand", 3)
    assert row["landlord_id"] == str(world.landlord_id)
    assert row["referent_id"] == str(world.referent.actor.id)
    assert [finding["theme"] for finding in row["findings"]] == ["BUDGET", "HOUSING"]
    assert "HEALTH" not in {objective["theme"] for objective in row["proposed_objectives"]}
    assert (row["rent_arrears_cents"], row["aid_requested_cents"]) == (240_000, 180_000)
    assert (row["proposed_measure"], row["proposed_duration_months"]) == ("SIMPLE", 12)
    assert (row["adjournment_count"], row["adjournments"]) == (0, [])


def test_a_submitted_request_not_yet_registered_is_not_on_the_agenda(world, story, project):
    story().walk_to(Status.SUBMITTED)

    assert ours(world, agenda(project("commission_agenda"))) == []


def test_a_decided_request_leaves_the_agenda(world, story, project):
    granted = story().walk_to(Status.GRANTED)
    rejected = story().walk_to(Status.REJECTED)
    waiting = story().walk_to(Status.REGISTERED)

    view = project("commission_agenda")

    assert [row["case_id"] for row in ours(world, agenda(view))] == [str(waiting)]
    assert item(view, str(granted)) is None
    assert item(view, str(rejected)) is None


def test_an_adjourned_request_returns_when_registered_again_with_its_adjournment(
    world, story, project
):
    case_id = story().walk_to(Status.ADJOURNED)
    while_adjourned = ours(world, agenda(project("commission_agenda")))
    world.clock.set_day(date(2026, 3, 9))
    with world.acting(world.spslh):
        world.app.register_request(case_id, date(2026, 3, 30))

    row = item(project("commission_agenda"), str(case_id))

    assert while_adjourned == []
    assert (row["session_on"], row["registered_on"]) == ("2026-03-30", "2026-03-09")
    assert row["adjournment_count"] == 1
    assert row["adjournments"] == [{"adjourned_on": "2026-03-02", "reason": "Pièces manquantes"}]


def test_the_agenda_is_ordered_by_session_then_registration(world, story, project):
    late_session = story()
    late_session.walk_to(Status.SUBMITTED)
    registered_later = story()
    registered_later.walk_to(Status.SUBMITTED)
    early_session = story().walk_to(Status.REGISTERED)  # session on 16 March
    late_session.register(session_in_days=28)  # 30 March, registered on 2 March
    world.clock.set_day(date(2026, 3, 3))
    registered_later.register(session_in_days=27)  # 30 March, registered on 3 March

    view = project("commission_agenda")

    assert [row["case_id"] for row in ours(world, agenda(view))] == [
        str(early_session),
        str(late_session.case_id),
        str(registered_later.case_id),
    ]
    assert [row["case_id"] for row in ours(world, agenda(view, session_on="2026-03-16"))] == [
        str(early_session)
    ]


def test_an_item_is_rebuilt_from_its_own_case_and_household_alone(world, story, project, projector):
    given = story()
    case_id = given.walk_to(Status.REGISTERED)
    story().walk_to(Status.REGISTERED)
    stored = item(project("commission_agenda"), str(case_id))
    model = projector.model("commission_agenda")
    changes = Changes(
        {table.name: Rows(table, RowCache(), lambda *_: None) for table in model.tables}
    )

    household_registered = next(iter(world.app.events.get(given.household_id)))
    model.apply([household_registered, *world.app.events.get(case_id)], changes)

    assert changes.items.get(str(case_id)) == stored
