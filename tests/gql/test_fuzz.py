"""Fuzzing ``/graphql``: random documents built from the introspected schema, as every role.

Each document picks root fields of ``Query`` or ``Mutation`` and random selections under
them (aliases, inline and named fragments, unknown fields), with arguments of the right type
and of the wrong one, written inline or passed as variables (declared with the right type
or a wrong one); some are cut short, some are garbage. Whatever arrives, the API must answer
without a server error: every error carries a code, none is ``INTERNAL_ERROR`` (an unmasked
or unexpected failure is a bug), and no response holds a Python traceback.

One SQLite store, one app and one login per role serve the whole module, to keep it fast.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx2
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    Undefined,
    build_client_schema,
    get_introspection_query,
    get_named_type,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aspe.api import create_app
from aspe.application import passwords
from aspe.application.passwords import hash_password
from aspe.bootstrap import build_application
from aspe.demo.scenarios import DEFAULT_PASSWORD, CaseStory, Clock, Departement, Person
from aspe.domain.actors import Role
from aspe.domain.values import LandlordCategory, Status
from aspe.settings import Environment, Settings

EXAMPLES = 500
"""Per role and operation type: 500 queries and 500 mutations make 1,000 documents a role."""
ANONYMOUS_EXAMPLES = 100
"""Anonymous callers reach only ``login`` (and refusals): fewer suffice."""

ANONYMOUS = "ANONYMOUS"
ROLES = [role.value for role in Role if role is not Role.SYSTEM] + [ANONYMOUS]
TRACEBACK = "Traceback (most recent call last)"
LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"
WRONG_TYPES = ["Int", "Int!", "String", "[String!]!", "Boolean", "Float!", "NoSuchType"]
WRONG_LITERALS = ["null", "0", "-1", "2147483648", "1.5", '""', '"x"', "true", "[1]", "{a: 1}"]
WRONG_LITERALS += ["NOPE", "$undeclared"]
WRONG_VALUES: list[Any] = [None, 0, -1, 2**31, 1.5, "", "x", True, [1], {"a": 1}, "NOPE"]
SOON = {"min_value": date(2025, 1, 1), "max_value": date(2028, 12, 31)}
SCALARS: dict[str, st.SearchStrategy[Any]] = {
    "Int": st.sampled_from([0, 1, 2, 3, 6, 12, 20, 100]) | st.integers(-(2**31), 2**31 - 1),
    "Float": st.floats(allow_nan=False, allow_infinity=False),
    "Boolean": st.booleans(),
    "Date": st.dates(**SOON).map(date.isoformat),
    "DateTime": st.dates(**SOON).map(lambda day: f"{day.isoformat()}T10:00:00+00:00"),
    "Decimal": st.decimals(0, 100_000, places=2).map(str),
}
"""Values of the right type, mostly plausible (the domain sees them)."""
ODD_SCALARS: dict[str, list[Any]] = {
    "Int": [-1, 101, 1000, 2**31 - 1, -(2**31)],
    "Date": ["0001-01-01", "9999-12-31", "1970-01-01"],
    "DateTime": ["2026-03-02T10:00:00", "0001-01-01T00:00:00-23:59", "9999-12-31T23:59:59+14:00"],
    "Decimal": ["-5", "1e400", "-0.001", "NaN", "Infinity", "0.001", "-0"],
}
"""Values of the right type that a domain may not expect."""
MALFORMED_SCALARS: dict[str, list[Any]] = {
    "Date": ["2026-02-30", "02/03/2026", "", "x"],
    "DateTime": ["2026-13-01T00:00:00", "now", ""],
    "Decimal": ["1,5", "", "x", "--1"],
}
KINDS = {"household": "household", "referent": "staff", "staff": "staff"}
KINDS |= {"organisation": "organisation", "landlord": "organisation", "case": "case"}
"""The kind of id an argument names, by a word of its name (else a case's)."""
ODD_STRINGS = ["", " ", "a" * 300, "é\u00a0ü", "<script>", "' OR 1=1 --", "\\", '"', "\n"]
DEPTHS = st.sampled_from([2, 3, 4, 5, 12])
"""How deep a document's selections go: mostly as deep as the schema, sometimes deeper."""
PERCENT = st.sampled_from(range(100))
"""Hypothesis draws integers near their bounds far more often than their share: a choice
among a hundred keeps the odds. Low draws are the plain path, so examples shrink to it."""


# --------------------------------------------------------------------------- the world
@dataclass
class Known:
    """Values of the store that a fuzzer should try now and then, to get past "not found"."""

    ids: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in KINDS.values()})
    """Ids by kind: ``case``, ``household``, ``staff``, ``organisation``."""
    words: list[str] = field(default_factory=lambda: [DEFAULT_PASSWORD])
    """E-mails and the password (``login``, account commands)."""


