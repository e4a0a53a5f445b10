"""Insert alone (issue 17): the library's insert path against the prepared recorder.

Both chained recorders (``ChainedPostgresApplicationRecorder``, which inserts as
eventsourcing does, and ``PreparedPostgresApplicationRecorder``) write into their own table
of one fresh schema, in interleaved blocks whose order alternates; each call stores
``--events`` events of a new aggregate with a 1.1 kB state. Prints the median time per call
of each and their ratio. ``.venv/bin/python bench/recorder_insert.py --events 1``.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from collections.abc import Sequence

import psycopg
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore

from aspe.audit.recorders import (
    ChainedPostgresApplicationRecorder,
    PreparedPostgresApplicationRecorder,
)

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
STATE = b"x" * 1100


def insert(recorder: PostgresApplicationRecorder, events: int) -> None:
    originator = uuid.uuid4()
    topic = "aspe.domain.case:Case.ContactRecorded"
    recorder.insert_events(
        [StoredEvent(originator, version, topic, STATE) for version in range(1, events + 1)]
    )


def block_seconds(recorder: PostgresApplicationRecorder, events: int, calls: int) -> float:
    """Mean seconds per call over one block."""
    started = time.perf_counter()
    for _ in range(calls):
        insert(recorder, events)
    return (time.perf_counter() - started) / calls


def measure(datastore: PostgresDatastore, args: argparse.Namespace) -> dict[str, list[float]]:
    recorders: dict[str, PostgresApplicationRecorder] = {
        "library": ChainedPostgresApplicationRecorder(datastore, events_table_name="library"),
        "prepared": PreparedPostgresApplicationRecorder(datastore, events_table_name="prepared"),
    }
    for recorder in recorders.values():
        recorder.create_table()
        block_seconds(recorder, args.events, 50)  # warm-up: connections, prepared statements
    seconds: dict[str, list[float]] = {name: [] for name in recorders}
    for round_ in range(args.rounds):
        names = list(recorders) if round_ % 2 == 0 else list(reversed(recorders))
        for name in names:
            seconds[name].append(block_seconds(recorders[name], args.events, args.block))
    return seconds


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=1, help="events per insert_events call")
    parser.add_argument("--rounds", type=int, default=10, help="interleaved rounds")
    parser.add_argument("--block", type=int, default=200, help="calls per block")
    args = parser.parse_args(argv)
    schema = f"aspe_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    datastore = PostgresDatastore("test", "127.0.0.1", "5432", "postgres", "", schema=schema,
                                  pool_size=2)  # fmt: skip
    try:
        medians = {name: statistics.median(s) for name, s in measure(datastore, args).items()}
    finally:
        datastore.close()
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    for name, seconds in medians.items():
        print(f"{name}: {seconds * 1e6:.0f} µs per insert_events of {args.events} event(s)")
    print(f"prepared ÷ library time: ×{medians['prepared'] / medians['library']:.2f}")


if __name__ == "__main__":
    main()
