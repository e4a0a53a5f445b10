"""A read model that cannot apply an event stops alone, at that event, and says so.

The issue: one NUL character in a free-text input was stored in an event, then every read
model runner died on it (PostgreSQL refuses NUL in text), again after each restart and in
``aspe projections rebuild``, and every later command answered ``PROJECTION_TIMEOUT``.
The domain now refuses such characters (another fix); these tests stand for *any* event a
read model cannot apply, whatever the cause: they mark a visit's note with ``POISON`` and
make one read model's handler fail on it, either raising in the handler (a bug in the read
model) or writing a value its database refuses when the batch is committed (the NUL case).

Given a world and one poisoned read model, when the poisoned event is stored, then that
read model stops just before it, the failure is recorded (``aspe projections status``) and
logged, the other read models go on, a mutation waiting on it is told at once, and a restart
or a rebuild tries the event again: it heals a fixed bug, and otherwise stops at the same
place — nothing is ever skipped.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

import pytest
from typer.testing import CliRunner

from aspe.bootstrap import build_projector
from aspe.cli import app as cli
from aspe.domain.case import Case
from aspe.domain.values import Status, Theme, VisitKind
from aspe.projections import READ_MODELS
from aspe.projections.readmodel import ReadModel
from aspe.projections.runner import Projector
from aspe.settings import Settings

if TYPE_CHECKING:  # the test folders are not packages: their fixtures' types, for reading
    from tests.conftest import World
    from tests.gql.conftest import Api

POISON = "POISON"
FAILING, HEALTHY = "case_file", "audit_trail"
ASIDE = "contact_silence"
"""A read model no mutation waits on, that handles visits (and runs before the case file)."""
RECORD_VISIT = """
mutation Visit($case: ID!, $input: RecordVisitInput!) {
  recordVisit(caseId: $case, input: $input) { visitsDone visits { note } }
}
"""
LONG_WAIT = 30.0
"""The read-your-writes timeout of these tests: a refusal far quicker than it did not wait."""

runner = CliRunner()
STATUS_LINE = re.compile(
    r"│ (?P<name>\w+)\s+│\s+(?P<position>\d+) │\s+(?P<head>\d+) │\s+\d+ │\s+(?P<state>[^│]*?) │"
)
Login = Callable[..., "Api"]


class Unapplicable(Exception):
    """What the poisoned handler raises."""


def model_class(name: str) -> type[ReadModel]:
    return next(cls for cls in READ_MODELS if cls.name == name)


def poisoned_note(event: Any) -> bool:
    return isinstance(event, Case.VisitRecorded) and POISON in event.note


@pytest.fixture
def poison(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Callable[[], None]]:
    """``poison(name, at_commit=False)``: read model ``name`` fails on a visit noted
    ``POISON`` — in its handler, or (``at_commit``) when its batch is written, with a value
    neither database can store. Returns the cure (the bug fixed)."""

    def make(name: str, at_commit: bool = False) -> Callable[[], None]:
        cls = model_class(name)
        original = cls.handlers[Case.VisitRecorded]  # it handles visits: the poison takes

        def handler(self: ReadModel, event: Any, changes: Any) -> None:
            original(self, event, changes)
            if not poisoned_note(event):
                return
            if not at_commit:
                raise Unapplicable("valeur inapplicable")
            rows = next(iter(changes))
            rows.put({column: object() for column in rows.table.columns})

        monkeypatch.setitem(cls.handlers, Case.VisitRecorded, handler)
        return lambda: monkeypatch.setitem(cls.handlers, Case.VisitRecorded, original)

    return make


@pytest.fixture
def postgres_settings(new_postgres_settings: Callable[[], Settings], tmp_path: Any) -> Settings:
    """A PostgreSQL schema of this test's own: a read model stopped here stays stopped (that
    is the point), so it must not be the next test's."""
    return new_postgres_settings().model_copy(update={"data_dir": tmp_path / "var"})


@pytest.fixture
def api_settings(settings: Settings) -> Settings:
    """The API with its read models in-process, and a long read-your-writes wait."""
    return settings.model_copy(
        update={"projections_in_process": True, "read_your_writes_timeout": LONG_WAIT}
    )


