"""Append benchmark: one-event commands through ASPE against raw INSERTs, on both stores.

For each store (PostgreSQL, SQLite) in one run (issue 17's measure):

1. build a département and ``--cases`` ACTIVE cases through the application (scenarios):
   the working set, larger than the aggregate cache (``--cache-size``, default Settings');
2. warm up with ``--warmup`` commands, whose stored rows give the raw rows their payloads;
3. append: ``--rounds`` interleaved rounds of one ``--block`` of each kind, the order
   rotating: (a) raw INSERT with plain psycopg / sqlite3, one transaction per row, into a
   copy of the events table; (b) on PostgreSQL, the same INSERT paying what the library's
   recorder pays per transaction, ``LOCK TABLE … IN EXCLUSIVE MODE`` and ``NOTIFY``;
   (c) one-event commands (``record_contact`` / ``record_visit``, French notes) on cases
   drawn at random, so that a share of them load from the store (the hit share is printed);
4. PostgreSQL: one writer against 8 writer threads on distinct cases, interleaved blocks;
5. pre-fill ``--prefill`` events (copies of the cases' real histories, with their snapshots,
   for other aggregates) straight into the tables, settle the store (PostgreSQL: VACUUM
   ANALYZE, CHECKPOINT), then send ``--rate`` commands/s at a fixed schedule for
   ``--open-loop-seconds``, each timed from its scheduled send.

Prints ops/s, p50 and p99 per kind over all its blocks, the ratios and the targets.
Quick run (``make bench-quick``): ``.venv/bin/python bench/append.py --quick``.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import psycopg
from psycopg.rows import TupleRow
from rich.console import Console
from rich.table import Table

from aspe.application import AspeApplication
from aspe.audit import store as audit_store
from aspe.demo.scenarios import Account, CaseStory, Clock, Departement
from aspe.domain.actors import acting_as
from aspe.domain.values import ContactChannel, LandlordCategory, Status, Theme, VisitKind
from aspe.settings import CHAINED_RECORDERS, Settings

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
SETUP_DAY = date(2025, 9, 1)
"""The day the cases are opened and their measure starts; commands are dated after it."""
MEASURE_DAY = SETUP_DAY + timedelta(days=120)
PREFILL_BATCH = 50_000

NOTES = (
    "Appel de Mme D. : la CAF confirme le versement de l'APL à compter du mois prochain. "
    "Le dossier FSL est déposé, réponse attendue après la commission du 14. Elle souhaite "
    "être accompagnée pour écrire au bailleur au sujet de l'échéancier proposé.",
    "Visite au domicile en présence des deux adultes. Le budget du mois est tenu, le loyer "
    "courant a été payé le 5. La chaudière n'est toujours pas réparée : relance du bailleur "
    "à faire. Rendez-vous pris au CCAS pour l'aide à l'énergie.",
    "M. K. a reçu une proposition d'emploi en CDD de six mois. Point sur les charges et le "
    "reste à vivre ; l'accord de plan d'apurement peut être tenu. Orientation vers la PMI "
    "pour le suivi médical du plus jeune enfant, rendez-vous le 22.",
    "SMS du ménage : empêchement pour le rendez-vous de jeudi (enfant malade). Nouveau "
    "créneau proposé lundi à 14 h au bureau de l'association ; documents à apporter : avis "
    "d'imposition, trois derniers bulletins de salaire, attestation CAF.",
)
THEMES = ((Theme.BUDGET,), (Theme.HOUSING, Theme.MEDIATION), (Theme.EMPLOYMENT, Theme.HEALTH))


# ------------------------------------------------------------------------- results
@dataclass(frozen=True)
class Measure:
    """Per-operation wall times of one measured loop."""

    label: str
    seconds: list[float]
    elapsed: float

    @property
    def rate(self) -> float:
        return len(self.seconds) / self.elapsed

    def quantile_ms(self, q: int) -> float:
        return statistics.quantiles(self.seconds, n=100, method="inclusive")[q - 1] * 1000


def timed_loop(label: str, count: int, operation: Callable[[int], object]) -> Measure:
    seconds: list[float] = []
    clock = time.perf_counter
    start = clock()
    for index in range(count):
        began = clock()
        operation(index)
        seconds.append(clock() - began)
    return Measure(label, seconds, clock() - start)


# -------------------------------------------------------------------------- stores
Row = tuple[uuid.UUID, int, str, bytes]
"""A stored event row: originator id, version, topic, state."""
COLUMNS = "originator_id, originator_version, topic, state"
ORDER = "originator_id, originator_version"


class Store(Protocol):
    """What the benchmark needs of an event store besides the application itself."""

    name: str
    settings: Settings

    def rows(self, table: str, originators: Sequence[uuid.UUID]) -> list[Row]: ...

    pays_lock_and_notify: bool
    """Whether the library's insert takes a table lock and sends a NOTIFY (PostgreSQL)."""

    def create_raw_table(self, like: str, name: str) -> str: ...
    def raw_inserter(
        self, table: str, *, lock_and_notify: bool = False
    ) -> AbstractContextManager[Callable[[Row], None]]: ...
    def bulk_insert(self, table: str, rows: Iterator[Row]) -> None: ...
    def settle(self, tables: Sequence[str]) -> None: ...


