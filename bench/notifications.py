"""Notifications benchmark: a burst of decisions, from each event stored to its e-mails'
receipt by an SMTP server, through the notifier and one Celery worker on Redis, against raw
redis-py ``LPUSH``/``BRPOP`` of the same e-mails in the same run.

In a schema of its own in PostgreSQL (dropped at the end unless ``--keep``) and a Redis
database of its own (``--redis-db``, which must be empty; flushed at the end):

1. **The store.** A département through the application (``aspe.demo.scenarios``): one
   association with ``REFERENTS`` referents and no manager, ``LANDLORDS`` landlords with one
   staff account each, and ``--decisions`` households, each with a portal account (an
   e-mail address) and a case walked to ``REGISTERED``. A grant then tells exactly three
   accounts, each by e-mail and in its inbox: the referent, the household and the landlord's
   staff (``recipients.WHO_IS_TOLD``: association, household, landlord).
2. **The ASPE path.** An SMTP server (aiosmtpd, loopback, a process of its own) records
   each e-mail's receipt time. One Celery worker (``aspe worker --concurrency 1``: one pool
   process runs the tasks; settings from ``ASPE_*`` variables) and the notifier
   (``run_notifier``, a process of its own, started after the store is built so that it
   tells nobody of it) run on Redis. The bench then grants every case as fast as it can
   (or at ``--rate`` decisions/s), one ``grant_measure`` command after the other, noting
   when each returned (its event stored), and waits until 3 × ``--decisions`` e-mails have
   arrived. Latency: from the command's return to the e-mail's receipt, matched by the
   case's reference in the subject. Each recipient also gets an inbox notification,
   written by the notifier's dispatch in the transaction that records the deliveries (a
   second task per e-mail before issue 17's change): the worker runs one task per e-mail.
3. **The raw baseline.** A producer process ``LPUSH``es the same e-mails (the received
   ones: recipient, subject, body), three per decision, on the same schedule as the
   decisions were stored (their offsets from the first); a consumer process ``BRPOP``s
   each and sends it to a new SMTP server process with ``smtplib``, one connection per
   e-mail as a task did before it kept its connection (issue 17). No delivery record, no
   retry, no inbox, no event log: the transport and the SMTP send alone.

It prints, for both, the e-mails received, notifications/s (e-mails over the time from
the first decision stored to the last e-mail received), p50/p99/max latency, and the
ASPE ÷ raw ratios; duplicates (an e-mail received twice) and missing ones; the machine's
load average and the CPU seconds of each process. Targets (issue 5): ≥ 100
notifications/s with one worker, p99 ≤ 2 s. It is a benchmark, not a test: it exits 0
whatever the figures.

Issue 17: each round runs the ASPE path twice, interleaved, on fresh cases: against the
loopback server, then against a STARTTLS server (self-signed certificate made at run time,
trusted by the worker through ``SSL_CERT_FILE``) that waits ``--smtp-delay`` (20 ms) before
accepting each message; it prints the TLS ÷ loopback ratio (target: slower by ×1.5 at most).
``--sustained`` paces the decisions at 100 e-mails/s.

Quick run: ``.venv/bin/python bench/notifications.py --quick`` (100 decisions per server).
"""

from __future__ import annotations

import argparse
import email
import email.policy
import json
import multiprocessing
import os
import re
import smtplib
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

import redis
from rich.console import Console
from rich.table import Table

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))  # bench/ is not a package: replay.py's Store is a module

import replay  # noqa: E402

from aspe.application.passwords import hash_password  # noqa: E402
from aspe.bootstrap import build_application  # noqa: E402
from aspe.demo.scenarios import (  # noqa: E402
    ADMIN,
    DEFAULT_PASSWORD,
    STANDARD_FINDINGS,
    STANDARD_OBJECTIVES,
    Clock,
    Departement,
    Person,
)
from aspe.domain.actors import Role, acting_as  # noqa: E402
from aspe.domain.values import (  # noqa: E402
    Address,
    AidRequest,
    Diploma,
    LandlordCategory,
    MeasureType,
    OrganisationKind,
)

