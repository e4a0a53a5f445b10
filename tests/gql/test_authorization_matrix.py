"""The authorization matrix: every role × every field reachable from ``Query`` × a case of the
viewer's own party and a case of another party, as DESIGN §6 says (``design_matrix``).

The fields come from the schema itself (introspected over HTTP): a new field is asked for
without anyone writing a query, and fails until ``design_matrix`` places it in a row of §6.
Each field is asked through every way into a case, plainly, under aliases, through a named
fragment and through inline fragments. A field the role may not see must come back ``null``
(``[]``), on every case; a field it may see must hold a value on the cases built to hold one.
Whole response bodies are searched for what must never reach a role: notes, HEALTH items,
the other party's household, the landlord's neighbours' concertations and debts.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import pytest
from graphql import GraphQLObjectType, GraphQLSchema, get_named_type

from aspe import authorization
from aspe.demo.scenarios import Account
from aspe.domain.actors import Role
from aspe.graphql.permissions import category_of
from aspe.graphql.schema import build_schema
from aspe.settings import Environment, Settings
from aspe.workers import inbox
from aspe.workers.app import create_app as create_celery
from aspe.workers.delivery import dispatch
from aspe.workers.messages import Message, Recipient
from tests.gql import design_matrix as design
from tests.gql.matrix_queries import (
    CASE,
    INTROSPECTION,
    WHOLE_TREE_ROOTS,
    Entry,
    Path,
    Reading,
    SchemaMap,
    document,
    grouped_paths,
    read,
    shows,
    whole_selection,
)
from tests.gql.matrix_world import (
    HEALTH_MARKER,
    NOTE_MARKER,
    OTHER_CREDITOR_MARKER,
    OTHER_PARTY_MARKER,
    WITHOUT_LANDLORD_MARKER,
    CaseUnderTest,
    MatrixWorld,
    Served,
    matrix_settings,
    serve_world,
)

SWEPT_CASES = (
    "rich",
    "rich_no_consent",
    "closed",
    "closed_no_consent",
    "completed",
    "rejected",
    "other",
)
"""The cases every field is asked of by id; the cases at each stage are reached by lists."""

RICH = frozenset({"rich", "rich_no_consent", "other"})
STOPPED = frozenset({"closed", "closed_no_consent"})
WITNESSES: Mapping[str, frozenset[str]] = {
    **dict.fromkeys(("Closure.stoppedOn", "Closure.stopReason", "Closure.stopDetails"), STOPPED),
    "Closure.completedOn": frozenset({"completed"}),
    **dict.fromkeys(
        ("Closure.finalReportOn", "Closure.householdStillHoused", "Closure.finalReportSummary"),
        STOPPED | {"completed"},
    ),
    **dict.fromkeys(("Request.rejectedOn", "Request.rejectionReason"), frozenset({"rejected"})),
    # What the viewer itself may do now: empty for many viewers of any case, by nature.
    **dict.fromkeys(("Case.availableCommands", "Case.ceopSignaturesToRecord"), frozenset()),
}
"""The cases built to hold a value in a field (every other field: the rich cases)."""
NOT_HELD_UNDER: Mapping[str, frozenset[str]] = {
    "Diagnostic.objectives": frozenset({"Objective.progress", "Objective.progressNote"}),
}
"""Fields no case holds a value in under another: progress is recorded on the CEOP's
objectives, never on those the diagnostic proposed."""

EMPTY_BY_NATURE: Mapping[tuple[str, Role], str] = {
    ("Me.organisationId", Role.HOUSEHOLD): "a household belongs to no organisation",
    ("CaseConnection.edges", Role.ADMIN): "ADMIN sees no case",
    ("CaseEdge.cursor", Role.ADMIN): "ADMIN sees no case",
    ("PageInfo.endCursor", Role.ADMIN): "ADMIN sees no case",
    ("AccessLogEntry.reason", Role.AUDITOR): "only an archived case's reads have a reason "
    "(tests/gql/test_archived_cases.py); the matrix world archives none",
}
"""Fields outside a case that stay empty for a role although it may see them."""


@pytest.fixture(scope="module")
def serve(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, password_hash: str
) -> Iterator[Callable[[str], Served]]:
    """``serve("sqlite" | "postgres")``: the matrix world on that store, built once."""
    served: dict[str, Served] = {}
    with ExitStack() as stack:

        def on(backend: str) -> Served:
            if backend not in served:
                if backend == "sqlite":
                    data_dir = tmp_path_factory.mktemp("matrix") / "var"
                    base = Settings(env=Environment.TEST, data_dir=data_dir)
                else:
                    base = request.getfixturevalue("new_postgres_settings")()
                served[backend] = serve_world(matrix_settings(base), password_hash, stack)
            return served[backend]

        yield on


@pytest.fixture(scope="module")
def served(serve: Callable[[str], Served]) -> Served:
    """The world the field matrix runs on (one store: the case visibility runs on both),
    with a read and an unread notification in every viewer's inbox."""
    served = serve("sqlite")
    settings = served.client.app.state.settings  # type: ignore[attr-defined]
    rich = served.world.cases["rich"].id
    accounts = every_viewer(served.world).values()
    for subject in ("Bienvenue", "Votre espace est prêt"):
        welcome = [
            Message(
                f"matrix:{subject}:{account.actor.id}",
                Recipient(account.actor.id, account.name, account.email),
                subject,
                "Votre espace ASPE est ouvert.",
                rich,
            )
            for account in accounts
        ]
        dispatch(welcome, app=create_celery(settings))
        if subject == "Bienvenue":
            for account in accounts:
                inbox.mark_read(settings, account.actor.id)
    return served


