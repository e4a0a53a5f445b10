"""A worker keeps its SMTP connection from one e-mail to the next (issue 17): one TLS
handshake, EHLO and login for many e-mails; a connection the server closed meanwhile is
opened again and the e-mail still sent once; ``ASPE_SMTP_KEEP_ALIVE_SECONDS=0`` opens one
per e-mail, as before."""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from aspe.settings import Environment, Settings
from aspe.workers.app import create_app
from aspe.workers.delivery import SMTP_CONNECTIONS, delivery_counts, dispatch, send_email
from aspe.workers.messages import Channel
from tests.workers.conftest import SmtpServer, Worker, eventually
from tests.workers.test_delivery import messages, recipient

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _email(number: int) -> EmailMessage:
    email = EmailMessage()
    email["From"], email["To"] = "aspe@example.org", "claire@example.org"
    email["Subject"], email["Message-ID"] = f"Dossier {number}", f"<{number}@aspe.test>"
    email.set_content("Bonjour")
    return email


def _settings(tmp_path: Path, server: SmtpServer, **changes: Any) -> Settings:
    return Settings(
        env=Environment.TEST, data_dir=tmp_path, smtp_url=server.url, smtp_timeout=5.0, **changes
    )


def test_the_emails_sent_by_one_process_share_one_smtp_connection(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    # Given the default settings (connections kept 30 s)
    settings = _settings(tmp_path, smtp_server)

    # When five e-mails are sent one after the other
    for number in range(5):
        send_email(settings, _email(number))

    # Then the server received them all on one connection
    assert smtp_server.count() == 5
    assert smtp_server.connections() == 1


def test_a_connection_closed_by_the_server_is_opened_again_and_the_email_sent_once(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    # Given two e-mails sent on one kept connection, which the server then closes (it was
    # restarted, or timed the connection out)
    settings = _settings(tmp_path, smtp_server)
    send_email(settings, _email(1))
    send_email(settings, _email(2))
    smtp_server.drop_connections()

    # When the next e-mail is sent, then it arrives once, on a new connection, without error
    send_email(settings, _email(3))
    assert smtp_server.message_ids() == ["<1@aspe.test>", "<2@aspe.test>", "<3@aspe.test>"]
    assert smtp_server.connections() == 2


def test_an_email_refused_after_data_is_not_sent_again_on_a_new_connection(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    # Given a kept connection, and a server that answers the next DATA with a 421 (it is
    # closing the connection): the message may count as received, the task's retry decides
    settings = _settings(tmp_path, smtp_server)
    send_email(settings, _email(1))
    smtp_server.refuse(1, "421 4.3.2 Arrêt du service")
    opened = SMTP_CONNECTIONS.opened

    # When the next e-mail is sent, then the error reaches the task, and no new connection
    # was opened to send it again
    with pytest.raises(Exception, match="421"):
        send_email(settings, _email(2))
    assert SMTP_CONNECTIONS.opened == opened
    assert smtp_server.message_ids() == ["<1@aspe.test>"]

    # And the next e-mail opens a new connection (the failed one was dropped)
    send_email(settings, _email(3))
    assert smtp_server.connections() == 2


def test_a_keep_alive_of_zero_opens_a_connection_per_email(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    # Given connections not kept
    settings = _settings(tmp_path, smtp_server, smtp_keep_alive_seconds=0)

    # When three e-mails are sent, then each came on a connection of its own
    for number in range(3):
        send_email(settings, _email(number))
    assert smtp_server.count() == 3
    assert smtp_server.connections() == 3


def test_a_connection_idle_for_its_keep_alive_is_closed(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    # Given connections kept half a second, and an e-mail sent
    settings = _settings(tmp_path, smtp_server, smtp_keep_alive_seconds=0.5)
    send_email(settings, _email(1))
    (server,) = smtp_server.servers

    # When nothing else is sent for longer, then the worker has closed its connection
    eventually(lambda: server.transport is None, 5, "the idle connection to be closed")
    assert smtp_server.quits == 1

    # And the next e-mail comes on a new one
    send_email(settings, _email(2))
    assert smtp_server.connections() == 2


@pytest.mark.redis
@pytest.mark.slow
def test_a_worker_sends_its_deliveries_on_one_connection_and_closes_it_when_it_stops(
    worker_settings: Callable[..., Settings],
    start_worker: Callable[[Settings], Worker],
    smtp_server: SmtpServer,
) -> None:
    # Given a worker (one process) with the default keep-alive
    settings = worker_settings()
    worker = start_worker(settings)

    # When ten e-mails are dispatched
    dispatch(messages(10, recipient()), app=create_app(settings))

    # Then all ten were delivered, once each, on one connection
    eventually(lambda: smtp_server.count() == 10, what="10 e-mails")
    eventually(lambda: delivery_counts(settings)[Channel.EMAIL.value]["delivered"] == 10)
    assert len(set(smtp_server.message_ids())) == 10
    assert smtp_server.connections() == 1

    # And once the worker stops, it has closed its connection with QUIT
    (server,) = smtp_server.servers
    assert smtp_server.quits == 0
    worker.stop()
    eventually(lambda: server.transport is None, 10, "the worker's connection to be closed")
    assert smtp_server.quits == 1
