"""Crash safety: a worker killed in the middle of a batch, a Redis stopped during a burst (of
dispatches, of commands); every notification still reaches the SMTP server and the inbox
exactly once."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import Any
from uuid import UUID

import pytest
from celery import Celery

from aspe.application import AspeApplication
from aspe.bootstrap import build_notifier
from aspe.demo.scenarios import CaseStory
from aspe.settings import Settings
from aspe.workers import inbox
from aspe.workers.app import create_app
from aspe.workers.delivery import (
    BrokerUnavailable,
    delivery_counts,
    delivery_id,
    dispatch,
    requeue_stale,
)
from aspe.workers.messages import Channel, Message
from aspe.workers.notifier import (
    BackgroundNotifier,
    NotifierRunner,
    dispatch_for,
    event_key,
)
from tests.workers.conftest import RedisServer, SmtpServer, Worker, eventually
from tests.workers.test_delivery import delivered, messages, recipient
from tests.workers.test_end_to_end import GRANTED, addressee, registered_case, subject_of

MakeSettings = Callable[..., Settings]
StartWorker = Callable[[Settings], Worker]
pytestmark = [
    pytest.mark.redis,
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]


def expected_ids(sent: list[Message]) -> list[str]:
    return sorted(
        f"<{delivery_id(message.delivery_key(Channel.EMAIL))}@aspe.notifications>"
        for message in sent
    )


def assert_each_once(smtp_server: SmtpServer, sent: list[Message]) -> None:
    received = Counter(smtp_server.message_ids())
    twice = [message_id for message_id, count in received.items() if count > 1]
    assert twice == [], f"sent more than once: {twice}"
    assert sorted(received) == expected_ids(sent)


def test_a_worker_killed_while_delivering_a_batch_leaves_each_email_delivered_once(
    worker_settings: MakeSettings, start_worker: StartWorker, smtp_server: SmtpServer
) -> None:
    settings = worker_settings()
    first = start_worker(settings)
    killed = threading.Event()
    arrivals = Counter[str]()

    def kill_on_the_fourth_email() -> None:
        """The fourth e-mail is on the wire, the server not yet done: kill -9 its worker."""
        arrivals["data"] += 1
        if arrivals["data"] == 4:
            first.kill()
            killed.set()

    smtp_server.delay = 0.3  # the batch is in flight for a few seconds
    smtp_server.on_data = kill_on_the_fourth_email
    sent = messages(12, recipient())

    dispatch(sent, app=create_app(settings))
    eventually(killed.is_set, what="the worker to be killed mid-batch")
    assert smtp_server.count() == 3
    second = start_worker(settings)

    eventually(
        lambda: (
            delivered(settings, Channel.EMAIL) == 12 and delivered(settings, Channel.INBOX) == 12
        ),
        timeout=60,
        what=lambda: f"{delivery_counts(settings)}\n{second.output()[-3000:]}",
    )
    assert_each_once(smtp_server, sent)


def test_dispatch_while_redis_is_down_waits_and_every_email_is_delivered_once_after(
    own_redis: RedisServer,
    worker_settings: MakeSettings,
    start_worker: StartWorker,
    smtp_server: SmtpServer,
) -> None:
    settings = worker_settings(redis_url=own_redis.url)
    worker = start_worker(settings)
    celery = create_app(settings)
    claire = recipient()
    burst = messages(20, claire)
    smtp_server.delay = 0.1
    smtp_server.on_data = lambda: (smtp_server.count() == 2 and own_redis.stop()) or None

    # Redis stops, its queue lost, while the first half of the burst is being delivered
    dispatch(burst[:10], app=celery)
    eventually(lambda: own_redis.process is None, what="Redis to stop mid-burst")
    dispatched = threading.Event()

    def dispatch_until_it_gets_through() -> None:
        """What the notifier does: its position stays until the dispatch gets through."""
        while True:
            try:
                dispatch(burst[10:], app=celery)
            except BrokerUnavailable:
                time.sleep(0.2)
            else:
                dispatched.set()
                return

    retrying = threading.Thread(target=dispatch_until_it_gets_through, daemon=True)
    retrying.start()
    time.sleep(1.5)  # the outage: the dispatch keeps failing meanwhile
    assert not dispatched.is_set()
    own_redis.start()
    eventually(dispatched.is_set, what="the dispatch to get through once Redis is back")
    requeue_stale(celery, older_than=0)  # what beat does every minute: lost tasks again

    eventually(
        lambda: (
            delivered(settings, Channel.EMAIL) == 20 and delivered(settings, Channel.INBOX) == 20
        ),
        timeout=90,
        what=lambda: f"{delivery_counts(settings)}\n{worker.output()[-3000:]}",
    )
    assert_each_once(smtp_server, burst)


# ------------------------------------------------------------------ a burst of commands
CASES = 6
"""Requests granted in the burst: half before Redis is killed, half while it is down."""


@pytest.fixture
def settings(own_redis: RedisServer, worker_settings: MakeSettings) -> Settings:
    """The world's store, with a Redis of the test's own; ``requeue_stale`` takes a delivery
    still waiting after three seconds for lost (after five minutes in production)."""
    return worker_settings(redis_url=own_redis.url, delivery_requeue_after=3.0)


class WatchedDispatch:
    """The notifier's dispatch through Celery (``dispatch_for``), counting the times the
    broker did not take it."""

    def __init__(self, settings: Settings) -> None:
        self.dispatch = dispatch_for(settings)
        self.refused = 0

    def __call__(self, messages: Sequence[Message]) -> None:
        try:
            self.dispatch(messages)
        except BrokerUnavailable:
            self.refused += 1
            raise


@pytest.fixture
def start_notifier(
    settings: Settings, app: AspeApplication
) -> Iterator[Callable[[], WatchedDispatch]]:
    """Start the notifier in a thread (as ``aspe serve`` does), following the world's store;
    it waits at most two seconds between two tries while Redis is down."""
    started: list[BackgroundNotifier] = []

    def start() -> WatchedDispatch:
        watched = WatchedDispatch(settings)
        runner = NotifierRunner(build_notifier(settings, app, dispatch=watched), max_delay=2.0)
        started.append(BackgroundNotifier(runner).start())
        assert started[-1].ready.is_set(), "the notifier did not catch up"
        return watched

    yield start
    for notifier in started:
        notifier.stop()
        notifier.runner.projector.close()


class Beat:
    """``requeue_stale`` as beat runs it (every minute in production), here every second."""

    def __init__(self, celery: Celery, every: float = 1.0) -> None:
        self.celery, self.every = celery, every
        self.due = time.monotonic()
        self.requeued = 0

    def tick(self) -> None:
        if time.monotonic() >= self.due:
            self.requeued += requeue_stale(self.celery)
            self.due = time.monotonic() + self.every


def granted_email_ids(world: Any, case: CaseStory, household_email: str) -> dict[str, str]:
    """The Message-ID of each e-mail the case's grant makes → its addressee: the association
    (referent, manager), the landlord, the household."""
    grant = world.last_event(case.case_id)
    told = {
        world.referent.email: world.referent.actor.id,
        world.manager.email: world.manager.actor.id,
        world.landlord.email: world.landlord.actor.id,
        household_email: case.household_id,
    }
    return {
        f"<{delivery_id(f'{event_key(grant)}:{account}:{Channel.EMAIL.value}')}"
        "@aspe.notifications>": email
        for email, account in told.items()
    }


def inbox_cases(settings: Settings, account_id: UUID) -> Counter[UUID | None]:
    """How many notifications of each case the account's inbox holds (all of a grant)."""
    found = inbox.notifications(settings, account_id, first=10 * CASES)
    assert all(GRANTED in notification.subject for notification in found)
    return Counter(notification.case_id for notification in found)


