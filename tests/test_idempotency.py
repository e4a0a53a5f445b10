"""A command sent again with its idempotency key is stored once and answers as the first time.

Clients retry after a timeout without knowing whether the first attempt was stored; the key
makes the retry harmless. Sequential retries run on both stores; retries racing from several
threads run on PostgreSQL: the key's record, saved with the command's events, lets one win.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from threading import Barrier
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic

from aspe.application import AspeApplication, Created
from aspe.demo.scenarios import CaseStory
from aspe.domain.case import Case
from aspe.domain.errors import InvalidInput
from aspe.domain.household import Household
from aspe.domain.values import Address, ContactChannel, Status, Theme, VisitKind
from aspe.settings import Settings

SENDS = 100
RACERS = 10


@pytest.fixture
def postgres_settings(postgres_settings: Settings) -> Settings:
    """A connection for every racer."""
    return postgres_settings.model_copy(update={"postgres_pool_size": RACERS + 2})


def active_case(world: Any) -> UUID:
    story = CaseStory(world.departement, world.referent, world.new_household())
    return story.walk_to(Status.ACTIVE)


def new_key(command: str) -> str:
    """A key of this test's own: the PostgreSQL schema is shared by the whole test run."""
    return f"{command}-{uuid4().hex}"


def stored(app: AspeApplication, event_class: type, **attributes: Any) -> list[Any]:
    """The stored events of ``event_class`` with these attribute values, in log order."""
    notifications = app.recorder.select_notifications(
        start=1, limit=100_000, topics=[get_topic(event_class)]
    )
    events = [app.mapper.to_domain_event(notification) for notification in notifications]
    return [e for e in events if all(getattr(e, k) == v for k, v in attributes.items())]


def contact_sender(world: Any, case_id: UUID, key: str) -> Callable[[], int]:
    today = world.clock.today()

    def send() -> int:
        return world.app.record_contact(
            case_id,
            today,
            ContactChannel.PHONE,
            True,
            [Theme.BUDGET],
            "Appel du ménage",
            idempotency_key=key,
        )

    return send


def open_case_sender(world: Any, household_id: UUID, key: str) -> Callable[[], Created]:
    def send() -> Created:
        return world.app.open_case(household_id, world.referent.actor.id, idempotency_key=key)

    return send


def household_sender(world: Any, key: str) -> Callable[[], Created]:
    """Registers a household named after the key, so that its registrations can be counted."""

    def send() -> Created:
        return world.app.register_household(
            world.landlord_id,
            Address("3 place Bellecour", "69002", "Lyon"),
            key,
            "06 00 00 00 00",
            2,
            idempotency_key=key,
        )

    return send


@dataclass
class Race:
    answers: list[Any]
    lost_saves: int
    """Saves refused by the store: sends that passed the key check before the winner saved."""


