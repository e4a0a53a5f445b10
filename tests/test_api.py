"""The HTTP app: built from settings, opened at start-up, and ``/healthz`` (liveness) through it.

One test starts the real ``aspe serve`` on a free loopback port, as ``make run`` does.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from aspe.api import create_app
from aspe.application import AspeApplication
from aspe.demo.scenarios import ADMIN
from aspe.domain.actors import acting_as
from aspe.domain.values import OrganisationKind
from aspe.settings import Settings

START_TIMEOUT = 30.0


def test_healthz_answers_ok_while_the_store_grows(sqlite_settings: Settings) -> None:
    with TestClient(create_app(sqlite_settings)) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        application: AspeApplication = client.app.state.application  # type: ignore[attr-defined]
        with acting_as(ADMIN):
            application.register_organisation("SPSLH", OrganisationKind.SPSLH)

        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_the_embedded_server_keeps_the_read_models_up_to_date_in_process(
    sqlite_settings: Settings,
) -> None:
    with TestClient(create_app(sqlite_settings)) as client:
        state = client.app.state  # type: ignore[attr-defined]
        with acting_as(ADMIN):
            created = state.application.register_organisation("SPSLH", OrganisationKind.SPSLH)

        state.projector.wait("audit_trail", created.position, timeout=5)

        rows = state.projector.model("audit_trail").view.select("events")
    assert [(row["aggregate_id"], row["event"]) for row in rows] == [
        (str(created.id), "Registered")
    ]


def test_creating_the_app_opens_no_store_until_it_starts(sqlite_settings: Settings) -> None:
    store = sqlite_settings.sqlite_path()

    web_app = create_app(sqlite_settings)

    assert not store.exists()
    with TestClient(web_app):
        assert store.exists()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_for_health(url: str, server: subprocess.Popen[bytes], log: Path) -> httpx.Response:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        assert server.poll() is None, f"aspe serve exited:\n{log.read_text()}"
        try:
            return httpx.get(url, timeout=2.0)
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"aspe serve did not answer in {START_TIMEOUT} s:\n{log.read_text()}")


def test_aspe_serve_answers_healthz_on_a_loopback_port(tmp_path: Path) -> None:
    command = Path(sys.executable).with_name("aspe")
    assert command.exists(), f"the aspe entry point is not installed next to {sys.executable}"
    port = _free_port()
    environment = {**os.environ, "ASPE_DATA_DIR": str(tmp_path / "var"), "ASPE_ENV": "test"}
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [str(command), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            response = _wait_for_health(f"http://127.0.0.1:{port}/healthz", server, log)
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
