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
3. **server CPU per request**: one sequential client (never two requests in flight) asks
   ``--cpu-rounds`` rounds of one block of ``--cpu-block`` requests for each of GraphQL case
   detail, plain case detail, GraphQL caseload page, plain caseload page, interleaved; the
   uvicorn process's user + system CPU time (``/proc/<pid>/stat``) over each block, divided
   by its requests, and GraphQL ÷ plain;
4. **open loop**: the capacity (GraphQL case detail, ``--capacity-clients`` closed-loop
   clients, requests/s), then GraphQL case details sent on a fixed schedule at
   ``--load-fraction`` (60 %) of it, each latency timed from its scheduled send time (so
   queueing counts): p50, p99;
5. information only, the old closed-loop grid (each ``--clients`` × query × API): closed-loop
   clients that never pause measure clients ÷ throughput, and they share the two cores.

Targets (issue 17): GraphQL case detail ≤ 4 ms server CPU per request and ≤ 1.5 × the plain
endpoint's; caseload page ≤ 2 × the plain endpoint's; open loop at 60 % of capacity p99 ≤
100 ms. It is a benchmark, not a test: it exits 0 whatever the figures.
Quick run: ``.venv/bin/python bench/graphql_load.py --quick`` (200 cases, no grid, about 50 s).
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
from aspe.graphql.queries import CaseSort, cursor_of  # noqa: E402
from aspe.projections.case_file import CASES  # noqa: E402

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
            cursors=[None, *(cursor_of(CaseSort.OPENED_ON, row["case_id"]) for row in full_pages)],
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
def served(store: replay.Store, port: int, app: str, console: Console) -> Iterator[tuple[str, int]]:
    """uvicorn (one worker: one process, whose CPU time is the server's) serving the factory
    ``app`` (the ASPE app and the plain routes); its base URL and process id."""
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
            yield base, server.pid
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
        return quantile(self.latencies, q)


def quantile(latencies: list[float], q: int) -> float:
    if len(latencies) < 2:
        return latencies[0] if latencies else float("nan")
    return statistics.quantiles(latencies, n=100, method="inclusive")[q - 1]


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


