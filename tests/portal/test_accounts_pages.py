"""« Comptes »: a manager manages its association's staff accounts in the portal, the
administrator every organisation's; anyone else is refused in French."""

from __future__ import annotations

from collections.abc import Callable
from html import unescape
from typing import Any
from uuid import uuid4

from aspe.demo.scenarios import ADMIN, Account
from aspe.domain.actors import Role
from aspe.portal.accounts import URL
from tests.portal.conftest import Visitor

LoggedIn = Callable[[Account | str], Visitor]


def new_referent(world: Any, **changes: str) -> dict[str, str]:
    return {
        "nom": "Ana Lopes",
        "email": f"ana.{uuid4().hex[:6]}@aspe.test",
        "role": "REFERENT",
        "organisation": str(world.association.id),
        "diplome": "DEASS",
        "mot_de_passe": "provisoire-2026",
        **changes,
    }


def test_a_manager_sees_its_association_s_accounts_and_creates_one(
    logged_in: LoggedIn, world: Any, settled: Callable[[], None]
) -> None:
    # given the manager on the accounts page
    browser = logged_in(world.manager)
    page = unescape(browser.page(URL))
    assert world.referent.name in page
    assert world.other_association.referents[0].name not in page

    # when it creates a referent's account
    values = new_referent(world)
    response = browser.post_form(URL, values, from_page=URL)

    # then it lands on the new account, its confirmation in view, and the person logs in
    assert response.status_code == 303, response.text
    assert response.headers["location"].endswith("?fait=cree#confirmation")
    settled()
    account_page = unescape(browser.page(response.headers["location"]))
    assert 'id="confirmation"' in account_page
    assert "Ana Lopes" in account_page
    assert world.app.account_for_email(values["email"]) is not None


def test_a_refused_account_comes_back_with_the_error_next_to_its_field(
    logged_in: LoggedIn, world: Any
) -> None:
    # given the manager
    browser = logged_in(world.manager)

    # when it forgets the person's name
    response = browser.post_form(URL, new_referent(world, nom=""), from_page=URL)

    # then the form comes back with the French error listed above it and next to its field
    assert response.status_code == 422
    html = unescape(response.text)
    assert 'id="erreurs"' in html
    assert 'href="#nom"' in html
    assert 'id="nom-erreur"' in html


def test_deactivating_asks_for_confirmation_then_the_account_is_inactive(
    logged_in: LoggedIn, world: Any, settled: Callable[[], None]
) -> None:
    # given the manager on a referent's account
    browser = logged_in(world.manager)
    target = world.second_referent.actor.id
    account_url = f"{URL}/{target}"
    assert "Désactiver le compte" in unescape(browser.page(account_url))

    # when it deactivates without ticking the confirmation
    response = browser.post_form(f"{account_url}/desactiver", {}, from_page=account_url)

    # then nothing is done, and the page says why, next to the box
    assert response.status_code == 422
    assert "Cochez la case pour confirmer." in unescape(response.text)
    assert world.app.load_account(target, Role.REFERENT).active

    # and when it confirms, the account is deactivated
    response = browser.post_form(
        f"{account_url}/desactiver", {"confirmation": "oui"}, from_page=account_url
    )
    assert response.status_code == 303
    assert not world.app.load_account(target, Role.REFERENT).active
    settled()
    assert "Désactivé" in unescape(browser.page(URL))


def test_the_administrator_sees_every_organisation_and_a_referent_is_refused(
    logged_in: LoggedIn, world: Any
) -> None:
    # given the platform's administrator
    departement = world.departement
    with departement.acting(ADMIN):
        admin = departement.add_staff(departement.platform_id, Role.ADMIN, "Thomas Perrin")

    # when it opens the accounts page, then every organisation's staff is listed
    page = unescape(logged_in(admin).page(URL))
    assert world.referent.name in page
    assert world.other_association.referents[0].name in page
    assert "Entraide Logement" in page

    # and a referent gets the French refusal
    response = logged_in(world.referent).get(URL)
    assert response.status_code == 403
    assert "Accès refusé" in unescape(response.text)
