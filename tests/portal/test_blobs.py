"""The blob store of uploaded documents, and joining a stored document to a case."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from aspe.api import create_app
from aspe.demo.scenarios import DEFAULT_PASSWORD, Account
from aspe.domain.errors import DomainError
from aspe.domain.values import Status
from aspe.portal.blobs import (
    ATTACH_DOCUMENT,
    DOCUMENTS_QUERY,
    BlobStore,
    attach_variables,
    receipt_for,
    visible_document,
)
from aspe.settings import Environment, Settings
from tests.gql.conftest import LOGIN, Api

PDF = b"%PDF-1.7\n" + b"x" * 40
PNG = b"\x89PNG\r\n\x1a\n" + b"y" * 40


@pytest.fixture
def store(tmp_path: Path) -> BlobStore:
    return BlobStore(Settings(env=Environment.TEST, data_dir=tmp_path, upload_max_bytes=100))


def stored_files(store: BlobStore) -> list[Path]:
    return [path for path in store.root.rglob("*") if path.is_file()]


def refusal(call: Any) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value


def test_a_content_is_stored_once_under_its_sha256(store):
    first = store.put(PDF, "application/pdf")
    again = store.put(PDF, "application/pdf")

    assert first.sha256 == hashlib.sha256(PDF).hexdigest() == again.sha256
    assert (first.created, again.created) == (True, False)
    assert first.size == len(PDF)
    assert stored_files(store) == [store.path_of(first.sha256)]
    assert store.read(first.sha256) == PDF


def test_the_folder_defaults_to_blobs_under_the_data_dir_and_is_configurable(tmp_path):
    assert Settings(data_dir=tmp_path).blob_path == tmp_path / "blobs"
    assert Settings(data_dir=tmp_path, blob_dir=tmp_path / "b").blob_path == tmp_path / "b"


def test_an_oversized_upload_is_refused_and_leaves_nothing(store):
    error = refusal(lambda: store.put_chunks([PDF, b"z" * 80], "application/pdf"))

    assert error.code == "INVALID_INPUT"
    assert "taille maximale" in error.message
    assert stored_files(store) == []


def test_a_type_not_accepted_is_refused_with_the_types_accepted(store):
    error = refusal(lambda: store.put(b"GIF89a", "image/gif"))

    assert error.code == "INVALID_INPUT"
    assert "PDF, JPEG, PNG" in error.message
    assert stored_files(store) == []


def test_a_content_that_is_not_what_its_type_says_is_refused(store):
    error = refusal(lambda: store.put(PNG, "application/pdf"))

    assert error.code == "INVALID_INPUT"
    assert "PDF" in error.message
    assert stored_files(store) == []


def test_an_empty_upload_is_refused(store):
    assert refusal(lambda: store.put(b"", "image/png")).code == "INVALID_INPUT"


def test_a_stream_is_stored_as_it_comes(store):
    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(PNG), 7):
            yield PNG[start : start + 7]

    blob = asyncio.run(store.put_stream(chunks(), "image/png; charset=binary"))

    assert blob.media_type == "image/png"
    assert store.read(blob.sha256) == PNG


def test_an_unknown_or_malformed_hash_is_not_found(store):
    assert refusal(lambda: store.read("0" * 64)).code == "NOT_FOUND"
    assert refusal(lambda: store.read("../../etc/passwd")).code == "NOT_FOUND"


# ---------------------------------------------------------- joined through the API
@pytest.fixture
def client(settings: Settings, world: Any) -> Iterator[TestClient]:
    api_settings = settings.model_copy(update={"projections_in_process": True})
    with TestClient(create_app(api_settings, clock=world.clock)) as test_client:
        yield test_client


@pytest.fixture
def api(client: TestClient, world: Any) -> Any:
    def as_account(account: Account) -> Api:
        client.app.state.projector.wait(  # type: ignore[attr-defined]
            "case_file", world.app.head(), timeout=30
        )
        body = Api(client).data(LOGIN, {"email": account.email, "password": DEFAULT_PASSWORD})
        return Api(client, body["login"]["token"])

    return as_account


def test_a_stored_document_joined_to_a_case_records_its_sha256_and_shows_to_whom_it_may(
    world, story, store, api, client
):
    case_id = story().walk_to(Status.ACTIVE)
    lease, certificate = store.put(PDF, "application/pdf"), store.put(PNG, "image/png")

    referent = api(world.referent)
    uploader = world.referent.actor.id
    signer = client.app.state.settings  # receipts are the app's: signed with its key
    lease_receipt = receipt_for(signer, uploader, lease)
    certificate_receipt = receipt_for(signer, uploader, certificate)
    referent.data(
        ATTACH_DOCUMENT,
        attach_variables(str(case_id), "LEASE", "bail.pdf", lease, lease_receipt),
    )
    joined = referent.data(
        ATTACH_DOCUMENT,
        attach_variables(
            str(case_id), "MEDICAL", "certificat.png", certificate, certificate_receipt
        ),
    )["attachDocument"]["documents"]

    assert world.last_event(case_id).sha256 == certificate.sha256
    assert [d["sha256"] for d in joined] == [lease.sha256, certificate.sha256]
    medical_id = joined[1]["id"]
    spslh = api(world.spslh).data(DOCUMENTS_QUERY, {"id": str(case_id)})["case"]
    assert [d["filename"] for d in spslh["documents"]] == ["bail.pdf"]
    assert refusal(lambda: visible_document(spslh, medical_id)).code == "NOT_FOUND"
    landlord = api(world.landlord).data(DOCUMENTS_QUERY, {"id": str(case_id)})["case"]
    assert landlord["documents"] == []
    referent_case = referent.data(DOCUMENTS_QUERY, {"id": str(case_id)})["case"]
    assert visible_document(referent_case, medical_id)["sha256"] == certificate.sha256


def test_joining_a_document_of_a_type_not_accepted_is_refused_by_the_api(world, story, api):
    case_id = story().walk_to(Status.DIAGNOSTIC)
    variables = {
        "caseId": str(case_id),
        "input": {
            "kind": "OTHER",
            "filename": "film.mp4",
            "mediaType": "video/mp4",
            "size": 10,
            "sha256": "a" * 64,
        },
    }

    assert api(world.referent).error_code(ATTACH_DOCUMENT, variables) == "INVALID_INPUT"
