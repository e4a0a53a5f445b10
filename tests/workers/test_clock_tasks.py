"""The reminder and digest clocks as Celery runs them: a real ``celery worker`` subprocess
takes the task (as beat would send it), builds the clocks from its ``ASPE_*`` environment,
and the message reaches the referent's inbox and the SMTP server, once however often the
task runs.

The worker decides on today's real date: the measure is set up so that it ends in ten days
(reminder due) and had no visit last week (below cadence, digest due). The events are
stamped by the frozen clock, moved to the day the measure must start.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from email.utils import parseaddr

import pytest

from aspe.bootstrap import build_projector
from aspe.demo.scenarios import CaseStory
from aspe.domain.rules import add_months
from aspe.domain.values import Status
from aspe.projections.runner import BackgroundFollower
from aspe.settings import Settings
from aspe.workers import inbox
from aspe.workers.app import create_app
from aspe.workers.clocks import CLOCK_READ_MODELS
from aspe.workers.delivery import delivery_counts
from aspe.workers.schedule import DIGEST_TASK, REMINDER_TASK
from tests.conftest import MONDAY
from tests.workers.conftest import SmtpServer, Worker, eventually

pytestmark = [pytest.mark.redis, pytest.mark.slow]

DAYS_LEFT = 10


@pytest.fixture
def settings(worker_settings: Callable[..., Settings]) -> Settings:
    """The world's store (SQLite or PostgreSQL), with Redis and the SMTP server."""
    return worker_settings()


@pytest.fixture
def read_models_followed(settings: Settings) -> Iterator[None]:
    """On PostgreSQL, what ``aspe projections run`` does for the clocks' read models (the
    clocks wait for them); on SQLite the clocks catch them up themselves."""
    if settings.runs_projections_in_process:
        yield
        return
    projector = build_projector(settings, CLOCK_READ_MODELS)
    follower = BackgroundFollower(projector).start()
    yield
    follower.stop()
    projector.close()
    projector.app.close()


@pytest.fixture
def ending_measure(world) -> CaseStory:
    """A measure started six months before it ends, ten days from today, never visited."""
    today = world.app.rules.day_of(datetime.now(UTC))  # the clocks' today: Paris's date
    starts_on = add_months(today + timedelta(days=DAYS_LEFT), -6)
    if starts_on < MONDAY.date():
        pytest.skip("the measure would start before the world's accounts exist")
    world.clock.set_day(starts_on)
    story = CaseStory(
        world.departement,
        world.referent,
        world.new_household("Ménage Lambert"),
        duration_months=6,
        probation_months=6,
    )
    story.walk_to(Status.ACTIVE)
    ends_on = world.app.get_case(story.case_id).ends_on
    assert ends_on is not None
    assert 0 < (ends_on - today).days <= 30
    return story


def delivered(settings: Settings) -> tuple[int, int]:
    counts = delivery_counts(settings)
    return counts["email"]["delivered"], counts["inbox"]["delivered"]


def run_twice(settings: Settings, task: str) -> list[list[str]]:
    """Send the task as beat does, twice, each time until the worker has run it."""
    celery = create_app(settings)
    return [celery.send_task(task).get(timeout=60) for _ in range(2)]


def subjects_to(smtp_server: SmtpServer, email: str) -> Counter[str]:
    return Counter(
        str(make_header(decode_header(str(message["Subject"]))))
        for message in list(smtp_server.received)
        if parseaddr(str(message["To"]))[1] == email
    )


@pytest.mark.parametrize(
    ("task", "subject"),
    [(REMINDER_TASK, "Fin de mesure le"), (DIGEST_TASK, "en dessous du rythme de visites")],
    ids=["reminder", "digest"],
)
def test_a_clock_run_twice_by_the_worker_tells_the_referent_once(
    world,
    settings: Settings,
    ending_measure: CaseStory,
    read_models_followed: None,
    start_aspe_worker: Callable[[Settings], Worker],
    smtp_server: SmtpServer,
    task: str,
    subject: str,
) -> None:
    # given a worker, and a measure ending in ten days and below cadence last week
    worker = start_aspe_worker(settings)
    referent = world.referent

    # when beat's task runs twice
    first, second = run_twice(settings, task)

    # then both runs made the referent's message, under the same key
    assert first == second
    assert len(first) == 1
    assert str(referent.actor.id) in first[0]
    # and it is delivered once, by e-mail and in the referent's inbox
    eventually(
        lambda: delivered(settings) == (1, 1),
        what=lambda: f"{delivery_counts(settings)}\n{worker.output()[-3000:]}",
    )
    ((received, times),) = subjects_to(smtp_server, referent.email).items()
    assert subject in received
    assert times == 1
    assert smtp_server.count() == 1
    (notification,) = inbox.notifications(settings, referent.actor.id)
    assert subject in notification.subject
    assert "Ménage Lambert" in notification.body
    for untold in (world.manager, world.landlord, world.spslh, world.commission):
        assert inbox.notifications(settings, untold.actor.id) == []
