"""A document's hash is not a key to its content.

Attaching a document takes an upload receipt: the API signs one for each upload, bound to
the account that uploaded and to the content's SHA-256, type and size, and
``attachDocument`` joins nothing without a receipt this viewer obtained for that content.
The kind a content is first attached under is its kind for good, across cases: a medical
certificate never becomes an "other" document someone else may read. A download is served
for a document of a case the viewer sees, by its id, never for a hash.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient

from aspe.demo.scenarios import Account, CaseStory
from aspe.domain.values import Status
from aspe.settings import Settings
from tests.portal.conftest import Visitor, csrf_of

if TYPE_CHECKING:  # the test folders are not packages: their fixtures' types, for reading
    from tests.conftest import World
    from tests.gql.conftest import Api

Login = Callable[[Account], "Api"]
LoggedIn = Callable[[Account], Visitor]

CERTIFICATE = b"%PDF-1.7\n" + b"certificat medical: inapte au travail " * 20
LEASE = b"%PDF-1.7\n" + b"bail d'habitation " * 20
READ_MODEL_TIMEOUT = 10.0
DOCUMENT_LINK = re.compile(r'href="(/dossiers/[0-9a-f-]+/documents/[0-9a-f-]{32,36})"')

ATTACH = """
mutation Attach($caseId: ID!, $input: AttachDocumentInput!) {
  attachDocument(caseId: $caseId, input: $input) {
    documents { id kind filename sha256 }
  }
}
"""
DOCUMENTS = "query Documents($id: ID!) { case(id: $id) { documents { id kind sha256 } } }"


# ---------------------------------------------------------------------- helpers
def case_of(world: World, referent: Account, status: Status = Status.ACTIVE) -> str:
    """A new case of ``referent``'s association walked to ``status``."""
    household = world.departement.add_household(referent, world.landlord_id, "Famille Roche")
    return str(CaseStory(world.departement, referent, household).walk_to(status))


def upload(api: Api, content: bytes, media_type: str = "application/pdf") -> Any:
    """POST ``content`` to the API's upload path as ``api``'s account: the raw response."""
    headers = {"Content-Type": media_type}
    if api.token:
        headers["Authorization"] = f"Bearer {api.token}"
    return api.client.post("/uploads", content=content, headers=headers)


def receipt_of(api: Api, content: bytes) -> dict[str, Any]:
    """The upload's answer: ``sha256``, ``size``, ``mediaType`` and ``receipt``."""
    response = upload(api, content)
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


def altered_receipt(receipt: str) -> str:
    """``receipt`` with one character of its signature changed (not the last: its low bits
    may be padding, which base64 decoding ignores)."""
    position = len(receipt) - 5
    changed = "A" if receipt[position] != "A" else "B"
    return receipt[:position] + changed + receipt[position + 1 :]


def attach_input(uploaded: dict[str, Any], kind: str, receipt: str | None) -> dict[str, Any]:
    return {
        "kind": kind,
        "filename": "certificat.pdf",
        "mediaType": uploaded["mediaType"],
        "size": uploaded["size"],
        "sha256": uploaded["sha256"],
        "uploadReceipt": receipt,
    }


def attach(api: Api, case_id: str, uploaded: dict[str, Any], kind: str) -> list[Any]:
    variables = {"caseId": case_id, "input": attach_input(uploaded, kind, uploaded["receipt"])}
    documents: list[Any] = api.data(ATTACH, variables)["attachDocument"]["documents"]
    return documents


def refused_attach(
    api: Api, world: World, case_id: str, uploaded: dict[str, Any], kind: str, receipt: Any
) -> str:
    """The code of an attachment that must be refused, once checked nothing was stored."""
    head = world.app.head()
    variables = {"caseId": case_id, "input": attach_input(uploaded, kind, receipt)}
    code = api.error_code(ATTACH, variables)
    assert world.app.head() == head, "a refused attachment stored events"
    return code


