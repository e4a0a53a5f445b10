"""Fuzzing every mutation of the schema, as every role: hostile variables never make an
internal error, and a refused mutation stores nothing.

Given a world with a case in every status and a logged-in client per role, when each role
sends every mutation the schema lists (learnt by introspection) with variables drawn from
its arguments' types — plausible values (the world's own ids, dates near today) mixed with
hostile ones (wrong JSON types, 1 MB strings, NUL, lone surrogates, control characters,
dates at the calendar's ends or malformed, ints at and past ±2**31, huge, negative or
non-finite decimals) — then the answer is HTTP 200 (413 for a body over
``ASPE_MAX_REQUEST_BYTES``), no error is ``INTERNAL_ERROR``, and the store's head has not
moved whenever the answer holds an error.

The fuzz collects every problem of a run and fails once with all of them (with the
traceback's last line of each internal error, from the log), rather than shrinking each
through hundreds of HTTP round trips. Each role and mutation runs with a seed of its own:
a run is reproducible.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import uuid4

import pytest
from argon2 import PasswordHasher
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    Undefined,
    build_client_schema,
    get_introspection_query,
    get_named_type,
)
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from aspe.application import passwords
from aspe.demo.scenarios import ADMIN, DEFAULT_PASSWORD, CaseStory
from aspe.domain.actors import Role
from aspe.domain.values import Status, VisitKind
from aspe.settings import Settings

if TYPE_CHECKING:  # the test folders are not packages: their fixtures' types, for reading
    from tests.conftest import World
    from tests.gql.conftest import Api

PROBES = 2
"""Examples of each mutation per role, to learn whether the role may run it at all."""
EXAMPLES = 10
"""Examples of each mutation per role that the role may run (one not ``NOT_AUTHORISED``)."""
NOT_AUTHORISED = "NOT_AUTHORISED"
ROLES = [role for role in Role if role is not Role.SYSTEM]
INTERNAL_ERROR = "INTERNAL_ERROR"
PROJECTION_TIMEOUT = "PROJECTION_TIMEOUT"
PERCENT = st.integers(0, 99)
"""A choice among a hundred: hypothesis favours bounds, this keeps the odds as written."""

MEGABYTE = "é" * (1 << 20)
ALMOST_THE_LIMIT = "a" * 50_000
"""Long text that still fits in a request (the body limit is 64 kB by default)."""
HOSTILE_TEXTS = [
    "",
    " ",
    "\x00",
    "Nul\x00Name",
    "\ud800",
    "a\udfffb",
    "\x07\x1b[31m",
    "\u202e\u200b\ufeff",
    "\r\n\t",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "𝕏" * 100,
    ALMOST_THE_LIMIT,
    MEGABYTE,
]
WRONG_TYPES: list[Any] = [None, 0, -1, 1.5, True, "", "x", [1], {"a": 1}, "NOPE"]
HOSTILE: dict[str, list[Any]] = {
    "Int": [-1, -(2**31), 2**31 - 1, 1_000_000, 0],
    "Float": [-1e308, 1e308, 0.0],
    "Date": ["0001-01-01", "9999-12-31", "1900-01-01", "2200-01-01", "20260302", "2026-W10-1"],
    "DateTime": [
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-14:00",
        "0001-01-01T00:00:00",
        "9999-12-31T23:59:59.999999+00:00",
        "2026-03-02T10:00:00",
        "2026-03-02",
    ],
    "Decimal": [
        "NaN",
        "-NaN",
        "sNaN",
        "Infinity",
        "-Infinity",
        "1e400",
        "1E+999999999",
        "1e-999999999",
        "-5",
        "-0",
        "0.001",
        "-1000000001",
        "999999999.999",
        1e308,
        10**30,
        1.5,
    ],
    "Boolean": [False],
}
"""Values of the right type that a domain may not expect."""
ILL_TYPED: dict[str, list[Any]] = {
    "Int": [2**31, -(2**31) - 1, 2**53, 10**30, 1.5, "12", float("nan"), float("inf")],
    "Float": [float("nan"), float("inf"), "1.5"],
    "Date": ["2026-02-30", "2026-13-01", "02/03/2026", "+10000-01-01", "", "x", 20260302],
    "DateTime": ["2026-03-02T25:00:00+00:00", "now", "", 1772445600],
    "Decimal": ["1,5", "--1", "", "x", "0x10", True, [1]],
    "Boolean": [0, "true"],
}
"""Values GraphQL must refuse before a resolver runs (variable coercion)."""
ID_KINDS = {
    "case": "case",
    "household": "household",
    "referent": "staff",
    "staff": "staff",
    "organisation": "organisation",
    "landlord": "organisation",
    "debt": "debt",
    "visit": "visit",
}
"""The kind of id an argument names, by a word of its name."""
SELECTION_DEPTH = 3
"""How deep the answer's selection goes: the case's every leaf down to its lists' items, so
that what a mutation stored is read back through the case's resolvers."""


