"""« Nouveau ménage » on the association's homes: the form registers the household and opens
its case through the API, then shows the case's page; an invalid form comes back (422) with
the French error next to its field and the typed values kept; other roles never get it.
"""

from __future__ import annotations

from collections.abc import Callable
from html import unescape
from typing import Any

from aspe.demo.scenarios import Account, CaseStory
from aspe.portal.new_case import NAME, URL
from tests.portal.conftest import Visitor

LoggedIn = Callable[[Account | str], Visitor]


def household(world: Any, **changes: str) -> dict[str, str]:
    return {
        "nom": "Ménage Lefèvre",
        "rue": "12 rue Garibaldi",
        "code_postal": "69003",
        "commune": "Lyon",
        "contact": "06 12 34 56 78",
        "membres": "4",
        "bailleur": str(world.landlord_id),
        **changes,
    }


def field_error(html: str, field: str) -> str:
    marker = f'id="{NAME}-{field}-erreur"'
    assert marker in html, f"no error next to {field}"
    start = html.index(marker)
    return unescape(html[start : html.index("</p>", start)])


def test_the_referent_registers_a_household_and_lands_on_its_new_case(
    logged_in: LoggedIn, world: Any, settled: Callable[[], None]
) -> None:
    # given the referent's home, with the form and the landlords to choose from
    browser = logged_in(world.referent)
    home = browser.page("/")
    assert 'id="titre-nouveau-menage"' in home
    assert f'action="{URL}"' in home
    assert "Lyon Habitat" in home
    assert "SCI Bellecour" in home
    assert f'id="{NAME}-referent"' not in home, "a referent opens the case for themself"

    # when they post it
    response = browser.post_form(URL, household(world), from_page="/")

    # then they land on the new case's page, theirs, at the diagnostic
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith("/dossiers/")
    settled()
    page = browser.page(location)
    assert "Ménage Lefèvre" in page
    assert "Ménage Lefèvre" in browser.page("/"), "listed among the referent's cases"


def test_the_manager_entrusts_the_new_case_to_a_referent_chosen_by_name(
    logged_in: LoggedIn, world: Any, settled: Callable[[], None]
) -> None:
    # given the manager's home: the association's qualified referents, by name
    browser = logged_in(world.manager)
    home = browser.page("/")
    second = world.second_referent
    assert f'<option value="{second.actor.id}">{second.name}</option>' in home
    assert str(world.unqualified.actor.id) not in home, "not qualified (R10)"
    assert "Inès Bernard" not in home, "another association's referent"

    # when they post the form for the second referent
    data = household(world, referent=str(second.actor.id))
    response = browser.post_form(URL, data, from_page="/")

    # then the case is opened, and entrusted to that referent
    assert response.status_code == 303, response.text
    settled()
    assert "Ménage Lefèvre" in logged_in(second).page("/")


def test_an_invalid_form_comes_back_with_french_errors_and_the_values_kept(
    logged_in: LoggedIn, world: Any
) -> None:
    # given the referent's home
    browser = logged_in(world.referent)

    # when the household's name is missing and it counts no one
    response = browser.post_form(URL, household(world, nom="", membres="0"), from_page="/")

    # then the home comes back (422), the errors next to their fields, the values kept
    assert response.status_code == 422
    html = response.text
    assert "Renseignez ce champ." in field_error(html, "nom")
    assert "supérieur ou égal à 1" in field_error(html, "membres")
    assert 'value="12 rue Garibaldi"' in html
    assert f'<option value="{world.landlord_id}" selected>' in html
    assert 'aria-invalid="true"' in html

    # and when only the postcode is wrong
    response = browser.post_form(URL, household(world, code_postal="693"), from_page="/")

    # then so it says, next to it
    assert response.status_code == 422
    assert "code postal à 5 chiffres" in field_error(response.text, "code_postal")
    assert 'value="693"' in response.text


def test_a_landlord_never_gets_the_form_and_its_post_is_refused(
    logged_in: LoggedIn, world: Any, settled: Callable[[], None]
) -> None:
    # given the landlord's home
    browser = logged_in(world.landlord)
    home = browser.page("/")
    assert 'id="titre-nouveau-menage"' not in home
    assert f'action="{URL}"' not in home

    # when it posts the form anyway
    response = browser.post_form(URL, household(world), from_page="/")

    # then it is refused, and no household is registered
    assert response.status_code == 403
    settled()
    assert "Ménage Lefèvre" not in logged_in(world.referent).page("/")


def test_the_manager_entrusts_a_case_to_another_referent_chosen_by_name(
    logged_in: LoggedIn, world: Any, settled: Callable[[], None]
) -> None:
    # given a case of the first referent, and the manager on its page
    case_id = CaseStory(world.departement, world.referent, world.new_household()).open()
    browser = logged_in(world.manager)
    page = browser.page(f"/dossiers/{case_id}?action=referent")
    second = world.second_referent
    assert f'<option value="{second.actor.id}">{second.name}</option>' in page
    assert f'<option value="{world.referent.actor.id}">' not in page, "already in charge"
    assert str(world.unqualified.actor.id) not in page, "not qualified (R10)"

    # when the manager entrusts it to the second referent
    response = browser.post_form(
        f"/dossiers/{case_id}/actions/referent",
        {"referent": str(second.actor.id)},
        from_page=f"/dossiers/{case_id}",
    )

    # then it is done, and the case is on the second referent's home
    assert response.status_code == 303, response.text
    settled()
    assert "Ménage Durand" in logged_in(second).page("/")
