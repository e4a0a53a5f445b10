"""Fixtures of the read-model tests: build read models on the test's store and project."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from aspe.application import AspeApplication
from aspe.bootstrap import build_projector
from aspe.projections.runner import Projector
from aspe.projections.view import TableView
from aspe.settings import Settings

Project = Callable[..., TableView]


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