# ------------------------------------------------------------- CPU per request
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
CPU_SERIES = (
    ("case", "GraphQL"),
    ("case", "plain"),
    ("caseload", "GraphQL"),
    ("caseload", "plain"),
)
"""Interleaved in this order in every round, so drift and noise fall on all four alike."""


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` (all its threads), from ``/proc/<pid>/stat``:
    the server's own work, whoever else shares the cores."""
    with open(f"/proc/{pid}/stat") as stat:
        # The command name (field 2) may hold spaces: split after its closing parenthesis.
        fields = stat.read().rpartition(")")[2].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) / CLOCK_TICKS


@dataclass
class CpuSeries:
    query: str
    api: str
    requests: int = 0
    server_cpu: float = 0.0
    wall: float = 0.0

    @property
    def cpu_per_request(self) -> float:
        return self.server_cpu / self.requests if self.requests else float("nan")

    @property
    def wall_per_request(self) -> float:
        return self.wall / self.requests if self.requests else float("nan")


def measure_cpu(
    base: str, token: str, pid: int, target: Target, args: argparse.Namespace, console: Console
) -> dict[tuple[str, str], CpuSeries]:
    """One sequential client (never two requests in flight): ``--cpu-rounds`` rounds of one
    block of ``--cpu-block`` requests per series, interleaved; the server's CPU time over
    each block, divided by its requests. A warm-up block of each first, not counted."""
    rng = random.Random(args.seed)
    series = {key: CpuSeries(*key) for key in CPU_SERIES}
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        for query, api in CPU_SERIES:
            cpu_block(client, pid, query, api, keys_of(query, target), rng, args.cpu_block // 4)
        for _ in range(args.cpu_rounds):
            for key, counted in series.items():
                cpu, wall = cpu_block(
                    client, pid, *key, keys_of(key[0], target), rng, args.cpu_block
                )
                counted.requests += args.cpu_block
                counted.server_cpu += cpu
                counted.wall += wall
    for counted in series.values():
        console.log(
            f"CPU, one sequential client, {QUERIES[counted.query]}, {counted.api}: "
            f"{ms(counted.cpu_per_request)} ms server CPU, {ms(counted.wall_per_request)} ms "
            f"wall per request ({counted.requests:,} requests)"
        )
    return series


def cpu_block(
    client: httpx.Client, pid: int, query: str, api: str, keys: Sequence[str | None],
    rng: random.Random, count: int,
) -> tuple[float, float]:  # fmt: skip
    """``count`` requests one after the other: the server's CPU seconds and wall seconds."""
    cpu, began = cpu_seconds(pid), time.perf_counter()
    for _ in range(count):
        method, path, body = request_of(api, query, rng.choice(keys))
        answer_of(api, query, client.request(method, path, json=body))
    return cpu_seconds(pid) - cpu, time.perf_counter() - began


# -------------------------------------------------------------------- open loop
@dataclass
class OpenLoop:
    capacity: float
    """Requests/s of the closed-loop run that measured it (same run, same query and API)."""
    rate: float
    seconds: float
    sent: int = 0
    latencies: list[float] = field(default_factory=list)
    """From each request's scheduled send time to its answer: waiting for the client's
    connection pool, the server's queue and the answer all count."""
    failures: int = 0
    failure_samples: list[str] = field(default_factory=list)
    late_starts: int = 0
    """Requests the generator itself sent more than 10 ms after their scheduled time."""
    load: float = 0.0

    def quantile(self, q: int) -> float:
        return quantile(self.latencies, q)


def open_loop_child(
    base: str, token: str, loop: OpenLoop, keys: Sequence[str | None], warmup: float,
    seed: int, results: Any,
) -> None:  # fmt: skip
    results.put(asyncio.run(open_loop(base, token, loop, keys, warmup, seed)))


async def open_loop(
    base: str, token: str, loop: OpenLoop, keys: Sequence[str | None], warmup: float, seed: int
) -> OpenLoop:
    """GraphQL case details sent at ``loop.rate`` per second on a fixed schedule, whether or
    not the earlier ones were answered (an open loop); the first ``warmup`` s not counted."""
    rng = random.Random(seed)
    limits = httpx.Limits(max_connections=OPEN_LOOP_CONNECTIONS, max_keepalive_connections=64)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        base_url=base, headers=headers, limits=limits, timeout=60
    ) as client:
        start = time.perf_counter() + 0.1
        measured_from = start + warmup
        total = int(loop.rate * (warmup + loop.seconds))
        tasks = []
        for n in range(total):
            scheduled = start + n / loop.rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            elif delay < -0.010:
                loop.late_starts += 1
            request = request_of("GraphQL", "case", rng.choice(keys))
            tasks.append(
                asyncio.create_task(
                    one_scheduled(client, loop, request, scheduled, scheduled >= measured_from)
                )
            )
        await asyncio.gather(*tasks)
    return loop


OPEN_LOOP_CONNECTIONS = 256
"""Enough for the queue of a server that falls behind: a request waiting for a connection
still counts from its scheduled time."""


async def one_scheduled(
    client: httpx.AsyncClient, loop: OpenLoop, request: tuple[str, str, Any], scheduled: float,
    counted: bool,
) -> None:  # fmt: skip
    method, path, body = request
    failure = None
    try:
        answer_of("GraphQL", "case", await client.request(method, path, json=body))
    except (Failure, httpx.HTTPError, ValueError) as error:
        failure = f"{type(error).__name__}: {error}"
    if not counted:
        return
    loop.sent += 1
    if failure is None:
        loop.latencies.append(time.perf_counter() - scheduled)
    else:
        loop.failures += 1
        if len(loop.failure_samples) < 5:
            loop.failure_samples.append(failure)


def measure_open_loop(
    base: str, token: str, target: Target, args: argparse.Namespace, console: Console
) -> OpenLoop:
    """The capacity (closed loop, ``--capacity-clients``), then the open loop at
    ``--load-fraction`` of it, both on GraphQL case details, one after the other."""
    capacity = Run(args.capacity_clients, "case", "GraphQL", float(args.capacity_seconds))
    capacity = in_child(
        client_child, base, token, capacity, target.case_ids, args.warmup, args.seed,
        timeout=args.warmup + args.capacity_seconds + 120,
    )  # fmt: skip
    console.log(
        f"capacity, GraphQL case detail, {args.capacity_clients} closed-loop clients: "
        f"{capacity.rate:,.1f} req/s"
        + (f", {capacity.failures} failures" if capacity.failures else "")
    )
    loop = OpenLoop(capacity.rate, capacity.rate * args.load_fraction, float(args.open_seconds))
    loop = in_child(
        open_loop_child, base, token, loop, target.case_ids, args.warmup, args.seed + 1,
        timeout=args.warmup + args.open_seconds + 180,
    )  # fmt: skip
    loop.load = os.getloadavg()[0]
    console.log(
        f"open loop at {loop.rate:,.1f} req/s ({args.load_fraction:.0%} of capacity): "
        f"{len(loop.latencies):,} answered, p50 {ms(loop.quantile(50))} ms, "
        f"p99 {ms(loop.quantile(99))} ms from the scheduled send"
        + (f", {loop.failures} failures" if loop.failures else "")
    )
    return loop


# -------------------------------------------------------------------------- output
def verdict(met: bool) -> str:
    return "[green]met[/green]" if met else "[bold red]MISSED[/bold red]"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f}"


def report(
    console: Console, runs: list[Run], target: Target, checked: dict[str, Any], seconds: int
) -> None:
    """The closed-loop grid: information only (it measures clients ÷ throughput, with the
    clients on the server's cores), and the check of the answers."""
    for query, label in QUERIES.items():
        equal, asked, sizes = checked[query]
        console.print(
            f"{label}: {equal}/{asked} sampled answers equal through both APIs; average body "
            + ", ".join(f"{api} {size:,.0f} B" for api, size in sizes.items())
        )
    for query, key in checked["differences"][:3]:
        console.print(f"[bold red]different answers[/bold red]: {query} {key}")
    if not runs:
        return
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
    for run in runs:
        for sample in run.failure_samples:
            console.print(f"[red]failure[/red] ({run.clients}, {run.query}, {run.api}): {sample}")


CPU_TARGET = 0.004
"""GraphQL case detail: server CPU seconds per request, at most."""
CPU_RATIO_TARGETS = {"case": 1.5, "caseload": 2.0}
"""Query → GraphQL's server CPU per request ÷ the plain endpoint's, at most."""
OPEN_LOOP_P99_TARGET = 0.100


def report_cpu(console: Console, series: dict[tuple[str, str], CpuSeries]) -> None:
    table = Table(title="Server CPU per request, one sequential client, interleaved blocks")
    for column in ("query", "API", "requests", "CPU ms/req", "wall ms/req", "CPU ÷ plain"):
        left = column in ("query", "API")
        table.add_column(column, justify="left" if left else "right", no_wrap=True)
    for (query, api), counted in series.items():
        ratio = counted.cpu_per_request / series[(query, "plain")].cpu_per_request
        table.add_row(
            QUERIES[query], api, f"{counted.requests:,}", ms(counted.cpu_per_request),
            ms(counted.wall_per_request), f"×{ratio:.2f}" if api == "GraphQL" else "",
        )  # fmt: skip
    console.print(table)
    case = series[("case", "GraphQL")].cpu_per_request
    console.print(
        f"GraphQL case detail ≤ {CPU_TARGET * 1000:.0f} ms server CPU per request: "
        f"{ms(case)} ms, {verdict(case <= CPU_TARGET)}"
    )
    for query, limit in CPU_RATIO_TARGETS.items():
        graphql, plain = series[(query, "GraphQL")], series[(query, "plain")]
        ratio = graphql.cpu_per_request / plain.cpu_per_request
        console.print(
            f"{QUERIES[query]}: GraphQL CPU ≤ {limit} × plain: ×{ratio:.2f} "
            f"({ms(graphql.cpu_per_request)} against {ms(plain.cpu_per_request)} ms), "
            f"{verdict(ratio <= limit)}"
        )


def report_open_loop(console: Console, loop: OpenLoop, fraction: float) -> None:
    p99 = loop.quantile(99)
    console.print(
        f"open loop, GraphQL case detail: capacity {loop.capacity:,.1f} req/s (closed loop), "
        f"offered {loop.rate:,.1f} req/s ({fraction:.0%}) for {loop.seconds:.0f} s: "
        f"{len(loop.latencies):,} answered of {loop.sent:,}, {loop.failures} failures, "
        f"p50 {ms(loop.quantile(50))} ms, p99 {ms(p99)} ms from the scheduled send, "
        f"{loop.late_starts} sent > 10 ms late by the generator (load {loop.load:.1f})"
    )
    console.print(
        f"open loop p99 ≤ {OPEN_LOOP_P99_TARGET * 1000:.0f} ms: {ms(p99)} ms, "
        f"{verdict(p99 <= OPEN_LOOP_P99_TARGET and not loop.failures)}"
    )
    for sample in loop.failure_samples:
        console.print(f"[red]failure[/red] (open loop): {sample}")


# ---------------------------------------------------------------------------- main
def client_counts(text: str) -> list[int]:
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError("a comma-separated list of numbers") from None
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError("at least one number, each at least 1")
    return counts


def fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("a number between 0 and 1") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError("a number between 0 and 1 (0.6: 60 %)")
    return value


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cases", type=replay.positive, help="cases to generate (10,000)")
    parser.add_argument(
        "--events-per-case", type=replay.positive,
        help="events generated per case on average (100, as replay.py's store; quick 30)",
    )  # fmt: skip
    parser.add_argument("--seconds", type=replay.positive, help="measured, per run (30)")
    parser.add_argument("--warmup", type=float, help="seconds before each run's measure (3)")
    parser.add_argument(
        "--clients", type=client_counts,
        help="the closed-loop grid's clients, information only: 16,64 (quick: none)",
    )  # fmt: skip
    parser.add_argument(
        "--cpu-rounds", type=replay.positive, help="interleaved rounds of the CPU measure (10)"
    )
    parser.add_argument(
        "--cpu-block", type=replay.positive, help="requests per series and round (100)"
    )
    parser.add_argument(
        "--capacity-clients", type=replay.positive, default=4,
        help="closed-loop clients that measure the capacity (4: keep one worker busy)",
    )  # fmt: skip
    parser.add_argument("--capacity-seconds", type=replay.positive, help="of the capacity run (20)")
    parser.add_argument(
        "--load-fraction", type=fraction, default=0.6,
        help="the open loop's rate, as a fraction of the capacity (0.6)",
    )  # fmt: skip
    parser.add_argument("--open-seconds", type=replay.positive, help="of the open loop (60)")
    parser.add_argument(
        "--quick", action="store_true",
        help="200 cases of 30 events, no closed-loop grid, short runs (about 50 s)",
    )  # fmt: skip
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
    quick = {
        "cases": 200, "events_per_case": 30, "seconds": 5, "warmup": 1.0, "clients": [],
        "cpu_rounds": 3, "cpu_block": 40, "capacity_seconds": 4, "open_seconds": 8,
    }  # fmt: skip
    full = {
        "cases": 10_000, "events_per_case": 100, "seconds": 30, "warmup": 3.0,
        "clients": [16, 64], "cpu_rounds": 10, "cpu_block": 100, "capacity_seconds": 20,
        "open_seconds": 60,
    }  # fmt: skip
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
        with served(store, args.port or free_port(), args.app, console) as (base, pid):
            token = log_in(base, target.email)
            checked = same_answers(base, token, target, args.seed)
            series = measure_cpu(base, token, pid, target, args, console)
            loop = measure_open_loop(base, token, target, args, console)
            runs = measure(base, token, target, args, console)
        report(console, runs, target, checked, args.seconds)
        report_cpu(console, series)
        report_open_loop(console, loop, args.load_fraction)
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