@pytest.fixture(scope="module")
def schema(served: Served) -> SchemaMap:
    body = served.data(served.world.association.referents[0], INTROSPECTION)
    return SchemaMap.introspected(body["__schema"])


# ----------------------------------------------------------------------- viewers
def design_viewer(account: Account) -> design.Viewer:
    actor = account.actor
    return design.Viewer(actor.role, actor.id, actor.organisation_id)


def facts(case: CaseUnderTest) -> design.CaseFacts:
    return design.CaseFacts(
        case.association_id,
        case.landlord_id,
        case.household_id,
        case.submitted,
        case.registered,
        case.granted,
    )


def household(world: MatrixWorld, name: str) -> Account:
    account = world.cases[name].household
    assert account is not None
    return account


@dataclass(frozen=True)
class Swept:
    """A viewer of the field matrix, and what it is asked.

    Every viewer is asked every path of ``case(id)`` plainly for ``cases`` and the three
    other ways for ``varied``; the households of the ended cases only the paths through
    ``Request`` and ``Closure`` (the household of ``rich`` stands for the household role
    elsewhere)."""

    account: Account
    cases: tuple[str, ...] = SWEPT_CASES
    varied: tuple[str, ...] = ("rich", "rich_no_consent", "other")
    only_through: frozenset[str] | None = None

    def asks(self, paths: list[Path]) -> bool:
        if self.only_through is None:
            return True
        return any(f.type_name in self.only_through for path in paths for f in path)


def swept_viewers(world: MatrixWorld) -> dict[str, Swept]:
    """A viewer of every role of DESIGN §1 (households: of the rich case and of ended ones)."""
    departement = world.departement
    ended = {
        f"HOUSEHOLD of {name}": Swept(
            household(world, name), (name, "rich"), (name,), frozenset({"Request", "Closure"})
        )
        for name in ("closed", "completed", "rejected")
    }
    return {
        "REFERENT": Swept(world.association.referents[0]),
        "ASSOCIATION_MANAGER": Swept(world.association.manager),
        "SPSLH_AGENT": Swept(departement.spslh_agent),
        "COMMISSION_MEMBER": Swept(departement.commission_member),
        "LANDLORD": Swept(world.landlord),
        "AUDITOR": Swept(departement.auditor),
        "ADMIN": Swept(world.admin),
        "HOUSEHOLD of rich": Swept(
            household(world, "rich"), ("rich", "rich_no_consent", "other"), ("rich", "other")
        ),
        **ended,
    }


