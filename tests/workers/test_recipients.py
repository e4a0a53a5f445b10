"""Who is told of what: each event reaches exactly its audience, and nobody else.

Given a case walked through the application, when one more command is stored, then the
notifier makes one message for each account the event concerns (issue 5), and none for
the other association, the other landlord, or a party not yet entitled to see the case.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import Decimal

import pytest

from aspe.application import AspeApplication
from aspe.bootstrap import build_notifier, build_projector
from aspe.domain.actors import SYSTEM_ACTOR, Role
from aspe.domain.values import Status, VisitKind
from aspe.settings import Settings
from aspe.workers.messages import Message
from aspe.workers.notifier import NotifierRunner
from aspe.workers.recipients import AddressBook


@pytest.fixture(params=["sqlite", "postgres"])
def settings(request: pytest.FixtureRequest) -> Settings:
    """A store of its own per test, on PostgreSQL too: every account in it is this world's,
    so "nobody else" means nobody else."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_settings")
    return request.getfixturevalue("new_postgres_settings")()


class Outbox:
    """A dispatch that keeps what it is given: the Message-level view of the notifier."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    def __call__(self, messages: list[Message]) -> None:
        self.messages.extend(messages)


class Notifications:
    """The notifier over the test's store, started when the test's "given" is done."""

    def __init__(self, settings: Settings, app: AspeApplication) -> None:
        self.outbox = Outbox()
        self.runner = NotifierRunner(build_notifier(settings, app, dispatch=self.outbox))

    def start(self) -> None:
        self.runner.catch_up()
        self.outbox.messages.clear()

    def told(self) -> list[Message]:
        """The messages of the events stored since the last look."""
        self.runner.catch_up()
        messages, self.outbox.messages = self.outbox.messages, []
        return messages


@pytest.fixture
def notifications(settings: Settings, app: AspeApplication) -> Iterator[Notifications]:
    built = Notifications(settings, app)
    yield built
    built.runner.projector.close()


def accounts(messages: list[Message]) -> set:
    return {message.recipient.account_id for message in messages}


def ids(*accounts_: object) -> set:
    return {account.actor.id for account in accounts_}  # type: ignore[attr-defined]


@pytest.fixture
def household_account(world) -> Callable:
    def open_account(household_id, email="menage.durand@exemple.fr"):
        with world.acting(world.referent):
            world.app.open_household_account(household_id, email, "hash")

    return open_account


def test_a_submitted_request_is_told_to_the_spslh_only(world, story, notifications):
    case = story()
    case.open()
    case.diagnose()
    notifications.start()

    case.submit()

    assert accounts(notifications.told()) == ids(world.spslh)


def test_a_registered_request_is_told_to_the_commission_only(world, story, notifications):
    case = story()
    case.walk_to(Status.SUBMITTED)
    notifications.start()

    case.register()

    assert accounts(notifications.told()) == ids(world.commission)


def test_a_grant_is_told_to_the_association_the_household_and_its_landlord(
    world, story, notifications, household_account
):
    case = story()
    case.walk_to(Status.REGISTERED)
    household_account(case.household_id)
    notifications.start()

    case.grant()

    told = accounts(notifications.told())
    assert told == ids(world.referent, world.manager, world.landlord) | {case.household_id}


def test_a_household_without_an_account_is_not_told(world, story, notifications):
    case = story()
    case.walk_to(Status.REGISTERED)
    notifications.start()

    case.grant()

    assert accounts(notifications.told()) == ids(world.referent, world.manager, world.landlord)


@pytest.mark.parametrize("decide", ["_reject", "_adjourn"])
def test_a_rejection_or_adjournment_is_not_told_to_the_landlord(
    world, story, notifications, household_account, decide
):
    case = story()
    case.walk_to(Status.REGISTERED)
    household_account(case.household_id)
    notifications.start()

    getattr(case, decide)()

    assert accounts(notifications.told()) == ids(world.referent, world.manager) | {
        case.household_id
    }


def test_an_extension_is_told_to_the_association_and_the_household(world, story, notifications):
    case = story()
    case_id = case.walk_to(Status.ACTIVE)
    notifications.start()

    with world.acting(world.commission):
        world.app.extend_measure(case_id, 3, "Reprise du paiement à consolider")

    assert accounts(notifications.told()) == ids(world.referent, world.manager)


def test_a_signed_ceop_is_told_to_the_spslh(world, story, notifications):
    case = story()
    case.walk_to(Status.GRANTED)
    case.draft_ceop()
    notifications.start()

    case.sign_ceop()

    assert accounts(notifications.told()) == ids(world.spslh)


def test_an_alert_is_told_to_the_commission_the_spslh_and_the_association_manager(
    world, story, notifications, household_account
):
    case = story()
    case_id = case.walk_to(Status.ACTIVE)
    household_account(case.household_id)
    world.clock.set_day(world.clock.today() + timedelta(days=15))
    notifications.start()

    with world.acting(SYSTEM_ACTOR):
        world.app.raise_non_collaboration_alert(case_id, world.clock.today())

    assert accounts(notifications.told()) == ids(world.commission, world.spslh, world.manager)


@pytest.mark.parametrize("end", [Status.STOPPED, Status.COMPLETED])
def test_the_end_of_a_measure_is_told_to_every_party_of_the_case(
    world, story, notifications, household_account, end
):
    case = story()
    case.walk_to(Status.ACTIVE)
    household_account(case.household_id)
    notifications.start()

    case._stop() if end is Status.STOPPED else case._complete()

    parties = ids(world.referent, world.manager, world.landlord, world.spslh, world.commission)
    assert accounts(notifications.told()) == parties | {case.household_id}


def test_a_stop_before_the_ceop_is_told_to_the_parties_who_see_the_case(
    world, story, notifications
):
    case = story()
    case.walk_to(Status.GRANTED)
    notifications.start()

    case._stop()

    parties = ids(world.referent, world.manager, world.landlord, world.spslh, world.commission)
    assert accounts(notifications.told()) == parties


def test_a_new_referent_is_told_and_the_previous_one_no_longer(world, story, notifications):
    case = story()
    case_id = case.walk_to(Status.REGISTERED)
    with world.acting(world.manager):
        world.app.assign_referent(case_id, world.second_referent.actor.id)
    notifications.start()

    case.grant()

    told = accounts(notifications.told())
    assert told == ids(world.second_referent, world.manager, world.landlord)


def test_the_other_association_and_the_other_landlord_are_never_told(world, story, notifications):
    notifications.start()

    case = story()
    case_id = case.walk_to(Status.ACTIVE)
    with world.acting(world.commission):
        world.app.extend_measure(case_id, 2, "Consolider")
    case._stop()

    told = accounts(notifications.told())
    others = [*world.other_association.referents, world.other_association.manager]
    assert told.isdisjoint(ids(*others, world.other_landlord, world.auditor))


def test_events_that_concern_nobody_make_no_message(world, story, notifications):
    case = story()
    case_id = case.walk_to(Status.ACTIVE)
    notifications.start()

    with world.acting(world.referent):
        world.app.record_visit(case_id, world.clock.today(), VisitKind.HOME, [], "Visite")
        world.app.record_debt(case_id, "EDF", Decimal("120.00"), False)
        world.app.transmit_ceop(case_id)

    assert notifications.told() == []


def test_the_directory_read_model_finds_accounts_for_the_clocks(settings, app, world, story):
    case = story()
    case_id = case.walk_to(Status.ACTIVE)
    projector = build_projector(settings, ["directory"], app=app)
    try:
        projector.catch_up()
        book = AddressBook(projector.model("directory").view)

        referent = book.account(str(world.referent.actor.id))
        parties = book.case(str(case_id))
        managers = book.with_role(Role.ASSOCIATION_MANAGER, str(world.association.id))
    finally:
        projector.close()

    assert referent is not None
    assert referent.recipient.email == world.referent.email
    assert referent.recipient.name == "Claire Martin"
    assert referent.role is Role.REFERENT
    assert parties is not None
    assert parties["referent_id"] == str(world.referent.actor.id)
    assert parties["granted"] is True
    assert [m.recipient.account_id for m in managers] == [world.manager.actor.id]
