"""The availability table: what each party may run on a case now, before any input.

The commands check it first; ``available_commands`` reads the same table, so a command is
listed exactly when it would not be refused for who asks, the status or what is done. The
cases below are the disagreements a review found between the portal and the domain.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aspe.demo.scenarios import STANDARD_OBJECTIVES, STANDARD_STEPS, household_actor
from aspe.domain.actors import Actor
from aspe.domain.availability import AVAILABILITY, CaseCommand
from aspe.domain.values import Commitment, Party, Signatory, Status

C = CaseCommand


def available(world: Any, case_id: Any, actor: Actor) -> set[CaseCommand]:
    case = world.app.get_case(case_id)
    return set(case.available_commands(actor, world.clock.today(), world.app.rules))


def test_every_command_has_an_availability_rule():
    assert set(AVAILABILITY) == set(CaseCommand)


def test_a_request_is_not_available_before_the_diagnostic(world, story):
    given = story()
    case_id = given.open()

    assert C.SUBMIT_REQUEST not in available(world, case_id, world.referent.actor)
    given.diagnose()
    assert C.SUBMIT_REQUEST in available(world, case_id, world.referent.actor)


def test_the_household_may_give_its_consent_in_every_status(world, story):
    for status in (Status.DIAGNOSTIC, Status.ACTIVE, Status.STOPPED):
        given = story()
        case_id = given.walk_to(status)

        assert C.RECORD_CONSENT in available(world, case_id, household_actor(given.household_id))
        assert C.WITHDRAW_CONSENT not in available(world, case_id, world.referent.actor)


def test_the_ceop_is_transmitted_once(world, story):
    case_id = story().walk_to(Status.ACTIVE)
    assert C.TRANSMIT_CEOP in available(world, case_id, world.referent.actor)

    with world.acting(world.referent):
        world.app.transmit_ceop(case_id)

    assert C.TRANSMIT_CEOP not in available(world, case_id, world.referent.actor)


def test_an_alert_is_available_only_once_the_household_has_been_silent_long_enough(world, story):
    case_id = story().walk_to(Status.ACTIVE)
    silent_days = world.app.rules.silent_days_before_alert
    assert C.RAISE_NON_COLLABORATION_ALERT not in available(world, case_id, world.referent.actor)

    world.clock.set_day(world.clock.today() + timedelta(days=silent_days + 1))

    assert C.RAISE_NON_COLLABORATION_ALERT in available(world, case_id, world.referent.actor)


def test_the_landlord_may_sign_the_ceop_that_binds_it_and_only_that_one(world, story):
    given = story()
    case_id = given.walk_to(Status.GRANTED)
    landlord = world.landlord.actor
    assert C.RECORD_CEOP_SIGNATURE not in available(world, case_id, landlord)

    commitments = [
        Commitment(Party.HOUSEHOLD, "Payer le loyer"),
        Commitment(Party.REFERENT, "Accompagner"),
        Commitment(Party.LANDLORD, "Suspendre la procédure"),
    ]
    with world.acting(world.referent):
        world.app.draft_ceop(case_id, STANDARD_OBJECTIVES, STANDARD_STEPS, commitments)

    assert C.RECORD_CEOP_SIGNATURE in available(world, case_id, landlord)
    with world.acting(world.landlord):
        world.app.record_ceop_signature(case_id, Signatory.LANDLORD, world.clock.today())
    assert C.RECORD_CEOP_SIGNATURE not in available(world, case_id, landlord)
    assert C.RECORD_CEOP_SIGNATURE in available(world, case_id, world.referent.actor)


def test_a_party_that_may_not_act_learns_nothing_of_the_status(world, story, refused):
    case_id = story().walk_to(Status.DIAGNOSTIC)

    # The landlord may never transmit a CEOP: refused for who it is, not for the stage.
    with world.acting(world.landlord), refused.expect("NOT_AUTHORISED"):
        world.app.transmit_ceop(case_id)


def test_nothing_is_available_to_a_party_that_does_not_see_the_case(world, story):
    case_id = story().walk_to(Status.ACTIVE)

    assert available(world, case_id, world.other_landlord.actor) == set()