class InProcessClient:
    """Posts to the app from an event loop of this thread, its lifespan run in that loop.

    ``TestClient`` hands each request to a thread of its own and waits: a fifth of the
    fuzzing's time went there.
    """

    def __init__(self, app: FastAPI) -> None:
        self.loop = asyncio.new_event_loop()
        self.lifespan = app.router.lifespan_context(app)
        transport = httpx2.ASGITransport(app=app)
        self.http = httpx2.AsyncClient(transport=transport, base_url="http://testserver")

    def __enter__(self) -> InProcessClient:
        self.loop.run_until_complete(self.lifespan.__aenter__())
        return self

    def __exit__(self, *exc: object) -> None:
        self.loop.run_until_complete(self.http.aclose())
        self.loop.run_until_complete(self.lifespan.__aexit__(None, None, None))
        self.loop.close()

    def post(self, body: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
        return self.loop.run_until_complete(self.http.post("/graphql", json=body, headers=headers))


@dataclass
class FuzzWorld:
    client: InProcessClient
    tokens: dict[str, str | None]
    known: Known


HOUSEHOLD_EMAIL = "menage.durand@aspe.test"


def _build_world(settings: Settings, password_hash: str) -> tuple[Known, dict[str, str]]:
    """Cases in every status, in two associations; what is known, and an e-mail per role."""
    app = build_application(settings)
    try:
        people = {Role.ADMIN: Person("Administratrice")}
        departement = Departement(app, Clock(datetime.now(UTC)), password_hash, people=people)
        association = departement.add_association("Habitat Solidaire", ["Claire Martin"])
        other = departement.add_association("Entraide Logement", ["Inès Bernard"])
        landlord_id, landlord = departement.add_landlord("Lyon Habitat", LandlordCategory.SOCIAL)
        other_id, _ = departement.add_landlord("SCI Bellecour", LandlordCategory.PRIVATE)
        known = Known()
        organisations = (association.id, other.id, landlord_id, other_id, departement.spslh_id)
        known.ids["organisation"] += map(str, organisations)
        known.ids["staff"] += [str(account.actor.id) for account in departement.accounts]
        _walk_cases(departement, (association, other), landlord_id, known)
        assert departement.admin is not None
        accounts = [association.referents[0], association.manager, departement.spslh_agent]
        accounts += [departement.commission_member, landlord, departement.auditor]
        emails = {account.actor.role.value: account.email for account in accounts}
        emails |= {Role.HOUSEHOLD.value: HOUSEHOLD_EMAIL, Role.ADMIN.value: departement.admin.email}
        known.words += emails.values()
        return known, emails
    finally:
        app.close()


def _walk_cases(
    departement: Departement, associations: tuple[Any, Any], landlord_id: Any, known: Known
) -> None:
    """A case in every status, one in four in the other association; the household of the
    active one has an account."""
    for index, status in enumerate(Status):
        referent = associations[index % 4 == 3].referents[0]
        household = departement.add_household(referent, landlord_id, f"Ménage {index}")
        case = CaseStory(departement, referent, household).walk_to(status)
        known.ids["case"].append(str(case))
        known.ids["household"].append(str(household))
        if status is Status.ACTIVE:
            with departement.acting(referent.actor):
                departement.app.open_household_account(
                    household, HOUSEHOLD_EMAIL, departement.password_hash
                )


@pytest.fixture(scope="module")
def cheap_passwords() -> Iterator[None]:
    """Argon2 at its lowest cost: each login with a known e-mail, and each new account (even
    one the domain then refuses), would otherwise take a sixth of a second of the fuzzing."""
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_hasher", cheap)
        yield


@pytest.fixture(scope="module")
def fuzz_world(
    tmp_path_factory: pytest.TempPathFactory, cheap_passwords: None
) -> Iterator[FuzzWorld]:
    data_dir: Path = tmp_path_factory.mktemp("fuzz") / "var"
    settings = Settings(
        env=Environment.TEST,
        data_dir=data_dir,
        projections_in_process=True,
        projection_poll_interval=0.01,
    )
    known, emails = _build_world(settings, hash_password(DEFAULT_PASSWORD))
    with InProcessClient(create_app(settings)) as client:
        tokens: dict[str, str | None] = {ANONYMOUS: None}
        for role, email in emails.items():
            body = {"query": LOGIN, "variables": {"e": email, "p": DEFAULT_PASSWORD}}
            tokens[role] = client.post(body).json()["data"]["login"]["token"]
        yield FuzzWorld(client, tokens, known)


@pytest.fixture(scope="module")
def schema(fuzz_world: FuzzWorld) -> GraphQLSchema:
    """The schema as a client learns it: by introspection."""
    headers = {"Authorization": f"Bearer {fuzz_world.tokens[Role.REFERENT.value]}"}
    body = {"query": get_introspection_query(descriptions=False)}
    result = fuzz_world.client.post(body, headers).json()
    return build_client_schema(result["data"])


# ------------------------------------------------------------------- random documents
@dataclass
class Request:
    query: str
    variables: dict[str, Any] = field(default_factory=dict)
    operation_name: str | None = None

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"query": self.query, "variables": self.variables}
        if self.operation_name is not None:
            body["operationName"] = self.operation_name
        return body