RATE_TARGET = 100.0
"""Notifications (e-mails) per second with one worker."""
TLS_TARGET = 1.5
"""The TLS + 20 ms server's notifications/s: no worse than loopback's ÷ this."""
P99_TARGET = 2.0
"""Seconds, from the event stored to the e-mail received."""
RECIPIENTS = 3
REFERENTS = 10
LANDLORDS = 10
REFERENCE = re.compile(r"dossier n° ([0-9a-f]{8})")
FROM = "bench@aspe.test"
Schedule = list[tuple[float, list[str]]]
"""Each decision's offset from the first (seconds) and its e-mails as JSON payloads."""


# ----------------------------------------------------------------- the SMTP server
def self_signed(directory: str) -> tuple[str, str]:
    """A certificate for 127.0.0.1 and its key, made now with ``cryptography``: paths."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = Path(directory) / "smtp-cert.pem", Path(directory) / "smtp-key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)


def smtp_sink(
    port: int, path: str, ready: Any, stop: Any, tls: tuple[str, str] | None, delay: float
) -> None:
    """An SMTP server on loopback (in a process of its own) that appends one JSON line per
    e-mail received: when, to whom, and the e-mail as it came (parsed after the run, to
    keep the server's own work to what any SMTP server does)."""
    import asyncio
    import ssl

    from aiosmtpd.controller import Controller

    out = open(path, "a", encoding="utf-8")  # noqa: SIM115 (closed below, after the server)

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
            if delay:  # a distant server's latency, before it accepts the message
                await asyncio.sleep(delay)
            received = time.time()
            data = envelope.content.decode("utf-8", "replace")  # parsed after the run
            line = {"t": received, "to": list(envelope.rcpt_tos), "data": data}
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
            out.flush()
            return "250 Message accepted for delivery"

    extra: dict[str, Any] = {}
    if tls is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*tls)
        extra = {"tls_context": context, "require_starttls": True}
    controller = Controller(Handler(), hostname="127.0.0.1", port=port, **extra)
    controller.start()
    ready.set()
    try:
        stop.wait()
    finally:
        controller.stop()
        out.close()


@dataclass
class Received:
    at: float
    to: str
    subject: str
    body: str
    headers: dict[str, str]

    @property
    def reference(self) -> str | None:
        found = REFERENCE.search(self.subject) or REFERENCE.search(self.body)
        return found.group(1) if found else None


def read_received(path: Path) -> list[Received]:
    received = []
    with suppress(FileNotFoundError), path.open(encoding="utf-8") as lines:
        for line in lines:
            if not line.endswith("\n"):
                continue
            row = json.loads(line)
            message = email.message_from_string(row["data"], policy=email.policy.default)
            body = message.get_body(preferencelist=("plain",))
            text = body.get_content() if body is not None else ""
            headers = {
                key: str(value)
                for key, value in message.items()
                if key.lower().startswith("x-") or key.lower() == "message-id"
            }
            subject = str(message["Subject"] or "")
            for to in row["to"]:
                received.append(Received(row["t"], to, subject, text, headers))
    return received


def count_lines(path: Path) -> int:
    with suppress(FileNotFoundError), path.open("rb") as lines:
        return sum(1 for _ in lines)
    return 0