# ----------------------------------------------------------------- what the store holds
@dataclass
class Known:
    """Values of the store a fuzzer sends now and then, to get past "not found"."""

    ids: dict[str, list[str]] = field(default_factory=dict)
    words: list[str] = field(default_factory=lambda: [DEFAULT_PASSWORD])

    def of(self, kind: str) -> list[str]:
        return self.ids.get(kind) or [str(uuid4())]


@dataclass
class Fuzzed:
    """A fuzzed world: what it knows, each role's client, the schema they see."""

    world: World
    known: Known
    clients: dict[Role, Api]
    schema: GraphQLSchema
    max_request_bytes: int


@pytest.fixture
def api_settings(settings: Settings) -> Settings:
    """The API's settings of ``tests/gql`` (read models in process), with a read model that
    polls SQLite often, and patience: on a loaded machine a command's read-your-writes wait
    must not pass for the read side stopping (``PROJECTION_TIMEOUT`` is a problem here)."""
    return settings.model_copy(
        update={
            "projections_in_process": True,
            "projection_poll_interval": 0.02,
            "read_your_writes_timeout": 10.0,
        }
    )


@pytest.fixture
def cheap_passwords() -> Iterator[None]:
    """Argon2 at its lowest cost: every new account the fuzz registers hashes a password."""
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_hasher", cheap)
        yield


def _walk_cases(world: World, known: Known) -> Any:
    """A case in every status (the last one in the other association); the active case and
    its household."""
    active = None
    for index, status in enumerate(Status):
        association = world.other_association if index == len(Status) - 1 else world.association
        referent = association.referents[0]
        household = world.departement.add_household(referent, world.landlord_id, f"Ménage {index}")
        case = CaseStory(world.departement, referent, household).walk_to(status)
        known.ids.setdefault("case", []).append(str(case))
        known.ids.setdefault("household", []).append(str(household))
        if status is Status.ACTIVE:
            active = (case, household)
    return active


def _equip_active_case(world: World, case: Any, household: Any) -> str:
    """A household account, a debt and a planned visit on the active case; its e-mail."""
    email = f"menage.{uuid4().hex[:6]}@aspe.test"
    with world.acting(world.referent):
        world.app.open_household_account(household, email, world.departement.password_hash)
        world.app.record_debt(case, "EDF", Decimal("300.00"), False)
        world.app.schedule_visit(case, world.clock() + timedelta(days=2), VisitKind.HOME)
    return email


