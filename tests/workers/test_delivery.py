"""Delivery: each message × channel once at the SMTP server (or the outbox) and in the inbox,
whatever is dispatched again; retries with backoff; failures recorded and shown."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from email import message_from_bytes
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aspe.cli import app as cli
from aspe.settings import Environment, Settings
from aspe.workers.app import create_app
from aspe.workers.delivery import delivery_counts, delivery_id, dispatch
from aspe.workers.inbox import close_stores, mark_read, notifications, unread_count
from aspe.workers.messages import Channel, Message, Recipient
from tests.workers.conftest import SmtpServer, Worker, eventually, free_port, settings_env

MakeSettings = Callable[..., Settings]
StartWorker = Callable[[Settings], Worker]
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def recipient(name: str = "Claire Martin", email: str | None = "claire@example.org") -> Recipient:
    return Recipient(uuid.uuid4(), name, email)


def messages(count: int, *to: Recipient) -> list[Message]:
    """``count`` causes, each told to every recipient ``to``."""
    readers = to or (recipient(),)
    return [
        Message(
            key=f"evenement-{cause}:{reader.account_id}",
            recipient=reader,
            subject=f"Dossier {cause} : décision de la commission",
            body=f"Bonjour {reader.name},\n\nLa commission a décidé (dossier {cause}).",
            case_id=uuid.uuid4(),
        )
        for cause in range(count)
        for reader in readers
    ]


def delivered(settings: Settings, channel: Channel) -> int:
    return delivery_counts(settings)[channel.value]["delivered"]


@pytest.fixture
def embedded(tmp_path: Path) -> Settings:
    return Settings(env=Environment.TEST, data_dir=tmp_path / "var")


@pytest.fixture(autouse=True)
def _closed_stores() -> None:
    close_stores()


# ------------------------------------------------------------------ embedded default
def test_without_redis_dispatch_delivers_in_process_to_the_outbox_and_the_inbox(
    embedded: Settings,
) -> None:
    claire, household = recipient(), recipient("Famille Durand", email=None)
    sent = messages(3, claire, household)

    dispatch(sent, app=create_app(embedded))

    outbox = sorted((embedded.data_dir / "outbox").glob("*.eml"))
    assert len(outbox) == 3  # the household has no address: its inbox only
    first = message_from_bytes(outbox[0].read_bytes())
    assert first["To"] == "Claire Martin <claire@example.org>"
    assert "La commission a décidé" in first.get_payload(decode=True).decode()
    assert unread_count(embedded, claire.account_id) == 3
    assert unread_count(embedded, household.account_id) == 3


def test_dispatching_the_same_messages_again_delivers_nothing_more(embedded: Settings) -> None:
    claire = recipient()
    celery = create_app(embedded)
    dispatch(messages(4, claire), app=celery)

    dispatch(messages(4, claire), app=celery)  # made again, as a retried notifier does

    assert len(list((embedded.data_dir / "outbox").glob("*.eml"))) == 4
    assert unread_count(embedded, claire.account_id) == 4
    assert delivered(embedded, Channel.EMAIL) == delivered(embedded, Channel.INBOX) == 4


# ------------------------------------------------------------------------ the inbox
def test_the_inbox_lists_newest_first_counts_unread_and_marks_read(embedded: Settings) -> None:
    claire, paul = recipient(), recipient("Paul Roux")
    dispatch(messages(3, claire, paul), app=create_app(embedded))
    listed = notifications(embedded, claire.account_id)
    assert [n.subject for n in listed] == [
        f"Dossier {i} : décision de la commission" for i in (2, 1, 0)
    ]

    assert mark_read(embedded, claire.account_id, [listed[0].id]) == 1
    assert mark_read(embedded, paul.account_id, [listed[1].id]) == 0  # not Paul's

    assert unread_count(embedded, claire.account_id) == 2
    assert [n.id for n in notifications(embedded, claire.account_id, unread_only=True)] == [
        listed[1].id,
        listed[2].id,
    ]
    assert mark_read(embedded, claire.account_id) == 2
    assert unread_count(embedded, claire.account_id) == 0
    assert unread_count(embedded, paul.account_id) == 3
    assert notifications(embedded, claire.account_id, first=1)[0].read_at is not None


# ------------------------------------------------------------- SMTP, in-process
def test_an_smtp_server_refusing_for_good_is_recorded_failed_without_retrying(
    embedded: Settings, smtp_server: SmtpServer
) -> None:
    settings = embedded.model_copy(update={"smtp_url": smtp_server.url})
    smtp_server.refuse(10, "550 5.1.1 Destinataire inconnu")

    dispatch(messages(1), app=create_app(settings))

    counts = delivery_counts(settings)
    assert counts["email"]["failed"] == 1
    assert smtp_server.refusals == 9  # one attempt: a 5xx is not retried
    assert counts["inbox"]["delivered"] == 1


# ----------------------------------------------------------- a real celery worker
@pytest.mark.redis
@pytest.mark.slow
def test_a_worker_delivers_each_message_once_and_a_second_dispatch_sends_nothing(
    worker_settings: MakeSettings, start_worker: StartWorker, smtp_server: SmtpServer
) -> None:
    settings = worker_settings()
    start_worker(settings)
    celery = create_app(settings)
    claire, paul = recipient(), recipient("Paul Roux", "paul@example.org")
    sent = messages(10, claire, paul)

    dispatch(sent, app=celery)

    eventually(lambda: delivered(settings, Channel.INBOX) == 20, what="20 inbox deliveries")
    eventually(lambda: smtp_server.count() == 20, what="20 e-mails")
    dispatch(messages(10, claire, paul), app=celery)
    eventually(lambda: delivery_counts(settings)["email"]["queued"] == 0)
    assert sorted(smtp_server.message_ids()) == sorted(
        f"<{delivery_id(m.delivery_key(Channel.EMAIL))}@aspe.notifications>" for m in sent
    )
    assert unread_count(settings, claire.account_id) == 10


@pytest.mark.redis
@pytest.mark.slow
def test_temporary_smtp_refusals_are_retried_with_backoff_and_delivered_once(
    worker_settings: MakeSettings, start_worker: StartWorker, smtp_server: SmtpServer
) -> None:
    settings = worker_settings()
    worker = start_worker(settings)
    smtp_server.refuse(2)  # "451": the first two attempts

    dispatch(messages(1), app=create_app(settings))

    eventually(
        lambda: delivered(settings, Channel.EMAIL) == 1,
        what=lambda: f"the e-mail, retried: {delivery_counts(settings)}\n{worker.output()[-3000:]}",
    )
    assert smtp_server.count() == 1
    assert smtp_server.refusals == 0


@pytest.mark.redis
@pytest.mark.slow
def test_an_smtp_server_down_for_good_is_recorded_failed_and_shown_in_the_status(
    worker_settings: MakeSettings, start_worker: StartWorker, tmp_path: Path
) -> None:
    settings = worker_settings(smtp_url=f"smtp://127.0.0.1:{free_port()}")
    worker: Worker = start_worker(settings)

    dispatch(messages(2), app=create_app(settings))

    eventually(
        lambda: delivery_counts(settings)["email"]["failed"] == 2,
        what=lambda: f"the failures recorded\n{worker.output()[-3000:]}",
    )
    shown = CliRunner().invoke(
        cli, ["notifications", "status"], env={**settings_env(settings), "COLUMNS": "250"}
    )
    assert shown.exit_code == 0, shown.output
    assert "ConnectionRefusedError" in shown.output
    email_line = next(line for line in shown.output.splitlines() if "e-mail" in line)
    assert [cell.strip() for cell in email_line.split("│")[2:6]] == ["0", "0", "0", "2"]
