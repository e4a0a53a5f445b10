"""The household's rights on the portal: the case page offers its association (and the
SPSLH) the correction of the household's details, pre-filled; a correction shows on the
page, an invalid value is shown next to its field; the household and its referent download
its data (JSON, PDF)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aspe.demo.scenarios import Account, CaseStory
from aspe.domain.values import Status
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
    page = referent.page(f"/dossiers/{case_id}")
    assert f'action="/dossiers/{case_id}/actions/{FORM}"' in page
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
    assert f"/actions/{FORM}" not in page