def every_viewer(world: MatrixWorld) -> dict[str, Account]:
    """The swept viewers, the other party's staff and landlord, and every household."""
    other = world.other_association
    return {
        **{label: swept.account for label, swept in swept_viewers(world).items()},
        "REFERENT of the other association": other.referents[0],
        "ASSOCIATION_MANAGER of the other association": other.manager,
        "LANDLORD of the other case": world.other_landlord,
        **{f"HOUSEHOLD of {name}": household(world, name) for name in world.cases},
    }


# ------------------------------------------------------------------- the sweep
@dataclass(frozen=True)
class Finding:
    """A difference between a response and DESIGN §6, with where it was seen."""

    kind: str
    viewer: str
    field: str
    case: str

    def __str__(self) -> str:
        return f"{self.kind:<13} {self.viewer:<22} {self.field:<38} {self.case}"


@dataclass
class Sweep:
    findings: dict[Finding, set[str]] = field(default_factory=lambda: defaultdict(set))
    errors: list[str] = field(default_factory=list)
    markers: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    documents: int = 0

    def report(self) -> str:
        return "\n".join(
            f"{finding}  ({len(ways)} ways, e.g. {sorted(ways)[0]})"
            for finding, ways in sorted(self.findings.items(), key=lambda item: str(item[0]))
        )


MARKERS = (
    NOTE_MARKER,
    HEALTH_MARKER,
    '"HEALTH"',
    OTHER_PARTY_MARKER,
    WITHOUT_LANDLORD_MARKER,
    OTHER_CREDITOR_MARKER,
)


class Judge:
    """Compares what one viewer got with what DESIGN §6 lets it see."""

    def __init__(self, world: MatrixWorld, label: str, account: Account) -> None:
        self.world, self.label = world, label
        self.viewer = design_viewer(account)

    def findings(self, reading: Reading) -> Iterator[tuple[Finding, str]]:
        entry = reading.entry
        path, way = entry.path, _way(entry)
        leaf = path[-1].key
        unknown = [f.key for f in path if f.key not in design.FIELDS]
        if unknown:
            yield Finding("UNCLASSIFIED", self.label, unknown[0], "-"), way
            return
        cases = set(reading.present) | set(reading.values) | {entry.case_id}
        for case_id in cases:
            values = reading.values.get(case_id, [])
            if case_id is None:
                yield from self._outside_cases(path, values, way)
                continue
            case = self.world.case_named(case_id)
            if case is None:
                yield Finding("UNKNOWN CASE", self.label, leaf, case_id), way
                continue
            for kind in self._on_case(entry, case, case_id in reading.present, values):
                yield Finding(kind, self.label, leaf, case.name), way

    def _on_case(
        self, entry: Entry, case: CaseUnderTest, present: bool, values: list[Any]
    ) -> Iterator[str]:
        path, role = entry.path, self.viewer.role
        if not design.sees_case(self.viewer, facts(case)):
            if present or shows(values):
                yield "CASE LEAK"
            return
        rows = [design.FIELDS[f.key] for f in path]
        visible = all(design.sees(role, row, case.consent) for row in rows)
        root_visible = design.sees(role, rows[0], case.consent)
        if entry.case_id == str(case.id) and root_visible and not present:
            yield "CASE MISSING"
        elif shows(values) and not visible:
            yield "FIELD LEAK"
        elif visible and present and not shows(values) and self._witness(path, case):
            yield "FIELD MISSING"

    @staticmethod
    def _witness(path: Path, case: CaseUnderTest) -> bool:
        """Whether ``case`` was built to hold a value in the path's last field."""
        leaf = path[-1].key
        if design.FIELDS[leaf] is design.STRUCTURE:
            return False
        if any(leaf in NOT_HELD_UNDER.get(f.key, ()) for f in path):
            return False
        return case.name in WITNESSES.get(leaf, RICH)

    def _outside_cases(
        self, path: Path, values: list[Any], way: str
    ) -> Iterator[tuple[Finding, str]]:
        """Fields of no case (the account, figures, pagination) or a case item without one."""
        leaf, role = path[-1].key, self.viewer.role
        if any(f.type_name in (CASE, "OpenAlert") for f in path):
            if shows(values):
                yield Finding("UNATTRIBUTED", self.label, leaf, "-"), way
            return
        visible = all(design.sees(role, design.FIELDS[f.key], False) for f in path)
        if shows(values) and not visible:
            yield Finding("FIELD LEAK", self.label, leaf, "-"), way
        elif visible and not shows(values) and (leaf, role) not in EMPTY_BY_NATURE:
            yield Finding("FIELD MISSING", self.label, leaf, "-"), way


