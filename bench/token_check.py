"""What checking a token against its account costs each request (issue 12).

Since issue 12, every request's bearer token is checked against the stored account (it
exists, is active, and is at the credentials version the token was signed at), so a logout,
a deactivation or a new password ends its sessions at once in every API process. Before,
a request only verified the token's signature and expiry.

On each store (SQLite in a temporary folder; PostgreSQL in a schema of its own, dropped at
the end), for a referent's token, interleaved in rounds so that both see the same machine:

- *signature only*: ``local_claims`` (what a request did before: signature, expiry);
- *with account*: ``viewer_from_local_token`` (signature, expiry, and the account read
  through the application's aggregate cache, as every request does now);
- *whole request*: a ``me`` query through ``/graphql`` (FastAPI's test client, in process),
  for scale: the added cost as a share of a request.

It prints the median of each, the ratio *with account* / *signature only*, and the added
microseconds as a share of a whole request. A benchmark, not a test: it exits 0.
Run: ``.venv/bin/python bench/token_check.py`` (``--rounds``, ``--per-round``).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import psycopg
from fastapi.testclient import TestClient
from rich.console import Console
from rich.table import Table

from aspe.api import create_app
from aspe.bootstrap import build_application
from aspe.demo.scenarios import DEFAULT_PASSWORD, Clock, Departement
from aspe.graphql.identity import (
    authenticate,
    local_claims,
    sign_token,
    viewer_from_local_token,
)
from aspe.settings import Settings

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
ME = "query { me { name role } }"


@contextmanager
def sqlite_settings() -> Iterator[Settings]:
    with tempfile.TemporaryDirectory() as folder:
        yield Settings(data_dir=Path(folder))


@contextmanager
def postgres_settings() -> Iterator[Settings]:
    schema = f"aspe_bench_tokens_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    with tempfile.TemporaryDirectory() as folder:
        try:
            yield Settings(database_url=POSTGRES_URL, database_schema=schema, data_dir=Path(folder))
        finally:
            with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
                connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def per_call_microseconds(call: Callable[[], object], times: int) -> float:
    start = time.perf_counter()
    for _ in range(times):
        call()
    return (time.perf_counter() - start) / times * 1e6


def measure(settings: Settings, rounds: int, per_round: int) -> dict[str, float]:
    """Median microseconds per call of each way, over interleaved rounds."""
    clock = Clock()
    app = build_application(settings)
    try:
        departement = Departement(app, clock)
        association = departement.add_association("Habitat Solidaire", ["Claire Martin"])
        viewer = authenticate(app, association.referents[0].email, DEFAULT_PASSWORD)
        token = sign_token(settings, viewer, clock()).token
        ways: dict[str, Callable[[], object]] = {
            "signature only": lambda: local_claims(settings, token, clock()),
            "with account": lambda: viewer_from_local_token(app, settings, token, clock()),
        }
        with TestClient(create_app(settings, clock=clock)) as client:
            headers = {"Authorization": f"Bearer {token}"}

            def whole_request() -> object:
                response = client.post("/graphql", json={"query": ME}, headers=headers)
                if response.status_code != 200 or "errors" in response.json():
                    raise SystemExit(f"the me query failed: {response.text}")
                return response

            ways["whole request"] = whole_request
            samples: dict[str, list[float]] = {name: [] for name in ways}
            for way in ways.values():  # warm the caches first
                per_call_microseconds(way, per_round)
            for _ in range(rounds):
                for name, way in ways.items():
                    samples[name].append(per_call_microseconds(way, per_round))
        return {name: statistics.median(values) for name, values in samples.items()}
    finally:
        app.close()


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--per-round", type=int, default=300)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    console = Console()
    table = Table(title="Token check per request (median µs per call)")
    for column in (
        "store",
        "signature only",
        "with account",
        "ratio",
        "added",
        "whole request",
        "added / request",
    ):
        table.add_column(column, justify="right")
    for name, settings_of in (("SQLite", sqlite_settings), ("PostgreSQL", postgres_settings)):
        with settings_of() as settings:
            figures = measure(settings, args.rounds, args.per_round)
        added = figures["with account"] - figures["signature only"]
        table.add_row(
            name,
            f"{figures['signature only']:.1f}",
            f"{figures['with account']:.1f}",
            f"{figures['with account'] / figures['signature only']:.2f}",
            f"{added:.1f}",
            f"{figures['whole request']:.1f}",
            f"{added / figures['whole request']:.1%}",
        )
    console.print(table)


if __name__ == "__main__":
    main()
