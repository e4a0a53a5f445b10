"""Time travel: a case as it stood at an instant, and the agenda item the commission decided on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aspe.domain.errors import NotFound
from aspe.domain.values import Status
from aspe.projections.commission_agenda import item
from aspe.projections.time_travel import agenda_item_at_decision


def state_of(case) -> dict:
    return {**vars(case)}


def test_the_case_before_its_ceop_was_signed_is_exactly_as_it_was_then(world, story):
    given = story()
    case_id = given.walk_to(Status.GRANTED)
    given.draft_ceop()
    then = state_of(world.app.get_case(case_id))
    instant = world.clock.now + timedelta(hours=1)
    world.clock.set_day(world.clock.today() + timedelta(days=3))
    given.sign_ceop()

    before = world.app.case_as_of(case_id, instant)

    assert world.app.get_case(case_id).status is Status.ACTIVE
    assert before.status is Status.GRANTED
    assert (before.ceop_signed_version, before.starts_on) == (0, None)
    assert state_of(before) == then


def test_an_instant_without_a_time_zone_is_read_as_utc(world, story):
    case_id = story().walk_to(Status.SUBMITTED)
    naive = world.clock.now.astimezone(UTC).replace(tzinfo=None)

    assert world.app.case_as_of(case_id, naive).status is Status.SUBMITTED


def test_a_case_not_yet_opened_at_the_instant_is_not_found(world, story):
    case_id = story().walk_to(Status.DIAGNOSTIC)

    with pytest.raises(NotFound) as not_found:
        world.app.case_as_of(case_id, world.clock.now - timedelta(days=1))

    assert "n'existait pas encore" in not_found.value.message


def test_an_unknown_case_is_not_found_at_any_instant(world):
    with pytest.raises(NotFound):
        world.app.case_as_of(world.landlord_id, datetime(2026, 3, 1, tzinfo=UTC))


def test_the_agenda_item_at_decision_is_what_the_agenda_showed_then(world, story, project):
    given = story()
    case_id = given.walk_to(Status.REGISTERED)
    shown_then = item(project("commission_agenda"), str(case_id))
    world.clock.set_day(world.clock.today() + timedelta(days=14))
    given.grant()

    at_decision = agenda_item_at_decision(world.app, case_id)

    assert item(project("commission_agenda"), str(case_id)) is None
    assert shown_then is not None
    assert at_decision.item == shown_then
    assert at_decision.decision == "MeasureGranted"
    assert at_decision.decided_at == world.clock.now


def test_a_case_the_commission_has_not_decided_has_no_agenda_at_decision(world, story):
    case_id = story().walk_to(Status.REGISTERED)

    with pytest.raises(NotFound):
        agenda_item_at_decision(world.app, case_id)
