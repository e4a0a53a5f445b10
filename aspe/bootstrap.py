"""The composition root: builds the application, its read models and the notifier from
``Settings``.

Each process's entry point (``aspe serve``, ``aspe projections run``, ``aspe notifier run``,
the CLI's commands) builds what it runs here, once, and hands each part what it needs;
the parts themselves never build an application. Nothing connects at import.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.sqlite import SQLiteDatastore
from eventsourcing.utils import Environment

from aspe.application import AspeApplication
from aspe.privacy.erasure import Places
from aspe.projections import READ_MODELS, ReadModel
from aspe.projections.errors import UnknownProjection
from aspe.projections.runner import Projector
from aspe.projections.view import PostgresTableView, SQLiteTableView, TableView
from aspe.settings import Settings
from aspe.workers.app import AspeCelery
from aspe.workers.clocks import CLOCK_READ_MODELS, Clocks
from aspe.workers.delivery import outbox
from aspe.workers.inbox import open_store
from aspe.workers.notifier import Dispatch, Notifier, dispatch_for


def build_application(settings: Settings | None = None) -> AspeApplication:
    settings = settings or Settings()
    env = settings.eventsourcing_env("events")
    return AspeApplication(
        env=env,
        rules=settings.rules,
        snapshot_interval=settings.snapshot_interval,
        bounds=settings.bounds,
        master_key=settings.master_key_bytes(),
    )


def build_projector(
    settings: Settings | None = None,
    names: Sequence[str] = (),
    app: AspeApplication | None = None,
) -> Projector:
    """The named read models (all by default), with their tables created if need be.

    On PostgreSQL they live in the event store's schema and share one connection pool;
    on SQLite each has a file of its own (the library's tracking table is unprefixed).
    """
    settings = settings or Settings()
    classes = _read_model_classes(names)
    views = build_views(settings, classes)
    models = [cls(view, rules=settings.rules) for cls, view in zip(classes, views, strict=True)]
    return Projector(
        app or build_application(settings),
        models,
        batch_size=settings.projection_batch_size,
        rebuild_batch_size=settings.projection_rebuild_batch_size,
        poll_interval=settings.projection_poll_interval,
        wait_timeout=settings.read_your_writes_timeout,
    )


def _read_model_classes(names: Sequence[str]) -> list[type[ReadModel]]:
    known = {cls.name: cls for cls in READ_MODELS}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise UnknownProjection(unknown[0], sorted(known))
    return [known[name] for name in names] if names else list(READ_MODELS)


def build_views(settings: Settings, classes: Sequence[type[ReadModel]]) -> list[TableView]:
    views: list[TableView] = []
    if settings.uses_postgres:
        env = Environment("projections", settings.eventsourcing_env("projections"))
        datastore = InfrastructureFactory.construct(env).datastore  # type: ignore[attr-defined]
        views = [
            PostgresTableView(datastore, cls.name, cls.tables, _salt(settings, cls))
            for cls in classes
        ]
    else:
        for cls in classes:
            path = settings.private_sqlite_path(f"projection-{cls.name}")
            datastore = SQLiteDatastore(str(path))
            views.append(SQLiteTableView(datastore, cls.name, cls.tables, _salt(settings, cls)))
    for view in views:
        view.create_tables()
    return views


def _salt(settings: Settings, read_model: type[ReadModel]) -> str:
    """What a read model's rows depend on besides events: the rules, for those using them."""
    return repr(settings.rules) if read_model.uses_rules else ""


def build_notifier(
    settings: Settings, app: AspeApplication, dispatch: Dispatch | None = None
) -> Projector:
    """A projector running the notifier alone, over ``app``'s events; it dispatches
    through a Celery app configured from ``settings`` unless told otherwise."""
    (view,) = build_views(settings, [Notifier])
    return Projector(
        app,
        [Notifier(view, rules=settings.rules, dispatch=dispatch or dispatch_for(settings))],
        batch_size=settings.projection_batch_size,
        poll_interval=settings.projection_poll_interval,
    )


def build_clocks(settings: Settings) -> Clocks:
    """The clocks over the store ``settings`` name, with the read models they read."""
    app = build_application(settings)
    projector = build_projector(settings, CLOCK_READ_MODELS, app=app)
    if settings.runs_projections_in_process:
        projector.prepare()
    return Clocks(app, projector, settings, erasure_places=lambda: erasure_places(settings, app))


def build_serving_clocks(settings: Settings, app: AspeApplication, projector: Projector) -> Clocks:
    """The clocks of an API process that runs them (``ASPE_CLOCKS_IN_PROCESS``): over its
    own application and read models, which they wait for rather than catch up themselves
    (the process's follower thread, or the runners, keep them current)."""
    waiting = settings.model_copy(update={"projections_in_process": False})
    return Clocks(app, projector, waiting, erasure_places=lambda: erasure_places(settings, app))


def build_celery(settings: Settings | None = None) -> AspeCelery:
    """The Celery app of a worker or beat process (``aspe worker``, ``aspe beat``): its
    clock tasks build their clocks once per process with ``build_clocks``."""
    return AspeCelery(settings, clocks=build_clocks)


@contextmanager
def erasure_places(settings: Settings, app: AspeApplication) -> Iterator[Places]:
    """Every place besides the events where a household's values are copied: all read
    models (the notifier's directory included), the notifications store, the outbox and
    the documents' folder. Views of their own, closed after: the processes that run the
    read models forget their cached rows when the erasure's event reaches them."""
    projector = build_projector(settings, app=app)
    (notifier_view,) = build_views(settings, [Notifier])
    models = [*projector.read_models.values(), Notifier(notifier_view, rules=settings.rules)]
    try:
        yield Places(models, open_store(settings), outbox(settings), settings.blob_path)
    finally:
        projector.close()
        notifier_view.datastore.close()