@pytest.fixture
def same_store(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line's environment names the test's store."""
    monkeypatch.setenv("ASPE_ENV", "test")
    monkeypatch.setenv("ASPE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("COLUMNS", "250")  # rich wraps at the terminal's width
    if settings.database_url is not None:
        monkeypatch.setenv("ASPE_DATABASE_URL", settings.database_url)
        monkeypatch.setenv("ASPE_DATABASE_SCHEMA", settings.database_schema or "")


@pytest.fixture
def projectors(settings: Settings, world: World) -> Iterator[Callable[[], Projector]]:
    """``start()``: a new runner over the store, as after a restart of the process."""
    started: list[Projector] = []

    def start() -> Projector:
        started.append(build_projector(settings, app=world.app))
        return started[-1]

    yield start
    for projector in started:
        projector.close()


def active_case(world: World, story: Callable[..., Any]) -> UUID:
    case_id: UUID = story().walk_to(Status.ACTIVE)
    return case_id


def visit(world: World, case_id: UUID, note: str) -> int:
    """A visit recorded directly in the store; its position."""
    with world.acting(world.referent):
        return world.app.record_visit(
            case_id, world.clock.today(), VisitKind.HOME, [Theme.BUDGET], note
        )


def positions(projector: Projector) -> dict[str, int]:
    return {line.name: line.position for line in projector.status()}


def status_lines(output: str) -> dict[str, tuple[int, int, str]]:
    """``aspe projections status``'s table: name → (position, head, state)."""
    return {
        match["name"]: (int(match["position"]), int(match["head"]), match["state"])
        for match in STATUS_LINE.finditer(output)
    }


def stored_events(world: World, case_id: UUID) -> list[str]:
    return world.event_names(case_id)


# ------------------------------------------------------------------ the runner
@pytest.mark.parametrize("at_commit", [False, True], ids=["in its handler", "at commit"])
def test_a_read_model_stops_alone_just_before_the_event_it_cannot_apply(
    world, story, poison, projectors, caplog, at_commit
):
    case_id = active_case(world, story)
    poison(FAILING, at_commit=at_commit)
    poisoned = visit(world, case_id, f"note {POISON}")
    visit(world, active_case(world, story), "une visite après")  # more events after it
    head = world.app.head()

    with caplog.at_level(logging.ERROR, logger="aspe.projections"):
        projector = projectors()
        projector.catch_up()  # one batch holding events before and after the poisoned one

    stopped = positions(projector)
    assert stopped.pop(FAILING) == poisoned - 1, "the events before it are applied, not it"
    assert set(stopped.values()) == {head}, "the other read models go on"
    (failure,) = [line.failure for line in projector.status() if line.failure is not None]
    assert (failure.position, failure.topic) == (poisoned, "aspe.domain.case:Case.VisitRecorded")
    if at_commit:  # the database's refusal, whichever its driver's words
        assert failure.error != "Unapplicable"
        assert "object" in failure.message
    else:
        assert (failure.error, failure.message) == ("Unapplicable", "valeur inapplicable")
    assert failure.at.startswith(str(date.today().year))
    (logged,) = [record for record in caplog.records if record.name == "aspe.projections"]
    assert logged.levelno == logging.ERROR
    assert FAILING in logged.getMessage()
    assert f"position {poisoned}" in logged.getMessage()


def test_a_stopped_read_model_is_given_no_more_events_while_the_others_follow(
    world, story, poison, projectors
):
    case_id = active_case(world, story)
    poison(FAILING)
    poisoned = visit(world, case_id, POISON)
    projector = projectors()
    projector.catch_up()

    visit(world, case_id, "une visite sans souci")
    projector.catch_up()

    assert positions(projector)[FAILING] == poisoned - 1
    assert positions(projector)[HEALTHY] == world.app.head()


def test_a_restart_tries_the_event_again_and_stops_at_the_same_place(
    world, story, poison, projectors
):
    case_id = active_case(world, story)
    poison(FAILING)
    poisoned = visit(world, case_id, POISON)
    projectors().catch_up()
    visit(world, case_id, "une visite après")

    again = projectors()
    again.catch_up()

    assert positions(again)[FAILING] == poisoned - 1, "the event is never skipped"
    assert again.failed[FAILING].position == poisoned, "tried again, failed again"
    assert positions(again)[HEALTHY] == world.app.head()


def test_a_restart_after_the_fix_heals_the_read_model(world, story, poison, projectors):
    case_id = active_case(world, story)
    cure = poison(FAILING)
    visit(world, case_id, POISON)
    projectors().catch_up()

    cure()
    healed = projectors()
    healed.catch_up()

    assert positions(healed)[FAILING] == world.app.head()
    assert [line.failure for line in healed.status()] == [None] * len(READ_MODELS)
    visits = healed.model(FAILING).view.get("cases", str(case_id))
    assert visits is not None
    assert POISON in str(visits)


# ---------------------------------------------------------------- GraphQL (HTTP)
@pytest.fixture
def in_read_model(client: Any, world: World) -> Callable[[str], None]:
    """``wait(name)``: the API's runner holds what the test stored directly."""

    def wait(name: str = FAILING) -> None:
        client.app.state.projector.wait(name, world.app.head(), timeout=10)

    return wait


def test_a_mutation_waiting_on_a_stopped_read_model_is_told_at_once(
    world, story, poison, login, in_read_model, caplog
):
    case_id = active_case(world, story)
    in_read_model()
    poison(FAILING)
    head = world.app.head()
    referent = login(world.referent)
    variables = {"case": str(case_id), "input": {**_visit(world), "note": f"a {POISON}"}}

    started = time.monotonic()
    with caplog.at_level(logging.ERROR, logger="aspe.projections"):
        code = referent.error_code(RECORD_VISIT, variables)
    waited = time.monotonic() - started

    assert code == "READ_MODEL_FAILED"
    assert waited < LONG_WAIT / 3, "answered without waiting for the read-your-writes timeout"
    assert world.app.head() == head + 1, "the write is stored, as the message says"
    assert stored_events(world, case_id)[-1] == "VisitRecorded"
    assert any(FAILING in record.getMessage() for record in caplog.records)


def test_a_later_mutation_on_another_case_is_told_too_not_left_waiting(
    world, story, poison, login, in_read_model
):
    poisoned_case, other_case = active_case(world, story), active_case(world, story)
    in_read_model()
    poison(FAILING)
    referent = login(world.referent)
    referent.error_code(
        RECORD_VISIT, {"case": str(poisoned_case), "input": {**_visit(world), "note": POISON}}
    )

    started = time.monotonic()
    code = referent.error_code(RECORD_VISIT, {"case": str(other_case), "input": _visit(world)})

    assert code == "READ_MODEL_FAILED"
    assert time.monotonic() - started < LONG_WAIT / 3


def test_commands_whose_read_model_is_healthy_keep_working(
    world, story, poison, login, in_read_model, client
):
    case_id = active_case(world, story)
    in_read_model()
    poison(ASIDE)  # mutations wait on the case file, not on this one
    referent = login(world.referent)

    first = referent.data(
        RECORD_VISIT, {"case": str(case_id), "input": {**_visit(world), "note": POISON}}
    )
    second = referent.data(
        RECORD_VISIT, {"case": str(case_id), "input": {**_visit(world), "note": "ensuite"}}
    )

    assert first["recordVisit"]["visitsDone"] == 1
    assert second["recordVisit"]["visitsDone"] == 2
    in_read_model(HEALTHY)
    stopped = {line.name: line.failure for line in client.app.state.projector.status()}
    assert stopped[ASIDE] is not None, "the poisoned read model did stop"


def _visit(world: World) -> dict[str, Any]:
    return {"occurredOn": world.clock.today().isoformat(), "kind": "HOME", "themes": ["BUDGET"]}


# ---------------------------------------------------------------- the command line
def test_status_shows_the_stopped_read_model_its_position_and_its_error(
    world, story, poison, projectors, same_store
):
    case_id = active_case(world, story)
    poison(FAILING)
    poisoned = visit(world, case_id, POISON)
    projectors().catch_up()

    result = runner.invoke(cli, ["projections", "status"])

    assert result.exit_code == 1, result.output
    lines = status_lines(result.output)
    assert lines[FAILING] == (poisoned - 1, world.app.head(), "en échec / failed")
    assert lines[HEALTHY] == (world.app.head(), world.app.head(), "à jour / up to date")
    said = next(line for line in result.output.splitlines() if line.startswith(f"{FAILING} :"))
    assert f"arrêtée à la position {poisoned} (aspe.domain.case:Case.VisitRecorded)" in said
    assert "Unapplicable: valeur inapplicable" in said


def test_rebuild_stops_at_the_same_event_then_heals_once_fixed(world, story, poison, same_store):
    case_id = active_case(world, story)
    cure = poison(FAILING)
    poisoned = visit(world, case_id, POISON)
    visit(world, case_id, "une visite après")

    failed = runner.invoke(cli, ["projections", "rebuild", FAILING, HEALTHY])
    cure()
    fixed = runner.invoke(cli, ["projections", "rebuild", FAILING])

    assert failed.exit_code == 1, failed.output
    head = world.app.head()
    assert status_lines(failed.output)[FAILING] == (poisoned - 1, head, "en échec / failed")
    assert status_lines(failed.output)[HEALTHY] == (head, head, "à jour / up to date")
    assert f"arrêtée à la position {poisoned} " in failed.output
    assert fixed.exit_code == 0, fixed.output
    assert status_lines(fixed.output)[FAILING] == (head, head, "à jour / up to date")
