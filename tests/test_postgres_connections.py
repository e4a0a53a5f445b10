"""A process holds few idle PostgreSQL connections: a deployment of one process of each
kind once held a hundred, PostgreSQL's default limit, and the next process was refused."""

from __future__ import annotations

import pytest

from aspe.access_log.store import open_store as open_access_log
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