class Sink:
    """``smtp_sink`` in a spawned process, writing to a file of the bench's directory."""

    def __init__(self, directory: Path, name: str, tls: bool = False, delay: float = 0.0) -> None:
        self.port = free_port()
        self.path = directory / f"{name}.jsonl"
        self.tls = self_signed(str(directory)) if tls else None
        context = multiprocessing.get_context("spawn")
        self.ready, self.stop = context.Event(), context.Event()
        self.process = context.Process(
            target=smtp_sink,
            args=(self.port, str(self.path), self.ready, self.stop, self.tls, delay),
            daemon=True,
        )

    def __enter__(self) -> Sink:
        self.process.start()
        if not self.ready.wait(30):
            raise RuntimeError("the SMTP server did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.process.join(10)
        if self.process.is_alive():
            self.process.terminate()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def wait_for(self, expected: int, idle: float, console: Console, label: str) -> int:
        """Until ``expected`` e-mails arrived, or none for ``idle`` seconds: how many did."""
        last, since = -1, time.monotonic()
        shown = time.monotonic()
        while True:
            count = count_lines(self.path)
            now = time.monotonic()
            if count != last:
                last, since = count, now
            if count >= expected or now - since > idle:
                return count
            if now - shown > 5:
                console.log(f"{label}: {count:,} of {expected:,} e-mails received")
                shown = now
            time.sleep(0.05)


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# ------------------------------------------------------------------------ the store
@dataclass
class Cast:
    departement: Departement
    commission: Any
    cases: list[uuid.UUID]
    emails: int
    """Accounts with an e-mail address, staff and households."""


def build_store(store: replay.Store, decisions: int, console: Console) -> Cast:
    """The département and ``decisions`` cases at ``REGISTERED``, through the application."""
    began = time.perf_counter()
    app = build_application(store.settings)
    try:
        clock = Clock()
        clock.set_day(datetime.now(UTC).date() - timedelta(days=30))
        departement = Departement(app, clock, password_hash=hash_password(DEFAULT_PASSWORD))
        with departement.acting(ADMIN):
            association_id = app.register_organisation(
                "Association du banc d'essai", OrganisationKind.ASSOCIATION
            ).id
            referents = [
                departement.add_staff(
                    association_id,
                    Role.REFERENT,
                    Person(f"Référent {n + 1}", f"referent.{n + 1}@aspe.test"),
                    Diploma.DECESF,
                )
                for n in range(REFERENTS)
            ]
        landlords = [
            departement.add_landlord(f"Habitat {n + 1}", LandlordCategory.SOCIAL)[0]
            for n in range(LANDLORDS)
        ]
        aid = AidRequest(Decimal("1800.00"), Decimal("2400.00"), Decimal("620.00"))
        session = clock.today() + timedelta(days=14)
        cases = []
        for n in range(decisions):
            referent = referents[n % REFERENTS]
            with departement.acting(referent.actor):
                household_id = app.register_household(
                    landlords[n % LANDLORDS],
                    Address(f"{n + 1} rue des Lilas", "69003", "Lyon"),
                    f"Ménage {n + 1}",
                    "06 12 34 56 78",
                    3,
                ).id
                app.open_household_account(
                    household_id, f"menage.{n + 1}@aspe.test", departement.password_hash
                )
                case_id = app.open_case(household_id, referent.actor.id).id
                app.record_diagnostic(case_id, STANDARD_FINDINGS, STANDARD_OBJECTIVES)
                app.submit_request(case_id, aid, MeasureType.SIMPLE, 12)
            with departement.acting(departement.spslh_agent.actor):
                app.register_request(case_id, session)
            cases.append(case_id)
            if (n + 1) % 500 == 0:
                console.log(f"{n + 1:,} cases registered")
        console.log(
            f"store: {decisions:,} cases at REGISTERED, {app.head():,} events, "
            f"in {time.perf_counter() - began:.0f} s"
        )
        return Cast(
            departement,
            departement.commission_member.actor,
            cases,
            emails=len(departement.accounts) + REFERENTS + decisions,
        )
    finally:
        app.close()


# ------------------------------------------------------------------ the ASPE side
def aspe_env(store: replay.Store, redis_url: str, sink: Sink) -> dict[str, str]:
    """The ``ASPE_*`` settings of the notifier and the worker. With the TLS server, the
    worker trusts its self-signed certificate through ``SSL_CERT_FILE`` (which the ssl
    module's default verify paths honour): no production setting is weakened for it."""
    smtp_url = sink.url
    tls = {"ASPE_SMTP_STARTTLS": "true", "SSL_CERT_FILE": sink.tls[0]} if sink.tls else {}
    return {
        **tls,
        "ASPE_ENV": "test",
        "ASPE_DATABASE_URL": store.url,
        "ASPE_DATABASE_SCHEMA": store.schema,
        "ASPE_REDIS_URL": redis_url,
        "ASPE_SMTP_URL": smtp_url,
        "ASPE_PROJECTIONS_IN_PROCESS": "false",
    }


def notifier_child(env: dict[str, str], ready: Any, stop: Any) -> None:
    """``run_notifier`` (what ``aspe notifier run`` runs) in a spawned process."""
    os.environ.update(env)
    from aspe.bootstrap import build_application, build_notifier
    from aspe.settings import Settings
    from aspe.workers.notifier import run_notifier

    settings = Settings()
    app = build_application(settings)
    projector = build_notifier(settings, app)
    inner_stop, inner_ready = threading.Event(), threading.Event()
    thread = threading.Thread(target=run_notifier, args=(projector, inner_stop, inner_ready))
    thread.start()
    while not inner_ready.wait(0.2):
        if not thread.is_alive():
            return
    ready.set()
    stop.wait()
    inner_stop.set()
    thread.join(60)


@contextmanager
def notifier(env: dict[str, str]) -> Iterator[multiprocessing.process.BaseProcess]:
    context = multiprocessing.get_context("spawn")
    ready, stop = context.Event(), context.Event()
    process = context.Process(target=notifier_child, args=(env, ready, stop))
    process.start()
    try:
        deadline = time.monotonic() + 120
        while not ready.wait(0.5):
            if not process.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the notifier did not start ({process.exitcode})")
        yield process
    finally:
        stop.set()
        process.join(60)
        if process.is_alive():
            process.terminate()


WORKER_COMMAND = [str(Path(sys.executable).with_name("aspe")), "worker"]
"""``aspe worker``: Celery's own ``worker`` on the app configured from ``ASPE_*``."""
WORKER_ARGS = ["--concurrency", "1", "--loglevel", "WARNING"]


@contextmanager
def worker(env: dict[str, str], args: argparse.Namespace, log: Any) -> Iterator[int]:
    """One ``celery worker`` process; its pid."""
    command = [*WORKER_COMMAND, *WORKER_ARGS, *args.worker_args]
    process = subprocess.Popen(
        command, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        wait_for_worker(process, env["ASPE_REDIS_URL"], log)
        yield process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for_worker(process: subprocess.Popen[Any], redis_url: str, log: Any) -> None:
    """Until the worker answers a ping through the broker (Celery's own ``inspect``)."""
    from celery import Celery

    probe = Celery(broker=redis_url)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"the worker stopped ({process.returncode}):\n{log.read()}")
            if probe.control.ping(timeout=1.0):
                return
        raise RuntimeError("the worker did not answer a ping within 120 s")
    finally:
        probe.close()


def grant_all(
    store: replay.Store, cast: Cast, rate: float | None, console: Console
) -> dict[str, float]:
    """Grant every case, one command after the other (at ``rate``/s if given): the case's
    reference → when its command returned."""
    app = build_application(store.settings)
    stored: dict[str, float] = {}
    clock = cast.departement.clock
    try:
        began = time.perf_counter()
        for n, case_id in enumerate(cast.cases):
            if rate:
                pause = began + n / rate - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
            with acting_as(cast.commission, clock=clock):
                app.grant_measure(case_id, MeasureType.SIMPLE, 12, 6, Decimal("1500.00"))
            stored[case_id.hex[:8]] = time.time()
        seconds = time.perf_counter() - began
        console.log(
            f"{len(cast.cases):,} decisions stored in {seconds:.1f} s "
            f"({len(cast.cases) / seconds:,.0f} commands/s)"
        )
    finally:
        app.close()
    return stored


# ------------------------------------------------------------------ the raw side
def producer_child(redis_url: str, schedule: Schedule, start: Any, done: Any) -> None:
    """``LPUSH`` each decision's e-mails at its offset from the start (seconds)."""
    client = redis.Redis.from_url(redis_url)
    start.wait()
    began = time.perf_counter()
    for offset, payloads in schedule:
        pause = began + offset - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        now = time.time()
        client.lpush("bench:raw", *(json.dumps({**json.loads(p), "pushed": now}) for p in payloads))
    done.set()


def consumer_child(redis_url: str, smtp_port: int, total: int, ready: Any) -> None:
    """``BRPOP`` each payload and send it, one SMTP connection per e-mail."""
    client = redis.Redis.from_url(redis_url)
    ready.set()
    for _ in range(total):
        popped = client.brpop(["bench:raw"], timeout=120)
        if popped is None:
            return
        payload = json.loads(popped[1])
        message = EmailMessage()
        message["From"] = FROM
        message["To"] = payload["to"]
        message["Subject"] = payload["subject"]
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = make_msgid(domain="bench.aspe")
        message["X-Bench-Pushed"] = repr(payload["pushed"])
        message.set_content(payload["body"])
        with smtplib.SMTP("127.0.0.1", smtp_port) as smtp:
            smtp.send_message(message)


def raw_run(
    redis_url: str,
    sink: Sink,
    schedule: Schedule,
    console: Console,
    idle: float,
) -> tuple[list[Latency], dict[str, float]]:
    context = multiprocessing.get_context("spawn")
    start, done, ready = context.Event(), context.Event(), context.Event()
    total = sum(len(payloads) for _, payloads in schedule)
    producer = context.Process(target=producer_child, args=(redis_url, schedule, start, done))
    consumer = context.Process(target=consumer_child, args=(redis_url, sink.port, total, ready))
    cpu: dict[str, float] = {}
    producer.start()
    consumer.start()
    try:
        ready.wait(30)
        processes = {
            "raw producer": (producer.pid, False),
            "raw consumer": (consumer.pid, False),
            "SMTP server": (sink.process.pid, True),
        }
        cpu_before = cpu_of(processes)
        start.set()
        sink.wait_for(total, idle, console, "raw")
        cpu = {name: seconds - cpu_before[name] for name, seconds in cpu_of(processes).items()}
    finally:
        for process in (producer, consumer):
            process.join(5)
            if process.is_alive():
                process.terminate()
    latencies = [
        Latency(float(one.headers["X-Bench-Pushed"]), one.at, one.to, one.subject)
        for one in read_received(sink.path)
        if "X-Bench-Pushed" in one.headers
    ]
    return latencies, cpu


# ------------------------------------------------------------------------ figures
@dataclass
class Latency:
    stored: float
    received: float
    to: str
    subject: str

    @property
    def seconds(self) -> float:
        return self.received - self.stored


@dataclass
class Figures:
    label: str
    expected: int
    latencies: list[Latency]
    duplicates: int
    unmatched: int
    load: tuple[float, float]
    cpu: dict[str, float] = field(default_factory=dict)
    span_override: float | None = None
    """Rounds merged: the sum of their spans, not first-to-last across them."""

    @property
    def received(self) -> int:
        return len(self.latencies)

    @property
    def span(self) -> float:
        if self.span_override is not None:
            return self.span_override
        if not self.latencies:
            return float("nan")
        first = min(one.stored for one in self.latencies)
        return max(one.received for one in self.latencies) - first

    @property
    def rate(self) -> float:
        return self.received / self.span if self.latencies else 0.0

    def quantile(self, q: int) -> float:
        values = sorted(one.seconds for one in self.latencies)
        if len(values) < 2:
            return values[0] if values else float("nan")
        return statistics.quantiles(values, n=100, method="inclusive")[q - 1]

    def p99_by_tenth(self) -> list[float]:
        """p99 of each tenth of the e-mails, in the order their event was stored: how the
        latency grew (a queue) or stayed (a cost) through the run."""
        ordered = sorted(self.latencies, key=lambda one: one.stored)
        size = len(ordered) // 10
        tenths = [ordered[n * size : (n + 1) * size] for n in range(10)]
        return [
            statistics.quantiles([one.seconds for one in tenth], n=100, method="inclusive")[98]
            for tenth in tenths
        ]

    @property
    def worst(self) -> float:
        return max((one.seconds for one in self.latencies), default=float("nan"))


def aspe_figures(
    received: list[Received], stored: dict[str, float], expected: int, load: tuple[float, float]
) -> Figures:
    latencies, unmatched = [], 0
    seen: Counter[tuple[str, str]] = Counter()
    for one in received:
        reference = one.reference
        if reference is None or reference not in stored:
            unmatched += 1
            continue
        seen[(reference, one.to)] += 1
        if seen[(reference, one.to)] == 1:
            latencies.append(Latency(stored[reference], one.at, one.to, one.subject))
    duplicates = sum(count - 1 for count in seen.values())
    return Figures("ASPE (notifier, Celery)", expected, latencies, duplicates, unmatched, load)


def raw_figures(
    latencies: list[Latency], expected: int, load: tuple[float, float], cpu: dict[str, float]
) -> Figures:
    seen = Counter((one.subject, one.to) for one in latencies)
    duplicates = sum(count - 1 for count in seen.values())
    return Figures("raw LPUSH/BRPOP", expected, latencies, duplicates, 0, load, cpu)


def schedule_of(
    received: list[Received], stored: dict[str, float]
) -> list[tuple[float, list[str]]]:
    """The received e-mails as payloads, grouped by decision at its offset from the first."""
    by_reference: dict[str, list[str]] = {}
    for one in received:
        if one.reference in stored:
            payload = {"to": one.to, "subject": one.subject, "body": one.body}
            by_reference.setdefault(one.reference, []).append(json.dumps(payload))
    first = min(stored.values())
    return sorted(
        (stored[reference] - first, payloads) for reference, payloads in by_reference.items()
    )


def cpu_seconds(pid: int | None, descendants: bool = True) -> float:
    """User + system CPU of ``pid`` (and its descendants), from ``/proc`` (0 if gone)."""
    if pid is None:
        return 0.0
    total = 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks
        for task in Path(f"/proc/{pid}/task").iterdir() if descendants else ():
            for child in (task / "children").read_text().split():
                total += cpu_seconds(int(child))
    except (FileNotFoundError, ProcessLookupError, IndexError):
        pass
    return total


def cpu_of(processes: dict[str, tuple[int | None, bool]]) -> dict[str, float]:
    """CPU seconds of each named process (with its descendants if asked)."""
    return {name: cpu_seconds(pid, tree) for name, (pid, tree) in processes.items()}


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}"