@pytest.fixture
def settle(client: TestClient, world: World) -> Callable[[], None]:
    """Waits until the API's read models hold what the test stored directly."""

    def wait() -> None:
        projector = client.app.state.projector  # type: ignore[attr-defined]
        projector.wait("case_file", world.app.head(), timeout=READ_MODEL_TIMEOUT)

    return wait


@pytest.fixture
def attached(world: World, login: Login, settle: Callable[[], None]) -> dict[str, Any]:
    """Association X's referent uploaded a medical certificate and attached it to a case."""
    case_id = case_of(world, world.referent)
    settle()
    x = login(world.referent)
    uploaded = receipt_of(x, CERTIFICATE)
    documents = attach(x, case_id, uploaded, "MEDICAL")
    return {"case_id": case_id, "uploaded": uploaded, "documents": documents}


# ------------------------------------------------------------------ GraphQL, HTTP
def test_a_referent_attaches_its_own_upload_and_the_spslh_does_not_see_the_medical_one(
    world: World, login: Login, attached: dict[str, Any]
) -> None:
    # Given X's referent uploaded a certificate, when it attaches it with its receipt,
    # then the case lists it as MEDICAL, and the SPSLH does not see it (theme HEALTH).
    documents = attached["documents"]
    assert [(d["kind"], d["sha256"]) for d in documents] == [
        ("MEDICAL", attached["uploaded"]["sha256"])
    ]
    spslh_case = login(world.spslh).data(DOCUMENTS, {"id": attached["case_id"]})["case"]
    assert spslh_case is not None
    assert spslh_case["documents"] == []


def test_a_hash_alone_attaches_nothing(
    world: World, login: Login, settle: Callable[[], None], attached: dict[str, Any]
) -> None:
    # Given association Y knows the hash of X's certificate, when it attaches that hash to
    # its own case without a receipt, then it is refused and nothing is stored.
    y_case = case_of(world, world.other_association.referents[0])
    settle()
    y = login(world.other_association.referents[0])
    uploaded = attached["uploaded"]

    for receipt in (None, "", "n'importe quoi", uploaded["sha256"]):
        code = refused_attach(y, world, y_case, uploaded, "MEDICAL", receipt)
        assert code == "UPLOAD_RECEIPT_REQUIRED", receipt
    assert y.data(DOCUMENTS, {"id": y_case})["case"]["documents"] == []


def test_a_receipt_attaches_nothing_for_another_account(
    world: World, login: Login, settle: Callable[[], None], attached: dict[str, Any]
) -> None:
    # Given X's receipt leaked, when Y (or X's colleague) attaches with it, then it is refused.
    y_case = case_of(world, world.other_association.referents[0])
    x_case = case_of(world, world.second_referent)
    settle()
    uploaded = attached["uploaded"]

    for who, case_id in (
        (world.other_association.referents[0], y_case),
        (world.second_referent, x_case),
    ):
        code = refused_attach(login(who), world, case_id, uploaded, "MEDICAL", uploaded["receipt"])
        assert code == "UPLOAD_RECEIPT_REQUIRED", who.email


def test_a_receipt_attaches_nothing_but_the_content_it_was_signed_for(
    world: World, login: Login, settle: Callable[[], None], attached: dict[str, Any]
) -> None:
    # Given Y uploaded a lease of its own, when it attaches X's hash (or another size or
    # type) with that receipt, or a receipt altered by one character, then it is refused.
    y_case = case_of(world, world.other_association.referents[0])
    settle()
    y = login(world.other_association.referents[0])
    own = receipt_of(y, LEASE)
    stolen_hash = {**own, "sha256": attached["uploaded"]["sha256"]}
    other_size = {**own, "size": own["size"] + 1}
    other_type = {**own, "mediaType": "image/png"}
    altered = altered_receipt(own["receipt"])

    for uploaded, receipt in (
        (stolen_hash, own["receipt"]),
        (other_size, own["receipt"]),
        (other_type, own["receipt"]),
        (own, altered),
    ):
        code = refused_attach(y, world, y_case, uploaded, "OTHER", receipt)
        assert code == "UPLOAD_RECEIPT_REQUIRED", uploaded
    assert attach(y, y_case, own, "LEASE")[0]["sha256"] == own["sha256"]  # control


