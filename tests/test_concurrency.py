"""Commands racing on the same aggregates: each stored once, or refused and stored nothing.

Threads start every round together at a barrier, so they load the same version of the
case and really race to save it. The store decides: one save per version wins, the others
are refused with ``ConcurrentUpdate``. PostgreSQL is the store that matters (a pool with a
connection per racer); the embedded SQLite store runs the same races.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from threading import Barrier
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.utils import get_topic

from aspe.application import AspeApplication
from aspe.bootstrap import build_application
from aspe.demo.scenarios import CaseStory
from aspe.domain.actors import Actor
from aspe.domain.case import Case
from aspe.domain.errors import CombinationForbidden, ConcurrentUpdate
from aspe.domain.household import Household
from aspe.domain.values import ContactChannel, Status, Theme
from aspe.settings import Settings

RACERS = 8
ROUNDS = 50


@pytest.fixture
def postgres_settings(postgres_settings: Settings) -> Settings:
    """A connection for every racer."""
    return postgres_settings.model_copy(update={"postgres_pool_size": RACERS + 2})


@dataclass
class RaceResult:
    accepted: dict[tuple[int, int], Any] = field(default_factory=dict)
    refused: dict[tuple[int, int], Exception] = field(default_factory=dict)


def race(world: Any, actor: Actor, attempt: Callable[[int, int], Any], rounds: int) -> RaceResult:
    """``RACERS`` threads run ``attempt(racer, round)`` as ``actor``, rounds started together."""
    barrier = Barrier(RACERS, timeout=60)
    result = RaceResult()

    def racer(number: int) -> None:
        with world.departement.acting(actor):
            for round_number in range(rounds):
                barrier.wait()
                try:
                    result.accepted[number, round_number] = attempt(number, round_number)
                except Exception as error:  # the test asserts what was raised
                    result.refused[number, round_number] = error

    with ThreadPoolExecutor(RACERS) as pool:
        for future in [pool.submit(racer, number) for number in range(RACERS)]:
            future.result()
    return result


def note_of(racer: int, round_number: int) -> str:
    return f"racer {racer}, round {round_number}"


def events_at(app: AspeApplication, positions: list[int]) -> dict[int, Any]:
    notifications = app.recorder.select_notifications(
        start=min(positions), stop=max(positions), limit=max(positions) - min(positions) + 1
    )
    return {n.id: app.mapper.to_domain_event(n) for n in notifications if n.id in positions}


def test_racing_contacts_on_one_case_are_each_stored_once_or_refused_as_concurrent(world):
    # given an active case
    case_id = CaseStory(world.departement, world.referent, world.new_household()).walk_to(
        Status.ACTIVE
    )
    version_before = world.app.get_case(case_id).version
    today = world.clock.today()

    # when 8 threads each record 50 contacts on it, all at once
    def record_contact(racer: int, round_number: int) -> int:
        note = note_of(racer, round_number)
        return world.app.record_contact(
            case_id, today, ContactChannel.PHONE, True, [Theme.BUDGET], note
        )

    result = race(world, world.referent.actor, record_contact, ROUNDS)

    # then the race happened: some were accepted, the others refused as concurrent updates only
    assert len(result.accepted) + len(result.refused) == RACERS * ROUNDS
    assert result.accepted, "no command was accepted"
    assert result.refused, "no command was refused: the threads did not race"
    assert {type(error) for error in result.refused.values()} == {ConcurrentUpdate}
    assert all(error.code == "CONCURRENT_UPDATE" for error in result.refused.values())

    # and every accepted contact is stored exactly once, the refused ones not at all
    events = list(world.app.events.get(case_id))
    assert [e.originator_version for e in events] == list(range(1, len(events) + 1))
    contacts = [e for e in events if isinstance(e, Case.ContactRecorded)]
    stored_notes = Counter(contact.note for contact in contacts)
    accepted_notes = {note_of(*attempt) for attempt in result.accepted}
    assert set(stored_notes) == accepted_notes
    assert set(stored_notes.values()) == {1}
    assert len(events) == version_before + len(result.accepted)
    assert world.app.get_case(case_id).contacts_recorded == len(result.accepted)

    # and each accepted command returned the position of its own event
    positions = list(result.accepted.values())
    assert len(set(positions)) == len(positions)
    stored_at = events_at(world.app, positions)
    for attempt, position in result.accepted.items():
        event = stored_at[position]
        assert (event.originator_id, event.note) == (case_id, note_of(*attempt))


def opened_cases_of(app: AspeApplication, household_id: UUID) -> list[UUID]:
    topic = get_topic(Case.Opened)
    notifications = app.recorder.select_notifications(start=1, limit=100_000, topics=[topic])
    events = [app.mapper.to_domain_event(n) for n in notifications]
    return [e.originator_id for e in events if e.household_id == household_id]


def test_racing_to_open_a_case_for_one_household_opens_exactly_one(world):
    # given households with no case yet
    households = [world.new_household(f"Ménage {number}") for number in range(10)]

    # when 8 threads race to open a case for each of them (R9: one case at a time)
    def open_case(racer: int, round_number: int) -> UUID:
        return world.app.open_case(households[round_number], world.referent.actor.id).id

    result = race(world, world.referent.actor, open_case, len(households))

    # then for each household exactly one case was opened, claimed by the household,
    # and the losers stored neither a case nor a claim
    refusals = {type(error) for error in result.refused.values()}
    assert refusals <= {ConcurrentUpdate, CombinationForbidden}
    assert ConcurrentUpdate in refusals, "no command lost a race: the threads did not race"
    for round_number, household_id in enumerate(households):
        winners = [case for (_, r), case in result.accepted.items() if r == round_number]
        assert len(winners) == 1
        assert opened_cases_of(world.app, household_id) == winners
        household = world.app.load(Household, household_id)
        assert household.open_case_id == winners[0]
        assert household.version == 2


def test_a_cached_case_sees_what_another_process_stored_meanwhile(world, settings):
    """Each API process caches aggregates; a load still reads the events stored since."""
    case_id = CaseStory(world.departement, world.referent, world.new_household()).walk_to(
        Status.ACTIVE
    )
    today = world.clock.today()
    with world.acting(world.referent):
        world.app.record_contact(case_id, today, ContactChannel.PHONE, True)
    assert world.app.repository.cache is not None

    other_process = build_application(settings)
    try:
        with world.acting(world.referent):
            other_process.record_contact(case_id, today, ContactChannel.SMS, True, note="autre")
        world.clock.set_day(today + timedelta(days=1))
        with world.acting(world.referent):
            world.app.record_contact(case_id, world.clock.today(), ContactChannel.PHONE, True)
    finally:
        other_process.close()

    case = world.app.get_case(case_id)
    assert case.contacts_recorded == 3
    assert [e.originator_version for e in world.app.events.get(case_id)] == list(
        range(1, case.version + 1)
    )