def verdict(met: bool) -> str:
    return "[green]met[/green]" if met else "[bold red]MISSED[/bold red]"


def report(
    console: Console, aspe: Figures, raw: Figures, decisions: int, given_rate: float | None
) -> None:
    table = Table(title=f"{decisions:,} decisions × {RECIPIENTS} e-mail recipients")
    columns = ("path", "e-mails", "missing", "twice", "notifications/s", "p50 ms", "p99 ms")
    for column in (*columns, "max ms", "load"):
        table.add_column(column, justify="left" if column == "path" else "right", no_wrap=True)
    for one in (aspe, raw):
        table.add_row(
            one.label, f"{one.received:,}", f"{max(0, one.expected - one.received):,}",
            f"{one.duplicates:,}", f"{one.rate:,.1f}", ms(one.quantile(50)),
            ms(one.quantile(99)), ms(one.worst), f"{one.load[0]:.1f} → {one.load[1]:.1f}",
        )  # fmt: skip
    console.print(table)
    if raw.latencies and aspe.latencies:
        console.print(
            f"ASPE ÷ raw: notifications/s ×{aspe.rate / raw.rate:.2f}, "
            f"p50 ×{aspe.quantile(50) / raw.quantile(50):.1f}, "
            f"p99 ×{aspe.quantile(99) / raw.quantile(99):.1f}"
        )
    for one in (aspe, raw):
        if len(one.latencies) >= 100:
            console.print(
                f"p99 ms by tenth of the e-mails (in the order their event was stored), "
                f"{one.label}: " + ", ".join(ms(p99) for p99 in one.p99_by_tenth())
            )
    for one in (aspe, raw):
        if one.cpu:
            console.print(
                f"CPU seconds, {one.label}: "
                + ", ".join(f"{name} {seconds:.1f}" for name, seconds in one.cpu.items())
            )
    if aspe.unmatched:
        console.print(f"[yellow]{aspe.unmatched} e-mails matched no decision[/yellow]")
    if aspe.latencies:
        rate_given, rate, p99 = given_rate, aspe.rate, aspe.quantile(99)
        if rate_given is None:
            met = verdict(rate >= RATE_TARGET)
            console.print(f"≥ {RATE_TARGET:.0f} notifications/s: {rate:,.1f}, {met}")
        else:
            console.print(
                f"≥ {RATE_TARGET:.0f} notifications/s: not measured, the decisions were paced "
                f"({rate_given:g}/s, {rate_given * RECIPIENTS:g} e-mails/s offered)"
            )
        console.print(f"p99 ≤ {P99_TARGET:.0f} s: {p99:,.2f} s, {verdict(p99 <= P99_TARGET)}")


