"""GraphQL load benchmark: a referent's case detail and caseload through ``/graphql``,
against plain FastAPI JSON endpoints returning the same data, in the same run.

In a schema of its own in PostgreSQL (dropped at the end unless ``--keep``):

1. a store of ``--cases`` cases, made by ``replay.py``'s generator (domain objects on a
   simulated clock, about ``--events-per-case`` events each), with most cases in one
   association; then ``build_projector(...).rebuild()`` of every read model and
   ``VACUUM ANALYZE``;
2. one uvicorn process (one worker, loopback) serving ``aspe.api.create_app`` plus the plain
   endpoints of ``bench/plain_api.py``; a referent of the big association logs in
   (``login``); every answer of a sample is checked to be the same through both;
3. for each number of ``--clients``, each query (case detail of a random visible case; a
   caseload page of 20 after a random cursor) and each API (GraphQL, plain), a client
   process runs that many closed-loop workers (asyncio + httpx) for ``--warmup`` seconds,
   not measured, then ``--seconds``: latency of each request, p50, p99, requests/s, and the
   GraphQL/plain ratios. A non-200 answer or a GraphQL ``errors`` is a failure.

Targets (issue 4): GraphQL p99 ≤ 100 ms at 16 clients, ≤ 250 ms at 64; GraphQL p50 ≤ 2 × the
plain endpoint's. It is a benchmark, not a test: it exits 0 whatever the figures.
Quick run: ``.venv/bin/python bench/graphql_load.py --quick`` (1,000 cases, 5 s per run).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import queue
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))  # bench/ is not a package: replay.py's generator is a module

import replay  # noqa: E402

from aspe.application import AspeApplication  # noqa: E402
from aspe.bootstrap import build_application, build_projector  # noqa: E402
from aspe.demo.scenarios import DEFAULT_PASSWORD, Clock, Departement  # noqa: E402
from aspe.domain.staff import Staff  # noqa: E402
from aspe.domain.values import LandlordCategory  # noqa: E402
from aspe.graphql.queries import cursor_of  # noqa: E402
from aspe.projections.case_file import CASES  # noqa: E402

P99_TARGETS = {16: 0.100, 64: 0.250}
"""Clients → GraphQL p99 target (seconds)."""
P50_RATIO_TARGET = 2.0
PAGE = 20
MAIN_REFERENTS = 12
OTHER_REFERENTS = 2
"""Referents of the big association and of the small one: cases go to referents evenly."""
SAMPLE = 20
KEEP_ALIVE_SECONDS = 60
"""uvicorn's default (5 s) closed connections that a client was reusing when the server was
overloaded (64 clients on the plain endpoints: httpx ``ReadError``); the clients never idle."""

CASE_QUERY = """
query CaseDetail($id: ID!) {
  case(id: $id) {
    id
    status
    household { name street postcode city }
    decision { measureType startsOn endsOn }
    ceop { version signedOn objectives { label progress } }
    visits { occurredOn kind }
    rentLedger { totalDue totalPaid }
    weeklyCompliance { isoWeek compliant }
  }
}
"""
CASELOAD_QUERY = """
query Caseload($after: String) {
  cases(first: 20, after: $after) {
    edges { node { id status household { name } decision { endsOn } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
LOGIN = """
mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) { token }
}
"""
QUERIES = {"case": "case detail", "caseload": "caseload page"}
APIS = ("GraphQL", "plain")


# ------------------------------------------------------------------------ the store
def one_association_cast(app: AspeApplication, clock: Clock, cases: int) -> replay.Cast:
    """``replay.build_cast``'s département, but most cases go to one association: it has
    ``MAIN_REFERENTS`` of the ``MAIN_REFERENTS + OTHER_REFERENTS`` referents."""
    departement = Departement(app, clock)
    associations = [
        departement.add_association(
            "Association principale", [f"Référent {n + 1}" for n in range(MAIN_REFERENTS)]
        ),
        departement.add_association(
            "Autre association", [f"Référent autre {n + 1}" for n in range(OTHER_REFERENTS)]
        ),
    ]
    landlords = []
    for n in range(max(3, min(40, cases // 250))):
        category = LandlordCategory.SOCIAL if n % 3 else LandlordCategory.PRIVATE
        name = (
            f"{'Habitat' if n % 3 else 'SCI'} {replay.SURNAMES[n % len(replay.SURNAMES)]} {n + 1}"
        )
        landlord_id, account = departement.add_landlord(name, category)
        landlords.append((landlord_id, name, account.actor))
    referents = [
        (account, app.load(Staff, account.actor.id), association)
        for association in associations
        for account in association.referents
    ]
    return replay.Cast(
        departement,
        departement.spslh_agent.actor,
        departement.commission_member.actor,
        associations,
        referents,
        landlords,
    )


def generate(app: AspeApplication, cases: int, events: int, seed: int) -> int:
    """``cases`` cases of about ``events`` events in all, written through the application's
    mapper and recorder (as ``replay.generate`` does); the store's head."""
    rng = random.Random(seed)
    clock = Clock()
    clock.set_day(replay.END - timedelta(days=replay.MIN_YEARS * 365 + 400))
    cast = one_association_cast(app, clock, cases)
    plans = replay.make_plans(cast, events, cases, rng)
    clock.set_day(min(plan.opens_on for plan in plans) - replay.DAY)
    simulation = replay.Simulation(cast, clock, app.rules, rng)
    mapper, recorder = app.mapper, app.recorder

    def flush(pending: list[Any]) -> None:
        recorder.insert_events([mapper.to_stored_event(event) for event in pending])

    simulation.run(plans, flush, 5_000)
    return app.head()


@dataclass
class Target:
    """Who the clients are, and what they may ask for."""

    email: str
    cases_in_store: int
    case_ids: list[str]
    cursors: list[str | None]
    """``None`` (the first page) and every cursor that a full page follows."""


def find_target(store: replay.Store) -> Target:
    """A referent of the association with the most cases, its cases and their cursors."""
    app = build_application(store.settings)
    projector = build_projector(store.settings, app=app)
    try:
        view = projector.model("case_file").view
        cases = view.name_of(CASES)
        with view.datastore.transaction(commit=False) as cursor:
            cursor.execute(f"SELECT count(*) AS n FROM {cases}")
            total = cursor.fetchone()["n"]
            cursor.execute(
                f"SELECT association_id, min(referent_id) AS referent_id, count(*) AS n "
                f"FROM {cases} GROUP BY association_id ORDER BY n DESC LIMIT 1"
            )
            biggest = cursor.fetchone()
            cursor.execute(
                f"SELECT case_id, opened_on FROM {cases} WHERE association_id = %s "
                "ORDER BY opened_on, case_id",
                (biggest["association_id"],),
            )
            rows = cursor.fetchall()
        referent = app.load(Staff, uuid.UUID(biggest["referent_id"]))
        if not referent.email or not referent.password_hash:
            raise RuntimeError(f"referent {referent.id} has no e-mail or password to log in")
        full_pages = rows[: max(0, len(rows) - PAGE)]
        return Target(
            email=referent.email,
            cases_in_store=total,
            case_ids=[row["case_id"] for row in rows],
            cursors=[None, *(cursor_of(row) for row in full_pages)],
        )
    finally:
        projector.close()
        app.close()


def build_store(store: replay.Store, args: argparse.Namespace, console: Console) -> None:
    began = time.perf_counter()
    app = build_application(store.settings)
    try:
        events = generate(app, args.cases, args.cases * args.events_per_case, args.seed)
        generated = time.perf_counter()
        console.log(
            f"generated {events:,} events for {args.cases:,} cases in {generated - began:.0f} s"
        )
        projector = build_projector(store.settings, app=app)
        try:
            projector.rebuild()
        finally:
            projector.close()
        console.log(f"rebuilt every read model in {time.perf_counter() - generated:.0f} s")
    finally:
        app.close()
    store.settle()
    console.log(f"store settled (VACUUM ANALYZE, CHECKPOINT): {store.size()}")


# ------------------------------------------------------------------------ the server
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def served(store: replay.Store, port: int, app: str, console: Console) -> Iterator[str]:
    """uvicorn (one worker) serving the factory ``app`` (the ASPE app and the plain routes);
    its base URL."""
    env = {
        **os.environ,
        "ASPE_ENV": "test",
        "ASPE_DATABASE_URL": store.url,
        "ASPE_DATABASE_SCHEMA": store.schema,
        "ASPE_SECRET_KEY": secrets.token_urlsafe(32),
        "ASPE_PROJECTIONS_IN_PROCESS": "false",
    }
    command = [
        sys.executable, "-m", "uvicorn", "--factory", app,
        "--app-dir", str(BENCH), "--host", "127.0.0.1", "--port", str(port),
        "--workers", "1", "--log-level", "warning", "--no-access-log",
        "--timeout-keep-alive", str(KEEP_ALIVE_SECONDS),
    ]  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile("w+") as log:
        server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until_up(server, base, log)
            console.log(f"server up at {base} (uvicorn pid {server.pid}, one worker)")
            yield base
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
            log.seek(0)
            logged = log.read().strip()
            if logged:
                console.print(f"[yellow]the server logged[/yellow]:\n{logged[-3000:]}")


def wait_until_up(server: subprocess.Popen[Any], base: str, log: Any, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"the server stopped (code {server.returncode}):\n{log.read()}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server did not answer /healthz within {timeout:.0f} s")


def log_in(base: str, email: str) -> str:
    variables = {"email": email, "password": DEFAULT_PASSWORD}
    response = httpx.post(f"{base}/graphql", json={"query": LOGIN, "variables": variables})
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise RuntimeError(f"login as {email} failed: {response.status_code} {response.text}")
    token: str = body["data"]["login"]["token"]
    return token


# ------------------------------------------------------------------------ requests
def request_of(api: str, query: str, key: str | None) -> tuple[str, str, Any]:
    """Method, path and JSON body of one request: ``key`` is a case id or a cursor."""
    if api == "GraphQL":
        text, variables = (
            (CASE_QUERY, {"id": key}) if query == "case" else (CASELOAD_QUERY, {"after": key})
        )
        return "POST", "/graphql", {"query": text, "variables": variables}
    if query == "case":
        return "GET", f"/plain/cases/{key}", None
    return "GET", f"/plain/cases?first={PAGE}" + (f"&after={key}" if key else ""), None


def answer_of(api: str, query: str, response: httpx.Response) -> Any:
    """The answer's data (GraphQL's ``data.case`` / ``data.cases``); raises if it failed."""
    if response.status_code != 200:
        raise Failure(f"HTTP {response.status_code}: {response.text[:200]}")
    body = response.json()
    if api == "plain":
        return body
    if body.get("errors"):
        raise Failure(f"errors: {str(body['errors'])[:200]}")
    data = (body.get("data") or {}).get("cases" if query == "caseload" else "case")
    if data is None:
        raise Failure("data is null")
    return data


class Failure(Exception):
    """An answer that does not count as a success."""


def keys_of(query: str, target: Target) -> Sequence[str | None]:
    return target.case_ids if query == "case" else target.cursors


def same_answers(base: str, token: str, target: Target, seed: int) -> dict[str, Any]:
    """Ask a sample through both APIs: how many answers were equal, and their sizes."""
    rng = random.Random(seed)
    headers = {"Authorization": f"Bearer {token}"}
    found: dict[str, Any] = {"differences": []}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        for query in QUERIES:
            keys = list(keys_of(query, target))
            sample = rng.sample(keys, min(SAMPLE, len(keys)))
            if query == "caseload" and None not in sample:
                sample[0] = None
            equal, sizes = 0, dict.fromkeys(APIS, 0)
            for key in sample:
                answers = {}
                for api in APIS:
                    method, path, body = request_of(api, query, key)
                    response = client.request(method, path, json=body)
                    sizes[api] += len(response.content)
                    answers[api] = answer_of(api, query, response)
                if answers["GraphQL"] == answers["plain"]:
                    equal += 1
                else:
                    found["differences"].append((query, key))
            found[query] = (
                equal,
                len(sample),
                {api: size / len(sample) for api, size in sizes.items()},
            )
    return found


# ------------------------------------------------------------------ the client process
@dataclass
class Run:
    clients: int
    query: str
    api: str
    seconds: float
    latencies: list[float] = field(default_factory=list)
    failures: int = 0
    failure_samples: list[str] = field(default_factory=list)
    load: float = 0.0
    """The machine's 1-minute load average at the end (this run's processes count in it)."""

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    def quantile(self, q: int) -> float:
        if len(self.latencies) < 2:
            return self.latencies[0] if self.latencies else float("nan")
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[q - 1]


def client_child(
    base: str, token: str, run: Run, keys: Sequence[str | None], warmup: float, seed: int,
    results: Any,
) -> None:  # fmt: skip
    """``run.clients`` closed-loop workers: warm up, then measure for ``run.seconds``."""
    results.put(asyncio.run(load(base, token, run, keys, warmup, seed)))


async def load(
    base: str, token: str, run: Run, keys: Sequence[str | None], warmup: float, seed: int
) -> Run:
    limits = httpx.Limits(max_connections=run.clients, max_keepalive_connections=run.clients)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        base_url=base, headers=headers, limits=limits, timeout=60
    ) as client:
        measured_from = time.perf_counter() + warmup
        until = measured_from + run.seconds
        await asyncio.gather(
            *(
                worker(client, run, keys, random.Random(seed + n), measured_from, until)
                for n in range(run.clients)
            )
        )
    return run


async def worker(
    client: httpx.AsyncClient, run: Run, keys: Sequence[str | None], rng: random.Random,
    measured_from: float, until: float,
) -> None:  # fmt: skip
    """One closed-loop client: the next request as soon as the last one is answered."""
    while (began := time.perf_counter()) < until:
        method, path, body = request_of(run.api, run.query, rng.choice(keys))
        failure = None
        try:
            answer_of(run.api, run.query, await client.request(method, path, json=body))
        except (Failure, httpx.HTTPError, ValueError) as error:
            failure = f"{type(error).__name__}: {error}"
        if began < measured_from:
            continue
        if failure is None:
            run.latencies.append(time.perf_counter() - began)
        else:
            run.failures += 1
            if len(run.failure_samples) < 5:
                run.failure_samples.append(failure)


def in_child(target: Callable[..., None], *args: Any, timeout: float) -> Any:
    """Run ``target(*args, results)`` in a spawned process; what it put, or an error."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    process = context.Process(target=target, args=(*args, results))
    process.start()
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                return results.get(timeout=1)
            except queue.Empty:
                if not process.is_alive():
                    raise RuntimeError(f"the client process stopped ({process.exitcode})") from None
        raise RuntimeError("the client process did not finish in time")
    finally:
        process.join(timeout=10)
        if process.is_alive():
            process.terminate()


def measure(
    base: str, token: str, target: Target, args: argparse.Namespace, console: Console
) -> list[Run]:
    """Every clients × query × API, GraphQL and plain one after the other for each."""
    runs = []
    for clients in args.clients:
        for query in QUERIES:
            for api in APIS:
                run = Run(clients, query, api, float(args.seconds))
                keys = list(keys_of(query, target))
                run = in_child(
                    client_child, base, token, run, keys, args.warmup, args.seed,
                    timeout=args.warmup + args.seconds + 120,
                )  # fmt: skip
                run.load = os.getloadavg()[0]
                console.log(
                    f"{clients} clients, {QUERIES[query]}, {api}: {run.rate:,.0f} req/s, "
                    f"p50 {run.quantile(50) * 1000:.1f} ms, p99 {run.quantile(99) * 1000:.1f} ms"
                    + (f", {run.failures} failures" if run.failures else "")
                    + f" (load {run.load:.1f})"
                )
                runs.append(run)
    return runs


# -------------------------------------------------------------------------- output
def verdict(met: bool) -> str:
    return "[green]met[/green]" if met else "[bold red]MISSED[/bold red]"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f}"


def report(
    console: Console, runs: list[Run], target: Target, checked: dict[str, Any], seconds: int
) -> None:
    table = Table(
        title=f"GraphQL against plain JSON: a referent seeing {len(target.case_ids):,} of "
        f"{target.cases_in_store:,} cases, {seconds} s per run"
    )
    columns = ("clients", "query", "API", "requests", "req/s", "p50 ms", "p99 ms", "failures")
    for column in (*columns, "p50 ratio", "req/s ratio", "load"):
        left = column in ("query", "API")
        table.add_column(column, justify="left" if left else "right", no_wrap=True)
    plain = {(run.clients, run.query): run for run in runs if run.api == "plain"}
    for run in runs:
        p50_ratio = rate_ratio = ""
        reference = plain.get((run.clients, run.query))
        if run.api == "GraphQL" and reference is not None and reference.latencies:
            p50_ratio = f"×{run.quantile(50) / reference.quantile(50):.2f}"
            rate_ratio = f"×{run.rate / reference.rate:.2f}"
        table.add_row(
            str(run.clients), QUERIES[run.query], run.api, f"{len(run.latencies):,}",
            f"{run.rate:,.0f}", ms(run.quantile(50)), ms(run.quantile(99)), str(run.failures),
            p50_ratio, rate_ratio, f"{run.load:.1f}",
        )  # fmt: skip
    console.print(table)
    for query, label in QUERIES.items():
        equal, asked, sizes = checked[query]
        console.print(
            f"{label}: {equal}/{asked} sampled answers equal through both APIs; average body "
            + ", ".join(f"{api} {size:,.0f} B" for api, size in sizes.items())
        )
    for query, key in checked["differences"][:3]:
        console.print(f"[bold red]different answers[/bold red]: {query} {key}")
    for run in runs:
        for sample in run.failure_samples:
            console.print(f"[red]failure[/red] ({run.clients}, {run.query}, {run.api}): {sample}")
    report_targets(console, runs, plain)


def report_targets(console: Console, runs: list[Run], plain: dict[tuple[int, str], Run]) -> None:
    for run in runs:
        if run.api != "GraphQL" or not run.latencies:
            continue
        where = f"{QUERIES[run.query]}, {run.clients} clients"
        limit = P99_TARGETS.get(run.clients)
        if limit is not None:
            p99 = run.quantile(99)
            met = verdict(p99 <= limit)
            console.print(f"GraphQL p99 ≤ {limit * 1000:.0f} ms ({where}): {ms(p99)} ms, {met}")
        reference = plain.get((run.clients, run.query))
        if reference is not None and reference.latencies:
            ratio = run.quantile(50) / reference.quantile(50)
            console.print(
                f"GraphQL p50 ≤ {P50_RATIO_TARGET:.0f} × plain ({where}): ×{ratio:.2f} "
                f"({ms(run.quantile(50))} against {ms(reference.quantile(50))} ms), "
                f"{verdict(ratio <= P50_RATIO_TARGET)}"
            )


# ---------------------------------------------------------------------------- main
def client_counts(text: str) -> list[int]:
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError("a comma-separated list of numbers") from None
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError("at least one number, each at least 1")
    return counts


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cases", type=replay.positive, help="cases to generate (10,000)")
    parser.add_argument(
        "--events-per-case", type=replay.positive, default=100,
        help="events generated per case on average (replay.py's store has 100)",
    )  # fmt: skip
    parser.add_argument("--seconds", type=replay.positive, help="measured, per run (30)")
    parser.add_argument("--warmup", type=float, help="seconds before each run's measure (3)")
    parser.add_argument(
        "--clients", type=client_counts, default=[16, 64], help="closed-loop clients: 16,64"
    )
    parser.add_argument(
        "--quick", action="store_true", help="1,000 cases, 5 s per run, 1 s of warm-up"
    )
    parser.add_argument("--seed", type=int, default=2026, help="of the generator and clients")
    parser.add_argument("--database-url", default=replay.POSTGRES_URL)
    parser.add_argument("--port", type=int, default=0, help="the server's (default: a free one)")
    parser.add_argument(
        "--app", default="plain_api:create_bench_app",
        help="the server's app factory, importable from bench/ or PYTHONPATH: to measure a "
        "variant, it must serve the plain routes too",
    )  # fmt: skip
    parser.add_argument("--keep", action="store_true", help="keep the schema (its name printed)")
    parser.add_argument("--reuse", metavar="SCHEMA", help="a kept schema: skip generation")
    args = parser.parse_args(argv)
    quick = {"cases": 1_000, "seconds": 5, "warmup": 1.0}
    full = {"cases": 10_000, "seconds": 30, "warmup": 3.0}
    for name, value in (quick if args.quick else full).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    console = Console(width=max(140, Console().width))
    started = time.perf_counter()
    store = replay.Store(args.database_url, args.reuse or f"aspe_gqlload_{uuid.uuid4().hex[:8]}")
    try:
        if args.reuse:
            console.log(f"reusing schema {store.schema}")
        else:
            store.create()
            build_store(store, args, console)
        target = find_target(store)
        console.log(
            f"referent {target.email}: {len(target.case_ids):,} of {target.cases_in_store:,} "
            f"cases visible, {len(target.cursors):,} caseload cursors"
        )
        with served(store, args.port or free_port(), args.app, console) as base:
            token = log_in(base, target.email)
            checked = same_answers(base, token, target, args.seed)
            runs = measure(base, token, target, args, console)
        report(console, runs, target, checked, args.seconds)
        console.print(
            f"server and client on the same {os.cpu_count()} CPUs, with PostgreSQL; "
            f"uvicorn, one worker"
        )
    finally:
        if args.keep or args.reuse:
            console.print(f"schema kept: {store.schema}")
        else:
            store.drop()
    console.print(
        f"total {time.perf_counter() - started:.0f} s at {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )


if __name__ == "__main__":
    main()
