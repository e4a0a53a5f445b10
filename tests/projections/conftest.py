"""Fixtures of the read-model tests: build read models on the test's store and project."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import date

import pytest

from aspe.application import AspeApplication
from aspe.bootstrap import build_application, build_projector
from aspe.demo import load_demo
from aspe.projections.runner import Projector
from aspe.projections.view import TableView
from aspe.settings import Environment, Settings

Project = Callable[..., TableView]
DEMO_DAY = date(2026, 11, 26)


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def demo_settings(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    """A store holding the demo département, loaded once per run and per backend.

    Its events never change; tests that use it rebuild the read models they read.
    """
    if request.param == "sqlite":
        settings = Settings(env=Environment.TEST, data_dir=tmp_path_factory.mktemp("demo"))
    else:
        settings = request.getfixturevalue("new_postgres_settings")()
    with closing(build_application(settings)) as app:
        load_demo(app, DEMO_DAY)
    return settings


@pytest.fixture
def demo_app(demo_settings: Settings) -> Iterator[AspeApplication]:
    with closing(build_application(demo_settings)) as app:
        yield app


@pytest.fixture
def demo_projector(demo_settings: Settings, demo_app: AspeApplication) -> Iterator[Projector]:
    """Every read model over the demo store, rebuilt from position 0."""
    built = build_projector(demo_settings, app=demo_app)
    built.rebuild()
    yield built
    built.close()


@pytest.fixture
def projector(settings: Settings, app: AspeApplication) -> Iterator[Projector]:
    """Every read model, built on the test's store (SQLite or PostgreSQL), not yet run."""
    built = build_projector(settings, app=app)
    built.prepare()
    yield built
    built.close()


@pytest.fixture
def project(projector: Projector) -> Project:
    """``project("name")``: bring every read model to the store's head; return that view."""

    def run(name: str) -> TableView:
        projector.catch_up()
        return projector.model(name).view

    return run