class PostgresStore:
    """A schema of its own in the ``test`` database, dropped afterwards."""

    name = "PostgreSQL"
    pays_lock_and_notify = True

    def __init__(self, schema: str, snapshot_interval: int) -> None:
        self.schema = schema
        self.settings = Settings(
            database_url=POSTGRES_URL,
            database_schema=schema,
            snapshot_interval=snapshot_interval,
        )

    def connect(self) -> psycopg.Connection[TupleRow]:
        return psycopg.connect(POSTGRES_URL, autocommit=True)

    def rows(self, table: str, originators: Sequence[uuid.UUID]) -> list[Row]:
        with self.connect() as conn:
            result = conn.execute(
                f'SELECT {COLUMNS} FROM "{self.schema}"."{table}" '
                f"WHERE originator_id = ANY(%s) ORDER BY {ORDER}",
                (list(originators),),
            ).fetchall()
        return [(r[0], r[1], r[2], bytes(r[3])) for r in result]

    def create_raw_table(self, like: str, name: str) -> str:
        """The same columns, primary key, sequence and notification index as ``like``."""
        table = f"{name}_{like}"
        with self.connect() as conn:
            conn.execute(
                f'CREATE TABLE "{self.schema}"."{table}" ('
                "originator_id uuid NOT NULL, originator_version bigint NOT NULL, "
                "topic text, state bytea, notification_id bigserial, "
                "PRIMARY KEY (originator_id, originator_version))"
            )
            conn.execute(f'CREATE UNIQUE INDEX ON "{self.schema}"."{table}" (notification_id ASC)')
        return table

    @contextmanager
    def raw_inserter(
        self, table: str, *, lock_and_notify: bool = False
    ) -> Iterator[Callable[[Row], None]]:
        """One INSERT … RETURNING per transaction.

        Plain: one prepared autocommit statement, the cheapest one-row transaction. With
        ``lock_and_notify``: what eventsourcing's ``PostgresApplicationRecorder`` sends
        per insert (its ``_insert_stored_events``, DB functions off as in ``Settings``):
        in one pipelined transaction, ``SET LOCAL lock_timeout``, ``LOCK TABLE … IN
        EXCLUSIVE MODE`` (so insert order is commit order), ``NOTIFY`` on the table's
        channel, the INSERT, then a sync before fetching the id.
        """
        qualified = f'"{self.schema}"."{table}"'
        statement = (
            f"INSERT INTO {qualified} (originator_id, originator_version, topic, state) "
            "VALUES (%s, %s, %s, %s) RETURNING notification_id"
        )
        lock = ("SET LOCAL lock_timeout = '0s'", f"LOCK TABLE {qualified} IN EXCLUSIVE MODE")
        notify = f'NOTIFY "{table}"'
        with self.connect() as conn, conn.cursor() as cursor:

            def insert(row: Row) -> None:
                cursor.execute(statement, row, prepare=True)
                cursor.fetchone()

            def insert_paying_lock_and_notify(row: Row) -> None:
                with conn.pipeline() as pipeline, conn.transaction():
                    for lock_statement in lock:
                        cursor.execute(lock_statement, prepare=True)
                    cursor.execute(notify)
                    cursor.execute(statement, row, prepare=True)
                    pipeline.sync()
                    cursor.fetchone()

            yield insert_paying_lock_and_notify if lock_and_notify else insert

    def bulk_insert(self, table: str, rows: Iterator[Row]) -> None:
        """Binary COPY, one transaction per ``PREFILL_BATCH`` rows."""
        copy = (
            f'COPY "{self.schema}"."{table}" (originator_id, originator_version, topic, state) '
            "FROM STDIN (FORMAT BINARY)"
        )
        with self.connect() as conn:
            for batch in batched(rows, PREFILL_BATCH):
                with conn.transaction(), conn.cursor().copy(copy) as writer:
                    writer.set_types(["uuid", "int8", "text", "bytea"])
                    for row in batch:
                        writer.write_row(row)

    def settle(self, tables: Sequence[str]) -> None:
        """The state service would reach after slow growth rather than a bulk load.

        VACUUM ANALYZE, as autovacuum would have done; then CHECKPOINT, or the checkpoint
        the gigabyte of bulk-load WAL sets off would be writing out for minutes during the
        measure, and every page the commands touch would first go to the WAL whole.
        """
        with self.connect() as conn:
            for table in tables:
                conn.execute(f'VACUUM ANALYZE "{self.schema}"."{table}"')
            conn.execute("CHECKPOINT")

    def drop(self) -> None:
        with self.connect() as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')


