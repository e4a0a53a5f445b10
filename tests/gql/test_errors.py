"""Errors as a client sees them: a stable code and a French message, nothing of the server.

Anonymous callers reach nothing but ``login``; bad credentials and bad tokens get one
refusal each; a domain error keeps its code and message; anything unexpected becomes
``INTERNAL_ERROR`` with an id that the server log holds, with its stack trace.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import graphql
import pytest
from fastapi.testclient import TestClient
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    Undefined,
    get_named_type,
)
from pydantic import SecretStr

from aspe.application import AspeApplication
from aspe.authorization import Viewer
from aspe.demo.scenarios import DEFAULT_PASSWORD, Account
from aspe.graphql import limits, queries
from aspe.graphql.errors import INTERNAL_MESSAGE, InvalidCredentials, InvalidToken
from aspe.graphql.identity import sign_token
from aspe.graphql.schema import export_sdl
from aspe.settings import Settings
from tests.gql.conftest import LOGIN, Api

Login = Callable[[Account], Api]

ME = "{ me { role } }"
SCALARS = {
    "Int": "1",
    "Float": "1.5",
    "Boolean": "true",
    "String": '"x"',
    "Date": '"2026-03-02"',
    "DateTime": '"2026-03-02T10:00:00+00:00"',
    "Decimal": '"10.00"',
}


def viewer_of(account: Account) -> Viewer:
    actor = account.actor
    return Viewer(actor.id, actor.role, actor.organisation_id, account.email, account.name)


def as_token(client: TestClient, token: str) -> Api:
    return Api(client, token)


# ------------------------------------------------------------------ anonymous
def minimal_literal(type_: GraphQLInputType) -> str:
    """The smallest literal of ``type_`` that validation accepts."""
    named = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    if isinstance(named, GraphQLList):
        return "[]"
    if isinstance(named, GraphQLInputObjectType):
        required = [
            f"{name}: {minimal_literal(field.type)}"
            for name, field in named.fields.items()
            if isinstance(field.type, GraphQLNonNull) and field.default_value is Undefined
        ]
        return "{" + ", ".join(required) + "}"
    if isinstance(named, GraphQLEnumType):
        return next(iter(named.values))
    return SCALARS.get(named.name, f'"{uuid4()}"')


def minimal_call(name: str, field: GraphQLField) -> str:
    arguments = ", ".join(
        f"{argument}: {minimal_literal(definition.type)}"
        for argument, definition in field.args.items()
        if isinstance(definition.type, GraphQLNonNull)
    )
    selection = (
        " { __typename }" if isinstance(get_named_type(field.type), GraphQLObjectType) else ""
    )
    return f"{name}({arguments}){selection}" if arguments else f"{name}{selection}"


def every_root_call() -> list[str]:
    """One valid document per root field of the schema but ``login``."""
    schema = graphql.build_schema(export_sdl())
    roots = [("query", schema.query_type), ("mutation", schema.mutation_type)]
    return [
        f"{keyword} {{ {minimal_call(name, field)} }}"
        for keyword, root in roots
        if root is not None
        for name, field in root.fields.items()
        if name != "login"
    ]


def test_anonymous_callers_reach_nothing_but_login(anonymous: Api, world: Any) -> None:
    documents = every_root_call()
    head = world.app.head()

    answers = {document: anonymous.run(document) for document in documents}

    assert len(documents) > 40
    refusals = {
        document: [error["extensions"]["code"] for error in body.get("errors", [])]
        for document, body in answers.items()
    }
    assert {d: c for d, c in refusals.items() if c != ["UNAUTHENTICATED"]} == {}
    assert world.app.head() == head


def test_anonymous_callers_may_log_in(anonymous: Api, world: Any) -> None:
    variables = {"email": world.referent.email, "password": DEFAULT_PASSWORD}

    session = anonymous.data(LOGIN, variables)["login"]

    assert session["role"] == "REFERENT"
    assert session["token"]


# ----------------------------------------------------------------- credentials
def test_a_wrong_password_and_an_unknown_email_get_the_same_refusal(
    anonymous: Api, world: Any
) -> None:
    wrong_password = {"email": world.referent.email, "password": "not-the-password"}
    unknown_email = {"email": "personne@aspe.test", "password": DEFAULT_PASSWORD}

    refusals = [anonymous.run(LOGIN, variables) for variables in (wrong_password, unknown_email)]

    assert [body["data"] for body in refusals] == [None, None]
    errors = [body["errors"][0] for body in refusals]
    assert [error["extensions"] for error in errors] == [{"code": "INVALID_CREDENTIALS"}] * 2
    assert [error["message"] for error in errors] == [InvalidCredentials.default_message] * 2


# ---------------------------------------------------------------------- tokens
def invalid_token_refusal(client: TestClient, token: str) -> dict[str, Any]:
    body = as_token(client, token).run(ME)
    assert body["data"] == {"me": None}
    error: dict[str, Any] = body["errors"][0]
    return error


def test_an_expired_token_is_refused(
    client: TestClient, api_settings: Settings, world: Any
) -> None:
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    expired = sign_token(api_settings, viewer_of(world.referent), long_ago).token

    error = invalid_token_refusal(client, expired)

    assert error["extensions"] == {"code": "INVALID_TOKEN"}
    assert error["message"] == InvalidToken.default_message


def test_a_session_lasts_its_lifetime_on_the_application_clock(
    login: Login, api_settings: Settings, world: Any
) -> None:
    api = login(world.referent)
    signed_at = world.clock.now
    lifetime = timedelta(minutes=api_settings.token_ttl_minutes)

    world.clock.now = signed_at + lifetime - timedelta(minutes=1)
    still_valid = api.run(ME)
    world.clock.now = signed_at + lifetime
    expired = api.run(ME)

    assert still_valid["data"]["me"]["role"] == "REFERENT"
    assert expired["data"] == {"me": None}
    assert expired["errors"][0]["extensions"] == {"code": "INVALID_TOKEN"}


def test_a_token_whose_claims_were_changed_is_refused(
    client: TestClient, api_settings: Settings, world: Any
) -> None:
    header, payload, signature = sign_token(api_settings, viewer_of(world.referent)).token.split(
        "."
    )
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["role"] = "ADMIN"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")

    error = invalid_token_refusal(client, f"{header}.{forged}.{signature}")

    assert error["extensions"] == {"code": "INVALID_TOKEN"}


def test_a_token_with_a_character_flipped_is_refused(
    client: TestClient, api_settings: Settings, world: Any
) -> None:
    token = sign_token(api_settings, viewer_of(world.referent)).token
    middle = len(token) - 20
    flipped = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]

    error = invalid_token_refusal(client, flipped)

    assert error["extensions"] == {"code": "INVALID_TOKEN"}


def test_a_token_signed_with_another_secret_is_refused(
    client: TestClient, api_settings: Settings, world: Any
) -> None:
    elsewhere = api_settings.model_copy(update={"secret_key": SecretStr("another-secret" * 4)})
    token = sign_token(elsewhere, viewer_of(world.referent)).token

    error = invalid_token_refusal(client, token)

    assert error["extensions"] == {"code": "INVALID_TOKEN"}


def test_a_bearer_that_is_no_token_is_refused(client: TestClient) -> None:
    error = invalid_token_refusal(client, "not-a-token")

    assert error["extensions"] == {"code": "INVALID_TOKEN"}


# ---------------------------------------------------------------- domain errors
OPEN_CASE = """
mutation($household: ID!, $referent: ID!) {
  openCase(householdId: $household, referentId: $referent) { id }
}
"""
ASSIGN = """
mutation($case: ID!, $referent: ID!) {
  assignReferent(caseId: $case, referentId: $referent) { referentId }
}
"""


def test_a_document_that_does_not_parse_is_a_validation_error_every_time(
    login: Login, world: Any
) -> None:
    api = login(world.referent)

    first, again = api.run("{ me { role }"), api.run("{ me { role }")

    for body in (first, again):
        assert body["data"] is None
        assert body["errors"][0]["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}
        assert "Syntax Error" in body["errors"][0]["message"]


def test_a_domain_error_keeps_its_code_and_french_message(login: Login, world: Any) -> None:
    variables = {
        "household": str(world.new_household()),
        "referent": str(world.second_referent.actor.id),
    }
    head = world.app.head()

    body = login(world.referent).run(OPEN_CASE, variables)

    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": "NOT_AUTHORISED"}
    assert body["errors"][0]["message"] == (
        "Seul un responsable peut confier un dossier à un autre référent."
    )
    assert world.app.head() == head


# ------------------------------------------------------------- unexpected errors
def boom(*_: Any, **__: Any) -> Any:
    raise RuntimeError("secret detail")


def assert_masked(response: Any, caplog: pytest.LogCaptureFixture) -> None:
    """One ``INTERNAL_ERROR`` with an id; the id, the exception and its trace in the log
    only."""
    assert response.status_code == 200
    error = response.json()["errors"][0]
    assert error["message"] == INTERNAL_MESSAGE
    assert error["extensions"]["code"] == "INTERNAL_ERROR"
    error_id = error["extensions"]["errorId"]
    for secret in ("secret detail", "RuntimeError", "Traceback", ".py"):
        assert secret not in response.text
    logged = [record for record in caplog.records if record.name == "aspe.graphql"]
    assert any(error_id in record.getMessage() for record in logged)
    assert any(record.exc_info and str(record.exc_info[1]) == "secret detail" for record in logged)


def test_an_unexpected_error_in_a_query_is_masked_and_logged(
    login: Login, world: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    api = login(world.manager)
    monkeypatch.setattr(queries.case_statistics, "statistics", boom)

    with caplog.at_level(logging.ERROR, logger="aspe.graphql"):
        response = api.post("{ statistics { cases } }")

    assert_masked(response, caplog)
    assert response.json()["data"] == {"statistics": None}


def test_an_unexpected_error_in_a_command_is_masked_and_logged(
    client: TestClient,
    login: Login,
    world: Any,
    story: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    case_id = story().open()
    client.app.state.projector.wait("case_file", world.app.head(), timeout=10)  # type: ignore[attr-defined]
    api = login(world.manager)
    monkeypatch.setattr(AspeApplication, "assign_referent", boom)
    variables = {"case": str(case_id), "referent": str(world.second_referent.actor.id)}

    with caplog.at_level(logging.ERROR, logger="aspe.graphql"):
        response = api.post(ASSIGN, variables)

    assert_masked(response, caplog)


def test_an_unexpected_error_before_execution_is_masked_and_logged(
    login: Login, world: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    api = login(world.referent)
    monkeypatch.setattr(limits, "document_errors", boom)

    with caplog.at_level(logging.ERROR, logger="aspe.graphql"):
        response = api.post(ME)

    assert_masked(response, caplog)
