"""Readiness: ``/readyz`` and ``aspe status`` say whether the store, Redis and each read
model are ready, and name what is not; ``/healthz`` only says the process is alive."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from aspe.api import create_app
from aspe.demo.scenarios import ADMIN
from aspe.domain.actors import acting_as
from aspe.domain.values import OrganisationKind
from aspe.projections.view import Failure
from aspe.settings import Environment, Settings
from aspe.workers import clock_runs
from tests.conftest import POSTGRES_URL, REDIS_URL, PostgresSchemas, require_redis

CLOSED_PORT = 1
"""Nothing listens on port 1 of the loopback: a connection there is refused."""


def _readyz(client: TestClient) -> tuple[int, dict[str, Any]]:
    response = client.get("/readyz")
    return response.status_code, response.json()


def _register_organisations(client: TestClient, count: int) -> None:
    application = client.app.state.application  # type: ignore[attr-defined]
    with acting_as(ADMIN):
        for number in range(count):
            application.register_organisation(f"SPSLH {number}", OrganisationKind.SPSLH)


# ---------------------------------------------------------------------------- /readyz


def test_a_fresh_embedded_app_is_ready(sqlite_settings: Settings) -> None:
    with TestClient(create_app(sqlite_settings)) as client:
        status, body = _readyz(client)

    assert status == 200
    assert body["status"] == "ready"
    assert "failing" not in body
    assert {"store", "redis", "read_model:audit_trail", "read_model:case_file"} <= set(
        body["checks"]
    )
    assert all(check["ok"] for check in body["checks"].values())


def test_healthz_says_alive_without_touching_the_store(sqlite_settings: Settings) -> None:
    with TestClient(create_app(sqlite_settings)) as client:
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_a_redis_that_does_not_answer_is_named(tmp_path: Path) -> None:
    settings = Settings(
        env=Environment.TEST,
        data_dir=tmp_path / "var",
        redis_url=f"redis://127.0.0.1:{CLOSED_PORT}/0",
    )
    with TestClient(create_app(settings)) as client:
        status, body = _readyz(client)

    assert status == 503
    assert body["status"] == "not ready"
    assert body["failing"] == ["redis"]
    assert body["checks"]["redis"]["ok"] is False
    assert "ConnectionError" in body["checks"]["redis"]["detail"]


def test_a_redis_that_answers_is_ready(tmp_path: Path) -> None:
    require_redis()
    settings = Settings(env=Environment.TEST, data_dir=tmp_path / "var", redis_url=REDIS_URL)
    with TestClient(create_app(settings)) as client:
        status, body = _readyz(client)

    assert status == 200, body
    assert body["checks"]["redis"] == {"ok": True, "detail": "répond / answers"}


def test_a_read_model_behind_by_more_than_the_bound_is_not_ready_until_it_catches_up(
    tmp_path: Path,
) -> None:
    # Given read models nobody keeps up to date, and a bound of two events
    settings = Settings(
        env=Environment.TEST,
        data_dir=tmp_path / "var",
        projections_in_process=False,
        ready_max_lag=2,
    )
    with TestClient(create_app(settings)) as client:
        _register_organisations(client, 2)
        status_within_bound, _ = _readyz(client)
        # When a third event is stored
        _register_organisations(client, 1)
        status_behind, behind = _readyz(client)
        # And then the read models catch up
        client.app.state.projector.catch_up()  # type: ignore[attr-defined]
        status_caught_up, caught_up = _readyz(client)

    assert status_within_bound == 200
    assert status_behind == 503
    assert "read_model:audit_trail" in behind["failing"]
    assert "store" not in behind["failing"]
    assert "lag 3 > 2" in behind["checks"]["read_model:audit_trail"]["detail"]
    assert status_caught_up == 200, caught_up
    assert caught_up["status"] == "ready"


def test_the_embedded_read_models_thread_is_ready_while_it_follows_the_store(
    sqlite_settings: Settings,
) -> None:
    with TestClient(create_app(sqlite_settings)) as client:
        status_following, following = _readyz(client)
        # When the thread that keeps the read models up to date stops
        client.app.state.follower.stop()  # type: ignore[attr-defined]
        status_stopped, stopped = _readyz(client)

    assert status_following == 200
    assert following["checks"]["projections"]["ok"] is True
    assert status_stopped == 503
    assert stopped["failing"] == ["projections"]


def test_a_read_model_stopped_on_an_event_is_not_ready(sqlite_settings: Settings) -> None:
    # Given read models caught up by hand: no thread runs past the failure and clears it
    settings = sqlite_settings.model_copy(update={"projections_in_process": False})
    with TestClient(create_app(settings)) as client:
        _register_organisations(client, 1)
        projector = client.app.state.projector  # type: ignore[attr-defined]
        projector.catch_up()
        # When one read model records the event it stopped on
        failure = Failure.of(1, "aspe.domain:Event", ValueError("a value of the household"))
        projector.model("statistics").view.record_failure(failure)

        status, body = _readyz(client)

    assert status == 503
    assert body["failing"] == ["read_model:statistics"]
    detail = body["checks"]["read_model:statistics"]["detail"]
    assert "stopped at position 1" in detail
    assert "ValueError" in detail
    assert "household" not in detail, "an error's message may quote a stored value"


DETECTOR = "aspe.clocks.detect_non_collaboration"


def test_a_clock_that_missed_its_run_is_not_ready_until_it_runs(sqlite_settings: Settings) -> None:
    now = datetime.now(UTC)
    with TestClient(create_app(sqlite_settings)) as client:
        status_never_ran, never_ran = _readyz(client)
        # Given the daily detector last did its work three days ago
        clock_runs.record_done(sqlite_settings, DETECTOR, now - timedelta(days=3), 0)
        status_late, late = _readyz(client)
        # When it runs again
        clock_runs.record_done(sqlite_settings, DETECTOR, now, 0)
        status_ran, ran = _readyz(client)

    assert status_never_ran == 200
    assert never_ran["checks"][f"clock:{DETECTOR}"]["detail"] == "jamais exécutée / never ran"
    assert status_late == 503
    assert late["failing"] == [f"clock:{DETECTOR}"]
    assert "late, due since" in late["checks"][f"clock:{DETECTOR}"]["detail"]
    assert status_ran == 200, ran
    assert ran["checks"][f"clock:{DETECTOR}"]["ok"] is True


class Relay:
    """A TCP relay to PostgreSQL that a test can cut: the store then stops answering, as
    when the network to the database fails."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.sockets += [client, upstream]
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass

    def cut(self) -> None:
        self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        with self.lock:
            for connection in self.sockets:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
                connection.close()


