"""Several processes start at once on a new PostgreSQL schema (the API, the read-model
runner, the workers, a CLI command): each creates the tables it needs, and none fails
because another created them in the same instant (PostgreSQL's CREATE TABLE IF NOT EXISTS
is not safe against a concurrent one)."""

from __future__ import annotations

import threading
from typing import TypedDict

from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment

from aspe.bootstrap import build_application
from aspe.creation_lock import creating_tables
from aspe.projections.tables import Table
from aspe.projections.view import PostgresTableView
from aspe.settings import Settings


class Item(TypedDict):
    item_id: str
    size: int | None


ITEMS = Table("items", Item, key=("item_id",))
WRITERS = 8


def _view(settings: Settings) -> PostgresTableView:
    """A view with a connection pool of its own, as another process would have."""
    env = Environment("projections", settings.eventsourcing_env("projections"))
    datastore = InfrastructureFactory.construct(env).datastore  # type: ignore[attr-defined]
    return PostgresTableView(datastore, "started_together", [ITEMS])


def _create_together(views: list[PostgresTableView]) -> list[Exception]:
    """Each view creates its tables in its own thread, all released at the same instant;
    what they raised."""
    start, errors = threading.Barrier(len(views)), []

    def create(view: PostgresTableView) -> None:
        start.wait()
        try:
            view.create_tables()
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=create, args=(view,)) for view in views]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_processes_creating_the_same_tables_at_once_all_succeed(new_postgres_settings):
    for _ in range(3):  # the race is a matter of instants: give it several chances
        # given several processes starting together on a schema that has no table yet
        settings = new_postgres_settings()
        views = [_view(settings) for _ in range(WRITERS)]

        # when each creates the read model's tables in the same instant
        errors = _create_together(views)

        # then none failed, and the tables are there for all
        assert errors == []
        assert all(view.select(ITEMS) == [] for view in views)
        for view in views:
            view.datastore.close()


def _create_event_stores_together(settings: Settings, count: int) -> list[Exception]:
    """``count`` applications (as many processes would) create the event store's tables
    in the same instant; what they raised."""
    start, errors = threading.Barrier(count), []

    def create() -> None:
        start.wait()
        try:
            build_application(settings).close()
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=create) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_processes_creating_the_event_store_at_once_all_succeed(new_postgres_settings):
    # (found by the soak: a worker's clock task failed with "tuple concurrently updated")
    for _ in range(3):
        # given several processes starting together on a schema that has no event store yet
        settings = new_postgres_settings()

        # when each creates the event store's tables in the same instant
        errors = _create_event_stores_together(settings, WRITERS)

        # then none failed, and the store answers
        assert errors == []
        app = build_application(settings)
        assert app.head() == 0
        app.close()


def test_a_rebuild_reset_waits_for_a_process_creating_tables(new_postgres_settings):
    # (found by the soak: a runner resetting a read model for its rebuild while a worker's
    # clock task created the same tables deadlocked, "deadlock detected")
    # given a read model's tables, and another process holding the schema's creation lock
    settings = new_postgres_settings()
    creator, runner = _view(settings), _view(settings)
    runner.create_tables()
    holding, release = threading.Event(), threading.Event()

    def create_tables_slowly() -> None:
        with creating_tables(creator.datastore):
            holding.set()
            release.wait(10)

    other = threading.Thread(target=create_tables_slowly)
    other.start()
    holding.wait(10)

    # when the runner resets the read model meanwhile
    reset = threading.Thread(target=runner.reset)
    reset.start()
    reset.join(0.5)

    # then it waits for the lock rather than dropping tables under the creator, and
    # completes once the creator is done
    assert reset.is_alive()
    release.set()
    reset.join(10)
    other.join(10)
    assert not reset.is_alive()
    assert runner.select(ITEMS) == []
    for view in (creator, runner):
        view.datastore.close()
