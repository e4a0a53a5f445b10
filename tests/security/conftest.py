"""Fixtures of the security regression tests: the real app over the test's store (both
stores), reached the way an attacker would reach it — GraphQL over HTTP (``login``,
``anonymous``), the portal's forms (``logged_in``, ``visitor``), the CLI. They are the
fixtures of ``tests/gql`` and ``tests/portal``, re-exported here (pytest finds fixtures by
conftest folder). A test uses the API's app (``client``) or the portal's (``portal``), not
both: each runs the read models in-process on the same store."""

from __future__ import annotations

from tests.gql.conftest import LOGIN, Api, anonymous, api_settings, client, login
from tests.portal.conftest import (
    Visitor,
    csrf_of,
    household_account,
    logged_in,
    portal,
    portal_settings,
    settled,
    visitor,
)

__all__ = [
    "LOGIN",
    "Api",
    "Visitor",
    "anonymous",
    "api_settings",
    "client",
    "csrf_of",
    "household_account",
    "logged_in",
    "login",
    "portal",
    "portal_settings",
    "settled",
    "visitor",
]
