"""End to end: a decision recorded through the application sends its e-mails and fills the
inboxes, with nothing but the real processes in between.

- In production: ``aspe projections run`` (read models and notifier) and ``aspe worker``
  as subprocesses, on PostgreSQL and Redis, e-mails to an SMTP server on loopback.
- In the embedded default: the web app alone (``create_app`` on SQLite, no Redis, no SMTP
  server), its notifier in a thread, e-mails as ``.eml`` files in ``data_dir/outbox``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import uuid
from collections.abc import Callable, Iterator
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message as EmailMessage
from email.utils import parseaddr
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from aspe.api import create_app
from aspe.demo.scenarios import STANDARD_FINDINGS, STANDARD_OBJECTIVES, CaseStory
from aspe.domain.values import Status
from aspe.settings import Environment, Settings
from aspe.workers import inbox
from aspe.workers.delivery import delivery_counts, outbox
from tests.workers.conftest import (
    VENV_BIN,
    SmtpServer,
    Worker,
    eventually,
    settings_env,
)

pytestmark = [pytest.mark.redis, pytest.mark.slow]

GRANTED = "mesure ASPE accordée"
HEALTH_ITEMS = (
    "médical",
    "santé",
    STANDARD_FINDINGS[2].difficulty,
    STANDARD_OBJECTIVES[-1].label,
)


@pytest.fixture
def store_settings(new_postgres_settings: Callable[[], Settings]) -> Settings:
    """Production's store: PostgreSQL, a schema of the test's own."""
    return new_postgres_settings()


@pytest.fixture
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """The world's store: PostgreSQL with Redis and the SMTP server, or (``embedded``) the
    embedded default, a SQLite store and no server at all."""
    if getattr(request, "param", "services") == "embedded":
        yield Settings(env=Environment.TEST, data_dir=tmp_path / "var")
        inbox.close_stores()
        return
    make: Callable[..., Settings] = request.getfixturevalue("worker_settings")
    yield make()


class Process:
    """An ``aspe`` subprocess with the test's settings as its environment."""

    def __init__(self, settings: Settings, args: list[str], log: Path) -> None:
        env = {key: value for key, value in os.environ.items() if not key.startswith("ASPE_")}
        env.update(settings_env(settings))
        self.log = log
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                [str(VENV_BIN / "aspe"), *args],
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                cwd=log.parent,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, text: str) -> None:
        eventually(
            lambda: text in self.output() or self.process.poll() is not None,
            what=lambda: f"{text!r} in:\n{self.output()}",
        )
        assert self.process.poll() is None, self.output()

    def stop(self) -> int:
        """SIGTERM, as a service manager stops it; its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=30)


@pytest.fixture
def projections_run(tmp_path: Path) -> Iterator[Callable[[Settings], Process]]:
    started: list[Process] = []

    def start(settings: Settings) -> Process:
        process = Process(settings, ["projections", "run"], tmp_path / "projections.log")
        started.append(process)
        process.wait_for("read models up to date")
        process.wait_for("notifier up to date")
        return process

    yield start
    for process in started:
        if process.process.poll() is None:
            process.process.kill()
            process.process.wait(timeout=10)


def registered_case(world) -> tuple[CaseStory, str]:
    """A request on the commission's agenda, its household with an account of its own."""
    case = CaseStory(world.departement, world.referent, world.new_household())
    case.walk_to(Status.REGISTERED)
    email = f"durand.{uuid.uuid4().hex[:6]}@exemple.fr"
    with world.acting(world.referent):
        world.app.open_household_account(case.household_id, email, "hash")
    return case, email


def addressee(message: EmailMessage) -> str:
    return parseaddr(str(message["To"]))[1]


def subject_of(message: EmailMessage) -> str:
    return str(make_header(decode_header(str(message["Subject"]))))


def text_of(message: EmailMessage) -> str:
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes)
    return f"{subject_of(message)}\n{body.decode('utf-8')}"


def then_the_decision_reached_exactly_its_parties(
    world, settings: Settings, household_email: str, household_id, emails: list[EmailMessage]
) -> None:
    """The association (referent, manager), the household, the landlord: one e-mail each,
    the landlord's without any health item; each of them has it in their inbox."""
    told = {
        world.referent.email: world.referent.actor.id,
        world.manager.email: world.manager.actor.id,
        world.landlord.email: world.landlord.actor.id,
        household_email: household_id,
    }
    assert sorted(addressee(message) for message in emails) == sorted(told)
    assert all(GRANTED in subject_of(message) for message in emails)
    (landlord,) = [m for m in emails if addressee(m) == world.landlord.email]
    for item in HEALTH_ITEMS:
        assert item not in text_of(landlord)
    for account_id in told.values():
        (notification,) = inbox.notifications(settings, account_id)
        assert GRANTED in notification.subject
        assert inbox.unread_count(settings, account_id) == 1
    for untold in (world.spslh, world.commission, world.other_landlord):
        assert inbox.notifications(settings, untold.actor.id) == []


def delivered(settings: Settings) -> tuple[int, int]:
    counts = delivery_counts(settings)
    return counts["email"]["delivered"], counts["inbox"]["delivered"]


# ------------------------------------------------------------------------- production
def test_a_decision_sends_its_emails_and_fills_the_inboxes_through_the_real_processes(
    world,
    settings: Settings,
    smtp_server: SmtpServer,
    projections_run: Callable[[Settings], Process],
    start_worker: Callable[[Settings], Worker],
) -> None:
    # given a request on the agenda, and the processes of production running
    case, household_email = registered_case(world)
    runner = projections_run(settings)
    worker = start_worker(settings)

    # when the commission grants the measure, through the application
    case.grant()

    # then its four parties get one e-mail each, and the same in their inbox
    eventually(
        lambda: delivered(settings) == (4, 4),
        timeout=60,
        what=lambda: (
            f"{delivery_counts(settings)}\n{runner.output()[-3000:]}\n{worker.output()[-3000:]}"
        ),
    )
    assert smtp_server.count() == 4
    then_the_decision_reached_exactly_its_parties(
        world, settings, household_email, case.household_id, smtp_server.received
    )
    # and both processes stop cleanly on SIGTERM
    assert runner.stop() == 0
    assert "Arrêt / stopped." in runner.output()
    worker.stop()
    assert worker.process.returncode == 0, worker.output()[-3000:]


# --------------------------------------------------------------------- embedded default
@pytest.mark.parametrize("settings", ["embedded"], indirect=True)
def test_in_the_embedded_default_the_web_app_alone_notifies_a_decision(
    world, settings: Settings
) -> None:
    # given a request on the agenda, and the web app started on SQLite without any server
    assert (settings.redis_url, settings.smtp_url) == (None, None)
    case, household_email = registered_case(world)
    with TestClient(create_app(settings, clock=world.clock)) as client:
        # when the commission grants the measure
        case.grant()

        # then the e-mails are written to the outbox and the inboxes filled, in-process
        eventually(
            lambda: delivered(settings) == (4, 4),
            what=lambda: str(delivery_counts(settings)),
        )
        notifier = client.app.state.notifier  # type: ignore[attr-defined]
    emails = [message_from_bytes(path.read_bytes()) for path in outbox(settings).glob("*.eml")]
    then_the_decision_reached_exactly_its_parties(
        world, settings, household_email, case.household_id, emails
    )
    # and the notifier stopped with the app
    assert not notifier.is_alive()
