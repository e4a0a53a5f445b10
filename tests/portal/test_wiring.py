"""The statistics page, its CSV and the two PDF documents are served at their addresses,
from GraphQL run as the viewer: a case the viewer may not see is not found."""

from __future__ import annotations

from collections.abc import Callable
from html import unescape
from typing import Any
from uuid import UUID

from aspe.demo.scenarios import Account, CaseStory
from aspe.domain.values import Status
from tests.portal.conftest import Visitor

LoggedIn = Callable[[Account | str], Visitor]


def walk(world: Any, status: Status, referent: Account | None = None) -> UUID:
    referent = referent or world.referent
    household = world.departement.add_household(referent, world.landlord_id, "Famille Lambert")
    return CaseStory(world.departement, referent, household).walk_to(status)


def test_the_statistics_page_and_its_csv_are_served_to_the_spslh(
    world: Any, logged_in: LoggedIn
) -> None:
    walk(world, Status.ACTIVE)
    browser = logged_in(world.spslh)

    page = unescape(browser.page("/statistiques"))
    export = browser.get("/statistiques.csv")

    assert "<h1>Statistiques</h1>" in page
    assert "Chiffres clés" in page
    assert 'href="/statistiques"' in page  # the navigation offers it
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    assert "attachment" in export.headers["content-disposition"]
    assert "rubrique;libellé" in export.text


def test_a_referent_is_told_statistics_are_not_for_its_role(
    world: Any, logged_in: LoggedIn
) -> None:
    page = unescape(logged_in(world.referent).page("/statistiques"))

    assert "ne sont pas accessibles avec votre rôle" in page


def test_the_fpel_request_and_the_ceop_download_as_pdf(world: Any, logged_in: LoggedIn) -> None:
    case_id = walk(world, Status.ACTIVE)
    browser = logged_in(world.referent)

    request = browser.get(f"/dossiers/{case_id}/documents/demande-fpel.pdf")
    ceop = browser.get(f"/dossiers/{case_id}/documents/ceop.pdf")

    for response in (request, ceop):
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
        assert response.headers["cache-control"] == "no-store"


def test_a_document_of_a_case_the_viewer_may_not_see_is_not_found(
    world: Any, logged_in: LoggedIn
) -> None:
    foreign = walk(world, Status.ACTIVE, referent=world.other_association.referents[0])
    browser = logged_in(world.referent)

    for name in ("demande-fpel.pdf", "ceop.pdf"):
        response = browser.get(f"/dossiers/{foreign}/documents/{name}")
        assert response.status_code == 404
        assert "Dossier introuvable" in unescape(response.text)


def test_a_case_without_ceop_has_no_ceop_document(world: Any, logged_in: LoggedIn) -> None:
    case_id = walk(world, Status.SUBMITTED)

    response = logged_in(world.referent).get(f"/dossiers/{case_id}/documents/ceop.pdf")

    assert response.status_code == 404
    assert "Aucun CEOP" in unescape(response.text)
