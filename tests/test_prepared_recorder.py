"""The prepared recorder (issue 17) against the library's own recorder tests, and ours.

The library's ``ApplicationRecorderTestCase`` (inserts, conflicts as ``IntegrityError``,
notification ids, concurrent writers, subscriptions) and its non-interleaving case run
against ``PreparedPostgresApplicationRecorder`` in a schema of their own; then the audit
chain verifies after commands through it, and its NOTIFY still wakes a listener.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.tests.persistence import (
    ApplicationRecorderTestCase,
    NonInterleavingNotificationIDsBaseCase,
)

from aspe.audit import store
from aspe.audit.recorders import (
    AspePostgresFactory,
    ChainedPostgresApplicationRecorder,
    PreparedPostgresApplicationRecorder,
)
from aspe.audit.verify import verify_store
from aspe.demo.scenarios import CaseStory
from aspe.domain.values import Status
from aspe.settings import CHAINED_RECORDERS, Settings
from tests.conftest import POSTGRES_URL, PostgresSchemas, World, require_postgres

pytestmark = pytest.mark.usefixtures("_postgres")


@pytest.fixture
def _postgres() -> None:
    require_postgres()


class InPrivateSchema:
    """A datastore on a schema of the test's own, dropped after it."""

    schemas = PostgresSchemas()

    def setUp(self) -> None:
        self.schema = self.schemas.create()
        url = urlsplit(POSTGRES_URL)
        self.datastore = PostgresDatastore(
            dbname=url.path.lstrip("/"),
            host=url.hostname or "127.0.0.1",
            port=str(url.port or 5432),
            user=url.username or "postgres",
            password=url.password or "",
            schema=self.schema,
            pool_size=10,
            max_overflow=10,
        )

    def tearDown(self) -> None:
        self.datastore.close()
        self.schemas.drop(self.schema)

    def create_recorder(self) -> PreparedPostgresApplicationRecorder:
        recorder = PreparedPostgresApplicationRecorder(self.datastore)
        recorder.create_table()
        return recorder


class TestPreparedRecorder(
    InPrivateSchema, ApplicationRecorderTestCase[PreparedPostgresApplicationRecorder]
):
    test_insert_subscribe = ApplicationRecorderTestCase.optional_test_insert_subscribe


class TestPreparedRecorderNonInterleaving(InPrivateSchema, NonInterleavingNotificationIDsBaseCase):
    insert_num = 300


# ------------------------------------------------------------------- our own needs
@pytest.fixture
def recorder() -> Iterator[PreparedPostgresApplicationRecorder]:
    schema = InPrivateSchema()
    schema.setUp()
    yield schema.create_recorder()
    schema.tearDown()


def _event(originator_id: uuid.UUID, version: int) -> StoredEvent:
    return StoredEvent(originator_id, version, "tests:Happened", b'{"n": %d}' % version)


def test_the_settings_choose_the_prepared_recorder_for_postgresql() -> None:
    assert AspePostgresFactory.application_recorder_class is PreparedPostgresApplicationRecorder
    assert CHAINED_RECORDERS["postgres"].endswith(":PreparedPostgresApplicationRecorder")
    assert issubclass(PreparedPostgresApplicationRecorder, ChainedPostgresApplicationRecorder)


def test_a_version_conflict_is_the_library_integrity_error_and_stores_nothing(
    recorder: PreparedPostgresApplicationRecorder,
) -> None:
    originator = uuid.uuid4()
    assert recorder.insert_events([_event(originator, 1)]) == [1]

    with pytest.raises(IntegrityError):
        recorder.insert_events([_event(originator, 2), _event(originator, 1)])

    assert [e.originator_version for e in recorder.select_events(originator)] == [1]
    assert recorder.insert_events([_event(originator, 2)]) is not None  # connection reusable
    with recorder.datastore.transaction() as cursor:
        links = recorder.chain.links_page(cursor, 0, 100, 100)
    assert [link.version for link in links] == [1, 2]


def test_its_notify_wakes_a_listener(recorder: PreparedPostgresApplicationRecorder) -> None:
    with psycopg.connect(POSTGRES_URL, autocommit=True) as listener:
        listener.execute(f'LISTEN "{recorder.channel_name}"')

        recorder.insert_events([_event(uuid.uuid4(), 1)])

        woken = list(listener.notifies(timeout=5, stop_after=1))
    assert [notify.channel for notify in woken] == [recorder.channel_name]


@pytest.fixture
def settings(postgres_settings: Settings) -> Settings:
    """The application of ``world`` on PostgreSQL only."""
    return postgres_settings


def test_the_chain_verifies_after_commands_through_it(world: World) -> None:
    for status in (Status.ACTIVE, Status.REGISTERED, Status.STOPPED):
        CaseStory(world.departement, world.referent, world.new_household()).walk_to(status)

    recorder = world.app.recorder
    assert type(recorder) is PreparedPostgresApplicationRecorder
    assert (recorder.max_notification_id() or 0) > 50
    assert store.verify(world.app).intact


def test_links_of_a_topic_that_needs_quoting_verify(
    recorder: PreparedPostgresApplicationRecorder,
) -> None:
    originator = uuid.uuid4()
    odd = StoredEvent(originator, 1, "tests:l'Événement \\ déposé", b"\x00'\\")

    recorder.insert_events([odd, _event(originator, 2)])

    assert verify_store(recorder.chain, recorder.datastore.transaction).intact
    assert recorder.select_events(originator)[0].topic == odd.topic
