"""Audit trail: every event of a case with who did it, in which role and organisation,
when, and in which conversation — and nothing of what the event said."""

from aspe.demo.scenarios import household_actor
from aspe.domain.values import Status
from aspe.projections.audit_trail import EVENTS, trail


def test_every_event_of_a_case_is_in_its_trail_with_who_when_and_why(world, story, project):
    given = story()
    case_id = given.walk_to(Status.ACTIVE)
    stored = list(world.app.events.get(case_id))

    rows = trail(project("audit_trail"), str(case_id))

    assert [(row["version"], row["event"]) for row in rows] == [
        (event.originator_version, type(event).__name__) for event in stored
    ]
    for row, event in zip(rows, stored, strict=True):
        assert row["aggregate_type"] == "Case"
        assert row["actor_id"] == str(event.actor_id)
        assert row["actor_role"] == event.actor_role.name
        assert row["organisation_id"] == (
            str(event.actor_organisation_id) if event.actor_organisation_id else None
        )
        assert row["occurred_at"] == event.timestamp.isoformat()
        assert row["correlation_id"] == str(event.correlation_id)


def test_the_trail_names_each_party_that_acted(world, story, project):
    given = story()
    case_id = given.walk_to(Status.ACTIVE)

    rows = trail(project("audit_trail"), str(case_id))

    by_event = {row["event"]: row for row in rows}
    assert by_event["Opened"]["actor_id"] == str(world.referent.actor.id)
    assert by_event["RequestRegistered"]["actor_role"] == "SPSLH_AGENT"
    assert by_event["MeasureGranted"]["organisation_id"] == str(
        world.commission.actor.organisation_id
    )
    signatures = [row for row in rows if row["event"] == "CeopSignatureRecorded"]
    assert signatures[0]["actor_id"] == str(household_actor(given.household_id).id)


def test_the_trail_holds_metadata_only_never_what_an_event_said():
    assert set(EVENTS.columns) == {
        "aggregate_id", "version", "aggregate_type", "event", "occurred_at",
        "actor_id", "actor_role", "organisation_id", "correlation_id", "causation_id",
    }  # fmt: skip
