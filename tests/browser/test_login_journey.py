"""A person's first journey in a real browser: the login form, their home, logging out.

Every demo role logs in through the form at /connexion, lands on its home at /, which names
them, and logs out with the button of the page. The login page and each home pass axe-core
with no serious or critical violation; screenshots go to tests/artifacts/ (``connexion.png``,
``home-<role>.png``) for a person to look at.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from aspe.demo import LOGINS
from tests.browser.conftest import LiveServer, check_accessibility, screenshot

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROLES = [role.value for role in LOGINS]


def _login_form(page: Page) -> Locator:
    return page.locator("form", has=page.locator("input[name=mot_de_passe]"))


def _log_in(page: Page, email: str, password: str) -> None:
    page.goto("/connexion")
    form = _login_form(page)
    form.locator("input[name=email]").fill(email)
    form.locator("input[name=mot_de_passe]").fill(password)
    form.locator("[type=submit]").click()


def _path_is(live_server: LiveServer, path: str) -> re.Pattern[str]:
    return re.compile(re.escape(live_server.url + path) + r"(\?.*)?$")


def test_the_login_page_is_labelled_in_french_and_accessible(
    page: Page, live_server: LiveServer
) -> None:
    from playwright.sync_api import expect

    # given a visitor who is not logged in
    # when they open the portal
    page.goto("/")

    # then they are sent to the login form, in French, each field with its label
    expect(page).to_have_url(_path_is(live_server, "/connexion"))
    expect(page.locator("html")).to_have_attribute("lang", re.compile(r"^fr"))
    form = _login_form(page)
    for name in ("email", "mot_de_passe"):
        field = form.locator(f"input[name={name}]")
        expect(field).to_be_visible()
        field_id = field.get_attribute("id")
        assert field_id, f"the field {name} has no id for its label"
        expect(page.locator(f"label[for='{field_id}']")).to_be_visible()
    expect(form.locator("input[name=csrf_token]")).to_have_count(1)
    screenshot(page, "connexion")
    check_accessibility(page)


def test_a_wrong_password_keeps_the_visitor_on_the_form_with_an_accessible_message(
    page: Page, live_server: LiveServer
) -> None:
    from playwright.sync_api import expect

    # given the referent's e-mail
    email = live_server.email_of("REFERENT")

    # when they type a wrong password
    _log_in(page, email, "pas-le-bon-mot-de-passe")

    # then they are still on the login form, their e-mail kept, an alert said, and the page
    # stays accessible
    expect(page).to_have_url(_path_is(live_server, "/connexion"))
    expect(_login_form(page).locator("input[name=email]")).to_have_value(email)
    expect(page.get_by_role("alert")).to_be_visible()
    screenshot(page, "connexion-erreur")
    check_accessibility(page)


@pytest.mark.parametrize("role", ROLES)
def test_each_demo_role_logs_in_lands_on_its_home_and_logs_out(
    page: Page, live_server: LiveServer, role: str
) -> None:
    from playwright.sync_api import expect

    # given the demo login of a role
    email = live_server.email_of(role)
    name = next(a.name for a in live_server.report.accounts if a.email == email)

    # when they log in through the form
    _log_in(page, email, live_server.password)

    # then they land on their home, which names them and passes axe-core
    expect(page).to_have_url(_path_is(live_server, "/"))
    expect(page.get_by_role("main")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_text(name).first).to_be_visible()
    screenshot(page, f"home-{role.lower()}")
    check_accessibility(page)

    # when they log out with the page's button
    page.locator("form[action='/deconnexion']").locator("[type=submit]").click()

    # then they are back at the login form, and their home is closed to them
    expect(page).to_have_url(_path_is(live_server, "/connexion"))
    page.goto("/")
    expect(page).to_have_url(_path_is(live_server, "/connexion"))
