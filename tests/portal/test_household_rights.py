"""The household's rights on the portal: the case page offers its association (and the
SPSLH) the correction of the household's details, pre-filled; a correction shows on the
page, an invalid value is shown next to its field; the household and its referent download
its data (JSON, PDF)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from pypdf import PdfReader

from aspe import french
from aspe.demo.scenarios import Account, CaseStory
from aspe.domain.values import Address, Status
from tests.portal.conftest import Visitor
from tests.portal.test_actions import act, done, field_error

LoggedIn = Callable[[Account | str], Visitor]
FORM = "informations_menage"
CORRECTION = {
    "nom": "Ménage Durand-Moreau",
    "adresse": "3 rue Neuve",
    "code_postal": "69003",
    "commune": "Lyon",
    "coordonnees": "06 11 22 33 44",
    "personnes": "4",
}


def test_the_referent_corrects_the_households_details_from_the_case_page(
    story: Callable[..., CaseStory], logged_in: LoggedIn, world: Any
) -> None:
    # given a case, and its referent on its page, where the form starts from the details
    case_id = story().walk_to(Status.DIAGNOSTIC)
    referent = logged_in(world.referent)
    assert f'?action={FORM}#{FORM}"' in referent.page(f"/dossiers/{case_id}")
    page = referent.page(f"/dossiers/{case_id}?action={FORM}")
    assert 'value="12 rue des Lilas"' in page
    # when the referent posts the corrected details
    response = act(referent, case_id, FORM, CORRECTION)
    # then the case page shows them
    done(response, case_id, FORM)
    page = referent.page(f"/dossiers/{case_id}")
    assert "Ménage Durand-Moreau" in page
    assert "3 rue Neuve" in page


def test_an_empty_name_is_refused_next_to_the_field(
    story: Callable[..., CaseStory], logged_in: LoggedIn, world: Any
) -> None:
    # given a case and its referent
    case_id = story().walk_to(Status.DIAGNOSTIC)
    referent = logged_in(world.referent)
    # when the referent clears the name
    response = act(referent, case_id, FORM, {**CORRECTION, "nom": "  "})
    # then the page comes back with the error next to the name, nothing stored
    assert response.status_code == 422
    assert "Renseignez ce champ." in field_error(response.text, FORM, "nom")


def test_the_landlord_is_not_offered_the_correction(
    story: Callable[..., CaseStory], logged_in: LoggedIn, world: Any
) -> None:
    # given a granted case, and its landlord on its page
    case_id = story().walk_to(Status.GRANTED)
    page = logged_in(world.landlord).page(f"/dossiers/{case_id}")
    # then no correction form is offered
    assert f"?action={FORM}#" not in page


# ------------------------------------------------------------------ right of access
def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def plain(text: str) -> str:
    """``text`` with its no-break spaces as the PDF's extracted text has them: spaces."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


@pytest.fixture
def corrected(story: Callable[..., CaseStory], world: Any) -> CaseStory:
    """A granted case whose household's details were corrected once."""
    walk = story()
    walk.walk_to(Status.GRANTED)
    with world.acting(world.referent):
        world.app.correct_household_details(
            walk.case_id, Address("3 rue Neuve", "69003", "Lyon"), "Ménage Moreau", "06", 4
        )
    return walk


def test_the_household_downloads_its_data_as_a_pdf_that_states_true_things(
    corrected: CaseStory, logged_in: LoggedIn, household_account: Callable[[UUID], str]
) -> None:
    # given a household with an account, whose details were corrected, on its home page
    household = logged_in(household_account(corrected.household_id))
    home = household.page("/")
    assert "Télécharger mes données (PDF)" in home
    # when it downloads its data as a PDF
    response = household.get("/mes-donnees.pdf")
    # then the PDF opens and states its details, their history and its measure, in French
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "Ménage Moreau" in text
    assert "Ménage Durand" in text  # the registered name, in the history
    assert "Informations corrigées (adresse, nom, coordonnées, nombre de personnes)" in text
    assert "Mesure : simple" in text
    assert plain(f"Aide accordée : {french.amount(Decimal('1500'))}") in plain(text)
    assert "les notes libres des professionnels" in text


def test_the_household_downloads_its_data_as_json(
    corrected: CaseStory, logged_in: LoggedIn, household_account: Callable[[UUID], str]
) -> None:
    # given a household with an account
    household = logged_in(household_account(corrected.household_id))
    # when it downloads its data as JSON
    response = household.get("/mes-donnees.json")
    # then it is its own data
    assert response.status_code == 200
    data = json.loads(response.content)
    assert data["householdId"] == str(corrected.household_id)
    assert data["household"]["name"] == "Ménage Moreau"
    assert [case["id"] for case in data["cases"]] == [str(corrected.case_id)]


def test_the_referent_downloads_the_households_data_from_the_case_page(
    corrected: CaseStory, logged_in: LoggedIn, world: Any
) -> None:
    # given the referent on the case page
    referent = logged_in(world.referent)
    page = referent.page(f"/dossiers/{corrected.case_id}")
    assert "Télécharger les données du ménage (PDF)" in page
    # when the referent downloads them
    response = referent.get(f"/dossiers/{corrected.case_id}/donnees-menage.pdf")
    # then the PDF is the household's
    assert response.status_code == 200
    assert "Ménage Moreau" in pdf_text(response.content)


def test_the_spslh_is_offered_no_download_and_is_refused_one(
    corrected: CaseStory, logged_in: LoggedIn, world: Any
) -> None:
    # given the SPSLH, which sees the case
    spslh = logged_in(world.spslh)
    assert "donnees-menage" not in spslh.page(f"/dossiers/{corrected.case_id}")
    # when it asks for the household's data
    response = spslh.get(f"/dossiers/{corrected.case_id}/donnees-menage.json")
    # then it is not found
    assert response.status_code == 404