class DocumentBuilder:
    """Draws one document: its selections, arguments, variables and fragments.

    A third of the documents are sloppy: unknown fields, fragments and arguments, missing or
    ill-typed values, selections missing or where none may be. The others should pass validation, so
    that their values reach the resolvers and the domain.
    """

    def __init__(self, draw: Any, schema: GraphQLSchema, known: Known) -> None:
        self.draw = draw
        self.schema = schema
        self.known = known
        self.max_depth = draw(DEPTHS)
        self.sloppy = self.chance(0.33)
        self.aliases = 0
        self.declarations: list[str] = []
        self.variables: dict[str, Any] = {}
        self.fragments: list[str] = []

    def chance(self, probability: float) -> bool:
        return bool(self.draw(PERCENT) >= 100 - probability * 100)

    def slip(self, probability: float) -> bool:
        """A mistake, in a sloppy document only."""
        return self.sloppy and self.chance(probability)

    # ---------------------------------------------------------------- selections
    def operation(self, root: GraphQLObjectType, keyword: str) -> Request:
        fields = st.sampled_from(sorted(root.fields))
        roots = 2 if keyword == "query" or self.chance(0.1) else 1
        names = self.draw(st.lists(fields, min_size=1, max_size=roots, unique=not self.sloppy))
        selections = " ".join(self.field(root, name, 1) for name in names)
        name = "Fuzz" if self.chance(0.3) else ""
        declared = f"({', '.join(self.declarations)})" if self.declarations else ""
        query = f"{keyword} {name}{declared} {{ {selections} }} {' '.join(self.fragments)}"
        operation_name = None
        if self.slip(0.1):
            operation_name = self.draw(st.sampled_from(["Fuzz", "Other", ""]))
        return Request(query, self.variables, operation_name)

    def field(self, parent: GraphQLObjectType, name: str, depth: int) -> str:
        definition = parent.fields[name]
        alias = ""
        if self.chance(0.1):
            self.aliases += 0 if self.slip(0.3) else 1
            alias = f"a{self.aliases}: "
        arguments = self.arguments(definition.args)
        return f"{alias}{name}{arguments}{self.selection(get_named_type(definition.type), depth)}"

    def selection(self, named: GraphQLNamedType, depth: int) -> str:
        if not isinstance(named, GraphQLObjectType):
            return " { id }" if self.slip(0.05) else ""
        if depth >= self.max_depth:
            return "" if self.slip(0.3) else " { __typename }"
        fields = st.sampled_from(sorted(named.fields))
        names = self.draw(st.lists(fields, min_size=1, max_size=3, unique=True))
        parts = [self.field(named, name, depth + 1) for name in names]
        if self.slip(0.1):
            parts.append(self.draw(st.sampled_from(["noSuchField", "...NoSuchFragment"])))
        if self.chance(0.1):
            parts = [f"... on {named.name} {{ {' '.join(parts)} }}"]
        elif self.chance(0.1):
            parts = [self.fragment(named, parts)]
        return " { " + " ".join(parts) + " }"

    def fragment(self, named: GraphQLNamedType, parts: list[str]) -> str:
        fragment = f"F{len(self.fragments)}"
        self.fragments.append(f"fragment {fragment} on {named.name} {{ {' '.join(parts)} }}")
        return f"...{fragment}"

    # ----------------------------------------------------------------- arguments
    def arguments(self, arguments: dict[str, GraphQLArgument]) -> str:
        written = [
            f"{name}: {value}"
            for name, argument in arguments.items()
            if (value := self.argument(name, argument)) is not None
        ]
        if self.slip(0.05):
            written.append("noSuchArgument: 1")
        return f"({', '.join(written)})" if written else ""

    def left_out(self, argument: GraphQLArgument | GraphQLInputField) -> bool:
        """Whether to leave out an argument (or input field): often if it may be, seldom if
        not (a slip)."""
        required = isinstance(argument.type, GraphQLNonNull) and argument.default_value is Undefined
        return self.slip(0.05) if required else self.chance(0.4)

    def argument(self, name: str, argument: GraphQLArgument | GraphQLInputField) -> str | None:
        """The argument as written, or ``None`` to leave it out."""
        if self.left_out(argument):
            return None
        if self.slip(0.08):
            return str(self.draw(st.sampled_from(WRONG_LITERALS)))
        if self.chance(0.25):
            return self.variable(name, argument.type)
        return self.literal(argument.type, name)

    def variable(self, argument: str, type_: GraphQLInputType) -> str:
        name = f"v{len(self.declarations)}"
        declared = self.draw(st.sampled_from(WRONG_TYPES)) if self.slip(0.1) else str(type_)
        self.declarations.append(f"${name}: {declared}")
        wrong = self.slip(0.1)
        value = self.draw(st.sampled_from(WRONG_VALUES)) if wrong else self.value(type_, argument)
        if not self.slip(0.05):
            self.variables[name] = value
        return f"${name}"

    def literal(self, type_: GraphQLInputType, name: str) -> str:
        """A literal of ``type_`` (``null`` now and then where it may be null)."""
        if not isinstance(type_, GraphQLNonNull) and self.chance(0.03):
            return "null"
        named = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
        if isinstance(named, GraphQLList):
            items = self.draw(st.integers(0, 2))
            return "[" + ", ".join(self.literal(named.of_type, name) for _ in range(items)) + "]"
        if isinstance(named, GraphQLInputObjectType):
            fields = [
                f"{key}: {value}"
                for key, input_field in named.fields.items()
                if (value := self.argument(key, input_field)) is not None
            ]
            return "{" + ", ".join(fields) + "}"
        if isinstance(named, GraphQLEnumType):
            return str(self.draw(st.sampled_from(sorted(named.values))))
        return json.dumps(self.scalar(named.name, name))

    def value(self, type_: GraphQLInputType, name: str) -> Any:
        """A JSON value of ``type_``, for a variable."""
        if not isinstance(type_, GraphQLNonNull) and self.chance(0.03):
            return None
        named = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
        if isinstance(named, GraphQLList):
            return [self.value(named.of_type, name) for _ in range(self.draw(st.integers(0, 2)))]
        if isinstance(named, GraphQLInputObjectType):
            return {
                key: self.value(input_field.type, key)
                for key, input_field in named.fields.items()
                if not self.left_out(input_field)
            }
        if isinstance(named, GraphQLEnumType):
            return self.draw(st.sampled_from(sorted(named.values)))
        return self.scalar(named.name, name)

    def scalar(self, type_name: str, name: str) -> Any:
        """A value of the scalar ``type_name`` for the argument or input field ``name``."""
        if self.slip(0.1) and type_name in MALFORMED_SCALARS:
            return self.draw(st.sampled_from(MALFORMED_SCALARS[type_name]))
        if self.chance(0.08):
            return self.draw(st.sampled_from(ODD_SCALARS.get(type_name, ODD_STRINGS)))
        if type_name in SCALARS:
            return self.draw(SCALARS[type_name])
        if type_name == "ID":
            return self.identifier(name)
        if self.chance(0.3):
            return self.draw(st.sampled_from(self.known.words))
        return self.draw(st.text(min_size=1, max_size=20))

    def identifier(self, name: str) -> str:
        """Mostly an id of the kind ``name`` says, else any id, or an unknown one."""
        if self.chance(0.8):
            kind = next((KINDS[word] for word in KINDS if word in name.lower()), "case")
            return str(self.draw(st.sampled_from(self.known.ids[kind])))
        every = [id_ for ids in self.known.ids.values() for id_ in ids]
        return str(self.draw(st.sampled_from(every) | st.uuids().map(str)))


