"""Tokens of an OIDC issuer: trusted when its key signed them for ASPE, for a known account.

The issuer is a stub on the loopback: its discovery document and a JWKS holding the public
half of an RSA key made here. Its tokens name an ASPE account by their ``email`` claim.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from aspe.api import create_app
from aspe.demo.scenarios import DEFAULT_PASSWORD
from aspe.settings import Settings
from tests.gql.conftest import LOGIN, Api

AUDIENCE = "aspe"
KEY_ID = "stub-key-1"
ME = "{ me { role email } }"
ABSENT = object()


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class Issuer:
    """The stub issuer: its URL and the key it signs with."""

    url: str
    key: rsa.RSAPrivateKey

    def token(self, key: rsa.RSAPrivateKey | None = None, **claims: Any) -> str:
        """A token of this issuer (signed with ``key``, by default its own); a claim given
        as ``ABSENT`` is left out."""
        now = datetime.now(UTC)
        body = {"iss": self.url, "aud": AUDIENCE, "iat": now, "exp": now + timedelta(minutes=5)}
        body |= {"sub": "agent-42", "email_verified": True, **claims}
        body = {name: value for name, value in body.items() if value is not ABSENT}
        return jwt.encode(body, key or self.key, algorithm="RS256", headers={"kid": KEY_ID})


def _handler(documents: dict[str, bytes]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            document = documents.get(self.path)
            self.send_response(200 if document else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(document or b"{}")

        def log_message(self, *_: Any) -> None:
            """Quiet: the test output is not the place for an access log."""

    return Handler


@pytest.fixture(scope="module")
def issuer() -> Iterator[Issuer]:
    key = new_key()
    documents: dict[str, bytes] = {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(documents))
    url = f"http://127.0.0.1:{server.server_address[1]}"
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwks = {"keys": [{**public, "kid": KEY_ID, "use": "sig", "alg": "RS256"}]}
    discovery = {"issuer": url, "jwks_uri": f"{url}/jwks"}
    documents["/.well-known/openid-configuration"] = json.dumps(discovery).encode()
    documents["/jwks"] = json.dumps(jwks).encode()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Issuer(url, key)
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def oidc_client(api_settings: Settings, issuer: Issuer) -> Iterator[TestClient]:
    """The API trusting the stub issuer's tokens for the audience ``aspe``."""
    settings = api_settings.model_copy(
        update={"oidc_issuer": issuer.url, "oidc_audience": AUDIENCE}
    )
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture
def bearer(oidc_client: TestClient) -> Callable[[str], dict[str, Any]]:
    """``bearer(token)``: the answer to ``me`` with that token."""
    return lambda token: Api(oidc_client, token).run(ME)


def test_a_token_of_the_issuer_names_the_account_by_its_email(
    issuer: Issuer, bearer: Callable[[str], dict[str, Any]], world: Any
) -> None:
    token = issuer.token(email=world.referent.email)

    body = bearer(token)

    assert body == {"data": {"me": {"role": "REFERENT", "email": world.referent.email}}}


def test_the_account_of_the_token_decides_the_role(
    issuer: Issuer, bearer: Callable[[str], dict[str, Any]], world: Any
) -> None:
    token = issuer.token(email=world.landlord.email, role="ADMIN")

    body = bearer(token)

    assert body["data"]["me"]["role"] == "LANDLORD"


def refusal(body: dict[str, Any]) -> str:
    assert body["data"] == {"me": None}, body
    code: str = body["errors"][0]["extensions"]["code"]
    return code


def test_a_token_for_another_audience_is_refused(
    issuer: Issuer, bearer: Callable[[str], dict[str, Any]], world: Any
) -> None:
    token = issuer.token(email=world.referent.email, aud="another-service")

    assert refusal(bearer(token)) == "INVALID_TOKEN"


def test_an_expired_token_is_refused(
    issuer: Issuer, bearer: Callable[[str], dict[str, Any]], world: Any
) -> None:
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    token = issuer.token(email=world.referent.email, iat=an_hour_ago, exp=an_hour_ago)

    assert refusal(bearer(token)) == "INVALID_TOKEN"


def test_a_token_signed_by_another_key_is_refused(
    issuer: Issuer, bearer: Callable[[str], dict[str, Any]], world: Any
) -> None:
    token = issuer.token(key=new_key(), email=world.referent.email)

    assert refusal(bearer(token)) == "INVALID_TOKEN"


def test_a_token_for_an_unknown_email_is_refused(
    issuer: Issuer, bearer: Callable[[str], dict[str, Any]]
) -> None:
    token = issuer.token(email="inconnu@aspe.test")

    assert refusal(bearer(token)) == "INVALID_TOKEN"


@pytest.mark.parametrize("verified", [False, "true", None, ABSENT])
def test_a_token_whose_email_the_issuer_did_not_verify_is_refused(
    issuer: Issuer, bearer: Callable[[str], dict[str, Any]], world: Any, verified: Any
) -> None:
    """Only the JSON value true: some issuers let anyone put any address on an account."""
    token = issuer.token(email=world.referent.email, email_verified=verified)

    assert refusal(bearer(token)) == "INVALID_TOKEN"


def test_a_token_without_audience_is_refused(
    issuer: Issuer, bearer: Callable[[str], dict[str, Any]], world: Any
) -> None:
    assert refusal(bearer(issuer.token(email=world.referent.email, aud=ABSENT))) == "INVALID_TOKEN"


def test_a_token_without_email_is_refused(
    issuer: Issuer, bearer: Callable[[str], dict[str, Any]]
) -> None:
    assert refusal(bearer(issuer.token())) == "INVALID_TOKEN"


def claims_for(issuer: Issuer, email: str) -> dict[str, Any]:
    """The claims of a valid token of ``issuer`` for ``email``, to sign otherwise."""
    claims: dict[str, Any] = jwt.decode(
        issuer.token(email=email), options={"verify_signature": False}
    )
    return claims


def unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part(header)}.{part(claims)}"


def test_a_token_with_no_signature_is_refused(
    issuer: Issuer, bearer: Callable[[str], dict[str, Any]], world: Any
) -> None:
    claims = jwt.decode(
        issuer.token(email=world.referent.email), options={"verify_signature": False}
    )
    token = unsigned({"alg": "none", "typ": "JWT", "kid": KEY_ID}, claims) + "."

    assert refusal(bearer(token)) == "INVALID_TOKEN"


def test_a_token_signed_with_the_public_key_as_a_shared_secret_is_refused(
    issuer: Issuer, bearer: Callable[[str], dict[str, Any]], world: Any
) -> None:
    """The algorithm confusion attack: HS256 keyed with the JWKS's own public key."""
    claims = jwt.decode(
        issuer.token(email=world.referent.email), options={"verify_signature": False}
    )
    public = issuer.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = unsigned({"alg": "HS256", "typ": "JWT", "kid": KEY_ID}, claims)
    signature = hmac.new(public, signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{base64.urlsafe_b64encode(signature).decode().rstrip('=')}"

    assert refusal(bearer(token)) == "INVALID_TOKEN"


def test_local_tokens_still_work_beside_the_issuer(oidc_client: TestClient, world: Any) -> None:
    variables = {"email": world.manager.email, "password": DEFAULT_PASSWORD}
    token = Api(oidc_client).data(LOGIN, variables)["login"]["token"]

    body = Api(oidc_client, token).run(ME)

    assert body["data"]["me"]["role"] == "ASSOCIATION_MANAGER"
