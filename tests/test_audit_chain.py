"""Tamper-evident history: each stored event is chained to the previous one (aspe.audit).

Given a store written through the application, when its tables are changed behind its back
(SQL, as an intruder with database access would), then ``aspe audit verify`` finds the
first break; a checkpoint kept outside proves the history up to it was not rewritten.
"""

from __future__ import annotations

import base64
import json
import random
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import closing, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent
from typer.testing import CliRunner

from aspe.application import AspeApplication
from aspe.audit import store
from aspe.audit.tables import ChainTable, postgres_table, sqlite_table
from aspe.audit.verify import Verification, verify_store
from aspe.bootstrap import build_application
from aspe.cli import app as cli
from aspe.demo import load_demo
from aspe.demo.scenarios import CaseStory, Departement
from aspe.domain.values import Status
from aspe.settings import Settings
from tests.conftest import POSTGRES_URL, World

runner = CliRunner()


# ------------------------------------------------------------------------ the intruder
class Intruder:
    """A connection of its own to the event store's tables, outside the application."""

    def __init__(self, settings: Settings) -> None:
        self.postgres = settings.uses_postgres
        if self.postgres:
            assert settings.database_schema is not None
            self.connection: Any = psycopg.connect(POSTGRES_URL)
            self.table: ChainTable = postgres_table(settings.database_schema, "aspe_events", "uuid")
        else:
            self.connection = sqlite3.connect(settings.sqlite_path(), isolation_level=None)
            self.table = sqlite_table("stored_events")
        self.cursor = self.connection.cursor()
        self.events, self.chain, self.position = (
            self.table.events,
            self.table.name,
            self.table.position,
        )

    def sql(self, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        self.cursor.execute(statement.replace("?", "%s") if self.postgres else statement, params)
        return self.cursor.fetchall() if self.cursor.description else []

    def begin(self) -> None:
        if not self.postgres:
            self.sql("BEGIN")

    def commit(self) -> None:
        self.connection.commit() if self.postgres else self.sql("COMMIT")

    def rollback(self) -> None:
        self.connection.rollback() if self.postgres else self.sql("ROLLBACK")

    def verification(self) -> Verification:
        """``verify`` as it reads the store through this connection (changes not committed)."""
        return verify_store(self.table, lambda: nullcontext(self.cursor))

    def event(self, position: int) -> tuple[Any, ...]:
        (row,) = self.sql(
            f"SELECT originator_id, originator_version, topic, state FROM {self.events} "
            f"WHERE {self.position} = ?",
            (position,),
        )
        return row

    def close(self) -> None:
        self.connection.close()


@pytest.fixture
def intruder(settings: Settings) -> Iterator[Intruder]:
    with closing(Intruder(settings)) as intruder:
        yield intruder


def _use(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    """The CLI reads the environment: point it at the test's store."""
    monkeypatch.setenv("ASPE_ENV", "test")
    monkeypatch.setenv("ASPE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("COLUMNS", "250")
    if settings.uses_postgres:
        monkeypatch.setenv("ASPE_DATABASE_URL", str(settings.database_url))
        monkeypatch.setenv("ASPE_DATABASE_SCHEMA", str(settings.database_schema))


@pytest.fixture
def cli_on(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    _use(monkeypatch, settings)
    return lambda *args: runner.invoke(cli, ["audit", *args])


@pytest.fixture
def cases(world: World) -> World:
    """A few cases walked through the application: about a hundred events, all linked."""
    for status in (Status.ACTIVE, Status.REGISTERED, Status.STOPPED):
        CaseStory(world.departement, world.referent, world.new_household()).walk_to(status)
    return world


# ---------------------------------------------------------------------- verification
def test_an_untouched_store_verifies(cases: World, cli_on: Callable[..., Any]) -> None:
    result = cli_on("verify")

    assert result.exit_code == 0, result.output
    assert f"jusqu'à la position {cases.app.head()}" in result.output
    assert "Historique intact" in result.output


def test_a_changed_byte_is_reported_with_its_position_event_and_what_differs(
    cases: World, intruder: Intruder, cli_on: Callable[..., Any]
) -> None:
    _originator, version, topic, state = intruder.event(7)
    intruder.begin()
    intruder.sql(
        f"UPDATE {intruder.events} SET state = ? WHERE {intruder.position} = 7",
        (bytes(state).replace(b"{", b"[", 1),),
    )
    intruder.commit()

    result = cli_on("verify")

    assert result.exit_code == 1
    assert "position 7" in result.output
    assert f"v{version} {topic.rpartition(':')[2]}" in result.output
    assert "contenu modifié" in result.output
    assert "Traceback" not in result.output


def test_a_write_the_store_refuses_leaves_no_link(cases: World, intruder: Intruder) -> None:
    links = intruder.sql(f"SELECT COUNT(*) FROM {intruder.chain}")
    first: Any = cases.app.recorder.select_notifications(start=1, limit=1)[0]
    again = StoredEvent(first.originator_id, first.originator_version, first.topic, first.state)

    with pytest.raises(IntegrityError):  # the same originator and version: refused
        cases.app.recorder.insert_events([again])

    assert intruder.sql(f"SELECT COUNT(*) FROM {intruder.chain}") == links
    assert intruder.verification().intact


def test_concurrent_writers_never_fork_the_chain(settings: Settings, cases: World) -> None:
    applications = [build_application(settings) for _ in range(3)]
    errors: list[BaseException] = []

    def write(app: AspeApplication) -> None:
        try:
            departement = Departement(app, cases.clock, cases.departement.password_hash)
            association = departement.add_association("Concurrente", ["Une Référente"])
            for _ in range(3):
                departement.add_household(association.referents[0], cases.landlord_id, "Ménage")
        except BaseException as error:  # said below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(app,)) for app in applications]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for app in applications:
        app.close()

    assert not errors, errors
    assert store.verify(cases.app).intact


# ---------------------------------------------------------------- 1,000 mutations
@dataclass(frozen=True)
class Mutation:
    kind: str
    expected: int
    """The position the first break must be found at."""


def mutate(intruder: Intruder, head: int, draw: random.Random, kind: str) -> Mutation:
    """One change behind the application's back, in the intruder's open transaction."""
    events, where = intruder.events, f"WHERE {intruder.position} = ?"
    position = draw.randint(1, head)
    if kind == "flip":
        state = bytearray(intruder.event(position)[3])
        state[draw.randrange(len(state))] ^= 1 << draw.randrange(8)
        intruder.sql(f"UPDATE {events} SET state = ? {where}", (bytes(state), position))
    elif kind == "delete":
        intruder.sql(f"DELETE FROM {events} {where}", (position,))
    elif kind == "swap":
        position, other = sorted(draw.sample(range(1, head + 1), 2))
        for source, target in ((position, -1), (other, position), (-1, other)):
            intruder.sql(f"UPDATE {events} SET {intruder.position} = ? {where}", (target, source))
    elif kind == "insert":
        originator, _, topic, state = intruder.event(position)
        intruder.sql(
            f"INSERT INTO {events} (originator_id, originator_version, topic, state) "
            "VALUES (?, ?, ?, ?)",
            (originator, 10_000 + draw.randrange(10_000), topic, state),
        )
        ((position,),) = intruder.sql(f"SELECT MAX({intruder.position}) FROM {events}")
    else:
        change_metadata(intruder, position, draw)
    return Mutation(kind, position)


def change_metadata(intruder: Intruder, position: int, draw: random.Random) -> None:
    """A column the library keeps (version, topic), or a field of the event's metadata
    (who acted, when) inside its stored state."""
    _, version, topic, state = intruder.event(position)
    events, where = intruder.events, f"WHERE {intruder.position} = ?"
    choice = draw.randrange(3)
    if choice == 0:
        intruder.sql(
            f"UPDATE {events} SET originator_version = ? {where}", (version + 1000, position)
        )
    elif choice == 1:
        intruder.sql(f"UPDATE {events} SET topic = ? {where}", (topic + "Forged", position))
    else:
        document = json.loads(bytes(state))
        document["timestamp"]["_data_"] = "2020-01-01T00:00:00+00:00"
        forged = json.dumps(document, separators=(",", ":")).encode()
        intruder.sql(f"UPDATE {events} SET state = ? {where}", (forged, position))


KINDS = ("flip", "delete", "swap", "insert", "metadata")


def test_a_thousand_random_mutations_of_a_demo_store_are_each_detected(
    app: AspeApplication, settings: Settings, intruder: Intruder
) -> None:
    load_demo(app, settings.rules.day_of(datetime.now(UTC)))
    head = app.head()
    assert intruder.verification().intact
    draw = random.Random(20260302)
    missed: list[Mutation] = []

    for number in range(1000):
        intruder.begin()
        try:
            mutation = mutate(intruder, head, draw, KINDS[number % len(KINDS)])
            found = intruder.verification().first_break
        finally:
            intruder.rollback()
        if found is None or found.position != mutation.expected:
            missed.append(mutation)

    assert not missed, missed[:10]
    assert intruder.verification().intact  # every change was rolled back


# -------------------------------------------------------------------- CLI and seal
def _rewrite_history(cases: World, intruder: Intruder, position: int) -> None:
    """An intruder who knows the chain: changes an event, then re-computes every link from
    it on (the chain holds no secret), so that ``verify`` alone finds nothing."""
    _, _, _, state = intruder.event(position)
    intruder.begin()
    intruder.sql(
        f"UPDATE {intruder.events} SET state = ? WHERE {intruder.position} = ?",
        (bytes(state).replace(b"REFERENT", b"AUDITOR_", 1), position),
    )
    intruder.sql(f"DELETE FROM {intruder.chain} WHERE notification_id >= ?", (position,))
    intruder.commit()
    store.seal(cases.app)


def test_a_checkpoint_verifies_against_its_own_store_as_it_grows(
    cases: World, cli_on: Callable[..., Any], tmp_path: Path
) -> None:
    kept = tmp_path / "checkpoint.json"
    issued = cli_on("checkpoint", "--output", str(kept))
    CaseStory(cases.departement, cases.referent, cases.new_household()).walk_to(Status.ACTIVE)

    result = cli_on("verify", "--against", str(kept))

    assert issued.exit_code == 0, issued.output
    assert json.loads(kept.read_text())["position"] < cases.app.head()
    assert result.exit_code == 0, result.output
    assert "Conforme au point de contrôle" in result.output


def test_a_checkpoint_printed_on_standard_output_is_the_signed_json(
    cases: World, cli_on: Callable[..., Any]
) -> None:
    result = cli_on("checkpoint")

    checkpoint = json.loads(result.stdout)
    assert result.exit_code == 0
    assert checkpoint["position"] == cases.app.head()
    assert checkpoint["head"] == store.verify(cases.app).head.hex()
    assert checkpoint["signature"]


def test_a_checkpoint_fails_against_a_rewritten_history(
    cases: World, intruder: Intruder, cli_on: Callable[..., Any], tmp_path: Path
) -> None:
    kept = tmp_path / "checkpoint.json"
    cli_on("checkpoint", "--output", str(kept))
    _rewrite_history(cases, intruder, position=cases.app.head() // 2)

    alone = cli_on("verify")
    against = cli_on("verify", "--against", str(kept))

    assert alone.exit_code == 0, alone.output  # the re-computed chain holds together...
    assert against.exit_code == 1  # ...but not with the checkpoint kept outside
    assert "historique réécrit avant le point de contrôle" in against.output
    assert "Traceback" not in against.output


def test_a_truncated_history_fails_against_a_checkpoint(
    cases: World, intruder: Intruder, cli_on: Callable[..., Any], tmp_path: Path
) -> None:
    kept = tmp_path / "checkpoint.json"
    cli_on("checkpoint", "--output", str(kept))
    last = cases.app.head()
    intruder.begin()
    intruder.sql(f"DELETE FROM {intruder.events} WHERE {intruder.position} = ?", (last,))
    intruder.sql(f"DELETE FROM {intruder.chain} WHERE notification_id = ?", (last,))
    intruder.commit()

    result = cli_on("verify", "--against", str(kept))

    assert cli_on("verify").exit_code == 0  # the last event and its link gone together
    assert result.exit_code == 1
    assert "historique réécrit" in result.output


@pytest.mark.parametrize(
    ("forge", "said"),
    [
        (lambda c: {**c, "head": "00" * 32}, "signature du point de contrôle invalide"),
        (lambda c: {**c, "position": c["position"] - 1}, "signature du point de contrôle invalide"),
        (lambda c: {**c, "key_id": "0123456789abcdef"}, "signé par une autre clé"),
        (lambda c: {**c, "signature": "not base64!"}, "point de contrôle illisible"),
        (lambda c: {"position": 1}, "point de contrôle illisible"),
        (lambda c: [], "point de contrôle illisible"),
    ],
)
def test_a_forged_or_broken_checkpoint_is_refused_in_words(
    cases: World,
    cli_on: Callable[..., Any],
    tmp_path: Path,
    forge: Callable[[dict[str, Any]], Any],
    said: str,
) -> None:
    kept = tmp_path / "checkpoint.json"
    cli_on("checkpoint", "--output", str(kept))
    kept.write_text(json.dumps(forge(json.loads(kept.read_text()))))

    result = cli_on("verify", "--against", str(kept))

    assert result.exit_code == 1
    assert said in result.output
    assert isinstance(result.exception, SystemExit)  # said, never a traceback


def test_a_checkpoint_signed_with_another_key_is_refused(
    cases: World, cli_on: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = tmp_path / "checkpoint.json"
    monkeypatch.setenv("ASPE_AUDIT_SIGNING_KEY", base64.b64encode(bytes(range(32))).decode())
    cli_on("checkpoint", "--output", str(kept))
    monkeypatch.delenv("ASPE_AUDIT_SIGNING_KEY")

    result = cli_on("verify", "--against", str(kept))

    assert result.exit_code == 1
    assert "signé par une autre clé" in result.output


def test_a_missing_or_unreadable_checkpoint_file_is_said(
    cases: World, cli_on: Callable[..., Any], tmp_path: Path
) -> None:
    (tmp_path / "binary.json").write_bytes(b"\xff\xfe\x00")

    for path in (tmp_path / "absent.json", tmp_path / "binary.json", tmp_path):
        result = cli_on("verify", "--against", str(path))

        assert result.exit_code == 1
        assert "point de contrôle illisible" in result.output
        assert isinstance(result.exception, SystemExit)


def test_a_store_written_before_the_chain_says_how_to_seal_it_and_is_sealed_once(
    cases: World, intruder: Intruder, cli_on: Callable[..., Any]
) -> None:
    intruder.begin()
    intruder.sql(f"DELETE FROM {intruder.chain}")  # as a store of an earlier version
    intruder.commit()

    before = cli_on("verify")
    sealed = cli_on("seal")
    again = cli_on("seal")

    assert before.exit_code == 1
    assert "position 1" in before.output
    assert "aspe audit seal" in before.output
    assert sealed.exit_code == 0
    assert f"{cases.app.head()} événements enchaînés" in sealed.output
    assert again.exit_code == 0
    assert "0 événements enchaînés" in again.output
    assert cli_on("verify").exit_code == 0


def test_events_stored_without_a_link_are_linked_before_the_next_write(
    cases: World, intruder: Intruder
) -> None:
    intruder.begin()
    intruder.sql(f"DELETE FROM {intruder.chain} WHERE notification_id > 10")  # an older writer
    intruder.commit()

    CaseStory(cases.departement, cases.referent, cases.new_household()).walk_to(Status.SUBMITTED)

    result = intruder.verification()
    assert result.intact
    assert result.checked == cases.app.head()


def test_more_unlinked_events_than_a_page_are_linked_before_the_next_write(
    cases: World, intruder: Intruder, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given more events without a link than the chain reads in one page (5,000; here 7)
    monkeypatch.setattr("aspe.audit.tables.PAGE", 7)
    intruder.begin()
    intruder.sql(f"DELETE FROM {intruder.chain} WHERE notification_id > 10")
    intruder.commit()

    # When the next command is stored
    CaseStory(cases.departement, cases.referent, cases.new_household()).walk_to(Status.SUBMITTED)

    # Then every event before it was linked, in order, and the chain verifies
    result = intruder.verification()
    assert result.intact
    assert result.checked == cases.app.head()