# ---------------------------------------------------------------------------- main
def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--decisions", type=replay.positive, help="decisions (2,000)")
    parser.add_argument("--quick", action="store_true", help="200 decisions")
    parser.add_argument(
        "--rate", type=float, help="decisions per second (default: one after the other)"
    )
    parser.add_argument("--database-url", default=replay.POSTGRES_URL)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379")
    parser.add_argument(
        "--redis-db", type=int, default=13, help="the bench's Redis database: must be empty"
    )
    parser.add_argument(
        "--idle", type=float, default=60.0, help="give up after this long without an e-mail"
    )
    parser.add_argument(
        "--worker-args", nargs=argparse.REMAINDER, default=[],
        help="the rest of the line goes to `aspe worker`",
    )  # fmt: skip
    parser.add_argument(
        "--rounds", type=replay.positive, default=1,
        help="loopback/TLS pairs, alternating, each on --decisions fresh cases (1)",
    )  # fmt: skip
    parser.add_argument(
        "--smtp-delay", type=float, default=0.020,
        help="seconds the TLS server waits before accepting each message (0.020)",
    )  # fmt: skip
    parser.add_argument(
        "--sustained", action="store_true",
        help=f"decisions at {RATE_TARGET:g} e-mails/s (the sustained target) instead of a burst",
    )  # fmt: skip
    parser.add_argument("--keep", action="store_true", help="keep the schema (its name printed)")
    args = parser.parse_args(argv)
    if args.decisions is None:
        args.decisions = 100 if args.quick else 2_000
    if args.sustained:
        args.rate = RATE_TARGET / RECIPIENTS
    return args


