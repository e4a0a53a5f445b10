"""Where a GraphQL case detail's server time goes, without HTTP (issue 17).

``graphql_load.py`` measures the server process's CPU per request, HTTP and all. This one
runs in one thread, on the demo département (SQLite, in a temporary folder), for the
référent on the Durand case (the demo's fullest), in rounds that interleave three series so
that each sees the same machine:

- *graphql*: ``graphql_load.CASE_QUERY`` executed by the app's schema, with a context as the
  router makes one for each request (the read recorded in the access log);
- *plain*: ``plain_api.case_detail_for``, the plain endpoint's answer to the same question
  (same reads, same checks, same access-log entry), as a dict;
- *graphql, read not recorded*: the same execution with the portal's ``NOT_RECORDED`` reads,
  to say what the access log's write costs inside *graphql*.

It prints each series' median CPU milliseconds per request and graphql ÷ plain, then a
profile of *graphql* (``cProfile``, own time) grouped by where the code lives: graphql-core,
strawberry, our schema's authorization (``aspe.graphql.permissions``, ``aspe.authorization``),
the rest of ``aspe.graphql``, the reads (``aspe.projections``, sqlite3, json), the access
log, the metrics, asyncio and the thread pool, and the rest (the standard library's
helpers). A benchmark, not a test: it exits 0.
Run: ``PYTHONPATH=. .venv/bin/python bench/graphql_layers.py`` (``--rounds``, ``--per-round``,
``--profiled``).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from rich.console import Console
from rich.table import Table

from aspe.api import create_app
from aspe.authorization import Viewer
from aspe.demo.scenarios import DEFAULT_PASSWORD
from aspe.graphql.access_log import API_READS, NOT_RECORDED, Reads
from aspe.graphql.identity import viewer_from_local_token
from aspe.graphql.router import context_for
from bench.graphql_load import CASE_QUERY
from bench.plain_api import case_detail_for
from bench.portal_pages import LOGIN, demo_in

GROUPS = (
    ("graphql-core", ("site-packages/graphql/",)),
    ("strawberry", ("site-packages/strawberry/",)),
    ("our authorization", ("aspe/graphql/permissions.py", "aspe/authorization.py")),
    ("access log", ("aspe/access_log/", "aspe/graphql/access_log.py")),
    ("our schema (rest of aspe/graphql)", ("aspe/graphql/",)),
    ("reads (read models, sqlite3, json)", ("aspe/projections/", "sqlite3", "json/")),
    ("metrics (prometheus-client, aspe/metrics)", ("prometheus_client/", "aspe/metrics/")),
    (
        "asyncio, anyio, threads",
        ("asyncio/", "site-packages/anyio/", "starlette/concurrency", "threading.py", "queue.py"),
    ),
)
"""Where a function's own time is counted: the first group whose marker its file holds."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--per-round", type=int, default=100)
    parser.add_argument("--profiled", type=int, default=300, help="requests under cProfile")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        settings, case_id, emails = demo_in(folder)
        with TestClient(create_app(settings)) as client:
            state = client.app.state
            viewer = referent_viewer(client, emails["REFERENT"])
            series = series_of(state, viewer, case_id)
            medians = measure(series, args.rounds, args.per_round)
            profile = profiled(series["graphql"], args.profiled)
    show(medians, profile)


def referent_viewer(client: TestClient, email: str) -> Viewer:
    """The viewer the référent's bearer token names, as the router finds it."""
    variables = {"e": email, "p": DEFAULT_PASSWORD}
    token = client.post("/graphql", json={"query": LOGIN, "variables": variables}).json()
    state = client.app.state  # type: ignore[attr-defined]
    return viewer_from_local_token(
        state.application, state.settings, token["data"]["login"]["token"], state.clock()
    )


def series_of(state: Any, viewer: Viewer, case_id: str) -> dict[str, Callable[[], object]]:
    loop = asyncio.new_event_loop()
    schema = state.schema
    variables = {"id": case_id}

    def graphql(reads: Reads) -> Callable[[], object]:
        def run() -> object:
            context = context_for(state, viewer, reads=reads)
            result = loop.run_until_complete(
                schema.execute(CASE_QUERY, variable_values=variables, context_value=context)
            )
            assert not result.errors, result.errors
            assert result.data["case"]
            return result.data

        return run

    def plain() -> object:
        detail = case_detail_for(state, viewer, case_id)
        assert detail is not None
        return detail

    return {
        "graphql": graphql(API_READS),
        "plain": plain,
        "graphql, read not recorded": graphql(NOT_RECORDED),
    }


def measure(
    series: dict[str, Callable[[], object]], rounds: int, per_round: int
) -> dict[str, float]:
    """Median CPU ms per request of each series, its blocks interleaved in every round."""
    for call in series.values():  # warm-up: caches, prepared statements, the parser cache
        for _ in range(per_round // 4 or 1):
            call()
    samples: dict[str, list[float]] = defaultdict(list)
    for _ in range(rounds):
        for name, call in series.items():
            started = time.process_time()
            for _ in range(per_round):
                call()
            samples[name].append((time.process_time() - started) / per_round * 1e3)
    return {name: statistics.median(values) for name, values in samples.items()}


def profiled(call: Callable[[], object], requests: int) -> dict[str, float]:
    """Own CPU time per request (ms) of the profiled calls in this thread, by group (the
    reads that the resolvers hand to the thread pool are not in it: plain pays them too).
    A built-in's time counts where its callers live, shared as each caller spent it."""
    profile = cProfile.Profile(time.thread_time)
    profile.enable()
    for _ in range(requests):
        call()
    profile.disable()
    by_group: dict[str, float] = defaultdict(float)
    stats: Any = pstats.Stats(profile).stats
    for (filename, _, _), (_, _, own, _, callers) in stats.items():
        if filename.startswith(("~", "<")) and callers:
            for (caller_file, _, _), edge in callers.items():
                by_group[group_of(caller_file)] += edge[2] / requests * 1e3
        else:
            by_group[group_of(filename)] += own / requests * 1e3
    return dict(by_group)


def group_of(filename: str) -> str:
    for name, markers in GROUPS:
        if any(marker in filename for marker in markers):
            return name
    return "the rest"


def show(medians: dict[str, float], profile: dict[str, float]) -> None:
    console = Console()
    table = Table(title="GraphQL case detail, one thread, no HTTP (median CPU ms per request)")
    for column in ("series", "CPU ms/request", "÷ plain"):
        table.add_column(column, justify="left" if column == "series" else "right")
    for name, value in medians.items():
        table.add_row(name, f"{value:.2f}", f"×{value / medians['plain']:.2f}")
    console.print(table)
    total = sum(profile.values())
    table = Table(title="graphql under cProfile: own time per request, by where the code lives")
    for column in ("group", "ms/request", "share"):
        table.add_column(column, justify="left" if column == "group" else "right")
    for name, value in sorted(profile.items(), key=lambda item: -item[1]):
        table.add_row(name, f"{value:.2f}", f"{value / total:.0%}")
    table.add_row("all (profiled: slower than above)", f"{total:.2f}", "100%")
    console.print(table)


if __name__ == "__main__":
    main()
