"""Append benchmark: one-event commands through ASPE against a raw INSERT, on both stores.

For each store (PostgreSQL, SQLite) in one run:

1. build a département and ``--cases`` ACTIVE cases through the application (scenarios);
2. warm up with ``--warmup`` commands, whose stored rows give the payloads of the baseline;
3. raw baseline: ``--commands`` rows of the same size (the stored topic and state bytes)
   inserted with plain psycopg / sqlite3 into a copy of the events table, one transaction
   per row, keys spread over as many originators as there are cases;
4. ``--commands`` commands (``record_contact`` / ``record_visit`` alternately, with a French
   note), round-robin over the cases, each timed on its own;
5. pre-fill ``--prefill`` events (copies of the cases' real histories, with their snapshots,
   for other aggregates) straight into the tables in large transactions, settle the store
   (PostgreSQL: VACUUM ANALYZE, CHECKPOINT), and measure the same commands again on a
   second fleet of cases built at the start, identical to the first.

Prints commands/s, p50 and p99 per command, the ratio to raw and to the empty store.
Quick run: ``.venv/bin/python bench/append.py --commands 2000 --prefill 100000``.
"""

from __future__ import annotations

import argparse
import cProfile
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, TypeVar

import psycopg
from psycopg.rows import TupleRow
from rich.console import Console
from rich.table import Table

from aspe.application import AspeApplication
from aspe.demo.scenarios import Account, CaseStory, Clock, Departement
from aspe.domain.actors import acting_as
from aspe.domain.values import ContactChannel, LandlordCategory, Status, Theme, VisitKind
from aspe.settings import Settings

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
SETUP_DAY = date(2025, 9, 1)
"""The day the cases are opened and their measure starts; commands are dated after it."""
MEASURE_DAY = SETUP_DAY + timedelta(days=120)
PREFILL_BATCH = 50_000
T = TypeVar("T")

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
    parts: dict[str, float] = field(default_factory=dict)
    """Seconds spent in library calls, by ``Breakdown`` name."""

    @property
    def rate(self) -> float:
        return len(self.seconds) / self.elapsed

    def quantile_ms(self, q: int) -> float:
        return statistics.quantiles(self.seconds, n=100, method="inclusive")[q - 1] * 1000


class Breakdown:
    """Wall time spent in a few library calls, counted at the outermost wrapped call only.

    ``load`` is ``repository.get``, ``insert`` the events' ``put`` (the write transaction),
    ``snapshot`` ``take_snapshot`` (its own reconstruction and insert included).
    """

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._depth = 0

    def wrap(self, name: str, function: Callable[..., T]) -> Callable[..., T]:
        def timed(*args: object, **kwargs: object) -> T:
            if self._depth:
                return function(*args, **kwargs)
            self._depth += 1
            began = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - began
                self._depth -= 1

        return timed

    def instrument(self, app: AspeApplication) -> None:
        app.repository.get = self.wrap("load", app.repository.get)  # type: ignore[method-assign]
        app.events.put = self.wrap("insert", app.events.put)  # type: ignore[method-assign]
        app.take_snapshot = self.wrap("snapshot", app.take_snapshot)  # type: ignore[method-assign]

    def reset(self) -> dict[str, float]:
        seconds, self.seconds = self.seconds, {}
        return seconds


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
    def create_raw_table(self, like: str) -> str: ...
    def raw_inserter(self, table: str) -> AbstractContextManager[Callable[[Row], None]]: ...
    def bulk_insert(self, table: str, rows: Iterator[Row]) -> None: ...
    def settle(self, tables: Sequence[str]) -> None: ...


class PostgresStore:
    """A schema of its own in the ``test`` database, dropped afterwards."""

    name = "PostgreSQL"

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

    def create_raw_table(self, like: str) -> str:
        """The same columns, primary key, sequence and notification index as ``like``."""
        table = f"raw_{like}"
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
    def raw_inserter(self, table: str) -> Iterator[Callable[[Row], None]]:
        """One autocommit INSERT … RETURNING per row: the cheapest one-row transaction."""
        statement = (
            f'INSERT INTO "{self.schema}"."{table}" '
            "(originator_id, originator_version, topic, state) "
            "VALUES (%s, %s, %s, %s) RETURNING notification_id"
        )
        with self.connect() as conn, conn.cursor() as cursor:

            def insert(row: Row) -> None:
                cursor.execute(statement, row, prepare=True)
                cursor.fetchone()

            yield insert

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

    def create_raw_table(self, like: str) -> str:
        """The same shape as the library's ``stored_events``: rowid and primary key."""
        table = f"raw_{like}"
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
    def raw_inserter(self, table: str) -> Iterator[Callable[[Row], None]]:
        """BEGIN, INSERT, COMMIT per row, as the library's recorder does."""
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
@dataclass(frozen=True)
class Fleet:
    """The ACTIVE cases the commands go to, with the referent who records on each."""

    clock: Clock
    cases: list[tuple[uuid.UUID, Account]]


