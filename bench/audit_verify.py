"""Audit chain benchmark: what the chain costs a command, and how fast ``verify`` walks.

For each store (PostgreSQL, SQLite) in one run:

1. two stores side by side, one written by ASPE's chained recorder, one by the library's
   own (``APPLICATION_RECORDER_TOPIC`` emptied), each with the same ``--cases`` ACTIVE cases;
2. ``--rounds`` rounds of ``--commands`` one-event commands on each, interleaved (the order
   flips every round), so both see the same machine; commands/s of each and their ratio;
3. the chained store pre-filled with ``--events`` events (copies of the cases' real
   histories, straight into the table), linked by ``seal`` (timed), then walked by
   ``verify`` (timed): events/s, and the time a million would take at that rate.

Quick run: ``.venv/bin/python bench/audit_verify.py --events 50000 --rounds 4``.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import psycopg
from rich.console import Console
from rich.table import Table

from aspe.application import AspeApplication
from aspe.audit import store
from aspe.demo.scenarios import Account, CaseStory, Clock, Departement
from aspe.domain.actors import acting_as
from aspe.domain.values import ContactChannel, LandlordCategory, Status, Theme
from aspe.settings import Settings

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
DAY = date(2025, 9, 1)
NOTE = (
    "Appel de Mme D. : la CAF confirme le versement de l'APL à compter du mois prochain. "
    "Le dossier FSL est déposé, réponse attendue après la commission du 14."
)
Row = tuple[uuid.UUID, int, str, bytes]


@dataclass
class Backend:
    name: str
    chained: Settings
    plain: Settings
    bulk_insert: Callable[[Settings, Iterator[Row]], None]
    rows: Callable[[Settings], list[Row]]


def application(settings: Settings, chained: bool) -> AspeApplication:
    env = settings.eventsourcing_env("events")
    if not chained:
        env["APPLICATION_RECORDER_TOPIC"] = ""  # the library's own recorder
    return AspeApplication(env=env, rules=settings.rules, snapshot_interval=50)


def fleet(app: AspeApplication, cases: int) -> tuple[Clock, list[tuple[uuid.UUID, Account]]]:
    clock = Clock()
    clock.set_day(DAY)
    departement = Departement(app, clock)
    landlord, _ = departement.add_landlord("Habitat du Rhône", LandlordCategory.SOCIAL)
    association = departement.add_association("Association", [f"R {n}" for n in range(8)])
    result = []
    for index in range(cases):
        referent = association.referents[index % 8]
        household = departement.add_household(referent, landlord, f"Ménage {index}")
        result.append(
            (CaseStory(departement, referent, household).walk_to(Status.ACTIVE), referent)
        )
    clock.set_day(DAY + timedelta(days=60))
    return clock, result


def commands(app: AspeApplication, cases: int) -> Callable[[int], float]:
    """``run(count)``: ``count`` contacts round-robin over the cases; commands per second."""
    clock, targets = fleet(app, cases)
    done = 0

    def run(count: int) -> float:
        nonlocal done
        started = time.perf_counter()
        for _ in range(count):
            case_id, referent = targets[done % len(targets)]
            with acting_as(referent.actor, clock=clock):
                app.record_contact(
                    case_id, DAY + timedelta(days=done % 50), ContactChannel.PHONE, True,
                    (Theme.BUDGET,), NOTE,
                )  # fmt: skip
            done += 1
        return count / (time.perf_counter() - started)

    return run


def copies(rows: list[Row], total: int) -> Iterator[Row]:
    by_case: dict[uuid.UUID, list[Row]] = {}
    for row in rows:
        by_case.setdefault(row[0], []).append(row)
    templates, written = list(by_case.values()), 0
    while written < total:
        template, new_id = templates[written % len(templates)][: total - written], uuid.uuid4()
        for _, version, topic, state in template:
            yield new_id, version, topic, state
        written += len(template)


# ------------------------------------------------------------------------ the stores
def _pg_rows(settings: Settings) -> list[Row]:
    with psycopg.connect(POSTGRES_URL) as conn:
        rows = conn.execute(
            f"SELECT originator_id, originator_version, topic, state FROM "
            f'"{settings.database_schema}".aspe_events ORDER BY notification_id'
        ).fetchall()
    return [(r[0], r[1], r[2], bytes(r[3])) for r in rows]


def _pg_bulk(settings: Settings, rows: Iterator[Row]) -> None:
    copy = (
        f'COPY "{settings.database_schema}".aspe_events '
        "(originator_id, originator_version, topic, state) FROM STDIN (FORMAT BINARY)"
    )
    with psycopg.connect(POSTGRES_URL) as conn, conn.cursor().copy(copy) as writer:
        writer.set_types(["uuid", "int8", "text", "bytea"])
        for row in rows:
            writer.write_row(row)
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'VACUUM ANALYZE "{settings.database_schema}".aspe_events')


def _sqlite_rows(settings: Settings) -> list[Row]:
    with sqlite3.connect(settings.sqlite_path()) as conn:
        rows = conn.execute(
            "SELECT originator_id, originator_version, topic, state FROM stored_events "
            "ORDER BY rowid"
        ).fetchall()
    return [(uuid.UUID(r[0]), r[1], r[2], r[3]) for r in rows]


def _sqlite_bulk(settings: Settings, rows: Iterator[Row]) -> None:
    conn = sqlite3.connect(settings.sqlite_path(), isolation_level=None)
    try:
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO stored_events VALUES (?, ?, ?, ?)",
            ((r[0].hex, r[1], r[2], r[3]) for r in rows),
        )
        conn.execute("COMMIT")
    finally:
        conn.close()


@contextmanager
def backend(name: str) -> Iterator[Backend]:
    if name == "sqlite":
        with tempfile.TemporaryDirectory(prefix="aspe-bench-") as directory:
            yield Backend(
                "SQLite",
                Settings(database_url=f"sqlite:///{directory}/chained.sqlite"),
                Settings(database_url=f"sqlite:///{directory}/plain.sqlite"),
                _sqlite_bulk, _sqlite_rows,
            )  # fmt: skip
        return
    schemas = [f"aspe_bench_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        for schema in schemas:
            conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        chained, plain = (Settings(database_url=POSTGRES_URL, database_schema=s) for s in schemas)
        yield Backend("PostgreSQL", chained, plain, _pg_bulk, _pg_rows)
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            for schema in schemas:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


# ----------------------------------------------------------------------- measures
@dataclass
class Report:
    backend: str
    plain: list[float]
    chained: list[float]
    events: int
    seal_seconds: float
    verify_seconds: float


def bench(store_of: Backend, args: argparse.Namespace, console: Console) -> Report:
    chained_app, plain_app = application(store_of.chained, True), application(store_of.plain, False)
    try:
        runs = {
            "chained": commands(chained_app, args.cases),
            "plain": commands(plain_app, args.cases),
        }
        rates: dict[str, list[float]] = {"chained": [], "plain": []}
        for side in ("chained", "plain"):  # warm-up, not counted
            runs[side](args.commands // 4)
        for round_ in range(args.rounds):
            for side in ("chained", "plain") if round_ % 2 else ("plain", "chained"):
                rates[side].append(runs[side](args.commands))
        console.log(f"{store_of.name}: appends measured")
        store_of.bulk_insert(store_of.chained, copies(store_of.rows(store_of.chained), args.events))
        started = time.perf_counter()
        store.seal(chained_app)
        sealed = time.perf_counter() - started
        console.log(f"{store_of.name}: {args.events:,} events pre-filled, sealed in {sealed:.1f} s")
        started = time.perf_counter()
        result = store.verify(chained_app)
        walked = time.perf_counter() - started
        assert result.intact, result.first_break
    finally:
        chained_app.close()
        plain_app.close()
    return Report(store_of.name, rates["plain"], rates["chained"], result.checked, sealed, walked)


def report_tables(reports: list[Report], args: argparse.Namespace) -> list[Table]:
    appends = Table(
        title=f"One-event commands, {args.rounds} interleaved rounds of {args.commands}"
    )
    for column in ("store", "without chain /s", "with chain /s", "ratio (median)", "ratio range"):
        appends.add_column(column, justify="left" if column == "store" else "right")
    walks = Table(title="verify (and seal) over the whole store")
    for column in ("store", "events", "seal s", "verify s", "verify events/s", "1 M at that rate"):
        walks.add_column(column, justify="left" if column == "store" else "right")
    for r in reports:
        ratios = [c / p for c, p in zip(r.chained, r.plain, strict=True)]
        appends.add_row(
            r.backend, f"{statistics.median(r.plain):,.0f}", f"{statistics.median(r.chained):,.0f}",
            f"{statistics.median(ratios):.1%}", f"{min(ratios):.1%}–{max(ratios):.1%}",
        )  # fmt: skip
        rate = r.events / r.verify_seconds
        walks.add_row(
            r.backend, f"{r.events:,}", f"{r.seal_seconds:.1f}", f"{r.verify_seconds:.1f}",
            f"{rate:,.0f}", f"≈ {1_000_000 / rate:.0f} s"
            + (" (measured)" if r.events >= 1_000_000 else " (extrapolated)"),
        )  # fmt: skip
    return [appends, walks]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, default=60, help="ACTIVE cases on each store")
    parser.add_argument("--commands", type=int, default=500, help="commands per round and side")
    parser.add_argument("--rounds", type=int, default=6, help="interleaved rounds")
    parser.add_argument("--events", type=int, default=1_000_000, help="events verify walks")
    parser.add_argument(
        "--backends", nargs="+", choices=("postgres", "sqlite"), default=["postgres", "sqlite"]
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    console = Console(width=max(110, Console().width))
    started = time.perf_counter()
    reports = []
    for name in args.backends:
        with backend(name) as store_of:
            reports.append(bench(store_of, args, console))
    for table in report_tables(reports, args):
        console.print(table)
    console.print(
        f"total {time.perf_counter() - started:.0f} s at {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )


if __name__ == "__main__":
    main()