def _way(entry: Entry) -> str:
    return " > ".join(f.name for f in entry.path) + f" [{entry.variant.name.lower()}]"


@pytest.fixture(scope="module")
def sweep(served: Served, schema: SchemaMap) -> Sweep:
    """Every generated document, asked by every swept viewer, judged against DESIGN §6."""
    world, result = served.world, Sweep()
    groups = list(grouped_paths(schema).values())
    for label, swept in swept_viewers(world).items():
        judge = Judge(world, label, swept.account)
        ids = [
            [str(world.cases[name].id) for name in names] for names in (swept.cases, swept.varied)
        ]
        for doc in (document(paths, *ids) for paths in groups if swept.asks(paths)):
            body = served.ask(swept.account, doc.text)
            text = json.dumps(body, ensure_ascii=False)
            result.markers[label].update(marker for marker in MARKERS if marker in text)
            result.documents += 1
            if body.get("errors"):
                result.errors.append(f"{label}: {body['errors'][0]} in\n{doc.text}")
                continue
            for entry in doc.entries:
                for finding, way in judge.findings(read(body["data"], entry)):
                    result.findings[finding].add(way)
    return result


# ------------------------------------------------------------ every field placed
def test_every_field_reachable_from_query_is_placed_in_a_row_of_design_section_6(
    schema: SchemaMap,
):
    reachable = schema.reachable_fields(schema.query)

    unplaced = sorted(reachable - set(design.FIELDS))

    assert len(reachable) > 100, "the introspection found too few fields to be the schema"
    assert unplaced == [], f"place these fields in tests/gql/design_matrix.py: {unplaced}"


def test_the_design_matrix_names_no_field_the_schema_lacks(schema: SchemaMap):
    stale = sorted(set(design.FIELDS) - schema.reachable_fields(schema.query))

    assert stale == [], f"fields gone from the schema: {stale}"


def test_every_field_of_the_code_schema_declares_a_category():
    types = _object_types(build_schema(Settings())._schema)

    unclassified = sorted(
        f"{kind.name}.{name}"
        for kind in types
        for name, one in kind.fields.items()
        if category_of(one.extensions["strawberry-definition"]) is None
    )

    assert {"Query", "Mutation", "Case", "Closure", "Session"} <= {kind.name for kind in types}
    assert unclassified == [], f"declare these fields with classified(...): {unclassified}"


def _object_types(schema: GraphQLSchema) -> list[GraphQLObjectType]:
    """The object types reachable from ``Query`` and ``Mutation``."""
    pending = [root for root in (schema.query_type, schema.mutation_type) if root is not None]
    found: dict[str, GraphQLObjectType] = {}
    while pending:
        kind = pending.pop()
        if kind.name in found or kind.name.startswith("__"):
            continue
        found[kind.name] = kind
        for one in kind.fields.values():
            named = get_named_type(one.type)
            if isinstance(named, GraphQLObjectType):
                pending.append(named)
    return list(found.values())


def test_the_generated_documents_reach_every_field(schema: SchemaMap):
    groups = grouped_paths(schema)
    swept = {f.key for paths in groups.values() for path in paths for f in path}
    whole_case = {f"Query.{name}" for name in WHOLE_TREE_ROOTS} | schema.reachable_fields(CASE)

    unreached = schema.reachable_fields(schema.query) - swept - whole_case

    assert unreached == set()


