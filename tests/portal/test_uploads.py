"""Documents on the case page: an upload is stored by its SHA-256 then joined to the case as
the viewer; too large or of a type not accepted, it is refused in French and nothing is
stored; a download gives the bytes back to whoever sees the document, and 404 to others."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from html import unescape
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from aspe.demo.scenarios import Account, CaseStory
from aspe.domain.values import Status
from aspe.portal.blobs import BlobStore
from aspe.portal.case_page import content_disposition
from aspe.settings import Settings
from tests.portal.conftest import Visitor, csrf_of

LoggedIn = Callable[[Account | str], Visitor]
MAX_BYTES = 2_000
PDF = b"%PDF-1.7\n" + b"bail " * 100
DOCUMENT_LINK = re.compile(r'href="(/dossiers/[0-9a-f-]+/documents/[0-9a-f-]{32,36})"')


@pytest.fixture
def portal_settings(settings: Settings) -> Settings:
    """The portal's app with a small upload limit, to try one larger."""
    return settings.model_copy(
        update={"projections_in_process": True, "upload_max_bytes": MAX_BYTES}
    )


@pytest.fixture
def case_id(world: Any) -> UUID:
    household = world.departement.add_household(
        world.referent, world.landlord_id, "Famille Lambert"
    )
    return CaseStory(world.departement, world.referent, household).walk_to(Status.ACTIVE)


def stored(settings: Settings) -> list[Path]:
    root = BlobStore(settings).root
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def upload(
    browser: Visitor,
    case_id: UUID,
    filename: str,
    content: bytes,
    media_type: str,
    kind: str = "LEASE",
) -> Any:
    page = f"/dossiers/{case_id}"
    token = csrf_of(browser.page(page))
    return browser.client.post(
        f"{page}/documents",
        data={"csrf_token": token, "nature": kind},
        files={"fichier": (filename, content, media_type)},
    )


def main_of(html: str) -> str:
    found = re.search(r"<main[^>]*>(.*)</main>", html, re.S)
    assert found
    return unescape(found.group(1))


def test_an_uploaded_document_is_stored_listed_and_downloaded(
    world: Any, case_id: UUID, logged_in: LoggedIn, portal_settings: Settings
) -> None:
    browser = logged_in(world.referent)

    response = upload(browser, case_id, "bail signé.pdf", PDF, "application/pdf")

    assert response.status_code == 303
    assert response.headers["location"] == f"/dossiers/{case_id}?document=ajoute#documents"
    page = main_of(browser.page(response.headers["location"]))
    assert "Le document a été joint au dossier." in page
    assert "bail signé.pdf" in page
    assert "Bail" in page
    blob = BlobStore(portal_settings).path_of(hashlib.sha256(PDF).hexdigest())
    assert stored(portal_settings) == [blob]
    link = DOCUMENT_LINK.search(page)
    assert link
    download = browser.get(link.group(1))
    assert download.status_code == 200
    assert download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"] == content_disposition("bail signé.pdf")
    assert download.headers["content-disposition"].startswith("attachment;")


def test_a_document_too_large_is_refused_in_french_and_nothing_is_stored(
    world: Any, case_id: UUID, logged_in: LoggedIn, portal_settings: Settings
) -> None:
    browser = logged_in(world.referent)

    response = upload(
        browser, case_id, "gros.pdf", b"%PDF-1.7\n" + b"x" * MAX_BYTES, "application/pdf"
    )

    assert response.status_code == 422
    assert "Le document dépasse la taille maximale" in main_of(response.text)
    assert stored(portal_settings) == []
    assert "gros.pdf" not in main_of(browser.page(f"/dossiers/{case_id}"))


def test_a_document_of_a_type_not_accepted_is_refused_in_french_and_nothing_is_stored(
    world: Any, case_id: UUID, logged_in: LoggedIn, portal_settings: Settings
) -> None:
    browser = logged_in(world.referent)

    wrong_type = upload(browser, case_id, "note.txt", b"bonjour", "text/plain")
    disguised = upload(browser, case_id, "faux.pdf", b"MZ pas un pdf", "application/pdf")

    assert wrong_type.status_code == 422
    assert "Ce type de document n'est pas accepté" in main_of(wrong_type.text)
    assert disguised.status_code == 422
    assert "n'est pas celui d'un document PDF" in main_of(disguised.text)
    assert stored(portal_settings) == []


def test_another_association_cannot_download_nor_upload(
    world: Any, case_id: UUID, logged_in: LoggedIn, portal_settings: Settings
) -> None:
    owner = logged_in(world.referent)
    upload(owner, case_id, "bail.pdf", PDF, "application/pdf")
    link = DOCUMENT_LINK.search(owner.page(f"/dossiers/{case_id}"))
    assert link
    stranger = logged_in(world.other_association.referents[0])

    download = stranger.get(link.group(1))
    token = csrf_of(stranger.page("/"))
    posted = stranger.client.post(
        f"/dossiers/{case_id}/documents",
        data={"csrf_token": token, "nature": "OTHER"},
        files={"fichier": ("autre.pdf", b"%PDF-1.7 autre", "application/pdf")},
    )

    assert download.status_code == 404
    assert "Famille Lambert" not in download.text
    assert PDF not in download.content
    assert posted.status_code == 404
    assert "Dossier introuvable" in posted.text
    assert len(stored(portal_settings)) == 1


def test_the_landlord_is_not_offered_the_upload_and_cannot_download_the_documents(
    world: Any, case_id: UUID, logged_in: LoggedIn
) -> None:
    owner = logged_in(world.referent)
    upload(owner, case_id, "bail.pdf", PDF, "application/pdf")
    link = DOCUMENT_LINK.search(owner.page(f"/dossiers/{case_id}"))
    assert link
    landlord = logged_in(world.landlord)

    page = main_of(landlord.page(f"/dossiers/{case_id}"))

    assert "Joindre un document" not in page
    assert "bail.pdf" not in page
    assert landlord.get(link.group(1)).status_code == 404


def test_an_upload_without_the_csrf_token_is_refused(
    world: Any, case_id: UUID, logged_in: LoggedIn, portal_settings: Settings
) -> None:
    browser = logged_in(world.referent)

    response = browser.client.post(
        f"/dossiers/{case_id}/documents",
        data={"nature": "LEASE"},
        files={"fichier": ("bail.pdf", PDF, "application/pdf")},
    )

    assert response.status_code == 403
    assert stored(portal_settings) == []


def test_a_medical_document_is_neither_listed_nor_served_to_the_spslh(
    world: Any, case_id: UUID, logged_in: LoggedIn
) -> None:
    owner = logged_in(world.referent)
    upload(owner, case_id, "certificat.pdf", PDF, "application/pdf", kind="MEDICAL")
    link = DOCUMENT_LINK.search(owner.page(f"/dossiers/{case_id}"))
    assert link
    spslh = logged_in(world.spslh)

    page = main_of(spslh.page(f"/dossiers/{case_id}"))

    assert "certificat.pdf" not in page
    assert "Document médical" not in page
    assert spslh.get(link.group(1)).status_code == 404
