"""A process holds few idle PostgreSQL connections: a deployment of one process of each
kind once held a hundred, PostgreSQL's default limit, and the next process was refused."""

from __future__ import annotations

import pytest

from aspe.access_log.store import open_store as open_access_log
from aspe.bootstrap import build_application, build_projector
from aspe.settings import Settings
from aspe.workers.clock_runs import open_store as open_clock_runs
from aspe.workers.inbox import open_store as open_notifications


@pytest.mark.postgres
def test_the_stores_written_now_and_then_keep_one_connection_open(
    postgres_settings: Settings,
) -> None:
    # Given the stores a process opens beside its events and read models
    stores = [
        opened(postgres_settings)
        for opened in (open_notifications, open_access_log, open_clock_runs)
    ]

    for store in stores:
        # When its pool is looked at
        pool = store.datastore.pool  # type: ignore[attr-defined]

        # Then it keeps one connection open when idle, and may grow to a full pool under load
        assert pool.min_size == 1
        most = postgres_settings.postgres_pool_size + postgres_settings.postgres_max_overflow
        assert pool.max_size == most


@pytest.mark.postgres
def test_a_process_keeps_one_connection_per_pool_by_default(postgres_settings: Settings) -> None:
    # Given the settings of a deployment that sets no pool size (the soak's topology of two
    # API processes, two runners, the notifier, two workers and beat held 99 connections
    # with five per pool, and the next process to start was refused)
    settings = Settings(
        env=postgres_settings.env,
        data_dir=postgres_settings.data_dir,
        database_url=postgres_settings.database_url,
        database_schema=postgres_settings.database_schema,
    )
    app = build_application(settings)
    projector = build_projector(settings, app=app)
    try:
        # When the process has read its events and its read models
        app.head()
        projector.status()

        # Then each of its two pools holds one or two open connections (a second when a
        # request came while the first was still connecting), and may grow under load
        events = app.recorder.datastore.pool  # type: ignore[attr-defined]
        read_models = projector.model("directory").view.datastore.pool  # type: ignore[attr-defined]
        for pool in (events, read_models):
            assert pool.min_size == 1
            assert pool.get_stats()["pool_size"] <= 2
            assert pool.max_size == 1 + settings.postgres_max_overflow
    finally:
        projector.close()
        app.close()
