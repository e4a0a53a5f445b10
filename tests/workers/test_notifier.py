"""The notifier: what each reader is told (only what DESIGN §6 lets it see), keys that stay
the same on replay, and a position that moves only once the messages are dispatched."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest

from aspe.application import AspeApplication
from aspe.bootstrap import build_notifier
from aspe.demo.scenarios import STANDARD_FINDINGS
from aspe.domain.values import ConsentScope, Status, StopReason, Theme, VisitKind
from aspe.french import labels
from aspe.projections.view import APPLICATION_NAME
from aspe.settings import Settings
from aspe.workers.messages import Message
from aspe.workers.notifier import NotifierRunner

VISIT_NOTE = "Madame confie des violences conjugales"
AID_GRANTED = "1\u202f500,00\u00a0€"
"""The aid the scenario's commission grants, as every text writes an amount."""
HEALTH_WORDS = ("médical", "santé", STANDARD_FINDINGS[2].difficulty)


@pytest.fixture(params=["sqlite", "postgres"])
def settings(request: pytest.FixtureRequest) -> Settings:
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_settings")
    return request.getfixturevalue("new_postgres_settings")()


class Outbox:
    """A dispatch that keeps what it is given; ``failing`` makes it raise as Redis down does."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.failing = False
        self.attempts = 0

    def __call__(self, messages: list[Message]) -> None:
        self.attempts += 1
        if self.failing:
            raise ConnectionError("Redis ne répond pas")
        self.messages.extend(messages)

    def take(self) -> list[Message]:
        messages, self.messages = self.messages, []
        return messages


@pytest.fixture
def outbox() -> Outbox:
    return Outbox()


@pytest.fixture
def runner(settings: Settings, app: AspeApplication, outbox: Outbox) -> Iterator[NotifierRunner]:
    built = NotifierRunner(build_notifier(settings, app, dispatch=outbox), initial_delay=0.01)
    yield built
    built.projector.close()


def start(runner: NotifierRunner, outbox: Outbox) -> None:
    runner.catch_up()
    outbox.take()


def told(runner: NotifierRunner, outbox: Outbox) -> list[Message]:
    runner.catch_up()
    return outbox.take()


def to(messages: list[Message], account) -> Message:
    (message,) = [m for m in messages if m.recipient.account_id == account.actor.id]
    return message


def text(message: Message) -> str:
    return f"{message.subject}\n{message.body}"


@pytest.fixture
def active_case(world, story):
    """A measure under way whose file holds a visit note and HEALTH items."""
    case = story()
    case_id = case.walk_to(Status.ACTIVE)
    with world.acting(world.referent):
        world.app.record_visit(case_id, world.clock.today(), VisitKind.HOME, [Theme.HEALTH],
                               VISIT_NOTE)  # fmt: skip
    return case


# ------------------------------------------------------------------------ what is told
def test_a_landlord_without_consent_learns_only_the_measure_its_type_and_dates(
    world, story, runner, outbox
):
    case = story()
    case.walk_to(Status.REGISTERED)
    start(runner, outbox)

    case.grant()

    landlord = text(to(told(runner, outbox), world.landlord))
    assert "mesure ASPE simple" in landlord
    assert "12 mois" in landlord
    assert "2 mars 2026" in landlord
    assert AID_GRANTED not in landlord  # the aid granted
    assert "mise à l'épreuve" not in landlord
    assert "Durand" not in landlord  # the tenant's name is consent-gated too
    assert "l'un de vos locataires" in landlord


def test_a_landlord_with_consent_also_learns_the_aid_and_its_tenant(world, story, runner, outbox):
    case = story()
    case_id = case.walk_to(Status.REGISTERED)
    with world.acting(world.referent):
        world.app.record_consent(case_id, ConsentScope.LANDLORD_DETAIL)
    start(runner, outbox)

    case.grant()

    landlord = text(to(told(runner, outbox), world.landlord))
    assert AID_GRANTED in landlord
    assert "Ménage Durand" in landlord


def test_the_association_learns_every_term_of_the_decision(world, story, runner, outbox):
    case = story()
    case.walk_to(Status.REGISTERED)
    start(runner, outbox)

    case.grant()

    referent = text(to(told(runner, outbox), world.referent))
    assert f"Aide FPEL accordée : {AID_GRANTED}" in referent
    assert "mise à l'épreuve : 6 mois" in referent
    assert "Ménage Durand" in referent


def test_no_one_is_told_a_visit_note_or_a_health_item(world, active_case, runner, outbox):
    start(runner, outbox)

    active_case._stop()

    for message in told(runner, outbox):
        assert VISIT_NOTE not in text(message)
        for word in HEALTH_WORDS:
            assert word not in text(message), (message.recipient.name, word)


def test_a_stop_tells_the_landlord_its_date_and_the_reason_only_with_consent(
    world, active_case, runner, outbox
):
    start(runner, outbox)

    active_case._stop()

    messages = told(runner, outbox)
    landlord, referent = text(to(messages, world.landlord)), text(to(messages, world.referent))
    reason = labels.label(StopReason.HOUSEHOLD_MOVED)
    assert "arrêté le 2 mars 2026" in landlord
    assert reason not in landlord
    assert "Relogé" not in landlord  # the commission's details
    assert f"Motif : {reason}" in referent
    assert "Précisions : Relogé" in referent


def test_the_household_is_told_its_own_decision_in_the_second_person(world, story, runner, outbox):
    case = story()
    case.walk_to(Status.REGISTERED)
    with world.acting(world.referent):
        world.app.open_household_account(case.household_id, "durand@exemple.fr", "hash")
    start(runner, outbox)

    case._reject()

    (household,) = [m for m in told(runner, outbox) if m.recipient.account_id == case.household_id]
    assert household.recipient.email == "durand@exemple.fr"
    assert "votre ménage" in household.body
    assert "Motif : Situation ne relevant pas du FPEL" in household.body


def test_an_alert_tells_how_long_the_household_has_been_silent(world, story, runner, outbox):
    case = story()
    case_id = case.walk_to(Status.ACTIVE)
    world.clock.set_day(world.clock.today() + timedelta(days=15))
    start(runner, outbox)

    with world.acting(world.referent):
        world.app.raise_non_collaboration_alert(case_id, world.clock.today())

    manager = text(to(told(runner, outbox), world.manager))
    assert "Alerte de non-collaboration" in manager
    assert "depuis le 2 mars 2026 (14 jours sans nouvelles au 17 mars 2026)" in manager


# ---------------------------------------------------------------- keys and position
def test_a_message_is_keyed_by_its_event_and_its_recipient(world, story, runner, outbox):
    case = story()
    case_id = case.walk_to(Status.SUBMITTED)
    start(runner, outbox)

    case.register()

    (message,) = told(runner, outbox)
    event = world.last_event(case_id)
    assert message.key == f"{case_id}.{event.originator_version}:{world.commission.actor.id}"
    assert message.case_id == case_id


def test_a_failed_dispatch_leaves_the_position_and_the_retry_sends_the_same_keys(
    world, story, runner, outbox
):
    case = story()
    case.walk_to(Status.REGISTERED)
    start(runner, outbox)
    before = runner.notifier.view.position
    outbox.failing = True

    case.grant()
    with pytest.raises(ConnectionError):
        runner.catch_up()

    assert runner.notifier.view.max_tracking_id(APPLICATION_NAME) == before
    outbox.failing = False
    first = told(runner, outbox)
    assert len(first) == 3
    assert runner.notifier.view.position == world.app.head()
    assert told(runner, outbox) == []  # nothing twice


def test_replaying_the_notifier_makes_the_same_messages(settings, world, story, runner, outbox):
    start(runner, outbox)
    case = story()
    case.walk_to(Status.ACTIVE)
    case._stop()
    first = told(runner, outbox)

    runner.notifier.view.reset()  # forget everything: read it all again
    runner.notifier.start_quietly(0)
    replayed = told(runner, outbox)

    assert sorted(replayed, key=lambda m: m.key) == sorted(first, key=lambda m: m.key)


def test_a_notifier_started_on_a_store_with_events_tells_only_what_comes_next(
    world, story, runner, outbox
):
    case = story()
    case.walk_to(Status.REGISTERED)  # before the notifier ever ran

    assert told(runner, outbox) == []
    case.grant()

    assert len(told(runner, outbox)) == 3


def test_the_runner_backs_off_while_dispatch_fails_and_delivers_when_it_returns(
    world, story, runner, outbox
):
    case = story()
    case.walk_to(Status.REGISTERED)
    start(runner, outbox)
    outbox.failing = True
    case.grant()
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop,))
    thread.start()
    try:
        _until(lambda: outbox.attempts >= 3)
        assert outbox.messages == []
        outbox.failing = False
        _until(lambda: runner.notifier.view.max_tracking_id(APPLICATION_NAME) == world.app.head())
    finally:
        stop.set()
        thread.join(timeout=10)

    assert not thread.is_alive()
    assert len(outbox.take()) == 3


def _until(condition, timeout: float = 10.0) -> None:
    done = threading.Event()
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        done.wait(0.02)
    raise AssertionError("condition not met in time")