class SQLiteStore:
    """A file under a temporary directory, in WAL mode like the library's recorder."""

    name = "SQLite"
    pays_lock_and_notify = False

    def __init__(self, directory: Path, snapshot_interval: int) -> None:
        self.path = directory / "events.sqlite"
        self.settings = Settings(
            database_url=f"sqlite:///{self.path}", snapshot_interval=snapshot_interval
        )

    def connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        return conn

    def rows(self, table: str, originators: Sequence[uuid.UUID]) -> list[Row]:
        marks = ",".join("?" * len(originators))
        conn = self.connect()
        try:
            result = conn.execute(
                f"SELECT {COLUMNS} FROM {table} WHERE originator_id IN ({marks}) ORDER BY {ORDER}",
                [o.hex for o in originators],
            ).fetchall()
        finally:
            conn.close()
        return [(uuid.UUID(r[0]), r[1], r[2], r[3]) for r in result]

    def create_raw_table(self, like: str, name: str) -> str:
        """The same shape as the library's ``stored_events``: rowid and primary key."""
        table = f"{name}_{like}"
        conn = self.connect()
        try:
            conn.execute(
                f"CREATE TABLE {table} (originator_id TEXT, originator_version INTEGER, "
                "topic TEXT, state BLOB, PRIMARY KEY (originator_id, originator_version))"
            )
        finally:
            conn.close()
        return table

    @contextmanager
    def raw_inserter(
        self, table: str, *, lock_and_notify: bool = False
    ) -> Iterator[Callable[[Row], None]]:
        """BEGIN, INSERT, COMMIT per row, as the library's recorder does (no lock to pay)."""
        statement = f"INSERT INTO {table} VALUES (?, ?, ?, ?)"
        conn = self.connect()

        def insert(row: Row) -> None:
            conn.execute("BEGIN")
            conn.execute(statement, (row[0].hex, row[1], row[2], row[3]))
            conn.execute("COMMIT")

        try:
            yield insert
        finally:
            conn.close()

    def bulk_insert(self, table: str, rows: Iterator[Row]) -> None:
        statement = f"INSERT INTO {table} VALUES (?, ?, ?, ?)"
        conn = self.connect()
        try:
            for batch in batched(rows, PREFILL_BATCH):
                conn.execute("BEGIN")
                conn.executemany(statement, [(r[0].hex, r[1], r[2], r[3]) for r in batch])
                conn.execute("COMMIT")
        finally:
            conn.close()

    def settle(self, tables: Sequence[str]) -> None:
        """Nothing: SQLite has no autovacuum or statistics that service would have built.

        (Truncating the WAL here would make the next thousand commits grow the file, and
        slow each ``fdatasync``: measured at 4x per insert.)
        """


