"""The security tests reach the app as anyone would: over HTTP, logged in or not."""

from __future__ import annotations

from tests.gql.conftest import Api


def test_an_anonymous_caller_gets_nothing_but_login(anonymous: Api) -> None:
    # Given no token, when asking for the viewer, then the API asks to log in.
    assert anonymous.error_code("{ me { name } }") == "UNAUTHENTICATED"
