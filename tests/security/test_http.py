"""HTTP hygiene: a body-size limit on every route before anything reads the body, a stable
400 for a ``/graphql`` body that is no operation, nothing in production that helps map the
API (suggestions, ``/docs``), security headers on every response, and data files that only
their owner may read.

These are properties of the HTTP layer and of the embedded store's files: they run on SQLite
only (the event store behind changes nothing of them)."""

from __future__ import annotations

import hashlib
import logging
import os
import stat
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from aspe.api import create_app
from aspe.demo.scenarios import Account, CaseStory
from aspe.domain.values import Status
from aspe.portal.blobs import BlobStore
from aspe.settings import Environment, Settings
from aspe.workers.delivery import outbox
from tests.gql.conftest import Api
from tests.portal.conftest import Visitor, csrf_of

KIB = 1024
MIB = 1024 * KIB
HUGE = 300 * MIB
PDF = b"%PDF-1.7\n" + b"bail " * 40_000  # 200 kB: more than a form, less than a document
LoggedIn = Callable[[Account | str], Visitor]


@pytest.fixture
def settings(sqlite_settings: Settings) -> Settings:
    """HTTP-only behaviour, and the embedded store's files: SQLite."""
    return sqlite_settings


class CountingBody:
    """A request body that counts what the server consumed of it."""

    def __init__(self, size: int, chunk: int = 64 * KIB) -> None:
        self.size, self.chunk = size, chunk
        self.consumed = 0

    def __iter__(self) -> Iterator[bytes]:
        while self.consumed < self.size:
            piece = b"x" * min(self.chunk, self.size - self.consumed)
            self.consumed += len(piece)
            yield piece