# --------------------------------------------------------------- the field matrix
@pytest.mark.slow
def test_each_role_sees_each_field_of_each_case_as_design_section_6_says(sweep: Sweep):
    assert sweep.errors == [], "\n".join(sweep.errors[:3])
    assert sweep.documents > 100
    assert not sweep.findings, (
        f"{len(sweep.findings)} differences from DESIGN §6 (kind, viewer, field, case):\n"
        + sweep.report()
    )


STAFF_WITH_NOTES = frozenset({"REFERENT", "ASSOCIATION_MANAGER", "AUDITOR"})


@pytest.mark.slow
@pytest.mark.parametrize(
    ("marker", "row", "shown_to"),
    [
        (NOTE_MARKER, design.Row.NOTES, STAFF_WITH_NOTES),
        (HEALTH_MARKER, design.Row.HEALTH, STAFF_WITH_NOTES | {"HOUSEHOLD of rich"}),
        ('"HEALTH"', design.Row.HEALTH, STAFF_WITH_NOTES | {"HOUSEHOLD of rich"}),
    ],
    ids=["notes", "health-text", "health-theme"],
)
def test_no_note_or_health_item_reaches_a_role_that_may_not_see_it(
    sweep: Sweep, served: Served, marker: str, row: design.Row, shown_to: frozenset[str]
):
    viewers = swept_viewers(served.world)
    allowed = {
        label
        for label, swept in viewers.items()
        if design.sees(swept.account.actor.role, row, consent=True)
    }

    reached = {label for label in viewers if marker in sweep.markers[label]}

    assert reached - allowed == set()
    assert shown_to <= reached, "the world holds no such item: this test could not fail"


@pytest.mark.slow
def test_nothing_of_another_party_reaches_a_viewer_outside_it(sweep: Sweep, served: Served):
    world = served.world
    other = facts(world.cases["other"])
    outside = {
        label
        for label, swept in swept_viewers(world).items()
        if not design.sees_case(design_viewer(swept.account), other)
    }

    reached = {label for label in outside if OTHER_PARTY_MARKER in sweep.markers[label]}

    assert outside >= {"REFERENT", "ASSOCIATION_MANAGER", "LANDLORD", "HOUSEHOLD of rich"}
    assert reached == set()
    assert OTHER_PARTY_MARKER in sweep.markers["COMMISSION_MEMBER"]


@pytest.mark.slow
def test_the_landlord_never_receives_concertations_or_debts_it_is_no_party_to(sweep: Sweep):
    assert WITHOUT_LANDLORD_MARKER not in sweep.markers["LANDLORD"]
    assert OTHER_CREDITOR_MARKER not in sweep.markers["LANDLORD"]
    assert {WITHOUT_LANDLORD_MARKER, OTHER_CREDITOR_MARKER} <= sweep.markers["REFERENT"]


# ------------------------------------------------------------------ partial rows
CONCERTATIONS_AND_DEBTS = """
query($id: ID!) {
  case(id: $id) {
    concertations { subject participants }
    debts { creditor owedToLandlord plan { months } }
  }
}
"""


def test_with_consent_the_landlord_sees_the_concertations_it_took_part_in_and_its_debts(
    served: Served,
):
    world = served.world
    rich = str(world.cases["rich"].id)

    seen = served.ask(world.landlord, CONCERTATIONS_AND_DEBTS, {"id": rich})["data"]["case"]
    everything = served.ask(world.association.referents[0], CONCERTATIONS_AND_DEBTS, {"id": rich})

    assert [c["subject"] for c in seen["concertations"]] == ["Plan d'apurement"]
    assert seen["debts"] == [
        {"creditor": "Lyon Habitat (loyers)", "owedToLandlord": True, "plan": {"months": 6}}
    ]
    assert len(everything["data"]["case"]["concertations"]) == 2
    assert len(everything["data"]["case"]["debts"]) == 2


