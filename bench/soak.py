"""Survival test (a soak): the whole topology under steady load while its processes die.

What runs, all on this machine:

- ``aspe up --api 2 --runners 2 --workers 2`` (two API processes, two projection runners,
  the notifier, two Celery workers and beat) on a PostgreSQL schema of the run's own, loaded
  with the demo;
- a ``redis-server`` of the run's own on a free port, without persistence (its restart
  loses whatever was queued, as a crash of an unpersisted Redis does);
- an SMTP server on loopback that keeps the ``Message-ID`` of every e-mail it accepts;
- several clients, each walking new cases through the API at a steady rate shared among
  them: register a household, open its case, record the diagnostic, submit the request
  (the SPSLH is told), register it (the commission is told), grant the measure (the
  association and the landlord are told). Each command carries an idempotency key; a
  client that gets no answer (its API process died), an HTTP 5xx or a transient code sends
  it again with the same key, to the other API process, as a load balancer would.

While the load runs, a fault every ``--fault-every`` seconds, in turn: ``kill -9`` of
``api.1``, ``runner.1``, ``worker.1`` and ``beat`` (their pids from
``ASPE_DATA_DIR/up.json``), then a restart of the Redis server. After each, the time until
every API process's ``/readyz`` answers 200 again.

Then the load stops, the deployment settles and stops, and the run checks:

1. every acknowledged command is stored exactly once, and nothing unacknowledged is;
2. every e-mail to send was received exactly once (by ``Message-ID``, derived from its
   delivery key), every delivery is ``delivered``, and each notifying event has some;
3. every read model equals a fresh rebuild of the same events into a second schema;
4. ``/readyz`` was 200 again within 30 s of each fault.

``tests/soak/test_survival.py`` runs the short form in CI; the long form is by hand::

    .venv/bin/python bench/soak.py                       # 10 minutes of load, 10 commands/s
    .venv/bin/python bench/soak.py --minutes 30 --rate 20

It needs the PostgreSQL of ``infra/`` (``127.0.0.1:5432``, user ``postgres``, database
``test``) and ``redis-server`` installed; it creates and drops its two schemas.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import psycopg
from aiosmtpd.controller import Controller
from eventsourcing.utils import get_topic

from aspe.bootstrap import build_application, build_projector, build_views
from aspe.domain.case import Case
from aspe.domain.household import Household
from aspe.projections.view import APPLICATION_NAME, TableView
from aspe.settings import Environment, Settings
from aspe.workers.delivery import DELIVERED, delivery_id
from aspe.workers.inbox import DELIVERIES, store_of
from aspe.workers.notifier import Notifier

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("ASPE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
PASSWORD = "aspe-demo"
READY_WITHIN = 30.0
"""Seconds within which every API process must be ready again after a fault (issue 16)."""
TRANSIENT = frozenset({"INTERNAL_ERROR", "SERVER_BUSY", "PROJECTION_TIMEOUT"})
"""Error codes a client answers by sending the command again, with the same key."""
RECOVERY_BOUND = 90.0
"""Seconds the run waits for a deployment to come back before going on without it."""
GIVE_UP_AFTER = 120.0
"""Seconds a client keeps sending one command before calling it lost."""
FAULTS = ("api.1", "runner.1", "worker.1", "beat", "redis")


# ------------------------------------------------------------------------------ plan
@dataclass(frozen=True)
class Plan:
    """How long, how hard, and how often to break things."""

    load_seconds: float = 600.0
    rate: float = 10.0
    """Commands per second, all clients together, at fixed times (open loop)."""
    clients: int = 4
    fault_every: float = 20.0
    apis: int = 2
    runners: int = 2
    workers: int = 2
    requeue_after: float = 5.0
    """``ASPE_DELIVERY_REQUEUE_AFTER``: short, so deliveries lost with Redis go again soon."""
    settle_within: float = 180.0

    @classmethod
    def short(cls) -> Plan:
        """The CI's form: every fault once, in about three minutes in all."""
        return cls(load_seconds=75.0, rate=6.0, clients=3, fault_every=13.0)


