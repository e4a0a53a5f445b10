"""Fixtures of the workers' tests: a real SMTP server on loopback, real ``celery worker``
subprocesses (or ``aspe worker``, as production starts them) with the test's settings, and a
Redis server of the test's own.

The worker tests talk to the shared Redis (skipped without it unless
``ASPE_REQUIRE_SERVICES=1``), each on a queue of its own; a test that stops Redis starts a
``redis-server`` of its own on a free port.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message as EmailMessage
from enum import Enum
from pathlib import Path
from typing import Any, Protocol

import pytest
from aiosmtpd.controller import Controller
from pydantic import SecretStr

from aspe.application import AspeApplication
from aspe.bootstrap import build_projector, erasure_places
from aspe.projections.runner import BackgroundFollower
from aspe.settings import Environment, Settings
from aspe.workers.clocks import CLOCK_READ_MODELS, Clocks
from aspe.workers.delivery import close_smtp_connections
from aspe.workers.inbox import close_stores
from tests.conftest import REDIS_URL, require_redis, require_redis_server

VENV_BIN = Path(sys.executable).parent
WAIT = 30.0
"""Seconds a test waits for work done by another process before failing."""


def eventually(
    check: Callable[[], bool], timeout: float = WAIT, what: str | Callable[[], str] = ""
) -> None:
    """Wait until ``check()`` holds (another process is doing the work), or fail saying
    ``what`` (a callable is asked only then)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            said = what() if callable(what) else what
            pytest.fail(f"not done within {timeout} s: {said or check}")
        time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# ------------------------------------------------------------------------------ SMTP
