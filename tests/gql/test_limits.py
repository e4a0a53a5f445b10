"""Abuse limits: depth, cost, aliases, tokens and body size refuse a document before it runs.

Each refusal is shown to come before execution: the refused document is (or holds) a
mutation that would store a case, and the store's head does not move; or it is a query and
``data`` is null with the limit's error alone. Introspection and GraphiQL serve development
and tests only.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from graphql import get_introspection_query
from pydantic import SecretStr

from aspe.api import create_app
from aspe.demo.scenarios import DEFAULT_PASSWORD, Account
from aspe.settings import Environment, Settings
from tests.gql.conftest import LOGIN, Api

Login = Callable[[Account], Api]

OPEN_CASE = "openCase(householdId: $household, referentId: $referent) { id }"
OPEN_CASE_VARIABLES = "$household: ID!, $referent: ID!"
LISTS = """
fragment Lists on Case {
  visits { occurredOn } contacts { note } concertations { participants }
  debts { plan { months } } alerts { raisedOn } suspensions { reason }
}
"""
KIB = 1024


@pytest.fixture
def open_case(world: Any) -> dict[str, str]:
    """Variables of ``openCase`` for a new household: a mutation that stores if it runs."""
    return {"household": str(world.new_household()), "referent": str(world.referent.actor.id)}


def refused_before_running(api: Api, world: Any, query: str, variables: dict[str, Any]) -> Any:
    """The errors of a document that must be refused whole: no data, nothing stored."""
    head = world.app.head()
    body = api.run(query, variables)
    assert body["data"] is None, body
    assert body["errors"], body
    assert world.app.head() == head, "a refused document stored events"
    return body["errors"]


def codes(errors: list[dict[str, Any]]) -> set[str]:
    return {(error.get("extensions") or {}).get("code") for error in errors}


def nested(depth: int) -> str:
    """A selection ``depth`` levels deep (the schema has no path that long)."""
    return "{ " + " { ".join(["x"] * depth) + " }" * depth


# ------------------------------------------------------------------------- depth
def test_a_query_nested_deeper_than_ten_levels_is_refused(login: Login, world: Any) -> None:
    """Root fields are at depth 0: twelve nested fields reach depth 11."""
    query = "query { cases { edges { node " + nested(9) + " } } }"

    errors = refused_before_running(login(world.referent), world, query, {})

    assert any("exceeds maximum operation depth of 10" in e["message"] for e in errors)
    assert codes(errors) == {"GRAPHQL_VALIDATION_FAILED"}


def test_a_mutation_deeper_than_the_limit_stores_nothing(
    api_settings: Settings, world: Any, open_case: dict[str, str]
) -> None:
    shallow = api_settings.model_copy(update={"graphql_max_depth": 2})
    deep = "{ request { adjournments { on } } }"
    query = f"mutation({OPEN_CASE_VARIABLES}) {{ {OPEN_CASE.replace('{ id }', deep)} }}"

    with TestClient(create_app(shallow)) as client:
        errors = refused_before_running(logged_in(client, world.referent), world, query, open_case)

    assert any("exceeds maximum operation depth of 2" in e["message"] for e in errors)


def logged_in(client: TestClient, account: Account) -> Api:
    variables = {"email": account.email, "password": DEFAULT_PASSWORD}
    return Api(client, Api(client).data(LOGIN, variables)["login"]["token"])


# -------------------------------------------------------------------------- cost
def test_a_wide_page_of_cases_is_too_expensive(login: Login, world: Any) -> None:
    query = """{ cases(first: 100) { edges { node {
      visits { occurredOn } contacts { note } concertations { participants }
      debts { plan { months } } alerts { raisedOn } suspensions { reason }
    } } } }"""

    errors = refused_before_running(login(world.referent), world, query, {})

    assert codes(errors) == {"QUERY_TOO_EXPENSIVE"}


def test_the_cost_counts_named_fragments_where_they_are_spread(login: Login, world: Any) -> None:
    query = "{ cases(first: 100) { edges { node { ...Lists } } } }" + LISTS

    errors = refused_before_running(login(world.referent), world, query, {})

    assert codes(errors) == {"QUERY_TOO_EXPENSIVE"}


def test_a_page_size_given_as_a_variable_counts_as_the_largest_page(
    login: Login, world: Any
) -> None:
    query = "query($n: Int!) { cases(first: $n) { edges { node { ...Lists } } } }" + LISTS

    errors = refused_before_running(login(world.referent), world, query, {"n": 1})

    assert codes(errors) == {"QUERY_TOO_EXPENSIVE"}


def test_a_small_page_of_the_same_fields_is_served(login: Login, world: Any) -> None:
    query = "{ cases(first: 5) { edges { node { ...Lists } } } }" + LISTS

    data = login(world.referent).data(query)

    assert data["cases"]["edges"] == []


def test_an_expensive_operation_refuses_the_whole_document(
    login: Login, world: Any, open_case: dict[str, str]
) -> None:
    query = (
        f"mutation Open({OPEN_CASE_VARIABLES}) {{ {OPEN_CASE} }}"
        "query Wide { cases(first: 100) { edges { node { ...Lists } } } }" + LISTS
    )
    api = login(world.referent)
    head = world.app.head()

    response = api.post(query, open_case, operationName="Open")

    assert response.json() == {"data": None, "errors": response.json()["errors"]}
    assert codes(response.json()["errors"]) == {"QUERY_TOO_EXPENSIVE"}
    assert world.app.head() == head


def fragment_bomb(levels: int, leaf: str) -> str:
    """Fragments each spreading the next twice: ``2 ** levels`` leaves in a few hundred bytes."""
    fragments = [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    return "query { ...F0 } " + " ".join(fragments) + f" fragment F{levels} on Query {{ {leaf} }}"


@pytest.mark.parametrize("leaf", ["me { role }", "...F0"], ids=["leaf", "cycle"])
def test_a_fragment_bomb_is_refused_at_once(login: Login, world: Any, leaf: str) -> None:
    api = login(world.referent)
    started = time.monotonic()

    errors = refused_before_running(api, world, fragment_bomb(21, leaf), {})

    assert time.monotonic() - started < 5, "the limits walked every spread of the bomb"
    assert codes(errors) == {"QUERY_TOO_EXPENSIVE"}


def test_a_query_already_served_is_still_refused_under_a_lower_limit(
    login: Login, world: Any, api_settings: Settings
) -> None:
    """Validation results are cached per document and rules: a schema with other limits
    judges the same text afresh."""
    query = "{ me { role } }"
    assert not login(world.referent).run(query).get("errors")
    strict = api_settings.model_copy(update={"graphql_max_depth": 0})

    with TestClient(create_app(strict, clock=world.clock)) as client:
        body = Api(client, login(world.referent).token).run(query)

    assert codes(body["errors"]) == {"GRAPHQL_VALIDATION_FAILED"}
    assert "exceeds maximum operation depth" in body["errors"][0]["message"]


def test_a_fragment_spread_within_itself_is_refused(login: Login, world: Any) -> None:
    query = "query { ...A } fragment A on Query { ...A ...A }"

    errors = refused_before_running(login(world.referent), world, query, {})

    assert codes(errors) == {"GRAPHQL_VALIDATION_FAILED"}
    assert any("within itself" in error["message"] for error in errors)


def test_an_unknown_fragment_is_a_validation_error(login: Login, world: Any) -> None:
    errors = refused_before_running(login(world.referent), world, "{ ...Nowhere }", {})

    assert codes(errors) == {"GRAPHQL_VALIDATION_FAILED"}
    assert any("Unknown fragment 'Nowhere'" in error["message"] for error in errors)


@pytest.mark.parametrize("first", [0, 101, 1000])
def test_a_page_larger_than_the_largest_or_empty_is_invalid_input(
    login: Login, world: Any, first: int
) -> None:
    code = login(world.referent).error_code(f"{{ cases(first: {first}) {{ edges {{ cursor }} }} }}")

    assert code == "INVALID_INPUT"


# ----------------------------------------------------------------------- aliases
def aliased(count: int, field: str) -> str:
    return " ".join(f"a{i}: {field}" for i in range(count))


def test_fifteen_aliases_are_allowed(login: Login, world: Any) -> None:
    data = login(world.referent).data("{ " + aliased(15, "me { role }") + " }")

    assert len(data) == 15


def test_an_alias_bomb_of_mutations_stores_nothing(
    login: Login, world: Any, open_case: dict[str, str]
) -> None:
    query = f"mutation({OPEN_CASE_VARIABLES}) {{ {aliased(16, OPEN_CASE)} }}"

    errors = refused_before_running(login(world.referent), world, query, open_case)

    assert [error["message"] for error in errors] == ["16 aliases found. Allowed: 15"]
    assert codes(errors) == {"GRAPHQL_VALIDATION_FAILED"}


def test_aliases_in_fragments_count_where_they_are_spread(login: Login, world: Any) -> None:
    query = "{ ...M ...M } fragment M on Query { " + aliased(8, "me { role }") + " }"

    errors = refused_before_running(login(world.referent), world, query, {})

    assert [error["message"] for error in errors] == ["16 aliases found. Allowed: 15"]


# ------------------------------------------------------------------------ tokens
def test_a_document_of_more_than_2000_tokens_stores_nothing(
    login: Login, world: Any, open_case: dict[str, str]
) -> None:
    padded = OPEN_CASE.replace("{ id }", "{ " + "id " * 2000 + "}")
    query = f"mutation({OPEN_CASE_VARIABLES}) {{ {padded} }}"

    errors = refused_before_running(login(world.referent), world, query, open_case)

    assert codes(errors) == {"GRAPHQL_VALIDATION_FAILED"}
    assert "more than 2000 tokens" in errors[0]["message"]


# --------------------------------------------------------------------- body size
def padded_mutation(size: int) -> str:
    """``openCase`` with a comment making the document ``size`` bytes (comments are no
    tokens: only the body size limit can refuse it)."""
    query = f"mutation({OPEN_CASE_VARIABLES}) {{ {OPEN_CASE} }}\n#"
    return query + "x" * (size - len(query))


def test_a_body_of_more_than_64_kib_is_refused_with_413(
    login: Login, world: Any, open_case: dict[str, str]
) -> None:
    head = world.app.head()

    response = login(world.referent).post(padded_mutation(65 * KIB), open_case)

    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"
    assert world.app.head() == head


def test_a_chunked_body_without_length_is_cut_off_at_64_kib(
    client: TestClient, login: Login, world: Any, open_case: dict[str, str]
) -> None:
    token = login(world.referent).token
    head = world.app.head()
    body = (
        Api(client)
        .client.build_request(
            "POST", "/graphql", json={"query": padded_mutation(65 * KIB), "variables": open_case}
        )
        .content
    )

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 4 * KIB):
            yield body[start : start + 4 * KIB]

    response = client.post(
        "/graphql",
        content=chunks(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )

    assert response.request.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"
    assert world.app.head() == head


def test_a_body_just_under_64_kib_is_served(
    login: Login, world: Any, open_case: dict[str, str]
) -> None:
    data = login(world.referent).data(padded_mutation(63 * KIB), open_case)

    assert data["openCase"]["id"]


def test_a_query_string_longer_than_the_limit_is_refused_with_413(
    api_settings: Settings,
) -> None:
    small = api_settings.model_copy(update={"max_request_bytes": 2 * KIB})

    with TestClient(create_app(small)) as client:
        response = client.get("/graphql", params={"query": "{ me { id } }" + "#" * 3 * KIB})

    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"


# ------------------------------------------------------- introspection, GraphiQL
def test_introspection_and_graphiql_serve_development_and_tests(
    client: TestClient, login: Login, world: Any
) -> None:
    schema = login(world.referent).data(get_introspection_query())

    page = client.get("/graphql", headers={"Accept": "text/html"})

    assert schema["__schema"]["queryType"]["name"] == "Query"
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()


@pytest.fixture
def production(api_settings: Settings) -> Iterator[TestClient]:
    settings = api_settings.model_copy(
        update={"env": Environment.PRODUCTION, "secret_key": SecretStr("p" * 48)}
    )
    with TestClient(create_app(settings)) as client:
        yield client


def test_introspection_is_refused_in_production(production: TestClient, world: Any) -> None:
    api = logged_in(production, world.referent)

    body = api.run(get_introspection_query())

    assert body["data"] is None
    assert codes(body["errors"]) == {"GRAPHQL_VALIDATION_FAILED"}
    assert "introspection has been disabled" in body["errors"][0]["message"]


def test_graphiql_is_not_served_in_production(production: TestClient) -> None:
    page = production.get("/graphql", headers={"Accept": "text/html"})

    assert page.status_code == 404
    assert "graphiql" not in page.text.lower()
