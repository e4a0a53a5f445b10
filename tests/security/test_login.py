"""Login hardening: throttling with backoff, the same work for an unknown e-mail, bounded
password hashing, OIDC's audience and verified e-mail, and the secret key.

Through the public interface: GraphQL's ``login`` over HTTP (both stores), the portal's
``/connexion`` form, ``Settings`` as the environment makes them.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from pydantic import SecretStr, ValidationError

from aspe.api import create_app
from aspe.application import passwords
from aspe.demo.scenarios import DEFAULT_PASSWORD
from aspe.settings import Environment, Settings
from tests.conftest import REDIS_URL, require_redis
from tests.security.conftest import LOGIN, Api, Visitor

WRONG = "pas-le-bon-mot-de-passe"
ME = "{ me { email } }"
TOO_MANY = "Trop de tentatives de connexion échouées"


def login_of(email: str, password: str = DEFAULT_PASSWORD) -> dict[str, str]:
    return {"email": email, "password": password}


def refusal(api: Api, email: str, password: str = DEFAULT_PASSWORD) -> dict[str, Any]:
    """The single error of a login that must fail."""
    body = api.run(LOGIN, login_of(email, password))
    assert body["data"] is None, body
    error: dict[str, Any] = body["errors"][0]
    return error


def code_of(api: Api, email: str, password: str = DEFAULT_PASSWORD) -> str:
    code: str = refusal(api, email, password)["extensions"]["code"]
    return code


def logs_in(api: Api, email: str, password: str = DEFAULT_PASSWORD) -> bool:
    body = api.run(LOGIN, login_of(email, password))
    return not body.get("errors") and bool(body["data"]["login"]["token"])


CHEAP = PasswordHasher(time_cost=1, memory_cost=1024)
"""Argon2 at its lowest cost: these tests count attempts, and the default cost would make
each take a sixth of a second. What they check holds for any parameters."""


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """New hashes, and the stand-in of an unknown e-mail, at the cheap cost."""
    monkeypatch.setattr(passwords, "_hasher", CHEAP)


@pytest.fixture(scope="module")
def password_hash() -> str:
    """The world's accounts' password, hashed at the cheap cost."""
    return CHEAP.hash(DEFAULT_PASSWORD)


@pytest.fixture
def app_with(
    api_settings: Settings, world: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., tuple[TestClient, Any]]]:
    """``app_with(**settings)``: a started app on the test's store with those settings."""
    clients: list[TestClient] = []
    # The app sizes the process's hashing slots: the tests after this one get them back.
    monkeypatch.setattr(passwords, "_slots", passwords._slots)

    def start(**overrides: Any) -> tuple[TestClient, Any]:
        app = create_app(api_settings.model_copy(update=overrides), clock=world.clock)
        client = TestClient(app)
        client.__enter__()
        clients.append(client)
        return client, app

    yield start
    for client in clients:
        client.__exit__(None, None, None)


# ---------------------------------------------------------------- throttling per account
def test_six_wrong_passwords_lock_the_account_out_until_the_backoff_passes(
    anonymous: Api, world: Any
) -> None:
    email, head = world.referent.email, world.app.head()
    failures = [code_of(anonymous, email, WRONG) for _ in range(5)]

    sixth = refusal(anonymous, email, WRONG)
    right_one = refusal(anonymous, email)

    assert failures == ["INVALID_CREDENTIALS"] * 5
    assert sixth["extensions"]["code"] == right_one["extensions"]["code"] == "TOO_MANY_ATTEMPTS"
    assert right_one["message"].startswith(TOO_MANY)
    world.clock.now += timedelta(seconds=59)
    assert code_of(anonymous, email) == "TOO_MANY_ATTEMPTS"
    world.clock.now += timedelta(seconds=2)  # the first lockout: 60 s
    assert logs_in(anonymous, email)
    assert world.app.head() == head


def test_each_failure_after_a_lockout_doubles_it(anonymous: Api, world: Any) -> None:
    email = world.referent.email
    for _ in range(5):
        code_of(anonymous, email, WRONG)
    world.clock.now += timedelta(seconds=61)

    assert code_of(anonymous, email, WRONG) == "INVALID_CREDENTIALS"  # the 6th: 120 s

    world.clock.now += timedelta(seconds=119)
    assert code_of(anonymous, email) == "TOO_MANY_ATTEMPTS"
    world.clock.now += timedelta(seconds=2)
    assert logs_in(anonymous, email)


def test_a_success_clears_the_account_count(anonymous: Api, world: Any) -> None:
    email = world.referent.email
    for _ in range(4):
        code_of(anonymous, email, WRONG)
    assert logs_in(anonymous, email)

    codes = [code_of(anonymous, email, WRONG) for _ in range(4)]

    assert codes == ["INVALID_CREDENTIALS"] * 4
    assert logs_in(anonymous, email)


