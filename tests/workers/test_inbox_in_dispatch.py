"""The inbox in dispatch's transaction (issue 17): a decision's inbox notifications are
written with the record of its deliveries, so only its e-mails go through the queue; the
previous versions' inbox task still delivers what they queued; nothing is written twice."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis

from aspe.application import AspeApplication
from aspe.bootstrap import build_notifier
from aspe.settings import Settings
from aspe.workers import inbox
from aspe.workers.app import EMAIL_TASK, INBOX_TASK, create_app
from aspe.workers.delivery import (
    BrokerUnavailable,
    delivery_counts,
    delivery_id,
    dispatch,
    enqueue,
    requeue_stale,
)
from aspe.workers.inbox import DELIVERIES, now_text, open_store
from aspe.workers.messages import Channel, Message
from aspe.workers.notifier import NotifierRunner, dispatch_for
from tests.workers.conftest import RedisServer, SmtpServer, StartWorker, eventually
from tests.workers.test_delivery import delivered, messages, recipient
from tests.workers.test_end_to_end import (
    registered_case,
    then_the_decision_reached_exactly_its_parties,
)

MakeSettings = Callable[..., Settings]
pytestmark = [
    pytest.mark.redis,
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]


def queued_tasks(settings: Settings) -> list[str]:
    """The names of the tasks waiting in the settings' Celery queue (a Redis list)."""
    assert settings.redis_url is not None
    client = redis.Redis.from_url(settings.redis_url)
    return [
        json.loads(raw)["headers"]["task"] for raw in client.lrange(settings.celery_queue, 0, -1)
    ]


def queued_by_the_previous_version(settings: Settings, message: Message) -> str:
    """An inbox delivery as the versions before issue 17 recorded it (``queued``, for a
    task to deliver); its key."""
    key = message.delivery_key(Channel.INBOX)
    now = now_text()
    row: dict[str, Any] = {
        "key": key,
        "channel": Channel.INBOX.value,
        "message_key": message.key,
        "account_id": str(message.recipient.account_id),
        "recipient_name": message.recipient.name,
        "email": message.recipient.email,
        "subject": message.subject,
        "body": message.body,
        "case_id": str(message.case_id),
        "status": "queued",
        "attempts": 0,
        "queued_at": now,
        "due_at": now,
        "delivered_at": None,
        "error": None,
    }
    view = open_store(settings)
    with view.transaction(commit=True) as cursor:
        insert = view.dialect.insert(DELIVERIES, view.name_of(DELIVERIES))
        cursor.execute(insert, view.dialect.encode(DELIVERIES, row))
    return key


def inbox_ids(settings: Settings, message: Message) -> list[str]:
    return [str(n.id) for n in inbox.notifications(settings, message.recipient.account_id)]


# ---------------------------------------------------------------------- a decision
@pytest.fixture
def settings(worker_settings: MakeSettings) -> Settings:
    return worker_settings()


@pytest.fixture
def notifier(settings: Settings, app: AspeApplication) -> Iterator[NotifierRunner]:
    """The notifier on the world's store, dispatching through Celery (``aspe notifier run``)."""
    runner = NotifierRunner(build_notifier(settings, app, dispatch=dispatch_for(settings)))
    yield runner
    runner.projector.close()


def test_a_decisions_inbox_notifications_are_there_when_dispatch_returns_and_only_its_emails_are_queued(  # noqa: E501
    world: Any,
    settings: Settings,
    notifier: NotifierRunner,
    smtp_server: SmtpServer,
    start_worker: StartWorker,
) -> None:
    # given a request on the agenda, its household with an account, the notifier caught up
    # and no worker running yet
    case, household_email = registered_case(world)
    notifier.catch_up()

    # when the commission grants the measure and the notifier has dispatched its messages
    case.grant()
    notifier.catch_up()

    # then its four parties have it in their inbox already, recorded delivered
    for account_id in (
        world.referent.actor.id,
        world.manager.actor.id,
        world.landlord.actor.id,
        case.household_id,
    ):
        assert len(inbox.notifications(settings, account_id)) == 1
    assert delivery_counts(settings)["inbox"]["delivered"] == 4
    # and the queue holds the four e-mails' tasks, no inbox task
    assert queued_tasks(settings) == [EMAIL_TASK] * 4

    # when a worker runs
    worker = start_worker(settings)

    # then the four e-mails arrive, and each party has the decision once in its inbox
    eventually(
        lambda: delivered(settings, Channel.EMAIL) == 4,
        what=lambda: f"{delivery_counts(settings)}\n{worker.output()[-3000:]}",
    )
    assert delivery_counts(settings)["inbox"]["delivered"] == 4
    then_the_decision_reached_exactly_its_parties(
        world, settings, household_email, case.household_id, smtp_server.received
    )


