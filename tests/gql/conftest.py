"""Fixtures of the GraphQL tests: the real FastAPI app over the test's store, and clients
that log in as the world's accounts (``tests/graphql`` would shadow graphql-core)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from aspe.api import create_app
from aspe.demo.scenarios import DEFAULT_PASSWORD, Account
from aspe.settings import Settings

LOGIN = """
mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) { token expiresAt role }
}
"""


class Api:
    """Posts GraphQL operations to ``/graphql`` as one account (or anonymously)."""

    def __init__(self, client: TestClient, token: str | None = None) -> None:
        self.client = client
        self.token = token

    def post(self, query: str, variables: dict[str, Any] | None = None, **extra: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        body = {"query": query, "variables": variables or {}, **extra}
        return self.client.post("/graphql", json=body, headers=headers)

    def run(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The response's JSON body (``data`` and ``errors``)."""
        response = self.post(query, variables)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """``data`` of a query that must succeed."""
        body = self.run(query, variables)
        assert not body.get("errors"), body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    def error_code(self, query: str, variables: dict[str, Any] | None = None) -> str:
        """The code of the (single) error of a query that must fail."""
        body = self.run(query, variables)
        assert body.get("errors"), body
        code: str = body["errors"][0]["extensions"]["code"]
        return code


@pytest.fixture
def api_settings(settings: Settings) -> Settings:
    """The test's store, with the read models kept up to date inside the API process."""
    return settings.model_copy(update={"projections_in_process": True})


@pytest.fixture
def client(api_settings: Settings, world: Any) -> Iterator[TestClient]:
    with TestClient(create_app(api_settings, clock=world.clock)) as test_client:
        yield test_client


@pytest.fixture
def anonymous(client: TestClient) -> Api:
    return Api(client)


@pytest.fixture
def login(client: TestClient) -> Callable[[Account | str], Api]:
    """``login(account)``: an ``Api`` logged in as that account (or e-mail)."""

    def as_account(account: Account | str, password: str = DEFAULT_PASSWORD) -> Api:
        email = account if isinstance(account, str) else account.email
        body = Api(client).data(LOGIN, {"email": email, "password": password})
        return Api(client, body["login"]["token"])

    return as_account