@pytest.fixture
def fuzzed(world: World, login: Callable[[Any], Api], cheap_passwords: None) -> Fuzzed:
    with world.acting(ADMIN):
        admin = world.departement.add_staff(world.departement.platform_id, Role.ADMIN, "Admin")
    known = Known()
    case, household = _walk_cases(world, known)
    household_email = _equip_active_case(world, case, household)
    known.ids["staff"] = [str(account.actor.id) for account in world.departement.accounts]
    organisations = [world.association.id, world.other_association.id, world.landlord_id]
    organisations += [world.other_landlord_id, world.departement.spslh_id]
    known.ids["organisation"] = [str(organisation) for organisation in organisations]
    accounts = {
        Role.REFERENT: world.referent,
        Role.ASSOCIATION_MANAGER: world.manager,
        Role.SPSLH_AGENT: world.spslh,
        Role.COMMISSION_MEMBER: world.commission,
        Role.LANDLORD: world.landlord,
        Role.AUDITOR: world.auditor,
        Role.ADMIN: admin,
    }
    clients: dict[Role, Api] = {role: login(account) for role, account in accounts.items()}
    clients[Role.HOUSEHOLD] = login(household_email)
    known.words += [account.email for account in accounts.values()] + [household_email]
    referent = clients[Role.REFERENT]
    in_read_model(referent, world.app.head())
    for role, api in clients.items():
        edges = api.data("{ cases(first: 50) { edges { node { id } } } }")["cases"]["edges"]
        known.ids[f"case seen by {role.value}"] = [edge["node"]["id"] for edge in edges]
    seen = referent.data(
        "query($id: ID!) { case(id: $id) { debts { id } visits { id } } }", {"id": str(case)}
    )["case"]
    known.ids["debt"] = [debt["id"] for debt in seen["debts"]]
    known.ids["visit"] = [visit["id"] for visit in seen["visits"]]
    introspection = referent.data(get_introspection_query(descriptions=False))
    settings_: Settings = referent.client.app.state.settings  # type: ignore[attr-defined]
    return Fuzzed(
        world, known, clients, build_client_schema(introspection), settings_.max_request_bytes
    )


def in_read_model(api: Api, position: int) -> None:
    """Waits until the API's read models hold what the test stored directly (through another
    application instance on the same store)."""
    projector = api.client.app.state.projector  # type: ignore[attr-defined]
    projector.wait("case_file", position, timeout=10)