# ------------------------------------------------------------------------- replays
def test_a_dispatch_the_broker_refused_has_filled_the_inboxes_and_its_replay_adds_nothing(
    worker_settings: MakeSettings,
    own_redis: RedisServer,
    start_worker: StartWorker,
    smtp_server: SmtpServer,
) -> None:
    # given messages to a referent (inbox and e-mail) and a household (inbox only), and
    # Redis down
    settings = worker_settings(redis_url=own_redis.url)
    celery = create_app(settings)
    claire, household = recipient(), recipient("Famille Durand", email=None)
    sent = messages(3, claire, household)
    own_redis.stop()

    # when they are dispatched, the broker refusing the e-mails' tasks
    with pytest.raises(BrokerUnavailable):
        dispatch(sent, app=celery)

    # then the inboxes are filled all the same, and the e-mails wait
    assert inbox.unread_count(settings, claire.account_id) == 3
    assert inbox.unread_count(settings, household.account_id) == 3
    assert delivery_counts(settings)["email"]["queued"] == 3

    # when Redis is back and the same messages are dispatched again (the notifier's retry)
    own_redis.start()
    dispatch(messages(3, claire, household), app=celery)

    # then only the e-mails are queued, and a worker sends each once
    assert queued_tasks(settings) == [EMAIL_TASK] * 3
    start_worker(settings)
    eventually(lambda: delivered(settings, Channel.EMAIL) == 3, what="the three e-mails")
    assert smtp_server.count() == 3
    # and each inbox holds each notification once, under the id of its delivery
    for message in sent:
        expected = str(delivery_id(message.delivery_key(Channel.INBOX)))
        assert inbox_ids(settings, message).count(expected) == 1
    assert inbox.unread_count(settings, claire.account_id) == 3
    assert inbox.unread_count(settings, household.account_id) == 3


def test_the_previous_versions_inbox_task_still_delivers_what_it_queued_once(
    settings: Settings, start_worker: StartWorker
) -> None:
    # given an inbox delivery the previous version queued, its task in the queue
    celery = create_app(settings)
    (message,) = messages(1, recipient(email=None))
    key = queued_by_the_previous_version(settings, message)
    enqueue(celery, [(key, Channel.INBOX)])
    assert queued_tasks(settings) == [INBOX_TASK]

    # when a worker runs it
    worker = start_worker(settings)

    # then the notification is in the inbox, under the id of its delivery, recorded delivered
    eventually(lambda: delivered(settings, Channel.INBOX) == 1, what=worker.output)
    assert inbox_ids(settings, message) == [str(delivery_id(key))]

    # when the task runs again and the message is dispatched again
    enqueue(celery, [(key, Channel.INBOX)])
    dispatch([message], app=celery)

    # then the inbox still holds it once, and the dispatch queued nothing
    eventually(
        lambda: worker.output().count(f"{INBOX_TASK}[{delivery_id(key)}] succeeded") == 2,
        what=worker.output,
    )
    assert inbox_ids(settings, message) == [str(delivery_id(key))]
    assert delivery_counts(settings)["inbox"] == {
        "queued": 0,
        "sending": 0,
        "delivered": 1,
        "failed": 0,
    }


def test_an_inbox_delivery_the_previous_version_queued_and_lost_is_delivered_without_a_task(
    settings: Settings,
) -> None:
    # given an inbox delivery the previous version queued, its task lost with Redis
    celery = create_app(settings)
    (message,) = messages(1, recipient(email=None))
    key = queued_by_the_previous_version(settings, message)

    # when beat looks for lost deliveries
    assert requeue_stale(celery, older_than=0) == 1

    # then the notification is in its inbox, and nothing was queued for it
    assert inbox_ids(settings, message) == [str(delivery_id(key))]
    assert delivered(settings, Channel.INBOX) == 1
    assert queued_tasks(settings) == []
