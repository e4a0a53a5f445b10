"""Shared fixtures: stores on SQLite and PostgreSQL, a frozen clock, a small département.

Tests that need PostgreSQL or Redis skip with a one-line reason when the server does not
answer, unless ``ASPE_REQUIRE_SERVICES=1`` (CI), which turns the skip into a failure.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import psycopg
import pytest

from aspe.access_log.store import close_stores as close_access_logs
from aspe.application import AspeApplication
from aspe.application.passwords import hash_password
from aspe.bootstrap import build_application
from aspe.demo.scenarios import (
    DEFAULT_PASSWORD,
    Account,
    Association,
    CaseStory,
    Clock,
    Departement,
)
from aspe.domain.actors import Actor
from aspe.domain.errors import DomainError
from aspe.domain.values import LandlordCategory
from aspe.settings import Environment, Settings
from aspe.workers.clock_runs import close_stores as close_clock_runs
from aspe.workers.inbox import close_stores

POSTGRES_URL = os.environ.get("ASPE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("ASPE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
SERVICES_REQUIRED = os.environ.get("ASPE_REQUIRE_SERVICES") == "1"
BENCH = Path(__file__).resolve().parents[1] / "bench"


def load_bench(name: str) -> ModuleType:
    """``bench/<name>.py`` as a module (the benchmarks are scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
"""The frozen 'now' of the behaviour tests: a Monday, so ISO weeks start on it."""


def _postgres_error() -> str | None:
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            return None
    except psycopg.Error as error:
        return str(error).splitlines()[0] if str(error) else type(error).__name__


def require_postgres() -> None:
    error = _postgres_error()
    if error is None:
        return
    if SERVICES_REQUIRED:
        pytest.fail(f"PostgreSQL is required (ASPE_REQUIRE_SERVICES=1) but not reachable: {error}")
    pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}: {error}")


def require_redis_server() -> None:
    """A ``redis-server`` binary, for tests that start a Redis of their own."""
    if shutil.which("redis-server") is None and not Path("/usr/bin/redis-server").exists():
        if SERVICES_REQUIRED:
            pytest.fail("redis-server is required (ASPE_REQUIRE_SERVICES=1) but not installed")
        pytest.skip("redis-server is not installed")


def require_redis() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        if SERVICES_REQUIRED:
            pytest.fail(f"Redis is required (ASPE_REQUIRE_SERVICES=1) but not reachable: {error}")
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {error}")


class PostgresSchemas:
    """Schemas of this test run, each test's own: a test never reads another's events, and
    its app never catches up on them (a shared schema made every later app replay the
    whole run's log)."""

    def __init__(self) -> None:
        self.prefix = f"aspe_test_{os.getpid()}_"

    def create(self) -> str:
        schema = f"{self.prefix}{uuid.uuid4().hex[:8]}"
        with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
            connection.execute(f'CREATE SCHEMA "{schema}"')
        return schema

    def drop(self, schema: str) -> None:
        # A connection some test left open must not stall the run: give up after a few
        # seconds, and the sweep at the end of the run drops what is left.
        with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
            connection.execute("SET lock_timeout = '5s'")
            with suppress(psycopg.errors.LockNotAvailable):
                connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')

    def sweep(self) -> None:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
            rows = connection.execute(
                "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, %s)",
                (self.prefix,),
            ).fetchall()
            for (schema,) in rows:
                connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(scope="session")
def postgres_schemas() -> Iterator[PostgresSchemas]:
    require_postgres()
    schemas = PostgresSchemas()
    yield schemas
    schemas.sweep()


@pytest.fixture(scope="session")
def new_postgres_settings(
    postgres_schemas: PostgresSchemas,
) -> Callable[[], Settings]:
    """Settings on a PostgreSQL schema of their own, each call a new one; dropped at the end."""

    def create() -> Settings:
        schema = postgres_schemas.create()
        return Settings(env=Environment.TEST, database_url=POSTGRES_URL, database_schema=schema)

    return create


@pytest.fixture
def postgres_settings(postgres_schemas: PostgresSchemas, tmp_path: Path) -> Iterator[Settings]:
    """A PostgreSQL schema of the test's own, dropped after it; files (an e-mail outbox) in
    the test's own folder."""
    schema = postgres_schemas.create()
    yield Settings(
        env=Environment.TEST,
        database_url=POSTGRES_URL,
        database_schema=schema,
        data_dir=tmp_path / "var",
    )
    close_stores()  # the notifications store's pool is the last to hold the schema
    close_access_logs()
    postgres_schemas.drop(schema)


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    return Settings(env=Environment.TEST, data_dir=tmp_path / "var")