@dataclass
class Run:
    figures: Figures
    received: list[Received]
    stored: dict[str, float]
    logged: str


def aspe_run(
    store: replay.Store,
    cast: Cast,
    args: argparse.Namespace,
    redis_url: str,
    directory: Path,
    tls: bool,
    console: Console,
) -> Run:
    """Grant ``cast``'s cases through a fresh worker and notifier, to the loopback SMTP
    server or to the STARTTLS one that takes ``--smtp-delay`` per message."""
    label = "TLS + delay" if tls else "loopback"
    expected = len(cast.cases) * RECIPIENTS
    delay = args.smtp_delay if tls else 0.0
    name = "tls" if tls else "aspe"
    with Sink(directory, name, tls, delay) as sink, tempfile.TemporaryFile("w+") as log:
        env = aspe_env(store, redis_url, sink)
        with worker(env, args, log) as worker_pid, notifier(env) as notifying:
            console.log(f"{label}: worker (pid {worker_pid}) and notifier up; load {load()}")
            processes = {
                "bench (commands)": (os.getpid(), False),
                "notifier": (notifying.pid, True),
                "celery worker": (worker_pid, True),
                "SMTP server": (sink.process.pid, True),
            }
            before, cpu_before = os.getloadavg()[0], cpu_of(processes)
            stored = grant_all(store, cast, args.rate, console)
            sink.wait_for(expected, args.idle, console, label)
            after = os.getloadavg()[0]
            cpu = {name: seconds - cpu_before[name] for name, seconds in cpu_of(processes).items()}
        received = read_received(sink.path)
        figures = aspe_figures(received, stored, expected, (before, after))
        figures.label = f"ASPE, {label}"
        figures.cpu = cpu
        log.seek(0)
        logged = log.read().strip()
    console.log(
        f"ASPE {label}: {figures.received:,} e-mails at {figures.rate:,.1f}/s, "
        f"p99 {figures.quantile(99):,.2f} s"
    )
    return Run(figures, received, stored, logged)


