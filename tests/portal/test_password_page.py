"""« Mon mot de passe » for the household too: a household with a portal account changes its
password from its own page and logs in with the new one; the correction of its details
refuses a four-digit postcode next to the postcode field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from aspe.demo.scenarios import DEFAULT_PASSWORD, Account, CaseStory
from aspe.domain.values import Status
from tests.portal.conftest import Visitor
from tests.portal.test_actions import act, field_error

LoggedIn = Callable[[Account | str], Visitor]
FORM = "/mon-compte/mot-de-passe"
NEW_PASSWORD = "un-nouveau-secret-2026"


def test_a_household_changes_its_password_and_logs_in_with_the_new_one(
    story: Callable[..., CaseStory],
    logged_in: LoggedIn,
    visitor: Callable[[], Visitor],
    household_account: Callable[[UUID], str],
) -> None:
    # given a household with a portal account, logged in, whose home links to the form
    walked = story()
    walked.walk_to(Status.DIAGNOSTIC)
    email = household_account(walked.household_id)
    household = logged_in(email)
    assert f'href="{FORM}"' in household.page("/")

    # when it changes its password on « Mon mot de passe »
    fields = {"actuel": DEFAULT_PASSWORD, "nouveau": NEW_PASSWORD, "confirmation": NEW_PASSWORD}
    response = household.post_form(FORM, fields)

    # then the change is confirmed, and only the new password logs it in
    assert response.status_code == 303
    assert "Votre mot de passe a été modifié" in household.page(response.headers["location"])
    assert visitor().log_in(email).status_code == 401
    assert visitor().log_in(email, NEW_PASSWORD).status_code == 303


def test_a_four_digit_postcode_is_refused_next_to_the_postcode_on_the_case_page(
    story: Callable[..., CaseStory], logged_in: LoggedIn, world: Any
) -> None:
    # given a case and its referent
    case_id = story().walk_to(Status.DIAGNOSTIC)
    referent = logged_in(world.referent)
    head = world.app.head()
    details = {
        "nom": "Ménage Durand-Moreau",
        "adresse": "3 rue Neuve",
        "code_postal": "6903",
        "commune": "Lyon",
        "coordonnees": "06 11 22 33 44",
        "personnes": "4",
    }

    # when the referent corrects the household's details with a four-digit postcode
    response = act(referent, case_id, "informations_menage", details)

    # then the form comes back with the French message next to the postcode, nothing stored
    assert response.status_code == 422
    assert "code postal à 5 chiffres" in field_error(
        response.text, "informations_menage", "code_postal"
    )
    assert world.app.head() == head