@pytest.fixture
def relayed_postgres(postgres_schemas: PostgresSchemas, tmp_path: Path) -> Iterator[Relay]:
    schema = postgres_schemas.create()
    server = urlsplit(POSTGRES_URL)
    relay = Relay(server.hostname or "127.0.0.1", server.port or 5432)
    relay.schema = schema  # type: ignore[attr-defined]
    yield relay
    postgres_schemas.drop(schema)


def test_a_store_that_stops_answering_is_a_503_naming_the_store_never_a_500(
    relayed_postgres: Relay, tmp_path: Path
) -> None:
    server = urlsplit(POSTGRES_URL)
    settings = Settings(
        env=Environment.TEST,
        database_url=f"postgresql://{server.username}@127.0.0.1:{relayed_postgres.port}"
        f"{server.path}",
        database_schema=relayed_postgres.schema,  # type: ignore[attr-defined]
        data_dir=tmp_path / "var",
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        status_before, _ = _readyz(client)
        relayed_postgres.cut()

        started = time.monotonic()
        status_after, body = _readyz(client)
        seconds = time.monotonic() - started
        alive = client.get("/healthz").status_code

    assert status_before == 200
    assert status_after == 503
    assert "store" in body["failing"]
    assert body["checks"]["store"]["ok"] is False
    assert seconds < settings.ready_check_timeout + 1.5, "each check is bounded in time"
    assert alive == 200, "liveness does not depend on the database"


# ------------------------------------------------------------------------- aspe status


def _status(tmp_path: Path, *options: str, **environment: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "ASPE_ENV": "test",
        "ASPE_DATA_DIR": str(tmp_path / "var"),
        "COLUMNS": "200",
        **environment,
    }
    for name in ("ASPE_DATABASE_URL", "ASPE_REDIS_URL"):
        if name not in environment:
            env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "aspe.cli", "status", *options],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_aspe_status_prints_every_check_and_exits_0_when_ready(tmp_path: Path) -> None:
    result = _status(tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Prêt / ready." in result.stdout
    assert "read_model:audit_trail" in result.stdout
    assert "store" in result.stdout


def test_aspe_status_json_names_an_unreachable_redis_and_exits_1(tmp_path: Path) -> None:
    result = _status(tmp_path, "--json", ASPE_REDIS_URL=f"redis://127.0.0.1:{CLOSED_PORT}/0")

    assert result.returncode == 1, result.stderr
    body = json.loads(result.stdout)
    assert body["status"] == "not ready"
    assert body["failing"] == ["redis"]


def test_aspe_status_names_an_unreachable_store_within_its_timeout(tmp_path: Path) -> None:
    started = time.monotonic()
    result = _status(
        tmp_path,
        "--json",
        ASPE_DATABASE_URL=f"postgresql://postgres@127.0.0.1:{CLOSED_PORT}/test",
        ASPE_READY_CHECK_TIMEOUT="1",
    )

    assert result.returncode == 1, result.stderr
    assert "store" in json.loads(result.stdout)["failing"]
    assert time.monotonic() - started < 20, "a store that hangs does not hold the command"


def test_aspe_status_table_says_what_is_not_ready(tmp_path: Path) -> None:
    result = _status(tmp_path, ASPE_REDIS_URL=f"redis://127.0.0.1:{CLOSED_PORT}/0")

    assert result.returncode == 1
    assert "en échec / failing" in result.stdout
    assert "Pas prêt / not ready: redis" in result.stdout