def test_an_unknown_email_is_locked_out_like_a_known_one(anonymous: Api, world: Any) -> None:
    codes = [code_of(anonymous, " Personne@ASPE.test ") for _ in range(6)]

    assert codes == ["INVALID_CREDENTIALS"] * 5 + ["TOO_MANY_ATTEMPTS"]
    assert code_of(anonymous, "personne@aspe.test") == "TOO_MANY_ATTEMPTS"  # one account
    assert logs_in(anonymous, world.referent.email)  # the address is not locked by one e-mail


# ---------------------------------------------------------------- throttling per address
def test_one_address_is_locked_out_after_failures_across_many_emails(
    app_with: Callable[..., tuple[TestClient, Any]], world: Any
) -> None:
    client, app = app_with(login_max_failures_per_address=8)
    attacker = Api(client)
    codes = [code_of(attacker, f"inconnu{n}@aspe.test") for n in range(8)]

    refused = refusal(attacker, world.referent.email)

    assert codes == ["INVALID_CREDENTIALS"] * 8
    assert refused["extensions"]["code"] == "TOO_MANY_ATTEMPTS"
    elsewhere = Api(TestClient(app, client=("192.0.2.10", 50000)))
    assert logs_in(elsewhere, world.referent.email)  # another address, the same account
    world.clock.now += timedelta(seconds=61)
    assert logs_in(attacker, world.referent.email)


def test_the_portal_login_goes_through_the_same_throttle_and_answers_429_in_french(
    visitor: Callable[[], Visitor], world: Any
) -> None:
    browser = visitor()
    statuses = [browser.log_in(world.referent.email, WRONG).status_code for _ in range(5)]

    response = browser.log_in(world.referent.email)

    assert statuses == [401] * 5
    assert response.status_code == 429
    assert TOO_MANY in response.text
    assert f'value="{world.referent.email}"' in response.text
    assert browser.get("/").status_code == 303  # not logged in


def test_failures_in_one_api_process_lock_the_account_out_in_another(
    app_with: Callable[..., tuple[TestClient, Any]], world: Any
) -> None:
    require_redis()
    shared = {
        "redis_url": REDIS_URL,
        "celery_queue": f"aspe-test-login-{uuid.uuid4().hex[:8]}",
        "projections_in_process": False,  # no notifier: nothing else goes to Redis
    }
    first, second = (Api(app_with(**shared)[0]) for _ in range(2))
    try:
        codes = [code_of(first, world.referent.email, WRONG) for _ in range(5)]

        assert codes == ["INVALID_CREDENTIALS"] * 5
        assert code_of(second, world.referent.email) == "TOO_MANY_ATTEMPTS"
        world.clock.now += timedelta(seconds=61)
        assert logs_in(second, world.referent.email)
    finally:
        keys = redis.Redis.from_url(REDIS_URL).keys(f"{shared['celery_queue']}:*")
        if keys:
            redis.Redis.from_url(REDIS_URL).delete(*keys)


def test_without_its_redis_the_login_is_refused_busy_rather_than_unthrottled(
    app_with: Callable[..., tuple[TestClient, Any]], world: Any
) -> None:
    client, _ = app_with(redis_url="redis://127.0.0.1:9/0", projections_in_process=False)

    assert code_of(Api(client), world.referent.email) == "SERVER_BUSY"


# ------------------------------------------------------- the same work for an unknown e-mail
@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every argon2 verification the server runs, by the hash's parameters."""
    calls: list[str] = []
    verify = PasswordHasher.verify

    def counted(self: PasswordHasher, hash: str | bytes, password: str | bytes) -> bool:
        text = hash.decode() if isinstance(hash, bytes) else hash
        calls.append(text.split("$")[3])  # m=…,t=…,p=…
        return verify(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counted)
    return calls


def test_an_unknown_email_costs_the_same_verification_as_a_wrong_password(
    anonymous: Api, world: Any, verifications: list[str]
) -> None:
    wrong_password = refusal(anonymous, world.referent.email, WRONG)
    known = list(verifications)
    verifications.clear()

    unknown_email = refusal(anonymous, "personne@aspe.test", WRONG)

    assert unknown_email == wrong_password
    assert unknown_email["extensions"] == {"code": "INVALID_CREDENTIALS"}
    assert verifications == known  # one verification, with the same parameters
    assert len(known) == 1


