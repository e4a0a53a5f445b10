"""Every page each demo role can reach passes axe-core: no serious or critical violation.

Each role logs in through the form and visits its home, its notifications, a demo case page
(the Durand family's active measure, which every party of the case may see; the
administrator, who sees no case, gets the French "Dossier introuvable" page) and the
statistics page (its charts for the roles that may see them, the French refusal for the
others). The login page and an unknown address are checked too. Each page is checked as it
is served, and the case page is checked again once its action forms are opened.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from aspe.demo import LOGINS
from tests.browser.conftest import LiveServer, check_accessibility, screenshot

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROLES = [role.value for role in LOGINS]
STATISTICS_ROLES = {"ASSOCIATION_MANAGER", "SPSLH_AGENT", "COMMISSION_MEMBER", "AUDITOR"}
"""Who may see the statistics (DESIGN §6: aggregate figures; the auditor sees everything)."""
SHARED_CASE_LABEL = "Compte ménage"
"""The demo's active case every party sees (household login, consent, landlord signature)."""


def log_in(page: Page, live_server: LiveServer, role: str) -> None:
    """Log the demo account of ``role`` in through the form; wait for its home."""
    from playwright.sync_api import expect

    page.goto("/connexion")
    form = page.locator("form", has=page.locator("input[name=mot_de_passe]"))
    form.locator("input[name=email]").fill(live_server.email_of(role))
    form.locator("input[name=mot_de_passe]").fill(live_server.password)
    form.locator("[type=submit]").click()
    expect(page).to_have_url(re.compile(re.escape(live_server.url) + r"/(\?.*)?$"))


def sample_case_id(live_server: LiveServer, label_starts_with: str) -> str:
    """The id of the demo's sample case whose French label starts so."""
    for sample in live_server.report.sample_cases:
        if sample.label.startswith(label_starts_with):
            return str(sample.case_id)
    raise LookupError(f"the demo has no sample case labelled {label_starts_with!r}…")


def test_the_login_page_and_an_unknown_address_are_accessible(
    page: Page, live_server: LiveServer
) -> None:
    from playwright.sync_api import expect

    # given a visitor who is not logged in
    # when they open the login page
    page.goto("/connexion")

    # then it passes axe-core
    expect(page.get_by_role("main")).to_be_visible()
    check_accessibility(page)

    # and given the referent logged in, when they open an address that does not exist
    log_in(page, live_server, "REFERENT")
    response = page.goto("/dossiers/00000000-0000-0000-0000-000000000000")

    # then the French "not found" page answers 404 and passes axe-core
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_contain_text("introuvable")
    check_accessibility(page)


@pytest.mark.parametrize("role", ROLES)
def test_every_page_a_role_visits_is_accessible(
    page: Page, live_server: LiveServer, role: str
) -> None:
    from playwright.sync_api import expect

    case_id = sample_case_id(live_server, SHARED_CASE_LABEL)

    # given the demo account of a role, logged in
    log_in(page, live_server, role)

    # when it looks at its home, then the home passes axe-core
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    check_accessibility(page)

    # when it opens its notifications, then the inbox passes axe-core
    page.goto("/notifications")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    check_accessibility(page)

    # when it opens the shared demo case, then its page (or, for the administrator, the
    # French "not found" page) passes axe-core, with its action forms opened too
    response = page.goto(f"/dossiers/{case_id}")
    assert response is not None
    if role == "ADMIN":
        assert response.status == 404
        expect(page.get_by_role("heading", level=1)).to_have_text("Dossier introuvable")
    else:
        assert response.status == 200
        expect(page.get_by_role("heading", level=1)).to_contain_text("Dossier")
        screenshot(page, f"dossier-{role.lower()}")
    check_accessibility(page)
    collapsed = page.locator("details:not([open]) > summary")
    if collapsed.count():
        for _ in range(collapsed.count()):
            collapsed.nth(0).click()  # the opened one leaves the selector
        check_accessibility(page)

    # when it opens the statistics page, then the charts (or the French refusal) pass
    page.goto("/statistiques")
    main = page.get_by_role("main")
    if role in STATISTICS_ROLES:
        expect(page.get_by_role("heading", level=1)).to_have_text("Statistiques")
        expect(page.get_by_role("heading", name="Chiffres clés")).to_be_visible()
        screenshot(page, f"statistiques-{role.lower()}")
    else:
        expect(main).to_contain_text("pas accessible")
        expect(page.get_by_role("heading", name="Chiffres clés")).to_have_count(0)
    check_accessibility(page)