def test_without_consent_the_landlord_sees_no_concertation_and_no_debt(served: Served):
    world = served.world
    case_id = str(world.cases["rich_no_consent"].id)

    seen = served.ask(world.landlord, CONCERTATIONS_AND_DEBTS, {"id": case_id})["data"]["case"]

    assert seen == {"concertations": [], "debts": []}


AUDIT_TRAIL = """
query($id: ID!) {
  auditTrail(caseId: $id) { event actorRole organisationId actorName organisationName }
}
"""
MILESTONES_OF_OTHERS = {"RequestRegistered", "MeasureGranted", "CeopSignatureRecorded"}


@pytest.mark.parametrize("role", ["referent", "manager"])
def test_association_staff_see_their_own_organisations_events_and_the_milestones_only(
    served: Served, role: str
):
    # given a case other organisations acted on (the SPSLH, the commission, the landlord)
    world = served.world
    staff = world.association.referents[0] if role == "referent" else world.association.manager
    rich = str(world.cases["rich"].id)

    # when its association's staff and the auditor read its audit trail
    own = served.ask(staff, AUDIT_TRAIL, {"id": rich})["data"]["auditTrail"]
    everyone = served.ask(world.departement.auditor, AUDIT_TRAIL, {"id": rich})["data"]

    # then the staff get every event of their association, and of the others' only the
    # milestones of the case: the registration, the decision, the landlord's signature
    ours = str(world.association.id)
    assert {e["event"] for e in own if e["organisationId"] == ours} == {
        e["event"] for e in everyone["auditTrail"] if e["organisationId"] == ours
    }
    theirs = {e["event"] for e in own if e["organisationId"] != ours}
    assert theirs >= MILESTONES_OF_OTHERS
    assert theirs <= authorization.CASE_MILESTONES
    assert "CommissionInvitationIssued" not in {e["event"] for e in own}
    assert len(own) < len(everyone["auditTrail"])


def test_a_referent_reads_the_commission_by_its_name_and_a_colleague_by_theirs(served: Served):
    # given a case its association's referent follows, the commission having decided on it
    world = served.world
    referent = world.association.referents[0]
    rich = str(world.cases["rich"].id)

    # when the referent reads its audit trail
    trail = served.ask(referent, AUDIT_TRAIL, {"id": rich})["data"]["auditTrail"]

    # then the decision names the commission, not the person who recorded it
    granted = next(e for e in trail if e["event"] == "MeasureGranted")
    assert granted["organisationName"] == "Commission FPEL"
    assert granted["actorName"] is None
    # and an event of its own association names the colleague who did it
    own = [e for e in trail if e["organisationId"] == str(world.association.id)]
    assert own
    names = {account.name for account in (world.association.manager, *world.association.referents)}
    assert {e["actorName"] for e in own} <= names
    assert all(e["organisationName"] == world.association.name for e in own)


def test_the_spslh_names_its_own_agents_and_the_association_by_its_name(served: Served):
    # given the same case
    world = served.world
    rich = str(world.cases["rich"].id)

    # when the SPSLH reads its audit trail
    trail = served.ask(world.departement.spslh_agent, AUDIT_TRAIL, {"id": rich})["data"][
        "auditTrail"
    ]

    # then its own registration names its agent; the association's events, the association
    registered = next(e for e in trail if e["event"] == "RequestRegistered")
    assert registered["actorName"] == world.departement.spslh_agent.name
    association_events = [e for e in trail if e["organisationId"] == str(world.association.id)]
    assert association_events
    assert {e["actorName"] for e in association_events} == {None}
    assert {e["organisationName"] for e in association_events} == {world.association.name}


def test_each_partial_cell_of_the_design_has_a_test_of_its_items():
    tested_above = {
        (Role.LANDLORD, design.Row.CONCERTATIONS),
        (Role.LANDLORD, design.Row.DEBTS),
        (Role.REFERENT, design.Row.EVENT_METADATA),
        (Role.ASSOCIATION_MANAGER, design.Row.EVENT_METADATA),
    }

    assert set(design.PARTIAL) == tested_above


