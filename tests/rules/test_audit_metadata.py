"""Every stored event says who did it, for which organisation, when (UTC), and why."""

from datetime import UTC

from aspe.domain.actors import Role, acting_as
from aspe.domain.errors import NoActor
from aspe.domain.values import ContactChannel, Status


def test_every_event_of_a_case_carries_actor_role_organisation_time_and_ids(world, story):
    case_id = story().walk_to(Status.COMPLETED)

    events = list(world.app.events.get(case_id))

    assert len(events) > 5
    for event in events:
        assert event.actor_id is not None
        assert isinstance(event.actor_role, Role)
        assert event.correlation_id is not None
        assert event.causation_id is not None
        assert event.timestamp.tzinfo is not None
        assert event.timestamp.utcoffset() == UTC.utcoffset(None)
    opened = events[0]
    assert (opened.actor_id, opened.actor_role, opened.actor_organisation_id) == (
        world.referent.actor.id,
        Role.REFERENT,
        world.association.id,
    )
    assert events[-1].actor_role is Role.SYSTEM


def test_commands_of_one_conversation_share_a_correlation_id_not_a_causation_id(world, story):
    case_id = story().walk_to(Status.ACTIVE)

    with world.acting(world.referent):
        world.app.record_contact(case_id, world.clock.today(), ContactChannel.PHONE, True)
        world.app.record_contact(case_id, world.clock.today(), ContactChannel.SMS, False)

    first, second = list(world.app.events.get(case_id))[-2:]
    assert first.correlation_id == second.correlation_id
    assert first.causation_id != second.causation_id


def test_a_given_correlation_and_causation_are_kept(world, story):
    from uuid import uuid4

    case_id = story().walk_to(Status.ACTIVE)
    correlation, causation = uuid4(), uuid4()

    with acting_as(
        world.referent.actor,
        correlation_id=correlation,
        causation_id=causation,
        clock=world.clock,
    ):
        world.app.record_contact(case_id, world.clock.today(), ContactChannel.PHONE, True)

    contact = world.last_event(case_id)
    assert (contact.correlation_id, contact.causation_id) == (correlation, causation)


def test_a_command_without_an_actor_is_refused_and_stores_nothing(world, story, refused):
    case_id = story().walk_to(Status.ACTIVE)

    with refused.expect(NoActor.code):
        world.app.record_contact(case_id, world.clock.today(), ContactChannel.PHONE, True)