def send_concurrently(world: Any, send: Callable[[], Any], monkeypatch: pytest.MonkeyPatch) -> Race:
    """``SENDS`` sends of the same command from ``RACERS`` threads released together."""
    barrier = Barrier(RACERS, timeout=60)
    lost: list[IntegrityError] = []
    save = world.app.save

    def watched_save(*aggregates: Any, **kwargs: Any) -> Any:
        try:
            return save(*aggregates, **kwargs)
        except IntegrityError as error:
            lost.append(error)
            raise

    def racer() -> list[Any]:
        with world.departement.acting(world.referent.actor):
            barrier.wait()
            return [send() for _ in range(SENDS // RACERS)]

    monkeypatch.setattr(world.app, "save", watched_save)
    with ThreadPoolExecutor(RACERS) as pool:
        futures = [pool.submit(racer) for _ in range(RACERS)]
        answers = [answer for future in futures for answer in future.result()]
    return Race(answers, len(lost))


# -------------------------------------------------------------------- sequential, both stores
def test_a_command_sent_100_times_with_one_key_is_stored_once(world):
    # given an active case
    case_id = active_case(world)
    send = contact_sender(world, case_id, new_key("record_contact"))

    # when the same contact is sent 100 times with the same key
    with world.departement.acting(world.referent.actor):
        first = send()
        head_after_first = world.app.head()
        positions = [send() for _ in range(SENDS - 1)]

    # then one contact is stored, and every answer is at or after the first one's position
    assert len(stored(world.app, Case.ContactRecorded, originator_id=case_id)) == 1
    assert world.app.get_case(case_id).contacts_recorded == 1
    assert world.app.head() == head_after_first
    assert all(position >= first for position in positions)


def test_a_creating_command_sent_again_returns_the_same_id(world):
    # given a household with no case yet
    household_id = world.new_household()
    open_case = open_case_sender(world, household_id, new_key("open_case"))
    household_key = new_key("register_household")
    register_household = household_sender(world, household_key)

    # when opening its case, and registering another household, are each sent 100 times
    with world.departement.acting(world.referent.actor):
        openings = [open_case() for _ in range(SENDS)]
        registrations = [register_household() for _ in range(SENDS)]

    # then each answers with one id, at or after the first position, and is stored once
    assert {created.id for created in openings} == {openings[0].id}
    assert all(created.position >= openings[0].position for created in openings)
    opened = stored(world.app, Case.Opened, household_id=household_id)
    assert [e.originator_id for e in opened] == [openings[0].id]
    assert world.app.load(Household, household_id).open_case_id == openings[0].id
    assert {created.id for created in registrations} == {registrations[0].id}
    assert all(created.position >= registrations[0].position for created in registrations)
    registered = stored(world.app, Household.Registered, name=household_key)
    assert [e.originator_id for e in registered] == [registrations[0].id]


def test_a_key_reused_for_another_command_is_refused_and_stores_nothing(world):
    # given a contact recorded with a key
    case_id = active_case(world)
    key = new_key("record_contact")
    with world.departement.acting(world.referent.actor):
        contact_sender(world, case_id, key)()
        head, version = world.app.head(), world.app.get_case(case_id).version

        # when a visit is sent with the same key
        with pytest.raises(InvalidInput) as refusal:
            world.app.record_visit(
                case_id,
                world.clock.today(),
                VisitKind.HOME,
                [Theme.HOUSING],
                idempotency_key=key,
            )

    # then it is refused as invalid input, and nothing is stored
    assert refusal.value.code == "INVALID_INPUT"
    assert world.app.head() == head
    assert world.app.get_case(case_id).version == version


def test_a_creating_key_reused_for_another_command_is_refused_and_stores_nothing(world):
    # given a household registered with a key
    household_id = world.new_household()
    key = new_key("register_household")
    with world.departement.acting(world.referent.actor):
        household_sender(world, key)()
        head = world.app.head()

        # when a case is opened with the same key
        with pytest.raises(InvalidInput) as refusal:
            world.app.open_case(household_id, world.referent.actor.id, idempotency_key=key)

    # then it is refused as invalid input, and no case is opened
    assert refusal.value.code == "INVALID_INPUT"
    assert world.app.head() == head
    assert world.app.load(Household, household_id).open_case_id is None


def test_a_refused_command_does_not_use_up_its_key(world):
    # given a contact refused because it is dated in the future
    case_id = active_case(world)
    tomorrow = world.clock.today() + timedelta(days=1)
    key = new_key("record_contact")
    with world.departement.acting(world.referent.actor):
        with pytest.raises(InvalidInput):
            world.app.record_contact(
                case_id, tomorrow, ContactChannel.SMS, False, idempotency_key=key
            )
        head = world.app.head()

        # when it is sent again, corrected, with the same key
        position = world.app.record_contact(
            case_id, world.clock.today(), ContactChannel.SMS, False, idempotency_key=key
        )

    # then the corrected contact is stored
    assert position > head
    assert world.app.get_case(case_id).contacts_recorded == 1


# ------------------------------------------------------------ concurrent, PostgreSQL only
@pytest.mark.parametrize("settings", ["postgres"], indirect=True)
def test_a_key_raced_from_several_threads_is_stored_once(world, monkeypatch):
    # given an active case
    case_id = active_case(world)

    # when 10 threads send the same contact with the same key, 100 sends in all
    send = contact_sender(world, case_id, new_key("contact"))
    race = send_concurrently(world, send, monkeypatch)

    # then some sends really raced past the key check, yet every send is answered, one
    # contact is stored, and every answer is at or after its position
    assert race.lost_saves > 0, "no send lost a race: the threads did not race"
    positions = race.answers
    contacts = stored(world.app, Case.ContactRecorded, originator_id=case_id)
    assert len(positions) == SENDS
    assert len(contacts) == 1
    assert world.app.get_case(case_id).contacts_recorded == 1
    contact_position = _position_of(world.app, contacts[0])
    assert all(world.app.head() >= position >= contact_position for position in positions)


@pytest.mark.parametrize("settings", ["postgres"], indirect=True)
@pytest.mark.parametrize("command", ["open_case", "register_household"])
def test_a_creating_key_raced_from_several_threads_returns_one_id(world, command, monkeypatch):
    # given a household with no case yet
    household_id = world.new_household()
    key = new_key(command)
    senders = {
        "open_case": open_case_sender(world, household_id, key),
        "register_household": household_sender(world, key),
    }

    # when 10 threads send the same creating command with the same key, 100 sends in all
    race = send_concurrently(world, senders[command], monkeypatch)

    # then some sends really raced past the key check, yet every send answers with the
    # same id: the id of the one aggregate stored
    assert race.lost_saves > 0, "no send lost a race: the threads did not race"
    answers = race.answers
    assert len(answers) == SENDS
    ids = {created.id for created in answers}
    if command == "open_case":
        created = stored(world.app, Case.Opened, household_id=household_id)
        assert world.app.load(Household, household_id).open_case_id in ids
    else:
        created = stored(world.app, Household.Registered, name=key)
    assert len(created) == 1
    strays = ids - {created[0].originator_id}
    assert not strays, f"{len(strays)} answers name an aggregate that was never stored"


def _position_of(app: AspeApplication, event: Any) -> int:
    notifications = app.recorder.select_notifications(
        start=1, limit=100_000, topics=[get_topic(type(event))]
    )
    return next(
        n.id
        for n in notifications
        if n.originator_id == event.originator_id
        and n.originator_version == event.originator_version
    )