def open_application(settings: Settings, overrides: dict[str, str]) -> AspeApplication:
    """As ``bootstrap.build_application``, with optional eventsourcing env overrides."""
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


def command_runner(app: AspeApplication, fleet: Fleet, offset: int) -> Callable[[int], int]:
    """Command number ``offset + index``: a contact or a visit on the next case in turn."""

    def run(index: int) -> int:
        number = offset + index
        case_id, referent = fleet.cases[number % len(fleet.cases)]
        day = SETUP_DAY + timedelta(days=number % 100)
        note = NOTES[number % len(NOTES)]
        themes = THEMES[number % len(THEMES)]
        with acting_as(referent.actor, clock=fleet.clock):
            if number % 2:
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


@dataclass
class Report:
    backend: str
    raw: Measure
    empty: Measure
    prefilled: Measure | None
    prefill_events: int
    state_bytes: float
    phases: dict[str, float]


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


def measure_commands(
    label: str,
    run: Callable[[int], object],
    count: int,
    breakdown: Breakdown,
    profile: Path | None,
) -> Measure:
    """``count`` commands, optionally under cProfile, with the library-call breakdown."""
    breakdown.reset()
    if profile is None:
        measure = timed_loop(label, count, run)
    else:
        profiler = cProfile.Profile()
        measure = profiler.runcall(timed_loop, label, count, run)
        profiler.dump_stats(profile)
    return replace(measure, parts=breakdown.reset())


def measure_raw(
    store: Store, like: str, samples: list[Row], originators: int, count: int
) -> Measure:
    rows = raw_rows(samples, originators, count)
    with store.raw_inserter(store.create_raw_table(like)) as insert:
        return timed_loop("raw", count, lambda n: insert(rows[n]))


def prefill(store: Store, app: AspeApplication, case_ids: list[uuid.UUID], total: int) -> None:
    """``total`` events copied from the cases' histories, and their share of snapshots."""
    events_table, snapshots_table = table_names(app)
    histories = store.rows(events_table, case_ids)
    snapshots = store.rows(snapshots_table, case_ids)
    store.bulk_insert(events_table, prefill_rows(histories, total))
    store.bulk_insert(snapshots_table, snapshot_rows(snapshots, total, len(histories)))
    store.settle([events_table, snapshots_table])


def table_names(app: AspeApplication) -> tuple[str, str]:
    """The application's events and snapshots tables."""
    assert app.snapshots is not None
    recorders: list[Any] = [app.recorder, app.snapshots.recorder]
    return recorders[0].events_table_name, recorders[1].events_table_name


def bench_store(store: Store, args: argparse.Namespace, console: Console) -> Report:
    """Raw inserts, then commands on an empty store, then on a pre-filled one.

    The pre-filled measure runs on a second, identical fleet built at the start, so that
    both measures command aggregates of the same history and only the store size differs.
    """
    phases = Phases(store.name, console)
    app = open_application(store.settings, dict(args.env))
    breakdown = Breakdown()
    breakdown.instrument(app)

    def profile(label: str) -> Path | None:
        return args.profile / f"{store.name.lower()}-{label}.pstats" if args.profile else None

    try:
        fleets = [build_fleet(app, args.cases) for _ in range(2 if args.prefill else 1)]
        phases.done("setup")
        events_table, _ = table_names(app)
        case_ids = [case_id for case_id, _ in fleets[0].cases]
        before = {row[:2] for row in store.rows(events_table, case_ids)}
        timed_loop("warm-up", args.warmup, command_runner(app, fleets[0], 0))
        samples = [row for row in store.rows(events_table, case_ids) if row[:2] not in before]
        phases.done("warm-up")
        raw = measure_raw(store, events_table, samples, len(case_ids), args.commands)
        phases.done("raw inserts")
        run = command_runner(app, fleets[0], args.warmup)
        empty = measure_commands("empty", run, args.commands, breakdown, profile("empty"))
        phases.done("commands, empty store")
        prefilled = None
        if args.prefill:
            prefill(store, app, case_ids, args.prefill)
            phases.done(f"pre-fill of {args.prefill:,} events")
            timed_loop("warm-up", args.warmup, command_runner(app, fleets[1], 0))
            run = command_runner(app, fleets[1], args.warmup)
            prefilled = measure_commands(
                "prefilled", run, args.commands, breakdown, profile("prefilled")
            )
            phases.done("commands, pre-filled store")
    finally:
        app.close()
    state_bytes = statistics.fmean(len(row[3]) for row in samples)
    return Report(store.name, raw, empty, prefilled, args.prefill, state_bytes, phases.seconds)