@st.composite
def requests(draw: Any, schema: GraphQLSchema, keyword: str, known: Known) -> Request:
    """A random document; a tenth of them cut short or replaced by garbage."""
    root = schema.query_type if keyword == "query" else schema.mutation_type
    assert root is not None
    spoil = draw(PERCENT)
    if spoil >= 96:
        return Request(draw(st.text(min_size=1, max_size=60)))
    request = DocumentBuilder(draw, schema, known).operation(root, keyword)
    if spoil >= 92:
        cut = draw(st.sampled_from(range(1, len(request.query))))
        return Request(request.query[:cut], request.variables)
    return request


# ----------------------------------------------------------------------------- checks
def check_response(response: Any, request: Request) -> None:
    """No server error, a code on every error, nothing unexpected, no traceback."""
    shown = f"\nquery: {request.query}\nvariables: {request.variables}\n-> {response.text[:500]}"
    assert response.status_code < 500, shown
    assert TRACEBACK not in response.text, shown
    if not response.headers.get("content-type", "").startswith("application/json"):
        assert response.status_code == 400, shown
        return
    errors = response.json().get("errors") or []
    codes = [(error.get("extensions") or {}).get("code") for error in errors]
    assert all(codes), f"an error without a code{shown}"
    assert "INTERNAL_ERROR" not in codes, f"an unexpected error{shown}"


@pytest.mark.slow
@pytest.mark.parametrize("keyword", ["query", "mutation"])
@pytest.mark.parametrize("role", ROLES)
def test_random_documents_never_fail_unexpectedly(
    fuzz_world: FuzzWorld, schema: GraphQLSchema, role: str, keyword: str
) -> None:
    token = fuzz_world.tokens[role]
    examples = ANONYMOUS_EXAMPLES if role == ANONYMOUS else EXAMPLES
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    sent: list[Request] = []

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(request=requests(schema, keyword, fuzz_world.known))
    def fuzz(request: Request) -> None:
        sent.append(request)
        response = fuzz_world.client.post(request.body(), headers)
        check_response(response, request)

    fuzz()

    assert len(sent) >= examples