def test_a_medical_content_is_never_attached_again_under_another_kind(
    world: World, login: Login, settle: Callable[[], None], attached: dict[str, Any]
) -> None:
    # Given X attached a certificate as MEDICAL, when anyone holding the same content
    # attaches it under another kind, on any case, then it is refused and nothing is stored.
    y_referent = world.other_association.referents[0]
    y_case, x_other_case = case_of(world, y_referent), case_of(world, world.referent)
    settle()
    y, x, spslh = login(y_referent), login(world.referent), login(world.spslh)
    y_upload = receipt_of(y, CERTIFICATE)
    x_upload = attached["uploaded"]

    assert refused_attach(y, world, y_case, y_upload, "OTHER", y_upload["receipt"]) == (
        "DOCUMENT_KIND_FIXED"
    )
    assert refused_attach(x, world, x_other_case, x_upload, "OTHER", x_upload["receipt"]) == (
        "DOCUMENT_KIND_FIXED"
    )
    spslh_upload = receipt_of(spslh, CERTIFICATE)
    spslh_code = refused_attach(
        spslh, world, attached["case_id"], spslh_upload, "OTHER", spslh_upload["receipt"]
    )
    assert spslh_code == "NOT_AUTHORISED"
    assert login(world.spslh).data(DOCUMENTS, {"id": y_case})["case"]["documents"] == []
    # Under the kind it already has, the same content joins another case of X (control).
    assert attach(x, x_other_case, x_upload, "MEDICAL")[0]["kind"] == "MEDICAL"


def test_the_upload_path_takes_only_a_logged_in_account_and_accepted_content(
    world: World, anonymous: Api, login: Login
) -> None:
    # Given no token, or a type not accepted, when uploading, then nothing is signed.
    assert upload(anonymous, CERTIFICATE).status_code == 401
    refused = upload(login(world.referent), b"GIF89a", "image/gif")
    assert refused.status_code == 422
    assert refused.json()["code"] == "INVALID_INPUT"
    assert "receipt" not in refused.json()


# ---------------------------------------------------------------------- the portal
def upload_form(browser: Visitor, case_id: str, content: bytes, kind: str) -> Any:
    page = f"/dossiers/{case_id}"
    return browser.client.post(
        f"{page}/documents",
        data={"csrf_token": csrf_of(browser.page(page)), "nature": kind},
        files={"fichier": ("certificat.pdf", content, "application/pdf")},
    )


def test_through_the_portal_a_certificate_keeps_its_kind_and_its_readers(
    world: World, logged_in: LoggedIn, portal_settings: Settings
) -> None:
    # Given X's referent attached a certificate as MEDICAL through the portal,
    y_referent = world.other_association.referents[0]
    x_case, y_case = case_of(world, world.referent), case_of(world, y_referent)
    x = logged_in(world.referent)
    assert upload_form(x, x_case, CERTIFICATE, "MEDICAL").status_code == 303
    link = DOCUMENT_LINK.search(x.page(f"/dossiers/{x_case}"))
    assert link
    assert x.get(link.group(1)).content == CERTIFICATE  # control: its own document
    y = logged_in(y_referent)
    head = world.app.head()

    # when Y uploads the same content as "other" to its own case, and asks for X's link,
    relabelled = upload_form(y, y_case, CERTIFICATE, "OTHER")
    downloaded = y.get(link.group(1))

    # then the attachment is refused in French, nothing is stored, nothing is served,
    assert relabelled.status_code == 422
    assert "sa nature ne peut pas être changée" in unescape(relabelled.text)
    assert world.app.head() == head
    assert DOCUMENT_LINK.search(y.page(f"/dossiers/{y_case}")) is None
    assert downloaded.status_code == 404
    assert CERTIFICATE not in downloaded.content
    # and the SPSLH, who may not read health items, is not served it either.
    spslh = logged_in(world.spslh).get(link.group(1))
    assert spslh.status_code == 404
    assert CERTIFICATE not in spslh.content