def batched(rows: Iterator[Row], size: int) -> Iterator[list[Row]]:
    batch: list[Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


@contextmanager
def open_store(backend: str, snapshot_interval: int) -> Iterator[Store]:
    if backend == "postgres":
        store = PostgresStore(f"aspe_bench_{uuid.uuid4().hex[:8]}", snapshot_interval)
        with store.connect() as conn:
            conn.execute(f'CREATE SCHEMA "{store.schema}"')
        try:
            yield store
        finally:
            store.drop()
    else:
        with tempfile.TemporaryDirectory(prefix="aspe-bench-") as directory:
            yield SQLiteStore(Path(directory), snapshot_interval)


# ----------------------------------------------------------------- the application
# ----------------------------------------------------------------- the application
WRITERS = 8
RECORDERS = {
    "prepared": CHAINED_RECORDERS["postgres"],
    "library": "aspe.audit.recorders:ChainedPostgresApplicationRecorder",
}
"""``--recorder``: the event store's PostgreSQL recorder, ours (issue 17) or the library's
insert path with the same chain link."""
"""Concurrent writer threads of the concurrency measure (issue 17's target: ≥ 2× one)."""


@dataclass(frozen=True)
class Fleet:
    """The ACTIVE cases the commands go to, with the referent who records on each."""

    clock: Clock
    cases: list[tuple[uuid.UUID, Account]]

    def share(self, writer: int, writers: int) -> Fleet:
        """Writer ``writer``'s cases: no two writers ever command the same case."""
        return Fleet(self.clock, self.cases[writer::writers])


def open_application(
    settings: Settings, overrides: dict[str, str], cache_size: int | None
) -> AspeApplication:
    """As ``bootstrap.build_application``, with a pool for every writer and env overrides."""
    settings = settings.model_copy(update={"postgres_pool_size": WRITERS + 2})
    if cache_size is not None:
        settings = settings.model_copy(update={"aggregate_cache_size": cache_size})
    env = {**settings.eventsourcing_env("events"), **overrides}
    return AspeApplication(
        env=env, rules=settings.rules, snapshot_interval=settings.snapshot_interval
    )


def build_fleet(app: AspeApplication, cases: int, referents_per_association: int = 8) -> Fleet:
    clock = Clock()
    clock.set_day(SETUP_DAY)
    departement = Departement(app, clock)
    landlord_id, _ = departement.add_landlord("Habitat du Rhône", LandlordCategory.SOCIAL)
    associations = [
        departement.add_association(
            f"Association {n}", [f"Référent {n}-{r}" for r in range(referents_per_association)]
        )
        for n in range(max(1, cases // 100))
    ]
    referents = [referent for association in associations for referent in association.referents]
    fleet: list[tuple[uuid.UUID, Account]] = []
    for index in range(cases):
        referent = referents[index % len(referents)]
        household = departement.add_household(referent, landlord_id, f"Ménage {index}")
        story = CaseStory(departement, referent, household)
        fleet.append((story.walk_to(Status.ACTIVE), referent))
    clock.set_day(MEASURE_DAY)
    return Fleet(clock, fleet)


@dataclass
class CacheMix:
    """How many commands found their case in the aggregate cache before they ran."""

    hits: int = 0
    misses: int = 0

    def count(self, app: AspeApplication, case_id: uuid.UUID) -> None:
        # The LRU cache's dict, peeked at so that looking does not reorder it.
        cached: dict[Any, Any] = getattr(app.repository.cache, "cache", {})
        if case_id in cached:
            self.hits += 1
        else:
            self.misses += 1

    @property
    def hit_share(self) -> float:
        return self.hits / max(1, self.hits + self.misses)


def command_runner(
    app: AspeApplication, fleet: Fleet, seed: int, mix: CacheMix
) -> Callable[[int], int]:
    """Command ``index``: a contact or a visit on a case drawn at random from the fleet.

    Random draws, not round-robin: with a fleet larger than the cache, round-robin would
    evict every case just before its turn (no hit at all); random draws hit in about the
    proportion cache size ÷ fleet, like a real working set.
    """
    draw = random.Random(seed)

    def run(index: int) -> int:
        case_id, referent = fleet.cases[draw.randrange(len(fleet.cases))]
        mix.count(app, case_id)
        day = SETUP_DAY + timedelta(days=index % 100)
        note = NOTES[index % len(NOTES)]
        themes = THEMES[index % len(THEMES)]
        with acting_as(referent.actor, clock=fleet.clock):
            if index % 2:
                return app.record_visit(case_id, day, VisitKind.HOME, themes, note)
            return app.record_contact(case_id, day, ContactChannel.PHONE, True, themes, note)

    return run


# ------------------------------------------------------------------------- phases
def raw_rows(samples: list[Row], originators: int, count: int) -> list[Row]:
    """``count`` rows with the sampled topics and states, keyed like the commands' events."""
    ids = [uuid.uuid4() for _ in range(originators)]
    return [
        (ids[n % originators], n // originators + 1, samples[n % len(samples)][2],
         samples[n % len(samples)][3])
        for n in range(count)
    ]  # fmt: skip


def prefill_rows(histories: list[Row], total: int) -> Iterator[Row]:
    """Copies of real case histories under new originator ids, ``total`` rows in all."""
    by_case: dict[uuid.UUID, list[Row]] = {}
    for row in histories:
        by_case.setdefault(row[0], []).append(row)
    templates = list(by_case.values())
    written = 0
    while written < total:
        template = templates[written % len(templates)]
        copy_id = uuid.uuid4()
        for _, version, topic, state in template[: total - written]:
            yield copy_id, version, topic, state
        written += min(len(template), total - written)


def snapshot_rows(snapshots: list[Row], events: int, histories: int) -> Iterator[Row]:
    """Snapshots in the proportion the real cases have them, for other aggregates."""
    count = len(snapshots) * events // max(1, histories)
    for n in range(count):
        _, version, topic, state = snapshots[n % len(snapshots)]
        yield uuid.uuid4(), version, topic, state


class Phases:
    """Logs how long each phase of a store's run took."""

    def __init__(self, store: str, console: Console) -> None:
        self.store, self.console = store, console
        self.seconds: dict[str, float] = {}
        self._mark = time.perf_counter()

    def done(self, name: str) -> None:
        now = time.perf_counter()
        self.seconds[name] = now - self._mark
        self._mark = now
        self.console.log(f"{self.store}: {name} done in {self.seconds[name]:.1f} s")


def interleave(
    kinds: dict[str, Callable[[int, int], Measure]], rounds: int, block: int
) -> dict[str, Measure]:
    """``rounds`` rounds of one ``block`` of each kind; each kind's blocks merged.

    The order of the kinds rotates from round to round, so that no kind always runs
    first (after the others' checkpoints and autovacuum) or last. Noise from the shared
    machine then falls on every kind alike, and the ratios stay put where rates move.
    """
    measures: dict[str, list[Measure]] = {label: [] for label in kinds}
    labels = list(kinds)
    for round_ in range(rounds):
        shift = round_ % len(labels)
        for label in labels[shift:] + labels[:shift]:
            measures[label].append(kinds[label](round_ * block, block))
    return {label: merged(label, blocks) for label, blocks in measures.items()}


def merged(label: str, blocks: list[Measure]) -> Measure:
    return Measure(
        label,
        [seconds for block in blocks for seconds in block.seconds],
        sum(block.elapsed for block in blocks),
    )


def raw_blocks(
    stack: ExitStack, store: Store, like: str, samples: list[Row], originators: int, count: int
) -> dict[str, Callable[[int, int], Measure]]:
    """The raw INSERT kinds: plain, and (PostgreSQL) paying the library's lock and NOTIFY."""
    kinds = {"raw INSERT": False}
    if store.pays_lock_and_notify:
        kinds["raw INSERT + lock + NOTIFY"] = True
    blocks: dict[str, Callable[[int, int], Measure]] = {}
    for number, (label, lock_and_notify) in enumerate(kinds.items()):
        table = store.create_raw_table(like, f"raw{number}")
        insert = stack.enter_context(store.raw_inserter(table, lock_and_notify=lock_and_notify))
        rows = raw_rows(samples, originators, count)
        blocks[label] = _raw_block(label, insert, rows)
    return blocks


def _raw_block(
    label: str, insert: Callable[[Row], None], rows: list[Row]
) -> Callable[[int, int], Measure]:
    return lambda start, count: timed_loop(label, count, lambda n: insert(rows[start + n]))


def command_block(label: str, run: Callable[[int], object]) -> Callable[[int, int], Measure]:
    return lambda start, count: timed_loop(label, count, lambda n: run(start + n))


def shifted(run: Callable[[int], object], start: int) -> Callable[[int], object]:
    """``run`` numbering its operations from ``start``."""
    return lambda n: run(start + n)


def writers_block(
    label: str, pool: ThreadPoolExecutor, runs: Sequence[Callable[[int], object]]
) -> Callable[[int, int], Measure]:
    """``count`` commands shared among the writers, each on its own cases, timed as a whole."""

    def block(start: int, count: int) -> Measure:
        share = count // len(runs)
        began = time.perf_counter()
        futures = [pool.submit(timed_loop, label, share, shifted(run, start)) for run in runs]
        parts = [future.result() for future in futures]
        elapsed = time.perf_counter() - began
        return Measure(label, [s for part in parts for s in part.seconds], elapsed)

    return block


def open_loop(run: Callable[[int], object], rate: float, seconds: float) -> Measure:
    """Commands sent at a fixed schedule, each timed from when it was due, not sent.

    A closed loop would wait for each command before sending the next and hide the queue
    a slow command builds; timing from the schedule counts that wait in every late one.
    """
    count = max(2, round(rate * seconds))
    latencies: list[float] = []
    clock = time.perf_counter
    start = clock()
    for index in range(count):
        due = start + index / rate
        if (delay := due - clock()) > 0:
            time.sleep(delay)
        run(index)
        latencies.append(clock() - due)
    return Measure(f"open loop {rate:g}/s", latencies, clock() - start)


def prefill(store: Store, app: AspeApplication, case_ids: list[uuid.UUID], total: int) -> None:
    """``total`` events copied from the cases' histories, and their share of snapshots.

    The copies are then linked into the audit chain (``aspe audit seal``), as a store grown
    in service would be; unlinked, the first command after them would link them all.
    """
    events_table, snapshots_table = table_names(app)
    histories = store.rows(events_table, case_ids)
    snapshots = store.rows(snapshots_table, case_ids)
    store.bulk_insert(events_table, prefill_rows(histories, total))
    store.bulk_insert(snapshots_table, snapshot_rows(snapshots, total, len(histories)))
    audit_store.seal(app)
    store.settle([events_table, snapshots_table])


def table_names(app: AspeApplication) -> tuple[str, str]:
    """The application's events and snapshots tables."""
    assert app.snapshots is not None
    recorders: list[Any] = [app.recorder, app.snapshots.recorder]
    return recorders[0].events_table_name, recorders[1].events_table_name


@dataclass
class Report:
    backend: str
    cases: int
    cache_size: int
    append: dict[str, Measure]
    mix: CacheMix
    writers: dict[str, Measure]
    open_loop: Measure | None
    prefill_events: int
    state_bytes: float
    phases: dict[str, float]


def bench_store(store: Store, args: argparse.Namespace, console: Console) -> Report:
    """Interleaved raw and command blocks, one writer against eight, then the open loop."""
    phases = Phases(store.name, console)
    overrides = dict(args.env)
    if store.pays_lock_and_notify:  # PostgreSQL: the recorder chosen by --recorder
        overrides.setdefault("APPLICATION_RECORDER_TOPIC", RECORDERS[args.recorder])
    app = open_application(store.settings, overrides, args.cache_size)
    cache_size = getattr(app.repository.cache, "maxsize", 0) or 0
    mix = CacheMix()
    try:
        fleet = build_fleet(app, args.cases)
        phases.done("setup")
        events_table, _ = table_names(app)
        case_ids = [case_id for case_id, _ in fleet.cases]
        before = {row[:2] for row in store.rows(events_table, case_ids)}
        timed_loop("warm-up", args.warmup, command_runner(app, fleet, 0, CacheMix()))
        samples = [row for row in store.rows(events_table, case_ids) if row[:2] not in before]
        phases.done("warm-up")
        total = args.rounds * args.block
        with ExitStack() as stack:
            kinds = raw_blocks(stack, store, events_table, samples, len(case_ids), total)
            kinds["commands"] = command_block("commands", command_runner(app, fleet, 1, mix))
            append = interleave(kinds, args.rounds, args.block)
        phases.done(f"append, {args.rounds} rounds of {args.block}")
        writers = measure_writers(app, fleet, args) if store.pays_lock_and_notify else {}
        if writers:
            phases.done(f"1 writer against {WRITERS}")
        measured_open_loop = None
        if args.prefill:
            prefill(store, app, case_ids, args.prefill)
            phases.done(f"pre-fill of {args.prefill:,} events")
            run = command_runner(app, fleet, 3, CacheMix())
            measured_open_loop = open_loop(run, args.rate, args.open_loop_seconds)
            phases.done(f"open loop at {args.rate:g}/s")
    finally:
        app.close()
    state_bytes = statistics.fmean(len(row[3]) for row in samples)
    return Report(
        store.name, args.cases, cache_size, append, mix, writers, measured_open_loop,
        args.prefill, state_bytes, phases.seconds,
    )  # fmt: skip


def measure_writers(
    app: AspeApplication, fleet: Fleet, args: argparse.Namespace
) -> dict[str, Measure]:
    """One writer against ``WRITERS`` threads on distinct cases, in interleaved blocks."""
    runs = [
        command_runner(app, fleet.share(writer, WRITERS), 100 + writer, CacheMix())
        for writer in range(WRITERS)
    ]
    alone = command_runner(app, fleet, 2, CacheMix())
    with ThreadPoolExecutor(WRITERS) as pool:
        kinds = {
            "1 writer": command_block("1 writer", alone),
            f"{WRITERS} writers": writers_block(f"{WRITERS} writers", pool, runs),
        }
        return interleave(kinds, args.rounds, args.block)


# ------------------------------------------------------------------------- output
def append_table(reports: list[Report], args: argparse.Namespace) -> Table:
    table = Table(
        title=f"One-event commands against raw INSERTs: {args.rounds} interleaved rounds "
        f"of {args.block} of each, one transaction each"
    )
    for column in ("store", "what", "ops/s", "p50 ms", "p99 ms", "ratio", "target", "met"):
        table.add_column(column, justify="left" if column in ("store", "what") else "right")
    for report in reports:
        commands = report.append["commands"]
        for label, measure in report.append.items():
            table.add_row(report.backend if label == "raw INSERT" else "", label,
                          *figures(measure), "", "", "")  # fmt: skip
        for label, measure in report.append.items():
            if label == "commands":
                continue
            ratio = commands.rate / measure.rate
            targeted = "NOTIFY" in label
            table.add_row(
                "", f"commands ÷ {label}", "", "", "", f"{ratio:.1%}",
                "≥ 40 %" if targeted else "", met(ratio >= 0.40) if targeted else "",
            )  # fmt: skip
    return table


def writers_table(reports: list[Report]) -> Table:
    table = Table(title=f"1 writer against {WRITERS} writer threads on distinct cases")
    for column in ("store", "what", "ops/s", "p50 ms", "p99 ms", "ratio", "target", "met"):
        table.add_column(column, justify="left" if column in ("store", "what") else "right")
    for report in reports:
        if not report.writers:
            continue
        one, many = report.writers.values()
        ratio = many.rate / one.rate
        table.add_row(report.backend, one.label, *figures(one), "", "", "")
        table.add_row("", many.label, *figures(many), f"×{ratio:.2f}", "≥ ×2", met(ratio >= 2))
    return table


def open_loop_table(reports: list[Report]) -> Table:
    table = Table(title="Open loop on the pre-filled store, latency from the scheduled send")
    for column in ("store", "what", "commands", "p50 ms", "p99 ms", "target", "met"):
        table.add_column(column, justify="left" if column in ("store", "what") else "right")
    for report in reports:
        measure = report.open_loop
        if measure is None:
            continue
        p99 = measure.quantile_ms(99)
        table.add_row(
            report.backend, f"{measure.label}, {report.prefill_events:,} stored",
            f"{len(measure.seconds):,}", f"{measure.quantile_ms(50):.2f}", f"{p99:.2f}",
            "p99 ≤ 50 ms", met(p99 <= 50),
        )  # fmt: skip
    return table


def met(ok: bool) -> str:
    return "yes" if ok else "NO"


def figures(measure: Measure) -> tuple[str, str, str]:
    return (
        f"{measure.rate:,.0f}",
        f"{measure.quantile_ms(50):.2f}",
        f"{measure.quantile_ms(99):.2f}",
    )


def env_pair(text: str) -> tuple[str, str]:
    key, equals, value = text.partition("=")
    if not key or not equals:
        raise argparse.ArgumentTypeError("expected KEY=VALUE")
    return key, value


def positive(text: str) -> int:
    number = int(text)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


QUICK = {
    "rounds": 6,
    "block": 96,
    "cases": 300,
    "cache_size": 200,
    "prefill": 100_000,
    "open_loop_seconds": 10.0,
    "warmup": 200,
}
"""``--quick``: a smaller fleet with a cache shrunk below it, to keep the miss mix cheap."""


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help=f"a few minutes: {QUICK}")
    parser.add_argument("--rounds", type=positive, default=15, help="interleaved rounds")
    parser.add_argument(
        "--block",
        type=positive,
        default=200,
        help=f"operations per block (a multiple of {WRITERS})",
    )
    parser.add_argument(
        "--prefill", type=int, default=1_000_000, help="events pre-filled (0: skip)"
    )
    parser.add_argument(
        "--cases", type=positive, default=1500,
        help="ACTIVE cases commanded: the working set, larger than the aggregate cache",
    )  # fmt: skip
    parser.add_argument(
        "--cache-size", type=int, help="ASPE_AGGREGATE_CACHE_SIZE (default: Settings')"
    )
    parser.add_argument(
        "--snapshot-interval",
        type=positive,
        default=Settings.model_fields["snapshot_interval"].default,
        help="ASPE_SNAPSHOT_INTERVAL of the application (a Case snapshot every N events)",
    )
    parser.add_argument("--warmup", type=positive, default=500, help="untimed commands first")
    parser.add_argument("--rate", type=float, default=30.0, help="open-loop commands per second")
    parser.add_argument(
        "--open-loop-seconds", type=float, default=60.0, help="length of the open loop"
    )
    parser.add_argument(
        "--backends", nargs="+", choices=("postgres", "sqlite"), default=["postgres", "sqlite"]
    )
    parser.add_argument(
        "--recorder", choices=tuple(RECORDERS), default="prepared",
        help="PostgreSQL recorder: ours (prepared) or the library's insert path (library)",
    )  # fmt: skip
    parser.add_argument(
        "--env", type=env_pair, action="append", default=[], metavar="KEY=VALUE",
        help="eventsourcing env override, e.g. AGGREGATE_CACHE_FASTFORWARD=n",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.quick:
        for name, value in QUICK.items():
            setattr(args, name, value)
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    console = Console(width=max(110, Console().width))
    started = time.perf_counter()
    reports: list[Report] = []
    for backend in args.backends:
        with open_store(backend, args.snapshot_interval) as store:
            reports.append(bench_store(store, args, console))
    console.print(append_table(reports, args))
    console.print(writers_table(reports))
    console.print(open_loop_table(reports))
    for report in reports:
        console.print(
            f"{report.backend}: working set {report.cases:,} cases, aggregate cache "
            f"{report.cache_size:,}: {report.mix.hit_share:.0%} of the measured commands "
            f"found their case cached; stored state {report.state_bytes:,.0f} bytes per "
            "event on average; phases: "
            + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in report.phases.items())
        )
    overrides = ", ".join(f"{k}={v}" for k, v in args.env) or "none"
    console.print(
        f"snapshot interval {args.snapshot_interval}; recorder {args.recorder}; "
        f"env overrides: {overrides}; "
        f"total {time.perf_counter() - started:.0f} s "
        f"at {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )


if __name__ == "__main__":
    main()
