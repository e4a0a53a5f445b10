"""The household's portal access, opened from its case page by its association's staff:
offered while the household has no account (the domain says so through
``Case.mayOpenHouseholdAccount``), and no more once it has one."""

from __future__ import annotations

from collections.abc import Callable
from html import unescape
from typing import Any
from uuid import uuid4

from aspe.demo.scenarios import Account
from aspe.domain.actors import Role
from aspe.domain.values import Status
from tests.portal.conftest import Visitor
from tests.portal.test_actions import act, done

LoggedIn = Callable[[Account | str], Visitor]
MENU_LINK = "?action=acces_menage#acces_menage"


def test_the_referent_opens_the_household_s_access_from_its_case(
    logged_in: LoggedIn, world: Any, story: Any, settled: Callable[[], None]
) -> None:
    # given a case whose household has no portal account
    tale = story()
    case_id = tale.walk_to(Status.DIAGNOSTIC)
    referent = logged_in(world.referent)
    assert MENU_LINK in referent.page(f"/dossiers/{case_id}")

    # when its referent opens the access with an e-mail and a temporary password
    email = f"menage.{uuid4().hex[:6]}@exemple.fr"
    response = act(
        referent, case_id, "acces_menage", {"courriel": email, "mot_de_passe": "provisoire-2026"}
    )

    # then the household logs in with it, and the page no longer offers to open it again
    done(response, case_id, "acces_menage")
    assert world.app.account_for_email(email) == (tale.household_id, Role.HOUSEHOLD)
    settled()
    assert MENU_LINK not in referent.page(f"/dossiers/{case_id}")


def test_a_refused_address_comes_back_next_to_its_field(
    logged_in: LoggedIn, world: Any, story: Any
) -> None:
    # given a case whose household has no portal account
    case_id = story().walk_to(Status.DIAGNOSTIC)
    referent = logged_in(world.referent)

    # when the address given is not an e-mail address
    response = act(
        referent, case_id, "acces_menage", {"courriel": "pas-une-adresse", "mot_de_passe": "x" * 12}
    )

    # then the form comes back with the French refusal next to the address
    assert response.status_code == 422
    assert 'id="acces_menage-courriel-erreur"' in unescape(response.text)


def test_the_landlord_and_the_spslh_are_never_offered_it(
    logged_in: LoggedIn, world: Any, story: Any
) -> None:
    # given a granted case whose household has no account
    case_id = story().walk_to(Status.GRANTED)

    # then neither the SPSLH nor the landlord is offered to open it
    for account in (world.spslh, world.landlord):
        assert MENU_LINK not in logged_in(account).page(f"/dossiers/{case_id}")