# ------------------------------------------------------------------ bounded hashing
def test_logins_beyond_the_hashing_slots_are_refused_busy_not_queued(
    app_with: Callable[..., tuple[TestClient, Any]],
    world: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client, _ = app_with(password_hash_slots=2, password_hash_wait_seconds=0.05)
    running, most, release = [0], [0], threading.Event()
    lock = threading.Lock()
    verify = PasswordHasher.verify

    def slow(self: PasswordHasher, hash: str | bytes, password: str | bytes) -> bool:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        release.wait(timeout=10)
        with lock:
            running[0] -= 1
        return verify(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", slow)
    answers: list[str] = []

    def log_in(email: str) -> None:
        body = Api(client).run(LOGIN, login_of(email))
        answers.append(body["errors"][0]["extensions"]["code"] if body.get("errors") else "OK")

    emails = [world.referent.email, world.manager.email, *(a.email for a in _others(world))]
    threads = [threading.Thread(target=log_in, args=(email,)) for email in emails]
    for thread in threads[:2]:
        thread.start()
    _until(lambda: running[0] == 2)
    for thread in threads[2:]:
        thread.start()
    _until(lambda: len(answers) == len(threads) - 2)
    release.set()
    for thread in threads:
        thread.join(timeout=10)

    assert most[0] == 2
    assert sorted(answers) == ["OK", "OK"] + ["SERVER_BUSY"] * (len(threads) - 2)


def _others(world: Any) -> list[Any]:
    return [world.spslh, world.commission, world.auditor, world.landlord]


def _until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition never came true"
        time.sleep(0.005)


# ------------------------------------------------------------------------------ OIDC
def test_an_oidc_issuer_without_audience_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASPE_OIDC_ISSUER", "https://connexion.departement.example")
    monkeypatch.delenv("ASPE_OIDC_AUDIENCE", raising=False)

    with pytest.raises(ValidationError, match="ASPE_OIDC_AUDIENCE"):
        Settings()


def test_an_app_made_from_copied_settings_with_an_issuer_and_no_audience_does_not_start(
    api_settings: Settings,
) -> None:
    copied = api_settings.model_copy(update={"oidc_issuer": "https://id.example"})

    with pytest.raises(ValueError, match="ASPE_OIDC_AUDIENCE"):
        create_app(copied)


# -------------------------------------------------------------------------- secret key
def test_production_refuses_a_secret_key_shorter_than_32_bytes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ASPE_ENV", "production")
    monkeypatch.setenv("ASPE_SECRET_KEY", "k" * 31)

    with pytest.raises(ValidationError, match="at least 32 bytes"):
        Settings()

    monkeypatch.setenv("ASPE_SECRET_KEY", "k" * 32)
    assert Settings().signing_key() == "k" * 32


def test_production_refuses_no_secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASPE_ENV", "production")
    monkeypatch.delenv("ASPE_SECRET_KEY", raising=False)

    with pytest.raises(ValidationError, match="ASPE_SECRET_KEY must be set"):
        Settings()


def _token(settings: Settings, world: Any) -> str:
    with TestClient(create_app(settings, clock=world.clock)) as client:
        token: str = Api(client).data(LOGIN, login_of(world.referent.email))["login"]["token"]
        return token


def _me(settings: Settings, world: Any, token: str) -> dict[str, Any]:
    with TestClient(create_app(settings, clock=world.clock)) as client:
        return Api(client, token).run(ME)


def test_the_generated_key_is_private_to_its_data_dir_and_kept_across_starts(
    api_settings: Settings, world: Any, tmp_path: Path
) -> None:
    settings = api_settings.model_copy(update={"projections_in_process": False})
    assert settings.secret_key is None
    token = _token(settings, world)

    key_file = settings.data_dir / "secret_key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert len(key_file.read_text().strip()) >= 32
    assert _me(settings, world, token)["data"] == {"me": {"email": world.referent.email}}
    # Another process on the same data dir (the API restarted) reads the same key from the file.
    check = (
        "import sys, jwt; from aspe.settings import Settings; "
        "jwt.decode(sys.argv[1], Settings().signing_key(), algorithms=['HS256'], "
        "options={'verify_exp': False, 'verify_iss': False})"
    )
    environment = {**os.environ, "ASPE_DATA_DIR": str(settings.data_dir), "ASPE_ENV": "test"}
    environment.pop("ASPE_SECRET_KEY", None)
    subprocess.run([sys.executable, "-c", check, token], check=True, env=environment)
    # No constant in the code: another data dir has another key, and refuses the token.
    elsewhere = settings.model_copy(update={"data_dir": tmp_path / "elsewhere"})
    refused = _me(elsewhere, world, token)
    assert refused["errors"][0]["extensions"]["code"] == "INVALID_TOKEN"


def test_a_secret_key_given_is_used_rather_than_the_generated_one(
    api_settings: Settings, world: Any
) -> None:
    given = api_settings.model_copy(
        update={"projections_in_process": False, "secret_key": SecretStr("s" * 40)}
    )
    token = _token(given, world)

    assert not (given.data_dir / "secret_key").exists()
    generated = given.model_copy(update={"secret_key": None})
    assert _me(generated, world, token)["errors"][0]["extensions"]["code"] == "INVALID_TOKEN"


def test_settings_made_for_production_in_code_cannot_sign_without_a_key() -> None:
    unchecked = Settings(env=Environment.TEST).model_copy(update={"env": Environment.PRODUCTION})

    with pytest.raises(ValueError, match="ASPE_SECRET_KEY"):
        unchecked.signing_key()
