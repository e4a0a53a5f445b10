"""The case page as a workplace, in a browser: a refused form opens the page on its error
summary (focused, in view), a success on its confirmation (focused, in view, the form
closed), one action form open at a time, axe content with a form open.

It registers a household of its own (« Ménage Panneau ») so that no other test's case moves.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tests.browser.conftest import LiveServer, check_accessibility, screenshot
from tests.browser.test_pages_accessibility import log_in

if TYPE_CHECKING:
    from playwright.sync_api import Page

HOUSEHOLD = "Ménage Panneau"
MENU = "Actions possibles sur ce dossier"


def focused_id(page: Page) -> str:
    """The id of the element that has the focus."""
    return str(page.evaluate("() => document.activeElement && document.activeElement.id"))


def assert_focused_in_view(page: Page, ident: str) -> None:
    from playwright.sync_api import expect

    expect(page.locator(f"#{ident}")).to_be_in_viewport()
    assert focused_id(page) == ident


def open_forms(page: Page) -> int:
    return page.locator("form.formulaire-action").count()


def test_forms_open_one_at_a_time_and_land_on_their_error_or_confirmation(
    page: Page, live_server: LiveServer
) -> None:
    from playwright.sync_api import expect

    # given the referent on her home, with the « Nouveau ménage » form
    log_in(page, live_server, "REFERENT")
    form = page.get_by_role("group", name="Nouveau ménage", exact=True)

    # when she registers a household without its name
    form.get_by_label("Adresse (numéro et rue)").fill("3 rue des Panneaux")
    form.get_by_label("Code postal").fill("69003")
    form.get_by_label("Commune").fill("Lyon")
    form.get_by_label("Coordonnées").fill("06 00 00 00 00")
    form.get_by_label("Nombre de personnes au foyer").fill("2")
    form.get_by_label("Bailleur").select_option(index=1)
    form.get_by_role("button").click()

    # then the home comes back on the form's error summary: focused, in view, in French
    summary = page.locator("#nouveau_menage-erreurs")
    expect(summary).to_contain_text("Nom du ménage : Renseignez ce champ.")
    assert_focused_in_view(page, "nouveau_menage-erreurs")

    # when she gives the name and sends it again
    form.get_by_label("Nom du ménage").fill(HOUSEHOLD)
    form.get_by_role("button").click()

    # then the new case's page opens on its confirmation, focused and in view
    expect(page).to_have_url(
        re.compile(r"/dossiers/[0-9a-f-]{36}\?fait=nouveau_menage#confirmation$")
    )
    expect(page.locator("#confirmation")).to_contain_text("son dossier est ouvert")
    assert_focused_in_view(page, "confirmation")
    assert open_forms(page) == 0

    # when she opens one action from the menu, then that form only is open
    menu = page.get_by_role("navigation", name=MENU)
    menu.get_by_role("link", name="Corriger les informations du ménage", exact=True).click()
    details = page.get_by_role("group", name="Corriger les informations du ménage", exact=True)
    expect(details).to_be_visible()
    assert open_forms(page) == 1
    check_accessibility(page)

    # when she opens another, then it takes the first one's place
    menu.get_by_role("link", name="Enregistrer le consentement du ménage", exact=True).click()
    consent = page.get_by_role("group", name="Enregistrer le consentement du ménage", exact=True)
    expect(consent).to_be_visible()
    expect(details).to_have_count(0)
    assert open_forms(page) == 1

    # when she sends the consent without ticking it
    consent.get_by_role("button").click()

    # then the form is open again, its error summary focused and in view, axe content
    expect(page.locator("#consentement-erreurs")).to_contain_text("Cochez cette case")
    assert_focused_in_view(page, "consentement-erreurs")
    assert open_forms(page) == 1
    screenshot(page, "panneau-actions-erreur")
    check_accessibility(page)

    # when she follows the summary's link, ticks the box and sends it
    page.locator("#consentement-erreurs").get_by_role("link").click()
    assert focused_id(page) == "consentement-accord"
    consent.get_by_role("checkbox").check()
    consent.get_by_role("button").click()

    # then the page opens on the confirmation, focused and in view, the form closed
    expect(page).to_have_url(re.compile(r"\?fait=consentement#confirmation$"))
    assert_focused_in_view(page, "confirmation")
    assert open_forms(page) == 0
    screenshot(page, "panneau-actions-confirmation")