# ------------------------------------------------------------------------- services
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(check: Callable[[], object], what: str, timeout: float) -> float:
    """Seconds until ``check()`` holds; ``SoakFailed`` past ``timeout``."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise SoakFailed(f"not done within {timeout:.0f} s: {what}")
        time.sleep(0.1)
    return time.monotonic() - started


class SoakFailed(Exception):
    """The run could not go on (a service did not start, a client lost a command)."""


@dataclass
class RedisServer:
    """A ``redis-server`` of the run's own, without persistence, on a fixed port."""

    port: int
    workdir: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        arguments = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        arguments += ["--appendonly", "no", "--dir", str(self.workdir)]
        self.process = subprocess.Popen(
            [binary, *arguments], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_until(self._answers, "redis-server to start", 10)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def restart(self) -> None:
        self.kill()
        self.start()

    def _answers(self) -> bool:
        with suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
        return False


@dataclass
class MailSink:
    """An SMTP server on loopback: the ``Message-ID`` of every e-mail it accepted."""

    received: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message_id = str(message_from_bytes(envelope.content)["Message-ID"])
        with self.lock:
            self.received[message_id] += 1
        return "250 2.0.0 OK"

    def counts(self) -> Counter[str]:
        with self.lock:
            return Counter(self.received)


@contextmanager
def mail_sink() -> Iterator[tuple[MailSink, int]]:
    sink = MailSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield sink, controller.port
    finally:
        controller.stop()


@contextmanager
def postgres_schemas(count: int) -> Iterator[list[str]]:
    names = [f"aspe_soak_{uuid.uuid4().hex[:8]}" for _ in range(count)]
    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        for name in names:
            connection.execute(f'CREATE SCHEMA "{name}"')
    try:
        yield names
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
            for name in names:
                connection.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


# ------------------------------------------------------------------------ deployment
@dataclass
class Deployment:
    """A running ``aspe up``: its process, its state file, its API ports, its Redis."""

    process: subprocess.Popen[bytes]
    data_dir: Path
    ports: list[int]
    redis: RedisServer
    log: Path

    def pids(self) -> dict[str, int]:
        try:
            return dict(json.loads((self.data_dir / "up.json").read_text()))
        except (FileNotFoundError, json.JSONDecodeError):
            return {}

    def ready(self) -> bool:
        """Whether every API process's ``/readyz`` answers 200."""
        return all(_ready(port) for port in self.ports)

    def not_ready(self) -> str:
        """What each API process's ``/readyz`` says is not ready."""
        said = []
        for port in self.ports:
            try:
                checks = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).json()["checks"]
            except (httpx.HTTPError, ValueError, KeyError) as error:
                said.append(f"{port}: {type(error).__name__}")
                continue
            failing = {name: check["detail"] for name, check in checks.items() if not check["ok"]}
            said.append(f"{port}: {failing or 'ready'}")
        return "; ".join(said)

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)


