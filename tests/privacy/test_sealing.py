"""A household's personal values are sealed in the events with its own key.

Given a household and its case written through the application, then the stored bytes hold
none of its personal values but every non-personal fact in clear, and the application reads
the values back exactly; once its key is destroyed they read as erased, and the case still
replays. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable, Iterator
from uuid import UUID

import pytest
from pydantic import SecretStr

from aspe.application import AspeApplication
from aspe.bootstrap import build_application
from aspe.demo.scenarios import CaseStory
from aspe.domain.case import Case
from aspe.domain.household import Household
from aspe.domain.values import Address, Finding, Objective, Status, Theme, VisitKind
from aspe.french.labels import ERASED_HOUSEHOLD, ERASED_TEXT
from aspe.privacy.keys import UnknownDataKey
from aspe.settings import Settings
from tests.conftest import Clock, World, make_world

NAME = "Menage Qorvath"
STREET = "7 impasse Ilsenbrook"
CONTACT = "07 98 QORV 5432"
DIFFICULTY = "Qorvath health finding: insomnia"
LABEL = "Qorvath objective label"
NOTE = "Qorvath visit note: the boiler again"
PERSONAL = (NAME, STREET, CONTACT, DIFFICULTY, LABEL, NOTE)


WorldOn = Callable[[Settings], World]


@pytest.fixture
def world_on(clock: Clock, password_hash: str) -> Iterator[WorldOn]:
    """A world on settings of the test's choosing (a master key, snapshots)."""
    apps: list[AspeApplication] = []

    def make(settings: Settings) -> World:
        apps.append(build_application(settings))
        return make_world(apps[-1], clock, password_hash)

    yield make
    for app in apps:
        app.close()


def stored_bytes(app: AspeApplication, *aggregate_ids: UUID) -> bytes:
    return b"".join(
        stored.state for aggregate_id in aggregate_ids
        for stored in app.recorder.select_events(aggregate_id)
    )  # fmt: skip


def household_with_a_case(world: World) -> tuple[UUID, UUID]:
    """A household and its active case, with a health finding, an objective and a visit."""
    app = world.app
    with world.acting(world.referent):
        household_id = app.register_household(
            world.landlord_id, Address(STREET, "69003", "Lyon"), NAME, CONTACT, 3
        ).id
    story = CaseStory(world.departement, world.referent, household_id)
    case_id = story.open()
    with world.acting(world.referent):
        app.record_diagnostic(
            case_id,
            [Finding(Theme.HEALTH, DIFFICULTY)],
            [Objective("obj-q", Theme.BUDGET, LABEL, None)],
        )
    for step in (story.submit, story.register, story.grant, story.notify, story.draft_ceop):
        step()
    story.sign_ceop()
    with world.acting(world.referent):
        app.record_visit(case_id, world.clock.today(), VisitKind.HOME, [Theme.BUDGET], NOTE)
    return household_id, case_id


def test_the_stored_events_hold_no_personal_value_and_every_other_fact(
    world: World,
) -> None:
    # given a household and its case, written through the application
    household_id, case_id = household_with_a_case(world)

    # when the stored events are read as bytes, as anyone with the database would
    stored = stored_bytes(world.app, household_id, case_id)

    # then no personal value is there, but the facts statistics count on are
    for value in PERSONAL:
        assert value.encode() not in stored, value
    for fact in (b'"HEALTH"', b'"BUDGET"', b'"members":3', b'"1800.00"', b'"HOME"'):
        assert fact in stored, fact


def test_the_application_reads_the_values_back_as_they_were(world: World) -> None:
    household_id, case_id = household_with_a_case(world)
    app = world.app

    household = app.load(Household, household_id)
    case = app.get_case(case_id)

    assert (household.name, household.address.street, household.contact) == (NAME, STREET, CONTACT)
    assert [finding.difficulty for finding in case.findings] == [DIFFICULTY]
    assert any(objective.label == LABEL for objective in case.proposed_objectives)
    assert [
        event.note for event in app.events.get(case_id) if isinstance(event, Case.VisitRecorded)
    ] == [NOTE]


def test_once_the_key_is_destroyed_the_values_read_as_erased_and_the_case_replays(
    settings: Settings, world: World
) -> None:
    # given a household whose key is destroyed
    household_id, case_id = household_with_a_case(world)
    world.app.data_keys.destroy(household_id)

    # when another process reads it (nothing cached)
    other = build_application(settings)
    try:
        household = other.load(Household, household_id)
        case = other.get_case(case_id)
        notes = [e.note for e in other.events.get(case_id) if isinstance(e, Case.VisitRecorded)]
    finally:
        other.close()

    # then every personal value reads as erased, every other fact as it was
    assert household.name == ERASED_HOUSEHOLD
    assert (household.address.street, household.contact) == (ERASED_TEXT, ERASED_TEXT)
    assert household.address.postcode == ERASED_TEXT
    assert household.members == 3
    assert [(f.theme, f.difficulty) for f in case.findings] == [(Theme.HEALTH, ERASED_TEXT)]
    assert notes == [ERASED_TEXT]
    assert case.status is Status.ACTIVE


def test_a_case_snapshot_is_sealed_whole(settings: Settings, world_on: WorldOn) -> None:
    # given snapshots every two events of a case
    world = world_on(settings.model_copy(update={"snapshot_interval": 2}))
    _, case_id = household_with_a_case(world)
    world.app.take_snapshot(case_id)

    # then the snapshot's stored bytes hold no personal value, and it loads
    assert world.app.snapshots is not None
    snapshots = world.app.snapshots.recorder.select_events(case_id)
    assert snapshots
    for value in PERSONAL:
        assert all(value.encode() not in snapshot.state for snapshot in snapshots), value
    assert world.app.get_case(case_id).findings[0].difficulty == DIFFICULTY


def test_with_a_master_key_the_data_keys_open_with_it_only(
    settings: Settings, world_on: WorldOn
) -> None:
    # given a store written with a master key
    master = SecretStr(base64.b64encode(os.urandom(32)).decode())
    keyed = settings.model_copy(update={"master_key": master})
    household_id, _ = household_with_a_case(world_on(keyed))

    # when it is read with the same key, then without any
    with_key = build_application(keyed)
    without = build_application(settings)
    try:
        assert with_key.load(Household, household_id).name == NAME
        # then without it nothing opens: an error, not a value
        with pytest.raises(UnknownDataKey):
            without.load(Household, household_id)
    finally:
        with_key.close()
        without.close()