# ---------------------------------------------------------------- time travel
def test_case_as_of_shows_each_viewer_what_case_shows(served: Served, schema: SchemaMap):
    selection = whole_selection(schema, CASE)
    query = f"""
    query($id: ID!, $at: DateTime!) {{
      now: case(id: $id) {{ {selection} }}
      then: caseAsOf(caseId: $id, at: $at) {{ {selection} }}
    }}
    """
    differences, shown = [], 0
    for label, swept in swept_viewers(served.world).items():
        for name in swept.cases:
            variables = {"id": str(served.world.cases[name].id), "at": "2100-01-01T00:00:00Z"}
            body = served.ask(swept.account, query, variables)
            assert not body.get("errors"), body["errors"]
            shown += body["data"]["now"] is not None
            if body["data"]["now"] != body["data"]["then"]:
                differences.append(f"{label} on {name}")

    assert differences == []
    assert shown > 30, "too few cases shown for the comparison to mean anything"


# ----------------------------------------------------------- case visibility
def visibility_query(world: MatrixWorld) -> str:
    by_id = "\n".join(
        f'c_{name}: case(id: "{case.id}") {{ id }}' for name, case in world.cases.items()
    )
    trails = "\n".join(
        f't_{name}: auditTrail(caseId: "{case.id}") {{ event }}'
        for name, case in world.cases.items()
    )
    return f"""{{
      {by_id}
      {trails}
      cases(first: 100) {{ edges {{ node {{ id }} }} }}
      commissionAgenda {{ id }}
      landlordTenancies {{ id }}
      alerts {{ case {{ id }} }}
    }}"""


@dataclass
class Listed:
    by_id: set[str]
    trails: set[str]
    cases: set[str]
    agenda: set[str]
    tenancies: set[str]
    alerts: set[str]

    @classmethod
    def of(cls, world: MatrixWorld, data: Mapping[str, Any]) -> Listed:
        def names(ids: list[str]) -> set[str]:
            return {getattr(world.case_named(i), "name", i) for i in ids}

        return cls(
            by_id={name for name in world.cases if data[f"c_{name}"] is not None},
            trails={name for name in world.cases if data[f"t_{name}"]},
            cases=names([edge["node"]["id"] for edge in data["cases"]["edges"]]),
            agenda=names([case["id"] for case in data["commissionAgenda"]]),
            tenancies=names([case["id"] for case in data["landlordTenancies"]]),
            alerts=names([alert["case"]["id"] for alert in data["alerts"]]),
        )


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_each_viewer_sees_exactly_the_cases_design_section_6_gives_it(
    serve: Callable[[str], Served], backend: str
):
    served = serve(backend)
    world, query = served.world, visibility_query(served.world)
    wrong = []
    for label, account in every_viewer(world).items():
        viewer = design_viewer(account)
        visible = {n for n, c in world.cases.items() if design.sees_case(viewer, facts(c))}
        trails = visible if design.sees(viewer.role, design.Row.EVENT_METADATA, False) else set()
        listed = Listed.of(world, served.data(account, query))
        if (listed.by_id, listed.cases, listed.trails) != (visible, visible, trails):
            wrong.append(f"{label}: {listed} but DESIGN §6 gives {sorted(visible)}")
        if not listed.agenda | listed.tenancies | listed.alerts <= visible:
            wrong.append(f"{label} is listed a case it may not see: {listed}")

    assert wrong == []


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_the_lists_hold_the_cases_each_party_follows(serve: Callable[[str], Served], backend: str):
    served = serve(backend)
    world, query = served.world, visibility_query(served.world)

    def listed(account: Account) -> Listed:
        return Listed.of(world, served.data(account, query))

    assert {"rich", "rich_no_consent", "closed"} <= listed(world.landlord).tenancies
    assert "registered" in listed(world.departement.commission_member).agenda
    assert listed(world.departement.spslh_agent).alerts == RICH
    assert listed(world.association.referents[0]).alerts == {"rich", "rich_no_consent"}
    assert listed(world.other_association.referents[0]).alerts == {"other"}
