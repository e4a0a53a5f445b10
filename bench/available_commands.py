"""What asking a case for ``availableCommands`` costs (issue 13, part 1).

The commands a viewer may run are read from the domain's availability table on the case as
its events make it: the resolver loads the ``Case`` aggregate from the event store (from
its last snapshot), where every other field of the case page reads a read model's row. The
portal asks for them on every case page.

On each store (SQLite in a temporary folder; PostgreSQL in a schema of its own, dropped at
the end), for the referent of a running measure with a few weeks of visits and contacts,
interleaved in rounds so that both see the same machine, one GraphQL request through
``/graphql`` (FastAPI's test client, in process):

- *without*: the case's id, status, visits and contacts (read model rows only);
- *with*: the same, and ``availableCommands`` and ``ceopSignaturesToRecord``.

It prints the median of each, their ratio and the added milliseconds. A benchmark, not a
test: it exits 0. Run: ``.venv/bin/python bench/available_commands.py`` (``--rounds``,
``--per-round``, ``--weeks``).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import psycopg
from fastapi.testclient import TestClient
from rich.console import Console
from rich.table import Table

from aspe.api import create_app
from aspe.bootstrap import build_application
from aspe.demo.scenarios import DEFAULT_PASSWORD, CaseStory, Clock, Departement
from aspe.domain.values import ContactChannel, LandlordCategory, Status, Theme, VisitKind
from aspe.settings import Settings

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"

LOGIN = "mutation L($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"
FIELDS = "id status visits { occurredOn } contacts { occurredOn }"
WITHOUT = f"query C($id: ID!) {{ case(id: $id) {{ {FIELDS} }} }}"
WITH = (
    f"query C($id: ID!) {{ case(id: $id) {{ {FIELDS} availableCommands ceopSignaturesToRecord }} }}"
)


def per_call_milliseconds(call: Callable[[], object], times: int) -> float:
    start = time.perf_counter()
    for _ in range(times):
        call()
    return (time.perf_counter() - start) / times * 1e3


def a_running_measure(settings: Settings, clock: Clock, weeks: int) -> tuple[str, str]:
    """A case walked to a running measure, then ``weeks`` of a visit and a contact each;
    its id and its referent's e-mail."""
    app = build_application(settings)
    try:
        departement = Departement(app, clock)
        association = departement.add_association("Habitat Solidaire", ["Claire Martin"])
        referent = association.referents[0]
        landlord_id, _ = departement.add_landlord("Lyon Habitat", LandlordCategory.SOCIAL)
        household = departement.add_household(referent, landlord_id, "Famille Durand")
        case_id = CaseStory(departement, referent, household).walk_to(Status.ACTIVE)
        for _ in range(weeks):
            clock.now += timedelta(days=7)
            with departement.acting(referent.actor):
                today = clock.today()
                app.record_visit(case_id, today, VisitKind.HOME, [Theme.BUDGET])
                app.record_contact(case_id, today, ContactChannel.PHONE, True)
        return str(case_id), referent.email
    finally:
        app.close()


@contextmanager
def sqlite_settings() -> Iterator[Settings]:
    with tempfile.TemporaryDirectory() as folder:
        yield Settings(data_dir=Path(folder), projections_in_process=True)


@contextmanager
def postgres_settings() -> Iterator[Settings]:
    schema = f"aspe_bench_commands_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    with tempfile.TemporaryDirectory() as folder:
        try:
            yield Settings(
                database_url=POSTGRES_URL,
                database_schema=schema,
                data_dir=Path(folder),
                projections_in_process=True,
            )
        finally:
            with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
                connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def measure(settings: Settings, rounds: int, per_round: int, weeks: int) -> dict[str, float]:
    """Median milliseconds per request of each way, over interleaved rounds."""
    clock = Clock()
    case_id, email = a_running_measure(settings, clock, weeks)
    with TestClient(create_app(settings, clock=clock)) as client:
        projector = client.app.state.projector  # type: ignore[attr-defined]
        for name in projector.read_models:  # the story was stored before the API started
            projector.wait(name, projector.app.head(), timeout=60)
        login = client.post(
            "/graphql", json={"query": LOGIN, "variables": {"e": email, "p": DEFAULT_PASSWORD}}
        )
        headers = {"Authorization": f"Bearer {login.json()['data']['login']['token']}"}

        def asking(query: str) -> Callable[[], object]:
            def request() -> object:
                body = {"query": query, "variables": {"id": case_id}}
                answer = client.post("/graphql", json=body, headers=headers).json()
                if answer.get("errors") or not answer["data"]["case"]:
                    raise SystemExit(f"the case query failed: {answer}")
                return answer

            return request

        ways = {"without": asking(WITHOUT), "with": asking(WITH)}
        samples: dict[str, list[float]] = {name: [] for name in ways}
        for way in ways.values():  # warm the caches and the read models first
            per_call_milliseconds(way, per_round)
        for _ in range(rounds):
            for name, way in ways.items():
                samples[name].append(per_call_milliseconds(way, per_round))
    return {name: statistics.median(values) for name, values in samples.items()}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--per-round", type=int, default=40)
    parser.add_argument("--weeks", type=int, default=26, help="weeks of visits and contacts")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    console = Console()
    table = Table(title=f"A case query with availableCommands ({args.weeks} weeks of history)")
    for column in ("store", "without (ms)", "with (ms)", "ratio", "added (ms)"):
        table.add_column(column, justify="right")
    for name, settings_of in (("SQLite", sqlite_settings), ("PostgreSQL", postgres_settings)):
        with settings_of() as settings:
            figures = measure(settings, args.rounds, args.per_round, args.weeks)
        table.add_row(
            name,
            f"{figures['without']:.2f}",
            f"{figures['with']:.2f}",
            f"{figures['with'] / figures['without']:.2f}",
            f"{figures['with'] - figures['without']:.2f}",
        )
    console.print(table)


if __name__ == "__main__":
    main()
