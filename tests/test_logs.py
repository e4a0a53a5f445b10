"""Structured logs: one JSON object per line in production (or ``ASPE_LOG_FORMAT=json``),
each naming its request, correlation, actor and role — and never a person's data."""

from __future__ import annotations

import io
import json
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from fastapi.testclient import TestClient

from aspe.api import create_app
from aspe.application.passwords import hash_password
from aspe.bootstrap import build_application
from aspe.demo.scenarios import DEFAULT_PASSWORD, Account, Departement
from aspe.logs.setup import configure_logging
from aspe.settings import Environment, Settings
from aspe.workers.app import create_app as create_celery
from aspe.workers.delivery import REQUEUE_TASK
from tests.conftest import REDIS_URL, require_redis

LOGIN = "mutation($email: String!, $password: String!) { login(email: $email, password: $password) { token } }"  # noqa: E501
START_TIMEOUT = 30.0


def _referent(settings: Settings) -> Account:
    """A département with one association whose referent is Claire Martin."""
    application = build_application(settings)
    try:
        departement = Departement(application, password_hash=hash_password(DEFAULT_PASSWORD))
        return departement.add_association("Habitat Solidaire", ["Claire Martin"]).referents[0]
    finally:
        application.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Server:
    """``aspe serve`` in a subprocess, its standard error kept in a file."""

    def __init__(self, tmp_path: Path, **environment: str) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp_path / "serve.err"
        env = {**os.environ, "ASPE_DATA_DIR": str(tmp_path / "var"), **environment}
        env.pop("ASPE_REDIS_URL", None)
        with self.log.open("wb") as errors:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "aspe.cli", "serve", "--port", str(self.port)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=errors,
            )
        self._wait()

    def _wait(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                httpx.get(f"{self.url}/healthz", timeout=2.0)
                return
            except httpx.TransportError:
                time.sleep(0.2)
        raise AssertionError(f"aspe serve did not answer:\n{self.log.read_text()}")

    def stop(self) -> str:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return self.log.read_text()


def _graphql(url: str, query: str, token: str | None = None, **variables: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.post(
        f"{url}/graphql",
        json={"query": query, "variables": variables},
        headers=headers,
        timeout=10,
    )


def _lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def _access(lines: list[dict[str, Any]], request_id: str) -> dict[str, Any]:
    (line,) = [
        line
        for line in lines
        if line["logger"] == "aspe.access" and line.get("request_id") == request_id
    ]
    return line


def test_a_request_cycle_logs_json_lines_with_its_ids_and_no_personal_value(
    tmp_path: Path,
) -> None:
    settings = Settings(env=Environment.TEST, data_dir=tmp_path / "var")
    referent = _referent(settings)
    server = Server(tmp_path, ASPE_ENV="test", ASPE_LOG_FORMAT="json")
    try:
        # When a person logs in, asks who they are, searches the portal, and fails a login
        login = _graphql(server.url, LOGIN, email=referent.email, password=DEFAULT_PASSWORD)
        token = login.json()["data"]["login"]["token"]
        sent_id = f"lb-{uuid4().hex}"
        me = httpx.post(
            f"{server.url}/graphql",
            json={"query": "{ me { id role name email } }"},
            headers={"Authorization": f"Bearer {token}", "X-Request-ID": sent_id},
            timeout=10,
        )
        search = httpx.get(f"{server.url}/?recherche=Durand", timeout=10)
        refused = _graphql(server.url, LOGIN, email=referent.email, password="not-the-password")
    finally:
        output = server.stop()

    # Then every line is one JSON object
    lines = _lines(output)
    assert {line["process"] for line in lines} == {"serve"}
    assert all({"time", "level", "logger", "message"} <= line.keys() for line in lines)
    # And the request's line carries the id the response said, the actor and the role
    assert me.headers["X-Request-ID"] == sent_id
    asked = _access(lines, sent_id)
    assert (asked["method"], asked["path"], asked["status"]) == ("POST", "/graphql", 200)
    assert asked["actor_id"] == str(referent.actor.id)
    assert asked["actor_role"] == "REFERENT"
    assert _access(lines, login.headers["X-Request-ID"])["actor_id"] == str(referent.actor.id)
    failed = _access(lines, refused.headers["X-Request-ID"])
    assert "actor_id" not in failed
    # And the search's line has its path, not its query string
    assert _access(lines, search.headers["X-Request-ID"])["path"] == "/"
    # And no personal value, password or token appears anywhere
    for secret in (referent.email, DEFAULT_PASSWORD, "not-the-password", token, "Claire"):
        assert secret not in output
    assert "Martin" not in output
    assert "Durand" not in output


def test_production_logs_json_without_being_told(tmp_path: Path) -> None:
    server = Server(tmp_path, ASPE_ENV="production", ASPE_SECRET_KEY="k" * 40)
    try:
        httpx.get(f"{server.url}/healthz", timeout=5)
    finally:
        output = server.stop()

    lines = _lines(output)
    assert any(line["logger"] == "aspe.access" and line["path"] == "/healthz" for line in lines)
    assert any(line["logger"].startswith("uvicorn") for line in lines)


# ------------------------------------------------------------------- in one process


@pytest.fixture
def logged(sqlite_settings: Settings) -> Iterator[io.StringIO]:
    """This process's logging as ``aspe serve`` configures it, its lines kept in a buffer
    instead of the standard error; undone after the test."""
    lines = io.StringIO()
    handler = configure_logging(sqlite_settings, "serve")
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(lines)
    yield lines
    logging.getLogger().removeHandler(handler)


def test_development_logs_are_text_lines_naming_the_request(
    sqlite_settings: Settings, logged: io.StringIO
) -> None:
    with TestClient(create_app(sqlite_settings)) as client:
        response = client.get("/healthz")

    request_id = response.headers["X-Request-ID"]
    (line,) = [line for line in logged.getvalue().splitlines() if "GET /healthz" in line]
    assert f"request={request_id}" in line
    assert " serve aspe.access " in line
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)


def test_a_well_formed_request_id_is_kept_and_any_other_replaced(
    sqlite_settings: Settings,
) -> None:
    with TestClient(create_app(sqlite_settings)) as client:
        kept = client.get("/healthz", headers={"X-Request-ID": "edge-1234abcd"})
        replaced = client.get("/healthz", headers={"X-Request-ID": "<script> Claire Martin"})
        made = client.get("/healthz")

    assert kept.headers["X-Request-ID"] == "edge-1234abcd"
    assert UUID(replaced.headers["X-Request-ID"])
    assert UUID(made.headers["X-Request-ID"])
    assert made.headers["X-Request-ID"] != replaced.headers["X-Request-ID"]


def test_a_command_s_events_carry_the_request_s_correlation_id(
    sqlite_settings: Settings,
) -> None:
    referent = _referent(sqlite_settings)
    request_id = str(uuid4())
    with TestClient(create_app(sqlite_settings)) as client:
        login = client.post(
            "/graphql",
            json={
                "query": LOGIN,
                "variables": {"email": referent.email, "password": DEFAULT_PASSWORD},
            },
        )
        token = login.json()["data"]["login"]["token"]

        client.post(
            "/graphql",
            json={"query": "mutation { logout { id } }"},
            headers={"Authorization": f"Bearer {token}", "X-Request-ID": request_id},
        )

        application = client.app.state.application  # type: ignore[attr-defined]
        last = list(application.events.get(referent.actor.id))[-1]
    assert type(last).__name__ == "SignedOut"
    assert str(last.correlation_id) == request_id


# ---------------------------------------------------------------------------- Celery


def _wait_for(log: Path, text: str, worker: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while text not in log.read_text():
        assert worker.poll() is None, log.read_text()
        assert time.monotonic() < deadline, f"no {text!r} in:\n{log.read_text()}"
        time.sleep(0.2)


def test_a_celery_worker_logs_json_lines_of_its_own_with_each_task_s_id(tmp_path: Path) -> None:
    require_redis()
    queue = f"aspe-logs-{uuid4().hex[:8]}"
    settings = Settings(
        env=Environment.TEST, data_dir=tmp_path / "var", redis_url=REDIS_URL, celery_queue=queue
    )
    env = {
        **os.environ,
        "ASPE_ENV": "test",
        "ASPE_DATA_DIR": str(settings.data_dir),
        "ASPE_REDIS_URL": REDIS_URL,
        "ASPE_CELERY_QUEUE": queue,
        "ASPE_LOG_FORMAT": "json",
    }
    log = tmp_path / "worker.err"
    with log.open("wb") as errors:
        worker = subprocess.Popen(
            [sys.executable, "-m", "aspe.cli", "worker", "--pool", "solo"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
    try:
        _wait_for(log, "ready.", worker)
        # When a task runs
        task_id = create_celery(settings).send_task(REQUEUE_TASK, queue=queue).id
        _wait_for(log, "succeeded", worker)
    finally:
        worker.terminate()
        worker.wait(timeout=30)

    # Then every line of the worker is ours, Celery's warnings included
    lines = _lines(log.read_text())
    assert {line["process"] for line in lines} == {"worker"}
    # And the task's lines carry its id as correlation id
    (succeeded,) = [line for line in lines if "succeeded" in line["message"]]
    assert succeeded["correlation_id"] == task_id