# --------------------------------------------------------------------- the variables
class Variables:
    """Draws the variables of one mutation from its arguments' types.

    Each mutation is drawn in one of three moods: plausible (every value of the right type
    and likely, so that the commands' rules run), hostile (values of the right type at
    their extremes: a domain may not expect them), or ill-typed (values GraphQL must refuse).
    """

    def __init__(self, draw: Any, known: Known, role: Role) -> None:
        self.draw = draw
        self.known = known
        self.role = role
        mood = draw(PERCENT)
        self.hostility = 0 if mood < 30 else 25
        self.ill_typed = 0 if mood < 75 else 8

    def chance(self, percent: int) -> bool:
        return bool(self.draw(PERCENT) < percent)

    def pick(self, values: list[Any]) -> Any:
        return self.draw(st.sampled_from(values))

    def value(self, type_: GraphQLInputType, name: str) -> Any:
        """A JSON value for ``type_`` (null now and then where it may be)."""
        if self.chance(self.ill_typed):
            return self.pick(WRONG_TYPES)
        if isinstance(type_, GraphQLNonNull):
            return self.value_of(type_.of_type, name)
        return None if self.chance(5) else self.value_of(type_, name)

    def value_of(self, type_: GraphQLInputType, name: str) -> Any:
        if isinstance(type_, GraphQLList):
            if self.chance(self.ill_typed):  # GraphQL coerces one item to a list of one
                return self.value(type_.of_type, name)
            return [self.value(type_.of_type, name) for _ in range(self.draw(st.integers(0, 3)))]
        if isinstance(type_, GraphQLInputObjectType):
            return self.input_object(type_)
        if isinstance(type_, GraphQLEnumType):
            return "NOPE" if self.chance(self.ill_typed) else self.pick(sorted(type_.values))
        return self.scalar(type_.name, name)

    def input_object(self, type_: GraphQLInputObjectType) -> dict[str, Any]:
        values = {}
        for key, input_field in type_.fields.items():
            required = (
                isinstance(input_field.type, GraphQLNonNull)
                and input_field.default_value is Undefined
            )
            left_out = self.chance(self.ill_typed) if required else self.chance(30)
            if not left_out:
                values[key] = self.value(input_field.type, key)
        if self.chance(self.ill_typed):
            values["noSuchField"] = 1
        return values

    def scalar(self, type_name: str, name: str) -> Any:
        if type_name in ILL_TYPED and self.chance(self.ill_typed):
            return self.pick(ILL_TYPED[type_name])
        hostile = self.chance(self.hostility)
        if type_name == "ID":
            return self.identifier(name, hostile)
        if type_name == "String":
            return self.pick(HOSTILE_TEXTS) if hostile else self.text()
        if hostile and type_name in HOSTILE:
            return self.pick(HOSTILE[type_name])
        return self.plausible(type_name)

    def plausible(self, type_name: str) -> Any:
        if type_name == "Int":
            return self.pick([0, 1, 3, 6, 12, 24, 36])
        if type_name == "Float":
            return 1.5
        if type_name == "Boolean":
            return self.draw(st.booleans())
        if type_name == "Date":
            return self.day().isoformat()
        if type_name == "DateTime":
            return f"{self.day()}T10:00:00+02:00"
        if type_name == "Decimal":
            return str(self.draw(st.decimals(0, 100_000, places=2)))
        return self.text()

    def identifier(self, name: str, hostile: bool) -> str:
        if hostile:
            return self.pick(["", "x", "0", str(uuid4()), "1" * 100, MEGABYTE])
        kind = next((ID_KINDS[word] for word in ID_KINDS if word in name.lower()), "case")
        if kind == "case" and self.chance(80):
            kind = f"case seen by {self.role.value}"
        return str(self.pick(self.known.of(kind)))

    def text(self) -> str:
        if self.chance(30):
            return str(self.pick(self.known.words))
        return str(self.draw(st.text(min_size=1, max_size=30)))

    def day(self) -> date:
        return date(2026, 3, 2) + timedelta(days=self.draw(st.integers(-400, 400)))


@dataclass
class Mutation:
    """One mutation document and its variables."""

    name: str
    query: str
    variables: dict[str, Any]

    def body(self) -> bytes:
        """JSON as a client may write it: lone surrogates escaped, NaN and Infinity as bare
        words (``json`` writes them; strict parsers refuse them)."""
        return json.dumps({"query": self.query, "variables": self.variables}).encode()

    def shown(self) -> str:
        variables = json.dumps(self.variables)
        return f"{self.name} {variables[:300]}{'…' if len(variables) > 300 else ''}"


def document(name: str, definition: GraphQLField) -> str:
    """``mutation`` calling ``name`` with each argument as a variable of its exact type."""
    declared = ", ".join(f"${arg}: {type_}" for arg, type_ in _arguments(definition))
    passed = ", ".join(f"{arg}: ${arg}" for arg, _ in _arguments(definition))
    return f"mutation Fuzz({declared}) {{ {name}({passed}) {selection(definition.type)} }}"


def selection(type_: GraphQLOutputType, depth: int = SELECTION_DEPTH) -> str:
    """Every field of ``type_`` without arguments, down to ``depth`` levels of objects."""
    named = get_named_type(type_)
    if not isinstance(named, GraphQLObjectType):
        return ""
    fields = [
        f"{name} {selection(field.type, depth - 1)}".strip()
        for name, field in named.fields.items()
        if not field.args
        and (depth > 1 or not isinstance(get_named_type(field.type), GraphQLObjectType))
    ]
    return "{ " + " ".join(fields or ["__typename"]) + " }"


def _arguments(definition: GraphQLField) -> list[tuple[str, Any]]:
    return [(name, argument.type) for name, argument in definition.args.items()]


