"""A store written before personal values were sealed is copied into one that seals them.

Given a store whose events hold a household's values in clear, when ``aspe privacy
migrate`` copies it into a new store, then the new store's events hold none of them, read
back the same, chain whole, and the household can then be erased for real; a store that
already holds events is not written to. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from aspe.application import AspeApplication
from aspe.bootstrap import build_application
from aspe.cli import app as cli
from aspe.domain.household import Household
from aspe.settings import Settings
from tests.conftest import Clock, PostgresSchemas, make_world
from tests.privacy.test_sealing import NAME, PERSONAL, household_with_a_case, stored_bytes
from tests.workers.conftest import settings_env


@pytest.fixture
def unsealed_app(settings: Settings) -> Iterator[AspeApplication]:
    """The application as it stored events before this version: nothing sealed."""
    app = AspeApplication(env=settings.eventsourcing_env(), seal_personal_data=False)
    yield app
    app.close()


@pytest.fixture
def new_store(
    settings: Settings, tmp_path: os.PathLike[str], postgres_schemas: PostgresSchemas
) -> Iterator[Settings]:
    if settings.uses_postgres:
        schema = postgres_schemas.create()
        yield settings.model_copy(update={"database_schema": schema})
        postgres_schemas.drop(schema)
        return
    yield settings.model_copy(update={"data_dir": settings.data_dir.parent / "sealed"})


def migrate(settings: Settings, new: Settings) -> tuple[int, str]:
    option = (
        ["--to-schema", str(new.database_schema)]
        if settings.uses_postgres
        else ["--to-data-dir", str(new.data_dir)]
    )
    env = {**os.environ, **settings_env(settings)}
    result = CliRunner().invoke(cli, ["privacy", "migrate", *option], env=env)
    return result.exit_code, result.output + (result.stderr or "")


def test_an_unsealed_store_is_copied_sealed_and_reads_the_same(
    settings: Settings,
    new_store: Settings,
    unsealed_app: AspeApplication,
    clock: Clock,
    password_hash: str,
) -> None:
    # given a store whose events hold a household's values in clear
    household_id, case_id = household_with_a_case(make_world(unsealed_app, clock, password_hash))
    assert NAME.encode() in stored_bytes(unsealed_app, household_id)
    events_before = unsealed_app.head()

    # when it is copied into a new store
    code, output = migrate(settings, new_store)

    # then the copy is verified, seals every personal value, and reads them back
    assert code == 0, output
    assert "vérifiés" in output
    copy = build_application(new_store)
    try:
        assert copy.head() == events_before
        sealed = stored_bytes(copy, household_id, case_id)
        assert [value for value in PERSONAL if value.encode() in sealed] == []
        assert copy.load(Household, household_id).name == NAME
        # and destroying the household's key now erases it for real
        copy.data_keys.destroy(household_id)
    finally:
        copy.close()
    reread = build_application(new_store)
    try:
        assert reread.load(Household, household_id).name != NAME
    finally:
        reread.close()


def test_a_store_that_holds_events_is_not_written_to(
    settings: Settings, unsealed_app: AspeApplication, clock: Clock, password_hash: str
) -> None:
    # given a store with events, and another one with events too
    household_with_a_case(make_world(unsealed_app, clock, password_hash))

    # when the store is "migrated" onto itself
    code, output = migrate(settings, settings)

    # then it is refused and nothing is written
    assert code == 1
    assert "refus" in output or "ancien" in output