def _ready(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def environment(settings: Settings, redis: RedisServer, smtp_port: int, plan: Plan) -> dict:
    """The ``ASPE_*`` environment of the deployment (and of ``aspe demo``)."""
    kept = {name: value for name, value in os.environ.items() if not name.startswith("ASPE_")}
    return {
        **kept,
        "PYTHONPATH": str(ROOT),
        "ASPE_ENV": "test",
        "ASPE_DATA_DIR": str(settings.data_dir),
        "ASPE_DATABASE_URL": POSTGRES_URL,
        "ASPE_DATABASE_SCHEMA": str(settings.database_schema),
        "ASPE_REDIS_URL": redis.url,
        "ASPE_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
        "ASPE_CELERY_QUEUE": "soak",
        "ASPE_DELIVERY_REQUEUE_AFTER": str(plan.requeue_after),
        "ASPE_DELIVERY_LEASE_SECONDS": "5",
        "ASPE_BROKER_VISIBILITY_TIMEOUT": "10",
        "ASPE_DELIVERY_RETRY_BACKOFF": "1",
        "ASPE_DELIVERY_RETRY_BACKOFF_MAX": "4",
        "ASPE_WORKER_CONCURRENCY": str(settings.worker_concurrency),
    }


@contextmanager
def deployment(env: dict[str, str], plan: Plan, redis: RedisServer) -> Iterator[Deployment]:
    data_dir = Path(env["ASPE_DATA_DIR"])
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    while any(_busy(port + i) for i in range(plan.apis)):
        port = free_port()
    log = data_dir / "up.log"
    command = [sys.executable, "-m", "aspe.cli", "up", "--api", str(plan.apis)]
    command += ["--runners", str(plan.runners), "--workers", str(plan.workers)]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            env={**env, "ASPE_API_PORT": str(port)},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    up = Deployment(process, data_dir, [port + i for i in range(plan.apis)], redis, log)
    try:
        expected = plan.apis + plan.runners + 1 + plan.workers + 1
        wait_until(lambda: len(up.pids()) == expected, "every process started", 90)
        wait_until(up.ready, "every API process ready", 90)
        yield up
    finally:
        if process.poll() is None:
            with suppress(subprocess.TimeoutExpired):
                up.stop()
        for pid in up.pids().values():
            with suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        if process.poll() is None:
            process.kill()


def _busy(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


# --------------------------------------------------------------------------- clients
@dataclass(frozen=True)
class Step:
    """One command of a case's walk: who sends it, the mutation, the event it stores."""

    name: str
    role: str
    document: str
    event: type
    notifies: bool = False


STEPS = (
    Step(
        "registerHousehold",
        "referent",
        """mutation($key: String, $landlordId: ID!, $name: String!) {
          registerHousehold(input: {
            landlordId: $landlordId, name: $name, contact: "06 12 34 56 78", members: 3,
            address: {street: "12 rue des Lilas", postcode: "69003", city: "Lyon"}
          }, idempotencyKey: $key) { id } }""",
        Household.Registered,
    ),
    Step(
        "openCase",
        "referent",
        """mutation($key: String, $householdId: ID!, $referentId: ID!) {
          openCase(householdId: $householdId, referentId: $referentId, idempotencyKey: $key)
          { id } }""",
        Case.Opened,
    ),
    Step(
        "recordDiagnostic",
        "referent",
        """mutation($key: String, $caseId: ID!) {
          recordDiagnostic(caseId: $caseId,
            findings: [{theme: BUDGET, difficulty: "Dette locative de quatre mois"}],
            objectives: [{id: "obj-rent", theme: BUDGET, label: "Reprendre le loyer"}],
            idempotencyKey: $key) { id } }""",
        Case.DiagnosticRecorded,
    ),
    Step(
        "submitRequest",
        "referent",
        """mutation($key: String, $caseId: ID!) {
          submitRequest(caseId: $caseId, input: {
            aidRequest: {amountRequested: "1800.00", rentArrears: "2400.00",
                         monthlyRent: "620.00"},
            proposedMeasure: SIMPLE, proposedDurationMonths: 12
          }, idempotencyKey: $key) { id } }""",
        Case.RequestSubmitted,
        notifies=True,
    ),
    Step(
        "registerRequest",
        "spslh",
        """mutation($key: String, $caseId: ID!, $sessionOn: Date!) {
          registerRequest(caseId: $caseId, commissionSessionOn: $sessionOn,
            idempotencyKey: $key) { id } }""",
        Case.RequestRegistered,
        notifies=True,
    ),
    Step(
        "grantMeasure",
        "commission",
        """mutation($key: String, $caseId: ID!) {
          grantMeasure(caseId: $caseId, input: {
            measureType: SIMPLE, durationMonths: 12, probationMonths: 6, aidGranted: "1500.00"
          }, idempotencyKey: $key) { id } }""",
        Case.MeasureGranted,
        notifies=True,
    ),
)
ROLES = {"referent": "referent@demo.aspe.fr", "spslh": "spslh@demo.aspe.fr"}
ROLES["commission"] = "commission@demo.aspe.fr"


@dataclass
class Acknowledged:
    step: str
    key: str
    aggregate_id: str
    attempts: int
    seconds: float
    """From the command's scheduled time to its acknowledgement, retries included."""


@dataclass
class Ledger:
    """What the clients sent and were told, shared by every client thread."""

    acknowledged: list[Acknowledged] = field(default_factory=list)
    retries: Counter[str] = field(default_factory=Counter)
    lost: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, entry: Acknowledged) -> None:
        with self.lock:
            self.acknowledged.append(entry)

    def retried(self, why: str) -> None:
        with self.lock:
            self.retries[why] += 1


class Pacer:
    """Fixed send times at ``rate`` per second shared by all clients: a late client sends
    at once, and its latency counts from the time it should have sent."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self.next = time.monotonic()
        self.lock = threading.Lock()

    def slot(self) -> float:
        with self.lock:
            slot, self.next = self.next, self.next + self.interval
        time.sleep(max(0.0, slot - time.monotonic()))
        return slot


@dataclass
class Client:
    """Walks new cases through ``STEPS``, one command per slot of the pacer."""

    number: int
    ports: list[int]
    tokens: dict[str, str]
    ids: dict[str, str]
    pacer: Pacer
    ledger: Ledger
    stop: threading.Event
    walks: int = 0

    def run(self) -> None:
        with httpx.Client(timeout=10) as http:
            while not self.stop.is_set():
                try:
                    self.walk(http)
                except SoakFailed:
                    return

    def walk(self, http: httpx.Client) -> None:
        self.walks += 1
        today = datetime.now(ZoneInfo("Europe/Paris")).date().isoformat()
        variables: dict[str, str] = {
            "landlordId": self.ids["landlord"],
            "referentId": self.ids["referent"],
            "name": f"Ménage Soak {self.number}-{self.walks}",
            "sessionOn": today,
        }
        for step in STEPS:
            if self.stop.is_set():
                return
            created = self.send(http, step, variables)
            if step.name == "registerHousehold":
                variables["householdId"] = created
            if step.name == "openCase":
                variables["caseId"] = created

    def send(self, http: httpx.Client, step: Step, variables: dict[str, str]) -> str:
        """Send until acknowledged, with one key; the id the command answered."""
        key = f"soak-{self.number}-{self.walks}-{step.name}"
        scheduled = self.pacer.slot()
        headers = {"Authorization": f"Bearer {self.tokens[step.role]}"}
        body = {"query": step.document, "variables": {**variables, "key": key}}
        for attempt in range(1, 10_000):
            port = self.ports[(self.number + attempt - 1) % len(self.ports)]
            outcome = _post(http, port, body, headers)
            if isinstance(outcome, dict):
                created = str(next(iter(outcome.values()))["id"])
                seconds = time.monotonic() - scheduled
                self.ledger.add(Acknowledged(step.name, key, created, attempt, seconds))
                return created
            if outcome.startswith("refused"):
                self.ledger.refused.append(f"{key}: {outcome}")
                raise SoakFailed(outcome)
            self.ledger.retried(outcome)
            if time.monotonic() - scheduled > GIVE_UP_AFTER:
                break
            time.sleep(0.2)
        self.ledger.lost.append(key)
        raise SoakFailed(f"{key} never acknowledged")


def _post(http: httpx.Client, port: int, body: dict, headers: dict) -> dict | str:
    """The mutation's data, or why to try again ("refused …" if not)."""
    try:
        response = http.post(f"http://127.0.0.1:{port}/graphql", json=body, headers=headers)
    except httpx.TransportError as error:
        return f"no answer ({type(error).__name__})"
    if response.status_code >= 500:
        return f"HTTP {response.status_code}"
    answer = response.json()
    if not answer.get("errors"):
        return dict(answer["data"])
    code = str(answer["errors"][0].get("extensions", {}).get("code"))
    if code in TRANSIENT:
        return code
    return f"refused {code}: {answer['errors'][0].get('message')}"


def log_in(port: int) -> tuple[dict[str, str], dict[str, str]]:
    """Each role's token, and the ids the walk needs (the référent's, a landlord's)."""
    query = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"
    tokens = {}
    for role, email in ROLES.items():
        answer = httpx.post(
            f"http://127.0.0.1:{port}/graphql",
            json={"query": query, "variables": {"e": email, "p": PASSWORD}},
            timeout=30,
        ).json()
        tokens[role] = answer["data"]["login"]["token"]
    ids: dict = {}

    def directory_built() -> bool:
        # /readyz is 200 once the read models are within the allowed lag, which on a
        # fresh store can be before the directory holds the demo's landlords
        ids.update(
            httpx.post(
                f"http://127.0.0.1:{port}/graphql",
                json={"query": "{ me { id } landlords { id } }"},
                headers={"Authorization": f"Bearer {tokens['referent']}"},
                timeout=30,
            ).json()["data"]
        )
        return bool(ids["landlords"])

    wait_until(directory_built, "the directory's landlords", 60)
    return tokens, {"referent": ids["me"]["id"], "landlord": ids["landlords"][0]["id"]}


# ---------------------------------------------------------------------------- faults
@dataclass
class Fault:
    what: str
    ready_after: float
    """Seconds from the fault to every API process's ``/readyz`` answering 200."""
    error: str = ""
    """Why the deployment did not come back, if it did not."""

    def __str__(self) -> str:
        back = f"ready again in {self.ready_after:.1f} s"
        return f"{self.what} ({back}: {self.error})" if self.error else f"{self.what} ({back})"


def inject(up: Deployment, what: str) -> Fault:
    """Break ``what`` (a process of ``up.json``, or ``redis``), then time the way back; a
    deployment not back within ``RECOVERY_BOUND`` seconds is reported, and the run goes on."""
    struck = time.monotonic()
    try:
        if what == "redis":
            up.redis.restart()
        else:
            pid = up.pids()[what]
            os.kill(pid, signal.SIGKILL)
            wait_until(lambda: up.pids().get(what) not in (None, pid), f"{what} replaced", 60)
        wait_until(up.ready, f"ready after {what}", RECOVERY_BOUND)
    except SoakFailed as error:
        return Fault(what, time.monotonic() - struck, f"{error}; {up.not_ready()}")
    return Fault(what, time.monotonic() - struck)


def run_faults(up: Deployment, plan: Plan, stop: threading.Event, faults: list[Fault]) -> None:
    """One fault every ``plan.fault_every`` seconds, in turn, until ``stop``."""
    turn = 0
    while not stop.wait(plan.fault_every):
        faults.append(inject(up, FAULTS[turn % len(FAULTS)]))
        turn += 1


# ---------------------------------------------------------------------------- checks
@dataclass
class Report:
    """What the run held, what it broke, what it lost."""

    plan: Plan
    seconds: float = 0.0
    ledger: Ledger = field(default_factory=Ledger)
    faults: list[Fault] = field(default_factory=list)
    stored_twice: list[str] = field(default_factory=list)
    stored_unacknowledged: list[str] = field(default_factory=list)
    not_stored: list[str] = field(default_factory=list)
    emails_expected: int = 0
    emails_missing: int = 0
    emails_duplicated: int = 0
    """Second copies: the same ``Message-ID`` received again (see ``copies_explained``)."""
    emails_unexpected: int = 0
    pool_processes: int = 1
    """Each worker's pool processes (``ASPE_WORKER_CONCURRENCY``, given to the deployment)."""
    deliveries_not_delivered: dict[str, int] = field(default_factory=dict)
    events_without_delivery: list[str] = field(default_factory=list)
    read_models_differing: list[str] = field(default_factory=list)
    read_models_behind: list[str] = field(default_factory=list)
    read_models_compared: int = 0
    events_compared: int = 0
    settle_seconds: float = 0.0
    requeued: int = 0
    """Deliveries beat queued again after their task was lost (with Redis, or a worker)."""
    errors_logged: int = 0
    """Lines the deployment logged at ERROR: expected while its processes are killed."""

    @property
    def copies_explained(self) -> int:
        """How many second copies a kill can explain. A worker killed between the SMTP
        server's acceptance of an e-mail and its record ``delivered`` (a window of
        milliseconds no protocol closes) sends it again once its lease runs out, under the
        same ``Message-ID``, by which the receiving system recognises the copy. Each worker
        killed may leave one such copy per pool process (``ASPE_WORKER_CONCURRENCY``),
        each sending one e-mail at a time; any more is a bug."""
        kills = sum(1 for fault in self.faults if fault.what.startswith("worker."))
        return kills * self.pool_processes

    @property
    def slow_recoveries(self) -> list[Fault]:
        return [f for f in self.faults if f.error or f.ready_after > READY_WITHIN]

    @property
    def unexplained_copies(self) -> int:
        return max(0, self.emails_duplicated - self.copies_explained)

    def losses(self) -> list[str]:
        """Every broken promise, said in a line; empty when the deployment survived."""
        undelivered = [f"{what}: {n}" for what, n in self.deliveries_not_delivered.items()]
        problems = {
            "commands refused": self.ledger.refused,
            "commands never acknowledged": self.ledger.lost,
            "acknowledged commands stored twice": self.stored_twice,
            "acknowledged commands not stored": self.not_stored,
            "unacknowledged commands stored": self.stored_unacknowledged,
            "deliveries not delivered": undelivered,
            "notifying events without delivery": self.events_without_delivery,
            "read models unlike their rebuild": self.read_models_differing,
            "read models behind the store": self.read_models_behind,
            "faults not recovered within 30 s": [str(f) for f in self.slow_recoveries],
        }
        lines = [f"{what}: {items[:5]}" for what, items in problems.items() if items]
        for what, count in (
            ("e-mails missing", self.emails_missing),
            ("copies no worker's death explains", self.unexplained_copies),
            ("e-mails nobody sent", self.emails_unexpected),
        ):
            if count:
                lines.append(f"{what}: {count}")
        return lines


def check_commands(settings: Settings, after: int, report: Report) -> None:
    """Each acknowledged command's event is stored once; no unacknowledged one is."""
    app = build_application(settings)
    try:
        for step in STEPS:
            stored = Counter(str(e.originator_id) for e in _events(app, after, step.event))
            acknowledged = {
                a.aggregate_id: a.key for a in report.ledger.acknowledged if a.step == step.name
            }
            report.stored_twice += [
                acknowledged[i] for i, n in stored.items() if i in acknowledged and n > 1
            ]
            report.not_stored += [key for i, key in acknowledged.items() if i not in stored]
            unacknowledged = [i for i in stored if i not in acknowledged]
            report.stored_unacknowledged += [f"{step.name} {i}" for i in unacknowledged]
    finally:
        app.close()


def _events(app: Any, after: int, event_class: type) -> Iterator[Any]:
    start, topic = after + 1, get_topic(event_class)
    while True:
        batch = app.recorder.select_notifications(start=start, limit=1000, topics=[topic])
        if not batch:
            return
        yield from (app.mapper.to_domain_event(notification) for notification in batch)
        start = batch[-1].id + 1


REQUEUED = re.compile(r"(\d+) deliveries were waiting for a lost task")


def read_log(log: Path, report: Report) -> None:
    """What the deployment said of its troubles: deliveries queued again, errors."""
    for line in log.read_text(errors="replace").splitlines():
        if requeued := REQUEUED.search(line):
            report.requeued += int(requeued.group(1))
        if " ERROR " in line:
            report.errors_logged += 1


def delivery_rows(settings: Settings) -> list[dict[str, Any]]:
    view = store_of(settings)
    with view.transaction(commit=False) as cursor:
        cursor.execute(f"SELECT key, channel, status FROM {view.name_of(DELIVERIES)}")
        return [dict(row) for row in cursor.fetchall()]


def settled(settings: Settings, notifier: TableView, sink: MailSink, head: int) -> bool:
    """Whether the notifier has dispatched everything stored and every delivery is done."""
    if (notifier.max_tracking_id(APPLICATION_NAME) or 0) < head:
        return False
    rows = delivery_rows(settings)
    emails = sum(1 for row in rows if row["channel"] == "email")
    return all(row["status"] == DELIVERED for row in rows) and sum(sink.counts().values()) >= emails


def check_deliveries(settings: Settings, after: int, sink: MailSink, report: Report) -> None:
    rows = delivery_rows(settings)
    report.deliveries_not_delivered = dict(
        Counter(f"{row['channel']} {row['status']}" for row in rows if row["status"] != DELIVERED)
    )
    emails = [row["key"] for row in rows if row["channel"] == "email"]
    expected = {f"<{delivery_id(key)}@aspe.notifications>" for key in emails}
    received = sink.counts()
    report.emails_expected = len(expected)
    report.emails_missing = len(expected - set(received))
    report.emails_unexpected = len(set(received) - expected)
    report.emails_duplicated = sum(count - 1 for count in received.values())
    causes = {row["key"].split(":")[0] for row in rows}
    app = build_application(settings)
    try:
        for step in (step for step in STEPS if step.notifies):
            for event in _events(app, after, step.event):
                cause = f"{event.originator_id}.{event.originator_version}"
                if cause not in causes:
                    report.events_without_delivery.append(f"{step.name} {cause}")
    finally:
        app.close()


def check_read_models(settings: Settings, rebuilt: Settings, report: Report) -> None:
    """Each read model as the runners left it, against the same events projected afresh
    into another schema."""
    app = build_application(settings)
    try:
        head = app.head()
        served = build_projector(settings, app=app)
        fresh = build_projector(rebuilt, app=app)
        fresh.catch_up()
        report.events_compared = head
        for name, model in served.read_models.items():
            report.read_models_compared += 1
            if (model.view.max_tracking_id(APPLICATION_NAME) or 0) < head:
                report.read_models_behind.append(name)
            elif model.view.dump() != fresh.model(name).view.dump():
                report.read_models_differing.append(name)
        served.close()
        fresh.close()
    finally:
        app.close()


# ------------------------------------------------------------------------------- run
def run(plan: Plan, workdir: Path, say: Callable[[str], None] = print) -> Report:
    """Deploy, load, break, settle, check: the report of one soak."""
    report = Report(plan)
    with ExitStack() as stack:
        served_schema, rebuilt_schema = stack.enter_context(postgres_schemas(2))
        settings = Settings(
            env=Environment.TEST,
            data_dir=workdir / "var",
            database_url=POSTGRES_URL,
            database_schema=served_schema,
        )
        rebuilt = settings.model_copy(update={"database_schema": rebuilt_schema})
        report.pool_processes = settings.worker_concurrency
        redis = RedisServer(free_port(), workdir)
        redis.start()
        stack.callback(redis.kill)
        sink, smtp_port = stack.enter_context(mail_sink())
        env = environment(settings, redis, smtp_port, plan)
        demo = subprocess.run(
            [sys.executable, "-m", "aspe.cli", "demo"], env=env, capture_output=True, text=True
        )
        if demo.returncode:
            raise SoakFailed(f"aspe demo failed:\n{demo.stdout}\n{demo.stderr}")
        app = build_application(settings)
        stack.callback(app.close)
        say(f"soak: demo loaded ({app.head()} events); starting aspe up")
        up = stack.enter_context(deployment(env, plan, redis))
        stack.callback(lambda: say(f"soak: aspe up's log is {up.log}"))
        (notifier,) = build_views(settings, [Notifier])
        done = lambda: settled(settings, notifier, sink, app.head())  # noqa: E731
        wait_until(done, "the start-up's clocks", 120)
        after = app.head()
        report.ledger = load(up, plan, report, say)
        say("soak: load stopped; settling")
        report.settle_seconds = wait_until(done, "every delivery done", plan.settle_within)
        code = up.stop()
        if code != 0:
            raise SoakFailed(f"aspe up exited with {code}")
        read_log(up.log, report)
        check_commands(settings, after, report)
        check_deliveries(settings, after, sink, report)
        check_read_models(settings, rebuilt, report)
    return report


def load(up: Deployment, plan: Plan, report: Report, say: Callable[[str], None]) -> Ledger:
    """Clients at ``plan.rate`` and faults every ``plan.fault_every`` for ``plan.load_seconds``."""
    tokens, ids = log_in(up.ports[0])
    ledger, stop, faults_stop = Ledger(), threading.Event(), threading.Event()
    pacer = Pacer(plan.rate)
    clients = [
        Client(n, up.ports, tokens, ids, pacer, ledger, stop) for n in range(1, plan.clients + 1)
    ]
    threads = [threading.Thread(target=client.run) for client in clients]
    breaker = threading.Thread(target=run_faults, args=(up, plan, faults_stop, report.faults))
    started = time.monotonic()
    for thread in [*threads, breaker]:
        thread.start()
    deadline = started + plan.load_seconds
    while time.monotonic() < deadline and all(thread.is_alive() for thread in threads):
        time.sleep(0.5)
    faults_stop.set()
    breaker.join()
    stop.set()
    for thread in threads:
        thread.join()
    report.seconds = time.monotonic() - started
    say(f"soak: {len(ledger.acknowledged)} commands acknowledged, {len(report.faults)} faults")
    return ledger


# ---------------------------------------------------------------------------- output
def summary(report: Report) -> str:
    ledger, plan = report.ledger, report.plan
    latencies = sorted(a.seconds * 1000 for a in ledger.acknowledged) or [0.0]
    retried = sum(1 for a in ledger.acknowledged if a.attempts > 1)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    lines = [
        f"load: {len(ledger.acknowledged)} commands acknowledged in {report.seconds:.0f} s "
        f"({len(ledger.acknowledged) / max(report.seconds, 1):.1f}/s, asked {plan.rate:g}/s) "
        f"by {plan.clients} clients; {retried} needed more than one attempt "
        f"({dict(ledger.retries)}); p50 {statistics.median(latencies):.0f} ms, "
        f"p99 {p99:.0f} ms, max {latencies[-1]:.0f} ms from the scheduled send",
        "faults: " + fault_summary(report.faults),
        f"e-mails: {report.emails_expected} to send, {report.emails_missing} missing, "
        f"{report.emails_duplicated} second copies under the same Message-ID (a killed "
        f"worker's window); settled {report.settle_seconds:.0f} s "
        f"after the load stopped; {report.requeued} deliveries queued again after a lost "
        f"task; {report.errors_logged} lines logged at ERROR",
        f"read models: {report.read_models_compared} compared with their rebuild from "
        f"{report.events_compared} events",
        "losses: " + ("none" if not report.losses() else "; ".join(report.losses())),
    ]
    return "\n".join(lines)


def fault_summary(faults: list[Fault]) -> str:
    """Each kind of fault, how often, and the slowest way back: ``api.1 ×6 (ready again
    within 4.0 s)``; a fault the deployment did not come back from is said in full."""
    kinds = []
    for what in dict.fromkeys(fault.what for fault in faults):
        times = [fault.ready_after for fault in faults if fault.what == what]
        kinds.append(f"{what} ×{len(times)} (ready again within {max(times):.1f} s)")
    failed = [str(fault) for fault in faults if fault.error]
    return ", ".join(kinds + failed) or "none"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="minutes of load")
    parser.add_argument("--rate", type=float, default=10.0, help="commands per second")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--fault-every", type=float, default=20.0, help="seconds")
    parser.add_argument("--short", action="store_true", help="the CI's short form")
    arguments = parser.parse_args()
    plan = Plan.short() if arguments.short else Plan(
        load_seconds=arguments.minutes * 60,
        rate=arguments.rate,
        clients=arguments.clients,
        fault_every=arguments.fault_every,
    )  # fmt: skip
    workdir = Path(tempfile.mkdtemp(prefix="aspe-soak-"))
    report = run(plan, workdir)
    print(summary(report))
    if report.losses():
        print(f"the run's files (aspe up's log: var/up.log) are kept in {workdir}")
        sys.exit(1)
    shutil.rmtree(workdir)


if __name__ == "__main__":
    main()