@pytest.mark.parametrize("store_settings", ["postgres"], indirect=True)
def test_commands_go_on_while_redis_is_down_and_each_of_their_emails_arrives_once_after(
    world: Any,
    settings: Settings,
    own_redis: RedisServer,
    smtp_server: SmtpServer,
    start_aspe_worker: StartWorker,
    start_notifier: Callable[[], WatchedDispatch],
) -> None:
    # given requests on the commission's agenda, each household with an account of its own,
    # and the worker and the notifier running, the notifier caught up
    cases = [registered_case(world) for _ in range(CASES)]
    worker = start_aspe_worker(settings)
    dispatches = start_notifier()
    assert not any(
        n for by_status in delivery_counts(settings).values() for n in by_status.values()
    )
    smtp_server.delay = 0.1  # the first e-mails are on their way while the rest wait in Redis
    head = world.app.head()

    # when the commission grants them all, Redis killed (its queue lost) in the middle
    for case, _ in cases[: CASES // 2]:
        case.grant()
    eventually(lambda: smtp_server.count() >= 2, what="the first e-mails of the burst")
    own_redis.stop()
    waiting = delivery_counts(settings)
    for case, _ in cases[CASES // 2 :]:
        case.grant()

    # then every command succeeded, stored while Redis was down as before
    assert world.app.head() >= head + CASES
    for case, _ in cases:
        assert type(world.last_event(case.case_id)).__name__ == "MeasureGranted"
    assert waiting["email"]["queued"] + waiting["inbox"]["queued"] > 0, (
        "Redis died with nothing queued"
    )
    # and the notifier, refused by the broker, keeps trying (three tries: a few seconds)
    eventually(lambda: dispatches.refused >= 3, what="the notifier to be refused three times")

    # when Redis is back on its port, and beat queues again the deliveries lost with it
    own_redis.start()
    beat = Beat(create_app(settings))
    total = CASES * 4  # the referent, the manager, the landlord, the household

    def all_delivered() -> bool:
        beat.tick()
        counts = delivery_counts(settings)
        return counts["email"]["delivered"] == total and counts["inbox"]["delivered"] == total

    eventually(
        all_delivered,
        timeout=40,
        what=lambda: f"{delivery_counts(settings)}\n{worker.output()[-3000:]}",
    )

    # then every e-mail of every grant has arrived exactly once (per addressee × case), and
    # every inbox holds each notification once
    expected = {
        message_id: (email, case.case_id)
        for case, household_email in cases
        for message_id, email in granted_email_ids(world, case, household_email).items()
    }
    case_of = {message_id: case_id for message_id, (_, case_id) in expected.items()}
    received = Counter(
        (addressee(email), case_of.get(str(email["Message-ID"]))) for email in smtp_server.received
    )
    assert received == Counter(expected.values())
    assert all(GRANTED in subject_of(email) for email in smtp_server.received)
    assert [counts["failed"] for counts in delivery_counts(settings).values()] == [0, 0]
    every_case = Counter(case.case_id for case, _ in cases)
    for staff in (world.referent, world.manager, world.landlord):
        assert inbox_cases(settings, staff.actor.id) == every_case
    for case, _ in cases:
        assert inbox_cases(settings, case.household_id) == Counter([case.case_id])
    assert beat.requeued > 0