def post_declaring(client: TestClient, url: str, declared: int) -> tuple[Any, CountingBody]:
    """POST a body announced as ``declared`` bytes (only its first 1 MiB exists)."""
    body = CountingBody(MIB)
    response = client.post(
        url,
        content=iter(body),
        headers={
            "Content-Length": str(declared),
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    return response, body


# --------------------------------------------------------------------- body size
@pytest.mark.parametrize(
    "url", ["/connexion", "/deconnexion", "/dossiers/x/actions/y", "/nulle-part", "/healthz"]
)
def test_a_huge_declared_body_is_refused_with_413_before_it_is_read(
    visitor: Callable[[], Visitor], world: Any, url: str
) -> None:
    # given an anonymous visitor and the store's position
    head = world.app.head()

    # when it announces a 300 MB body
    response, body = post_declaring(visitor().client, url, HUGE)

    # then it is refused in French before a byte is read, and nothing is stored
    assert response.status_code == 413
    assert "trop volumineuse" in response.text
    assert response.headers["content-type"].startswith("text/html")
    assert body.consumed == 0
    assert world.app.head() == head


def test_a_chunked_form_without_length_is_cut_off_at_the_limit(
    visitor: Callable[[], Visitor], world: Any
) -> None:
    # given a body streamed without Content-Length, larger than any form
    head = world.app.head()
    body = CountingBody(65 * KIB, chunk=4 * KIB)

    # when it is posted to the login form
    response = visitor().client.post(
        "/connexion",
        content=iter(body),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    # then it is refused as too large (not as a form without CSRF token)
    assert response.request.headers.get("transfer-encoding") == "chunked"
    assert response.status_code == 413
    assert "trop volumineuse" in response.text
    assert world.app.head() == head


def test_graphql_keeps_its_json_413(client: TestClient, world: Any) -> None:
    head = world.app.head()

    response, body = post_declaring(client, "/graphql", HUGE)

    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"
    assert body.consumed == 0
    assert world.app.head() == head


@pytest.fixture
def active_case(world: Any) -> UUID:
    household = world.departement.add_household(world.referent, world.landlord_id, "Famille Roy")
    case_id: UUID = CaseStory(world.departement, world.referent, household).walk_to(Status.ACTIVE)
    return case_id


def upload(browser: Visitor, case_id: UUID, content: bytes) -> Any:
    page = f"/dossiers/{case_id}"
    token = csrf_of(browser.page(page))
    return browser.client.post(
        f"{page}/documents",
        data={"csrf_token": token, "nature": "LEASE"},
        files={"fichier": ("bail.pdf", content, "application/pdf")},
    )


def test_the_upload_route_takes_a_document_larger_than_a_form(
    world: Any, active_case: UUID, logged_in: LoggedIn
) -> None:
    browser = logged_in(world.referent)

    response = upload(browser, active_case, PDF)

    assert len(PDF) > 64 * KIB
    assert response.status_code == 303, response.text


def test_the_upload_route_refuses_more_than_a_document_and_its_form(
    world: Any, active_case: UUID, logged_in: LoggedIn, portal_settings: Settings
) -> None:
    browser = logged_in(world.referent)
    head = world.app.head()
    allowance = portal_settings.upload_max_bytes + portal_settings.max_request_bytes

    response, body = post_declaring(
        browser.client, f"/dossiers/{active_case}/documents", allowance + 1
    )

    assert response.status_code == 413
    assert body.consumed == 0
    assert world.app.head() == head
    assert not BlobStore(portal_settings).root.exists() or not any(
        path.is_file() for path in BlobStore(portal_settings).root.rglob("*")
    )


# ------------------------------------------------------------- /graphql bodies
DEEP_ARRAY = "[" * 1000 + "]" * 1000
DEEP_VARIABLES = '{"query": "{ me { id } }", "variables": ' + '{"a": ' * 1000 + "1" + "}" * 1001
NESTED_VARIABLES = '{"query": "{ me { id } }", "variables": ' + '{"a": ' * 60 + "1" + "}" * 61


NO_OPERATION = {
    "number": b"42",
    "string": b'"x"',
    "null": b"null",
    "list": b"[]",
    "true": b"true",
    "not-utf8": b"\xff\xfe",
    "not-json": b"{bad",
    "deep-array": DEEP_ARRAY.encode(),
    "deep-variables": DEEP_VARIABLES.encode(),
    "nested-variables": NESTED_VARIABLES.encode(),
}


@pytest.mark.parametrize("body", NO_OPERATION.values(), ids=NO_OPERATION.keys())
def test_a_graphql_body_that_is_no_operation_is_refused_with_400(
    client: TestClient, world: Any, caplog: pytest.LogCaptureFixture, body: bytes
) -> None:
    head = world.app.head()

    with caplog.at_level(logging.ERROR):
        response = client.post(
            "/graphql", content=body, headers={"Content-Type": "application/json"}
        )

    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert "requête" in error["message"]
    assert [record for record in caplog.records if record.levelno >= logging.ERROR] == []
    assert world.app.head() == head


def test_a_graphql_request_strawberry_refuses_gets_the_same_code(client: TestClient) -> None:
    no_query = client.post("/graphql", json={"variables": {}})
    wrong_type = client.post("/graphql", content=b"query=x", headers={"Content-Type": "text/plain"})

    for response in (no_query, wrong_type):
        assert response.status_code == 400
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


# ------------------------------------------------------------------- production
@pytest.fixture
def production(settings: Settings, world: Any) -> Iterator[TestClient]:
    production_settings = settings.model_copy(
        update={
            "env": Environment.PRODUCTION,
            "secret_key": SecretStr("a-production-secret-for-the-tests-only"),
            "projections_in_process": True,
        }
    )
    with TestClient(create_app(production_settings, clock=world.clock)) as client:
        yield client


@pytest.mark.parametrize("url", ["/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"])
def test_production_serves_no_api_documentation(production: TestClient, url: str) -> None:
    assert production.get(url).status_code == 404


MISSPELT = [
    ("{ meee { id } }", None),
    ("{ cases(firts: 1) { edges { node { id } } } }", None),
    (
        "query($s: CaseStatus) { cases(status: $s, first: 1) { edges { node { id } } } }",
        {"s": "REGISTERD"},
    ),
]


@pytest.mark.parametrize(("query", "variables"), MISSPELT, ids=["field", "argument", "enum"])
def test_production_suggests_no_name_of_the_schema(
    production: TestClient, query: str, variables: dict[str, str] | None
) -> None:
    errors = Api(production).run(query, variables)["errors"]

    assert errors[0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert all("Did you mean" not in error["message"] for error in errors)
    assert all("REGISTERED" not in error["message"] for error in errors)


def test_development_still_suggests_names(client: TestClient) -> None:
    errors = Api(client).run("{ meee { id } }")["errors"]

    assert "Did you mean 'me'?" in errors[0]["message"]


# ---------------------------------------------------------------------- headers
def check_security_headers(response: Any) -> None:
    policy = response.headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in policy
    assert "default-src" in policy
    assert response.headers.get("x-content-type-options") == "nosniff"
    assert response.headers.get("referrer-policy") == "strict-origin-when-cross-origin"


def requests_of_every_kind(client: TestClient) -> dict[str, Any]:
    graphql = client.post("/graphql", json={"query": "{ me { id } }"})
    return {
        "portal page": client.get("/connexion"),
        "graphql": graphql,
        "graphql bad request": client.post("/graphql", content=b"42"),
        "healthz": client.get("/healthz"),
        "static": client.get("/static/aspe.css"),
        "not found": client.get("/nulle-part"),
        "too large": post_declaring(client, "/connexion", HUGE)[0],
    }


def test_every_response_carries_the_security_headers(client: TestClient) -> None:
    responses = requests_of_every_kind(client)

    assert {name: response.status_code for name, response in responses.items()} == {
        "portal page": 200,
        "graphql": 200,
        "graphql bad request": 400,
        "healthz": 200,
        "static": 200,
        "not found": 404,
        "too large": 413,
    }
    for response in responses.values():
        check_security_headers(response)
        assert "strict-transport-security" not in response.headers


def test_portal_pages_allow_no_inline_script_nor_other_origin(client: TestClient) -> None:
    policy = client.get("/connexion").headers["content-security-policy"]

    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in policy
    assert "http" not in policy


def test_an_unexpected_error_carries_the_security_headers(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"projections_in_process": True}))

    @app.get("/boum")
    def boom() -> None:
        raise RuntimeError("une erreur inattendue")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boum")

    assert response.status_code == 500
    check_security_headers(response)
    assert "une erreur inattendue" not in response.text


def test_graphiql_in_development_may_load_its_scripts_and_nothing_frames_it(
    client: TestClient,
) -> None:
    page = client.get("/graphql", headers={"Accept": "text/html"})

    assert page.status_code == 200
    assert "graphiql" in page.text.lower()
    policy = page.headers["content-security-policy"]
    assert "https://unpkg.com" in policy
    assert "frame-ancestors 'none'" in policy


def test_production_adds_hsts_to_every_response(production: TestClient) -> None:
    for response in requests_of_every_kind(production).values():
        check_security_headers(response)
        assert response.headers["strict-transport-security"].startswith("max-age=")


# ------------------------------------------------------------------ file modes
@pytest.fixture
def permissive_umask() -> Iterator[None]:
    """Whatever the umask, the files are private: try the most permissive one."""
    previous = os.umask(0)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def wait_for(found: Callable[[], list[Path]], timeout: float = 20.0) -> list[Path]:
    deadline = time.monotonic() + timeout
    while not (paths := found()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return paths


def test_the_store_documents_and_emails_are_readable_by_their_owner_only(
    permissive_umask: None,
    world: Any,
    active_case: UUID,
    logged_in: LoggedIn,
    portal_settings: Settings,
) -> None:
    # given the embedded default started under a permissive umask, a document uploaded and
    # a request submitted (the SPSLH is e-mailed)
    browser = logged_in(world.referent)
    assert upload(browser, active_case, PDF).status_code == 303
    household = world.departement.add_household(world.referent, world.landlord_id, "Famille Gay")
    CaseStory(world.departement, world.referent, household).walk_to(Status.SUBMITTED)
    emails = wait_for(lambda: sorted(outbox(portal_settings).glob("*.eml")))

    # then every folder is 0700 and every file 0600
    blob = BlobStore(portal_settings).path_of(hashlib.sha256(PDF).hexdigest())
    sqlite_files = sorted(portal_settings.data_dir.glob("*.sqlite*"))
    assert emails
    assert len(sqlite_files) >= 3
    folders = [
        portal_settings.data_dir,
        portal_settings.blob_path,
        blob.parent,
        outbox(portal_settings),
    ]
    files = [*sqlite_files, blob, *emails]
    assert {str(path): oct(mode(path)) for path in folders} == {
        str(path): "0o700" for path in folders
    }
    assert {str(path): oct(mode(path)) for path in files} == {str(path): "0o600" for path in files}