@st.composite
def mutations(draw: Any, schema: GraphQLSchema, known: Known, role: Role, name: str) -> Mutation:
    root = schema.mutation_type
    assert root is not None
    definition = root.fields[name]
    variables = Variables(draw, known, role)
    values = {}
    for arg, argument in definition.args.items():
        optional = not isinstance(argument.type, GraphQLNonNull)
        if not (optional and variables.chance(40)):
            values[arg] = variables.value(argument.type, arg)
    return Mutation(name, document(name, definition), values)


# ------------------------------------------------------------------------ the checks
@dataclass
class Problem:
    mutation: str
    what: str
    cause: str = ""

    def __str__(self) -> str:
        return f"{self.what} — {self.mutation}{f' — {self.cause}' if self.cause else ''}"


def causes_in(records: list[logging.LogRecord]) -> dict[str, str]:
    """The last line of each logged traceback and its last frame in ``aspe``, by the error
    id the client saw."""
    causes = {}
    for record in records:
        if record.exc_info and record.exc_info[1] and record.args:
            error = record.exc_info[1]
            last = traceback.format_exception_only(error)[-1].strip()[:200]
            causes[str(record.args[0])] = last + _last_frame_of_ours(error)
    return causes


def _last_frame_of_ours(error: BaseException) -> str:
    frames = traceback.extract_tb(error.__traceback__)
    ours = [frame for frame in frames if "/aspe/" in frame.filename]
    if not ours:
        return ""
    return f" (in {ours[-1].name}, {ours[-1].filename.split('/aspe/')[-1]}:{ours[-1].lineno})"


def problems_of(
    response: Any, mutation: Mutation, moved: bool, limit: int, causes: dict[str, str]
) -> list[Problem]:
    """What is wrong with one answer: its status, internal errors, a refusal that stored."""
    shown = mutation.shown()
    expected = 413 if len(mutation.body()) > limit else 200
    if response.status_code != expected:
        cause = response.text[:200]
        return [Problem(shown, f"HTTP {response.status_code}, not {expected}", cause)]
    if expected == 413:
        return [Problem(shown, "a refused body stored events")] if moved else []
    errors = response.json().get("errors") or []
    codes = [(error.get("extensions") or {}).get("code") for error in errors]
    found = [
        Problem(shown, INTERNAL_ERROR, causes.get(error["extensions"].get("errorId"), "?"))
        for error, code in zip(errors, codes, strict=True)
        if code == INTERNAL_ERROR
    ]
    found += [Problem(shown, "an error without a code") for code in codes if not code]
    if PROJECTION_TIMEOUT in codes:
        found.append(Problem(shown, "the read model did not follow the command"))
    elif errors and moved:
        found.append(Problem(shown, f"refused ({', '.join(map(str, codes))}) yet stored events"))
    return found


# -------------------------------------------------------------------------- the fuzz
def fuzz_as(
    fuzzed: Fuzzed, role: Role, caplog: pytest.LogCaptureFixture, problems: list[Problem]
) -> int:
    """Sends each mutation as ``role``: ``PROBES`` times, then ``EXAMPLES`` more times unless
    every probe was refused for the role alone (each run with a seed of its own, so the
    whole is reproducible). Adds what went wrong to ``problems``; returns how many were sent."""
    api = fuzzed.clients[role]
    headers = {"Authorization": f"Bearer {api.token}", "Content-Type": "application/json"}
    root = fuzzed.schema.mutation_type
    assert root is not None
    codes: list[set[str]] = []

    def send(mutation: Mutation) -> None:
        caplog.clear()
        head = fuzzed.world.app.head()
        response = api.client.post("/graphql", content=mutation.body(), headers=headers)
        moved = fuzzed.world.app.head() != head
        causes = causes_in(caplog.records)
        found = problems_of(response, mutation, moved, fuzzed.max_request_bytes, causes)
        problems.extend(Problem(f"{role.value} {p.mutation}", p.what, p.cause) for p in found)
        codes.append(error_codes(response))

    def run(name: str, examples: int, seed_: int) -> None:
        fuzz = given(mutation=mutations(fuzzed.schema, fuzzed.known, role, name))(send)
        fuzz = settings(
            max_examples=examples,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )(fuzz)
        with caplog.at_level(logging.ERROR, logger="aspe.graphql"):
            seed(seed_)(fuzz)()

    for index, name in enumerate(sorted(root.fields)):
        probed = len(codes)
        run(name, PROBES, ROLES.index(role) * 1000 + index)
        if any(probe != {NOT_AUTHORISED} for probe in codes[probed:]):
            run(name, EXAMPLES, ROLES.index(role) * 1000 + index + 500)
    return len(codes)


