"""Logging in and out of the portal, the session's expiry, and CSRF on every form.

Given the world's accounts (password ``aspe-demo``), a browser logs in through the real
login form; the session cookie holds the token ``login`` returns, and every POST carries
the session's CSRF token.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from aspe.api import create_app
from aspe.demo.scenarios import Account
from aspe.portal.session import COOKIE_NAME
from aspe.settings import Environment, Settings
from tests.portal.conftest import Visitor, csrf_of

NewVisitor = Callable[[], Visitor]
LoggedIn = Callable[[Account | str], Visitor]


# ----------------------------------------------------------------------- login
def test_the_login_page_labels_its_fields_and_sets_a_protected_session_cookie(
    visitor: NewVisitor,
) -> None:
    browser = visitor()

    response = browser.get("/connexion")

    assert response.status_code == 200
    html = response.text
    assert '<html lang="fr">' in html
    assert '<label for="email">Adresse électronique</label>' in html
    assert '<label for="mot_de_passe">Mot de passe</label>' in html
    assert csrf_of(html)
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE_NAME}=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # not in development or test
    assert response.headers.get_list("set-cookie") == [cookie]


def test_the_session_cookie_is_secure_in_production() -> None:
    production = Settings(
        env=Environment.PRODUCTION, secret_key="a-real-secret-for-this-test-of-32-bytes"
    )
    assert production.secure_cookies
    assert not Settings(env=Environment.TEST).secure_cookies
    forced = Settings(env=Environment.TEST, session_cookie_secure=True)
    client = TestClient(create_app(forced), base_url="https://testserver")

    response = client.get("/connexion")

    assert "Secure" in response.headers["set-cookie"]


def test_an_account_logs_in_and_lands_on_its_home(world: Any, visitor: NewVisitor) -> None:
    browser = visitor()

    response = browser.log_in(world.referent.email)

    assert response.status_code == 303
    assert response.headers["location"] == "/"
    home = browser.page("/")
    assert "Claire Martin" in home
    assert "Se déconnecter" in home


def test_a_wrong_password_is_refused_in_french_and_the_email_is_kept(
    world: Any, visitor: NewVisitor
) -> None:
    browser = visitor()

    response = browser.log_in(world.referent.email, password="pas-le-bon")

    assert response.status_code == 401
    assert "Adresse électronique ou mot de passe incorrect." in response.text
    assert f'value="{world.referent.email}"' in response.text
    assert "pas-le-bon" not in response.text
    assert browser.get("/").status_code == 303  # still not logged in


def test_empty_fields_are_named_next_to_each_field(visitor: NewVisitor) -> None:
    browser = visitor()

    response = browser.post_form("/connexion", {"email": "", "mot_de_passe": ""})

    assert response.status_code == 400
    assert "Saisissez votre adresse électronique." in response.text
    assert "Saisissez votre mot de passe." in response.text
    assert 'aria-describedby="email-erreur"' in response.text


def test_an_anonymous_visitor_is_sent_to_the_login_page_and_back_after(
    world: Any, visitor: NewVisitor
) -> None:
    browser = visitor()

    sent = browser.get("/notifications")

    assert sent.status_code == 303
    assert sent.headers["location"] == "/connexion?suivant=%2Fnotifications"
    form = browser.page(sent.headers["location"])
    assert 'name="suivant" value="/notifications"' in form
    token = csrf_of(form)
    back = browser.client.post(
        "/connexion",
        data={
            "email": world.referent.email,
            "mot_de_passe": "aspe-demo",
            "suivant": "/notifications",
            "csrf_token": token,
        },
    )
    assert back.headers["location"] == "/notifications"


def test_login_never_sends_the_visitor_to_another_site(world: Any, visitor: NewVisitor) -> None:
    browser = visitor()
    token = csrf_of(browser.page("/connexion"))

    response = browser.client.post(
        "/connexion",
        data={
            "email": world.referent.email,
            "mot_de_passe": "aspe-demo",
            "suivant": "//attaquant.example/",
            "csrf_token": token,
        },
    )

    assert response.headers["location"] == "/"


def test_logging_in_starts_a_new_session_with_a_new_csrf_token(
    world: Any, visitor: NewVisitor
) -> None:
    browser = visitor()
    before = csrf_of(browser.page("/connexion"))

    browser.log_in(world.referent.email)

    assert csrf_of(browser.page("/")) != before


def test_a_logged_in_account_visiting_the_login_page_goes_home(
    world: Any, logged_in: LoggedIn
) -> None:
    browser = logged_in(world.referent)

    assert browser.get("/connexion").headers["location"] == "/"


# ---------------------------------------------------------------------- logout
def test_logout_ends_the_session(world: Any, logged_in: LoggedIn) -> None:
    browser = logged_in(world.referent)

    response = browser.post_form("/deconnexion", {}, from_page="/")

    assert response.status_code == 303
    assert response.headers["location"] == "/connexion?motif=deconnexion"
    assert f'{COOKIE_NAME}=""' in response.headers["set-cookie"]
    assert "Vous êtes déconnecté·e." in browser.page(response.headers["location"])
    assert browser.get("/").status_code == 303


# ---------------------------------------------------------------------- expiry
def test_an_expired_session_sends_back_to_the_login_page_with_a_french_message(
    world: Any, logged_in: LoggedIn, portal_settings: Settings
) -> None:
    browser = logged_in(world.referent)
    world.clock.now += timedelta(minutes=portal_settings.token_ttl_minutes, seconds=1)

    response = browser.get("/notifications")

    assert response.status_code == 303
    assert response.headers["location"] == "/connexion?motif=expiree&suivant=%2Fnotifications"
    login_page = browser.page(response.headers["location"])
    assert "Votre session a expiré : reconnectez-vous pour continuer." in login_page
    assert "Claire Martin" not in login_page


def test_a_session_still_within_its_token_lifetime_stays_open(
    world: Any, logged_in: LoggedIn, portal_settings: Settings
) -> None:
    browser = logged_in(world.referent)
    world.clock.now += timedelta(minutes=portal_settings.token_ttl_minutes - 1)

    assert "Claire Martin" in browser.page("/")


def test_a_tampered_session_cookie_counts_for_nothing(world: Any, logged_in: LoggedIn) -> None:
    browser = logged_in(world.referent)
    value = browser.client.cookies[COOKIE_NAME]
    browser.client.cookies.clear()
    browser.client.cookies.set(COOKIE_NAME, value[:-2] + ("AA" if value[-2:] != "AA" else "BB"))

    assert browser.get("/").status_code == 303


# ------------------------------------------------------------------------ CSRF
def test_a_login_form_posted_without_its_token_is_refused(world: Any, visitor: NewVisitor) -> None:
    browser = visitor()
    browser.page("/connexion")

    response = browser.client.post(
        "/connexion", data={"email": world.referent.email, "mot_de_passe": "aspe-demo"}
    )

    assert response.status_code == 403
    assert "Formulaire refusé" in response.text
    assert "jeton de sécurité" in response.text
    assert browser.get("/").status_code == 303  # not logged in


def test_a_form_posted_with_another_sessions_token_is_refused(
    world: Any, logged_in: LoggedIn, visitor: NewVisitor
) -> None:
    victim = logged_in(world.referent)
    attacker = visitor()
    foreign = csrf_of(attacker.page("/connexion"))

    response = victim.client.post("/deconnexion", data={"csrf_token": foreign})

    assert response.status_code == 403
    assert victim.get("/").status_code == 200  # still logged in


def test_a_post_without_any_session_is_refused(world: Any, visitor: NewVisitor) -> None:
    browser = visitor()

    response = browser.client.post("/notifications/lues", data={"csrf_token": "devine"})

    assert response.status_code == 403
    assert '<html lang="fr">' in response.text
