"""Fixtures of the portal tests: the real FastAPI app over the test's store (SQLite: the
portal's pages are the same on both stores), and browsers-without-a-browser (``TestClient``
with its own cookie jar) logged in through the real login form as the world's accounts."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any
from uuid import UUID

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from aspe.api import create_app
from aspe.demo.scenarios import DEFAULT_PASSWORD, Account
from aspe.settings import Settings

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
READ_MODEL_TIMEOUT = 30.0
"""Generous: a bound for a stuck read model, never a measure of speed."""


def csrf_of(html: str) -> str:
    """The CSRF token of the (first) form of a page."""
    found = CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


class Visitor:
    """One person's browser: a cookie jar on the app, following no redirect by itself."""

    def __init__(self, app: FastAPI) -> None:
        self.client = TestClient(app, follow_redirects=False)

    def get(self, url: str, **options: Any) -> Any:
        return self.client.get(url, **options)

    def page(self, url: str) -> str:
        """The HTML of a page that must answer 200."""
        response = self.client.get(url)
        assert response.status_code == 200, (response.status_code, response.headers, response.text)
        text: str = response.text
        return text

    def post_form(self, url: str, data: dict[str, str], from_page: str | None = None) -> Any:
        """Post ``data`` with the CSRF token of the form on ``from_page`` (default: ``url``)."""
        token = csrf_of(self.page(from_page or url))
        return self.client.post(url, data={**data, "csrf_token": token})

    def log_in(self, email: str, password: str = DEFAULT_PASSWORD) -> Any:
        return self.post_form("/connexion", {"email": email, "mot_de_passe": password})


@pytest.fixture
def settings(sqlite_settings: Settings) -> Settings:
    """The portal's tests run on SQLite only (the API's own tests cover both stores)."""
    return sqlite_settings


@pytest.fixture
def portal_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"projections_in_process": True})


@pytest.fixture
def portal(portal_settings: Settings, world: Any) -> Iterator[FastAPI]:
    """The real app, started (its lifespan runs), on the world's store and clock."""
    app = create_app(portal_settings, clock=world.clock)
    with TestClient(app):
        yield app


@pytest.fixture
def settled(portal: FastAPI, world: Any) -> Callable[[], None]:
    """``settled()``: wait until every read model of the app holds every stored event."""

    def wait() -> None:
        projector = portal.state.projector
        head = world.app.head()
        for name in projector.read_models:
            projector.wait(name, head, timeout=READ_MODEL_TIMEOUT)

    return wait


@pytest.fixture
def visitor(portal: FastAPI) -> Callable[[], Visitor]:
    """``visitor()``: a new browser, logged in as nobody."""
    return lambda: Visitor(portal)


@pytest.fixture
def logged_in(
    visitor: Callable[[], Visitor], settled: Callable[[], None]
) -> Callable[[Account | str], Visitor]:
    """``logged_in(account)``: a browser logged in through the login form as that account
    (or e-mail), once the read models hold what the test stored before."""

    def as_account(account: Account | str) -> Visitor:
        settled()
        browser = visitor()
        email = account if isinstance(account, str) else account.email
        response = browser.log_in(email)
        assert response.status_code == 303, response.text
        assert response.headers["location"] == "/"
        return browser

    return as_account


@pytest.fixture
def household_account(world: Any) -> Callable[[UUID], str]:
    """``household_account(household_id)``: opens the household's own login; its e-mail."""

    def open_account(household_id: UUID) -> str:
        email = f"menage.{str(household_id)[:8]}@aspe.test"
        with world.acting(world.referent):
            world.app.open_household_account(household_id, email, world.departement.password_hash)
        return email

    return open_account