def error_codes(response: Any) -> set[str]:
    if response.status_code != 200:
        return {str(response.status_code)}
    return {
        str((error.get("extensions") or {}).get("code"))
        for error in response.json().get("errors") or []
    }


@pytest.mark.slow
def test_no_mutation_input_fails_internally_or_stores_half(
    fuzzed: Fuzzed, caplog: pytest.LogCaptureFixture
) -> None:
    problems: list[Problem] = []
    sent = sum(fuzz_as(fuzzed, role, caplog, problems) for role in ROLES)

    assert sent >= PROBES * len(ROLES) * len(fuzzed.schema.mutation_type.fields)
    assert not problems, f"{len(problems)} of {sent} mutations:\n" + "\n".join(map(str, problems))


# ------------------------------------------------- regressions the fuzz found, one each
RECORD_DEBT = """
mutation($case: ID!, $input: DebtInput!) { recordDebt(caseId: $case, input: $input) { id } }
"""


@pytest.mark.parametrize("amount", ["1E+999999999", "-1E+999999999", "NaN", "-Infinity"])
def test_an_amount_past_what_a_decimal_context_holds_is_invalid_input(
    world: World, story: Callable[[], CaseStory], login: Callable[[Any], Api], amount: str
) -> None:
    # given an active case and its referent
    case = story().walk_to(Status.ACTIVE)
    referent = login(world.referent)
    head = world.app.head()
    in_read_model(referent, head)
    # when the referent records a debt of an amount whose absolute value overflows
    debt = {"creditor": "EDF", "amount": amount, "creditorIsLandlord": False}
    code = referent.error_code(RECORD_DEBT, {"case": str(case), "input": debt})
    # then it is refused as invalid input, and nothing is stored
    assert code == "INVALID_INPUT"
    assert world.app.head() == head


RECORD_CONSENT = """
mutation($case: ID!, $key: String) {
  recordConsent(caseId: $case, scope: LANDLORD_DETAIL, idempotencyKey: $key) { id }
}
"""


@pytest.mark.parametrize("key", ["\ud800", "a\udfffb", "a\x00b", "\x1b[31m"])
def test_an_idempotency_key_that_is_not_printable_text_is_invalid_input(
    world: World, story: Callable[[], CaseStory], login: Callable[[Any], Api], key: str
) -> None:
    # given a case in diagnostic and its referent
    case = story().walk_to(Status.DIAGNOSTIC)
    referent = login(world.referent)
    head = world.app.head()
    in_read_model(referent, head)
    # when the referent sends a command whose idempotency key holds a lone surrogate or a
    # control character (the key is hashed as UTF-8: a lone surrogate cannot be encoded)
    body = json.dumps({"query": RECORD_CONSENT, "variables": {"case": str(case), "key": key}})
    headers = {"Authorization": f"Bearer {referent.token}", "Content-Type": "application/json"}
    response = referent.client.post("/graphql", content=body.encode(), headers=headers)
    # then it is refused as invalid input, and nothing is stored
    assert response.status_code == 200
    assert [error["extensions"]["code"] for error in response.json()["errors"]] == ["INVALID_INPUT"]
    assert world.app.head() == head