def tls_report(console: Console, loopback: Figures, tls: Figures, delay: float) -> None:
    if not (loopback.latencies and tls.latencies):
        return
    slower = loopback.rate / tls.rate
    p99 = tls.quantile(99) / loopback.quantile(99)
    console.print(
        f"TLS + {delay * 1000:.0f} ms ÷ loopback: notifications/s ×{tls.rate / loopback.rate:.2f}"
        f" (slower ×{slower:.2f}), p50 ×{tls.quantile(50) / loopback.quantile(50):.1f}, "
        f"p99 ×{p99:.1f}"
    )
    console.print(
        f"TLS + {delay * 1000:.0f} ms no worse than ×{TLS_TARGET} of loopback: "
        f"{verdict(slower <= TLS_TARGET)}"
    )


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    console = Console(width=max(120, Console().width))
    started = time.perf_counter()
    redis_url = f"{args.redis_url.rstrip('/')}/{args.redis_db}"
    broker = redis.Redis.from_url(redis_url)
    if broker.dbsize():
        raise SystemExit(f"Redis database {args.redis_db} is not empty: choose another one")
    store = replay.Store(args.database_url, f"aspe_notifbench_{uuid.uuid4().hex[:8]}")
    store.create()
    try:
        with tempfile.TemporaryDirectory(prefix="aspe-notifbench-") as directory:
            # One set of cases per run: loopback and TLS alternate, each on fresh cases.
            rounds = [tls for _ in range(args.rounds) for tls in (False, True)]
            cast = build_store(store, args.decisions * len(rounds), console)
            runs: dict[bool, list[Run]] = {False: [], True: []}
            for n, tls in enumerate(rounds):
                part = cast.cases[n * args.decisions : (n + 1) * args.decisions]
                one = aspe_run(
                    store, replace(cast, cases=part), args, redis_url, Path(directory), tls,
                    console,
                )  # fmt: skip
                runs[tls].append(one)
                broker.flushdb()
            aspe, tls_run = merged(runs[False]), merged(runs[True])
            with Sink(Path(directory), "raw") as raw_sink:
                before = os.getloadavg()[0]
                first = runs[False][0]
                latencies, raw_cpu = raw_run(
                    redis_url, raw_sink, schedule_of(first.received, first.stored), console,
                    args.idle,
                )  # fmt: skip
                raw = raw_figures(
                    latencies, len(first.received), (before, os.getloadavg()[0]), raw_cpu
                )
        report(console, runs[False][0].figures, raw, args.decisions, args.rate)
        if args.rounds > 1:
            console.print(f"all {args.rounds} rounds: loopback then TLS, alternating")
        for run in (aspe, tls_run):
            console.print(
                f"{run.label}: {run.received:,} e-mails, {run.rate:,.1f}/s, "
                f"p50 {ms(run.quantile(50))} ms, p99 {ms(run.quantile(99))} ms"
            )
        tls_report(console, aspe, tls_run, args.smtp_delay)
        for one in (*runs[False], *runs[True]):
            lost = one.figures.received < one.figures.expected or one.figures.duplicates
            if one.logged and lost:
                console.print(f"[yellow]the worker logged[/yellow]:\n{one.logged[-3000:]}")
    finally:
        broker.flushdb()
        if args.keep:
            console.print(f"schema kept: {store.schema}")
        else:
            store.drop()
    console.print(
        f"{os.cpu_count()} CPUs; total {time.perf_counter() - started:.0f} s, ended "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )


def merged(runs: list[Run]) -> Figures:
    """The rounds of one server as one set of figures (rate: e-mails over the runs' spans)."""
    first = runs[0].figures
    if len(runs) == 1:
        return first
    figures = Figures(
        first.label,
        sum(one.figures.expected for one in runs),
        [latency for one in runs for latency in one.figures.latencies],
        sum(one.figures.duplicates for one in runs),
        sum(one.figures.unmatched for one in runs),
        first.load,
    )
    figures.span_override = sum(one.figures.span for one in runs)
    return figures


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    main()