@pytest.fixture(params=["sqlite", "postgres"])
def settings(request: pytest.FixtureRequest) -> Settings:
    """The same behaviour runs on both event stores."""
    return request.getfixturevalue(f"{request.param}_settings")


@pytest.fixture(autouse=True)
def _notification_stores_closed() -> Iterator[None]:
    """Each test's notifications store (opened once per settings by whoever reads an inbox
    or delivers) is closed after it: a PostgreSQL pool left open per test would hold the
    server's connections until later tests wait for one."""
    yield
    close_stores()
    close_access_logs()
    close_clock_runs()


@pytest.fixture
def app(settings: Settings) -> Iterator[AspeApplication]:
    application = build_application(settings)
    yield application
    application.close()


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY)


@pytest.fixture(scope="session")
def password_hash() -> str:
    return hash_password(DEFAULT_PASSWORD)


@dataclass
class World:
    """A département small enough for one test: who is who, by the role they play."""

    departement: Departement
    association: Association
    other_association: Association
    landlord_id: uuid.UUID
    landlord: Account
    other_landlord_id: uuid.UUID
    other_landlord: Account
    unqualified: Account

    @property
    def app(self) -> AspeApplication:
        return self.departement.app

    @property
    def clock(self) -> Clock:
        return self.departement.clock

    @property
    def referent(self) -> Account:
        return self.association.referents[0]

    @property
    def second_referent(self) -> Account:
        return self.association.referents[1]

    @property
    def manager(self) -> Account:
        return self.association.manager

    @property
    def spslh(self) -> Account:
        return self.departement.spslh_agent

    @property
    def commission(self) -> Account:
        return self.departement.commission_member

    @property
    def auditor(self) -> Account:
        return self.departement.auditor

    def new_household(self, name: str = "Ménage Durand") -> uuid.UUID:
        return self.departement.add_household(self.referent, self.landlord_id, name)

    def acting(self, who: Account | Actor) -> AbstractContextManager[None]:
        return self.departement.acting(who.actor if isinstance(who, Account) else who)

    def event_names(self, aggregate_id: uuid.UUID) -> list[str]:
        return [type(event).__name__ for event in self.app.events.get(aggregate_id)]

    def last_event(self, aggregate_id: uuid.UUID) -> Any:
        return list(self.app.events.get(aggregate_id))[-1]


@pytest.fixture
def world(app: AspeApplication, clock: Clock, password_hash: str) -> World:
    return make_world(app, clock, password_hash)


def make_world(app: AspeApplication, clock: Clock, password_hash: str) -> World:
    """Two associations, two landlords and the département's staff, on ``app``."""
    departement = Departement(app, clock, password_hash)
    association = departement.add_association("Habitat Solidaire", ["Claire Martin", "Paul Roux"])
    other = departement.add_association("Entraide Logement", ["Inès Bernard"])
    landlord_id, landlord = departement.add_landlord("Lyon Habitat", LandlordCategory.SOCIAL)
    other_id, other_landlord = departement.add_landlord("SCI Bellecour", LandlordCategory.PRIVATE)
    return World(
        departement=departement,
        association=association,
        other_association=other,
        landlord_id=landlord_id,
        landlord=landlord,
        other_landlord_id=other_id,
        other_landlord=other_landlord,
        unqualified=departement.add_unqualified_staff(association, "Léa Petit"),
    )


class Refusals:
    """Then-steps for refused commands: the error's code, and nothing stored."""

    def __init__(self, app: AspeApplication) -> None:
        self.app = app

    @contextmanager
    def expect(self, code: str) -> Iterator[None]:
        head = self.app.head()
        with pytest.raises(DomainError) as caught:
            yield
        assert caught.value.code == code, caught.value
        assert self.app.head() == head, "a refused command stored events"


@pytest.fixture
def refused(app: AspeApplication) -> Refusals:
    return Refusals(app)


@pytest.fixture
def story(world: World) -> Callable[..., CaseStory]:
    """A new household's case story, with the world's referent, ready to walk."""

    def new_story(**options: Any) -> CaseStory:
        return CaseStory(world.departement, world.referent, world.new_household(), **options)

    return new_story
