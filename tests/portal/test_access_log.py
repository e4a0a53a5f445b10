"""Who read what, in the portal: the case page, each PDF and each download is one entry of
the access log; the auditor searches it on « Journal des accès »; the household sees, on
« Qui a consulté mon dossier », roles and organisations, and only its referent's name."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape
from typing import Any
from uuid import UUID

import pytest

from aspe.demo.scenarios import Account, CaseStory
from aspe.domain.values import Status
from tests.portal.conftest import Visitor, csrf_of

LoggedIn = Callable[[Account | str], Visitor]
ROW = re.compile(r"<tr>\s*(.*?)\s*</tr>", re.S)
CELL = re.compile(r"<td>(.*?)</td>", re.S)
PDF = b"%PDF-1.7\n" + b"bail " * 100


@pytest.fixture
def case_id(world: Any) -> UUID:
    household = world.departement.add_household(
        world.referent, world.landlord_id, "Famille Lambert"
    )
    return CaseStory(world.departement, world.referent, household).walk_to(Status.ACTIVE)


def rows_of(html: str, table_id: str) -> list[list[str]]:
    """The cells of each body row of the table ``table_id``, as text."""
    found = re.search(rf'<table id="{table_id}">(.*?)</table>', html, re.S)
    if found is None:
        return []
    body = found.group(1).split("<tbody>", 1)[1]
    return [
        [re.sub(r"<[^>]+>", "", unescape(cell)).strip() for cell in CELL.findall(row)]
        for row in ROW.findall(body)
    ]


def journal(auditor: Visitor, **filters: str) -> list[list[str]]:
    query = "&".join(f"{name}={value}" for name, value in filters.items())
    return rows_of(auditor.page(f"/journal-des-acces?{query}"), "journal")


def kinds(auditor: Visitor, case_id: UUID) -> list[str]:
    return [row[5] for row in journal(auditor, dossier=str(case_id))]


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("", "Consultation du dossier"),
        ("/documents/demande-fpel.pdf", "Édition d'un document PDF"),
        ("/documents/ceop.pdf", "Édition d'un document PDF"),
    ],
    ids=["case-page", "fpel-pdf", "ceop-pdf"],
)
def test_each_portal_read_of_a_case_is_one_entry(
    world: Any, case_id: UUID, logged_in: LoggedIn, path: str, kind: str
) -> None:
    referent, auditor = logged_in(world.referent), logged_in(world.auditor)

    assert referent.get(f"/dossiers/{case_id}{path}").status_code == 200

    (entry,) = journal(auditor, dossier=str(case_id))
    assert entry[1].startswith(world.referent.name)
    assert entry[2:4] == ["Référent·e", world.association.name]
    assert entry[5] == kind


def test_a_download_is_one_entry_and_the_upload_checks_record_nothing(
    world: Any, case_id: UUID, logged_in: LoggedIn
) -> None:
    referent, auditor = logged_in(world.referent), logged_in(world.auditor)
    token = csrf_of(referent.page(f"/dossiers/{case_id}"))
    referent.client.post(
        f"/dossiers/{case_id}/documents",
        data={"csrf_token": token, "nature": "LEASE"},
        files={"fichier": ("bail.pdf", PDF, "application/pdf")},
    )
    page = referent.page(f"/dossiers/{case_id}?document=ajoute")
    link = re.search(r'href="(/dossiers/[0-9a-f-]+/documents/[0-9a-f-]{32,36})"', page)
    assert link
    before = kinds(auditor, case_id)

    assert referent.get(link.group(1)).status_code == 200

    assert before == ["Consultation du dossier"] * 2  # the two pages; the upload's check: none
    after = kinds(auditor, case_id)  # one instant (the test's clock): in no set order
    assert sorted(after) == sorted(["Téléchargement d'une pièce jointe", *before])


def test_the_auditor_filters_the_journal_by_person_and_by_day(
    world: Any, case_id: UUID, logged_in: LoggedIn
) -> None:
    logged_in(world.referent).page(f"/dossiers/{case_id}")
    logged_in(world.spslh).page(f"/dossiers/{case_id}")
    auditor = logged_in(world.auditor)
    today = world.clock.today().isoformat()

    by_person = journal(auditor, personne=str(world.spslh.actor.id))
    today_only = journal(auditor, du=today, au=today)
    before_today = journal(auditor, au="2000-01-01")

    assert [(row[1].split(" ")[0], row[2]) for row in by_person] == [
        (world.spslh.name.split(" ")[0], "Agent du SPSLH")
    ]
    assert len(today_only) == 2
    assert before_today == []


def test_a_malformed_search_is_refused_in_french(world: Any, logged_in: LoggedIn) -> None:
    response = logged_in(world.auditor).get("/journal-des-acces?personne=quelqu-un")

    assert response.status_code == 400
    assert "L'identifiant de la personne est invalide." in unescape(response.text)


@pytest.mark.parametrize("who", ["referent", "manager", "spslh", "commission", "landlord"])
def test_the_journal_is_the_auditors_only(world: Any, logged_in: LoggedIn, who: str) -> None:
    response = logged_in(getattr(world, who)).get("/journal-des-acces")

    assert response.status_code == 403


def test_the_household_sees_roles_and_organisations_and_only_its_referents_name(
    world: Any,
    case_id: UUID,
    logged_in: LoggedIn,
    household_account: Callable[[UUID], str],
) -> None:
    household_id = world.app.get_case(case_id).household_id
    household = logged_in(household_account(household_id))
    logged_in(world.referent).page(f"/dossiers/{case_id}")
    logged_in(world.spslh).page(f"/dossiers/{case_id}")
    household.page(f"/dossiers/{case_id}")

    page = household.page(f"/dossiers/{case_id}/acces")

    rows = rows_of(page, "acces")
    assert sorted((row[1], row[3]) for row in rows) == [
        ("Agent du SPSLH", "—"),
        ("Référent·e", world.referent.name),
    ]
    assert world.association.name in page
    assert world.spslh.name not in page
    assert f'href="/dossiers/{case_id}/acces"' in household.page("/")


def test_another_party_may_not_see_who_read_a_case(
    world: Any, case_id: UUID, logged_in: LoggedIn
) -> None:
    response = logged_in(world.referent).get(f"/dossiers/{case_id}/acces")

    assert response.status_code == 403