@dataclass
class SmtpServer:
    """An SMTP server on loopback that keeps what it accepts.

    ``refuse(n)`` answers the next ``n`` messages with a temporary refusal; ``delay`` makes
    it think before accepting: a client that dies meanwhile has delivered nothing (the
    message is kept only once the server has said 250). ``on_data`` is called as each
    message arrives, before the delay. ``connections()`` counts the connections that
    brought the messages accepted; ``drop_connections()`` closes them from the server's side.
    """

    port: int = 0
    received: list[EmailMessage] = field(default_factory=list)
    refusals: int = 0
    refusal: str = "451 4.3.0 Essayez plus tard"
    delay: float = 0.0
    on_data: Callable[[], None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    sessions: list[Any] = field(default_factory=list)
    servers: list[Any] = field(default_factory=list)
    quits: int = 0

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def refuse(self, count: int, reply: str = "451 4.3.0 Essayez plus tard") -> None:
        with self.lock:
            self.refusals, self.refusal = count, reply

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            if self.refusals:
                self.refusals -= 1
                return self.refusal
        if self.on_data is not None:
            self.on_data()
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            self.received.append(message_from_bytes(envelope.content))
            if not any(known is session for known in self.sessions):
                self.sessions.append(session)
                self.servers.append(server)
        return "250 2.0.0 OK"

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.quits += 1
        return "221 Au revoir"

    def connections(self) -> int:
        """How many SMTP connections (sessions) brought the messages accepted."""
        with self.lock:
            return len({id(session) for session in self.sessions})

    def drop_connections(self) -> None:
        """Close every connection from the server's side, as a restarted server does."""
        with self.lock:
            servers = list(self.servers)
        for server in servers:
            if server.transport is not None:
                server.loop.call_soon_threadsafe(server.transport.close)
        eventually(
            lambda: all(server.transport is None for server in servers), 5, "the connections"
        )

    def message_ids(self) -> list[str]:
        with self.lock:
            return [str(message["Message-ID"]) for message in self.received]

    def count(self) -> int:
        with self.lock:
            return len(self.received)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    controller = Controller(server, hostname="127.0.0.1", port=free_port())
    controller.start()
    server.port = controller.port
    yield server
    close_smtp_connections()  # this process's, kept by an e-mail sent in the test
    controller.stop()


# ---------------------------------------------------------------------------- worker
def settings_env(settings: Settings) -> dict[str, str]:
    """``settings`` as the ``ASPE_*`` environment of another process."""
    env = {}
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        elif isinstance(value, Enum):
            value = value.value
        elif isinstance(value, list | tuple | set | dict):
            value = json.dumps(sorted(value) if isinstance(value, set) else value)
        env[f"ASPE_{name.upper()}"] = str(value)
    return env


@dataclass
class Worker:
    """A ``celery worker`` subprocess (one process: ``--pool=solo``)."""

    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_ready(self, timeout: float = WAIT) -> Worker:
        eventually(
            lambda: " ready." in self.output() or self.process.poll() is not None,
            timeout,
            "the worker to start",
        )
        if self.process.poll() is not None:
            pytest.fail(f"the worker stopped at start:\n{self.output()}")
        return self

    def kill(self) -> None:
        """``kill -9``: no warm shutdown, no acknowledgement, nothing given back."""
        self.process.kill()
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


class StartWorker(Protocol):
    """Start a worker with these settings as its ``ASPE_*`` environment, in one process
    (``--pool=solo``) unless ``options`` name a pool or a concurrency of their own."""

    def __call__(self, settings: Settings, *options: str) -> Worker: ...


@contextmanager
def _workers(tmp_path: Path, program: list[str]) -> Iterator[StartWorker]:
    """Start ``program`` (a Celery worker) with these settings as its ``ASPE_*`` environment;
    stop every one started on leaving."""
    workers: list[Worker] = []

    def start(settings: Settings, *options: str) -> Worker:
        log = tmp_path / f"{Path(program[0]).name}-worker-{len(workers)}.log"
        env = {key: value for key, value in os.environ.items() if not key.startswith("ASPE_")}
        env.update(settings_env(settings))
        env["PYTHONFAULTHANDLER"] = "1"
        command = [
            *program,
            *(options or ("--pool=solo",)),
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
            "--loglevel=INFO",
            f"--hostname=test-{uuid.uuid4().hex[:8]}@%h",
        ]
        with log.open("wb") as output:
            process = subprocess.Popen(
                command, env=env, stdout=output, stderr=subprocess.STDOUT, cwd=tmp_path
            )
        worker = Worker(process, log)
        workers.append(worker)
        return worker.wait_ready()

    yield start
    for worker in workers:
        worker.stop()


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[StartWorker]:
    """Start a ``celery worker`` with these settings as its ``ASPE_*`` environment."""
    with _workers(
        tmp_path, [str(VENV_BIN / "celery"), "-A", "aspe.workers.app", "worker"]
    ) as start:
        yield start


@pytest.fixture
def start_aspe_worker(tmp_path: Path) -> Iterator[StartWorker]:
    """Start an ``aspe worker``, as production does, with these settings as its environment."""
    with _workers(tmp_path, [str(VENV_BIN / "aspe"), "worker"]) as start:
        yield start


@pytest.fixture(params=["sqlite", "postgres"])
def store_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """A store of the test's own (the deliveries of other tests are not counted)."""
    if request.param == "sqlite":
        return Settings(env=Environment.TEST, data_dir=tmp_path / "var")
    new_settings: Callable[[], Settings] = request.getfixturevalue("new_postgres_settings")
    return new_settings()


@pytest.fixture
def worker_settings(
    store_settings: Settings, smtp_server: SmtpServer
) -> Iterator[Callable[..., Settings]]:
    """The test's own store, with the shared Redis, the test's SMTP server, a queue of its own
    and short retries; ``changes`` override any of them."""
    require_redis()
    queue = f"aspe-test-{uuid.uuid4().hex[:8]}"

    def make(**changes: Any) -> Settings:
        values = {
            "redis_url": REDIS_URL,
            "smtp_url": smtp_server.url,
            "smtp_timeout": 5.0,
            "celery_queue": queue,
            "delivery_max_retries": 3,
            "delivery_retry_backoff": 1,
            "delivery_retry_backoff_max": 2,
            "delivery_lease_seconds": 3.0,
            "broker_visibility_timeout": 3.0,
            **changes,
        }
        return store_settings.model_copy(update=values)

    yield make
    close_stores()
    forget_queue(REDIS_URL, queue)


def forget_queue(redis_url: str, queue: str) -> None:
    """Delete a test's queue and kombu's bindings of it from the shared Redis: a test that
    failed with tasks still queued (or a worker's unacknowledged task restored to its queue
    after the test) would otherwise leave them there for good."""
    import redis

    client = redis.Redis.from_url(redis_url)
    stale = list(client.scan_iter(match=f"*{queue}*", count=1000))
    if stale:
        client.delete(*stale)


# ----------------------------------------------------------------------------- Redis
@dataclass
class RedisServer:
    """A ``redis-server`` of the test's own, without persistence: stopping it loses its
    queues, as a crash of an unpersisted Redis does."""

    port: int
    workdir: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        eventually(self._answers, 10, "redis-server to start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def _answers(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=1).ping())
        except redis.RedisError:
            return False


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    require_redis_server()
    server = RedisServer(free_port(), tmp_path)
    server.start()
    yield server
    server.stop()


# ----------------------------------------------------------------------------- clocks
@pytest.fixture
def clocks(settings: Settings, app: AspeApplication, world: Any) -> Iterator[Clocks]:
    """The clocks on the world's store and frozen clock. On SQLite they catch their read
    models up themselves; on PostgreSQL a projection runner follows the store in a thread,
    as ``aspe projections run`` does, and the clocks wait for it."""
    projector = build_projector(settings, CLOCK_READ_MODELS, app=app)
    follower = None
    if settings.runs_projections_in_process:
        projector.prepare()
    else:
        follower = BackgroundFollower(projector).start()
    yield Clocks(
        app, projector, settings, now=world.clock,
        erasure_places=lambda: erasure_places(settings, app),
    )  # fmt: skip
    if follower is not None:
        follower.stop()
    projector.close()