# ------------------------------------------------------------------------- output
def results_table(reports: list[Report], commands: int) -> Table:
    table = Table(title=f"{commands:,} one-event commands, one transaction each")
    for column in ("store", "what", "ops/s", "p50 ms", "p99 ms", "ratio", "target", "met"):
        table.add_column(column, justify="left" if column in ("store", "what") else "right")
    for report in reports:
        raw, empty = report.raw, report.empty
        table.add_row(report.backend, "raw INSERT", *figures(raw), "", "", "")
        ratio = empty.rate / raw.rate
        target = "≥ 40 %" if report.backend == "PostgreSQL" else ""
        met = ("yes" if ratio >= 0.40 else "NO") if target else ""
        table.add_row("", "commands, empty", *figures(empty), f"{ratio:.1%} of raw", target, met)
        if report.prefilled is not None:
            full = report.prefilled
            ratio = full.rate / empty.rate
            table.add_row(
                "", f"commands, {report.prefill_events:,} stored", *figures(full),
                f"{ratio:.1%} of empty", "≥ 90 %", "yes" if ratio >= 0.90 else "NO",
            )  # fmt: skip
    return table


def breakdown_table(reports: list[Report]) -> Table:
    columns = ("load", "insert", "snapshot")
    table = Table(title="Where a command's time goes (ms per command)")
    for column in ("store", "measure", *columns, "rest", "total"):
        table.add_column(column, justify="left" if column in ("store", "measure") else "right")
    for report in reports:
        for measure in (report.empty, report.prefilled):
            if measure is None:
                continue
            count = len(measure.seconds)
            parts = [measure.parts.get(column, 0.0) * 1000 / count for column in columns]
            total = measure.elapsed * 1000 / count
            table.add_row(
                report.backend, measure.label, *(f"{part:.2f}" for part in parts),
                f"{total - sum(parts):.2f}", f"{total:.2f}",
            )  # fmt: skip
    return table


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


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--commands", type=positive, default=20_000, help="commands per measure")
    parser.add_argument(
        "--prefill", type=int, default=1_000_000, help="events pre-filled (0: skip)"
    )
    parser.add_argument("--cases", type=positive, default=300, help="ACTIVE cases commanded")
    parser.add_argument(
        "--snapshot-interval",
        type=positive,
        default=Settings.model_fields["snapshot_interval"].default,
        help="ASPE_SNAPSHOT_INTERVAL of the application (a Case snapshot every N events)",
    )
    parser.add_argument("--warmup", type=positive, default=500, help="untimed commands first")
    parser.add_argument(
        "--backends", nargs="+", choices=("postgres", "sqlite"), default=["postgres", "sqlite"]
    )
    parser.add_argument(
        "--env", type=env_pair, action="append", default=[], metavar="KEY=VALUE",
        help="eventsourcing env override, e.g. AGGREGATE_CACHE_MAXSIZE=1000",
    )  # fmt: skip
    parser.add_argument("--profile", type=Path, help="directory for cProfile .pstats files")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    console = Console(width=max(110, Console().width))
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    reports: list[Report] = []
    for backend in args.backends:
        with open_store(backend, args.snapshot_interval) as store:
            reports.append(bench_store(store, args, console))
    console.print(results_table(reports, args.commands))
    console.print(breakdown_table(reports))
    for report in reports:
        console.print(
            f"{report.backend}: stored state {report.state_bytes:,.0f} bytes per event on "
            f"average; phases: "
            + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in report.phases.items())
        )
    overrides = ", ".join(f"{k}={v}" for k, v in args.env) or "none"
    console.print(
        f"snapshot interval {args.snapshot_interval}; env overrides: {overrides}; "
        f"total {time.perf_counter() - started:.0f} s "
        f"at {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )


if __name__ == "__main__":
    main()
