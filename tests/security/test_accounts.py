"""Accounts' lifecycle, reached over HTTP as anyone would: no take-over of a household's
login, deactivation, passwords, and tokens checked against their account on every request
(it exists, is active, is at the credentials version the token was signed at)."""

from __future__ import annotations

import time
from collections.abc import Callable
from email import message_from_bytes
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import jwt
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from aspe.api import create_app
from aspe.authorization import Viewer
from aspe.demo.scenarios import ADMIN, DEFAULT_PASSWORD, Account
from aspe.domain.actors import Role
from aspe.graphql.identity import ALGORITHM, ISSUER, sign_token
from aspe.settings import Settings
from tests.gql.conftest import LOGIN, Api
from tests.portal.conftest import Visitor

Login = Callable[..., Api]

ME = "{ me { role } }"
NEW_PASSWORD = "un-nouveau-secret-2026"
OPEN_ACCOUNT = """
mutation Open($household: ID!, $email: String!, $password: String!) {
  openHouseholdAccount(householdId: $household, email: $email, password: $password) { id }
}
"""
REPLACE = """
mutation Replace($household: ID!, $email: String!, $password: String!) {
  replaceHouseholdCredentials(householdId: $household, email: $email, password: $password) {
    id
  }
}
"""
DEACTIVATE = "mutation Deactivate($id: ID!) { deactivateAccount(accountId: $id) { id } }"
REACTIVATE = "mutation Reactivate($id: ID!) { reactivateAccount(accountId: $id) { id } }"
RESET = """
mutation Reset($id: ID!, $password: String!) {
  resetStaffPassword(staffId: $id, newPassword: $password) { id }
}
"""
CHANGE = """
mutation Change($current: String!, $new: String!) {
  changePassword(currentPassword: $current, newPassword: $new) { id }
}
"""
LOGOUT = "mutation { logout { id } }"
INBOX = "{ notifications(first: 10) { items { subject body } } }"


def refused_session(api: Api) -> bool:
    """The API refuses the token ``api`` holds as a session no longer valid."""
    return api.error_code(ME) == "INVALID_TOKEN"


def login_code(anonymous: Api, email: str, password: str = DEFAULT_PASSWORD) -> str | None:
    """``None`` when ``login`` succeeds, else its error's code."""
    body = anonymous.run(LOGIN, {"email": email, "password": password})
    return body["errors"][0]["extensions"]["code"] if body.get("errors") else None


def new_email(name: str) -> str:
    """An address no other test uses (the PostgreSQL store is shared by the run's tests)."""
    return f"{name}.{uuid4().hex[:8]}@exemple.fr"


def household_with_account(world: Any, referent: Api, email: str) -> UUID:
    household_id: UUID = world.new_household()
    variables = {"household": str(household_id), "email": email, "password": DEFAULT_PASSWORD}
    referent.data(OPEN_ACCOUNT, variables)
    return household_id


def admin_account(world: Any) -> Account:
    with world.acting(ADMIN):
        admin: Account = world.departement.add_staff(
            world.departement.platform_id, Role.ADMIN, "Thomas Perrin"
        )
    return admin


def recipients_of(outbox: Path) -> set[str]:
    """The addresses the e-mails in ``outbox`` (``.eml`` files) were sent to."""
    emails = (message_from_bytes(path.read_bytes()) for path in outbox.glob("*.eml"))
    return {parseaddr(str(email["To"]))[1] for email in emails}


def eventually(check: Callable[[], Any], timeout: float = 15.0) -> Any:
    """The first truthy result of ``check``: a bound for the background notifier."""
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, "nothing came in time"
        time.sleep(0.05)
    return found


# --------------------------------------------------------- a household's own login
def test_opening_a_household_account_twice_is_refused_and_the_first_login_stays(
    world: Any, login: Login, anonymous: Api
) -> None:
    # Given a household whose referent opened its account
    email, intruder = new_email("durand"), new_email("pirate")
    household_id = household_with_account(world, login(world.referent), email)
    head = world.app.head()

    # When a colleague of the same association opens it again with their own password
    code = login(world.second_referent).error_code(
        OPEN_ACCOUNT,
        {"household": str(household_id), "email": intruder, "password": NEW_PASSWORD},
    )

    # Then it is refused, nothing is stored and only the household's own login works
    assert code == "ALREADY_DONE"
    assert world.app.head() == head
    assert login_code(anonymous, email) is None
    assert login_code(anonymous, intruder, NEW_PASSWORD) == "INVALID_CREDENTIALS"


def test_a_referent_cannot_replace_a_household_login(
    world: Any, login: Login, anonymous: Api
) -> None:
    email = new_email("durand")
    household_id = household_with_account(world, login(world.referent), email)
    head = world.app.head()

    code = login(world.referent).error_code(
        REPLACE,
        {"household": str(household_id), "email": new_email("pirate"), "password": NEW_PASSWORD},
    )

    assert code == "NOT_AUTHORISED"
    assert world.app.head() == head
    assert login_code(anonymous, email) is None


def test_another_associations_manager_cannot_replace_a_household_login(
    world: Any, login: Login
) -> None:
    household_id = household_with_account(world, login(world.referent), new_email("durand"))
    head = world.app.head()

    code = login(world.other_association.manager).error_code(
        REPLACE,
        {"household": str(household_id), "email": new_email("pirate"), "password": NEW_PASSWORD},
    )

    assert code == "NOT_AUTHORISED"
    assert world.app.head() == head


def test_the_manager_replaces_a_household_login_and_the_household_is_told_at_both_addresses(
    world: Any, login: Login, anonymous: Api, api_settings: Settings
) -> None:
    # Given a household logged in with the login its referent opened
    old_email, new = new_email("durand"), new_email("famille.durand")
    household_id = household_with_account(world, login(world.referent), old_email)
    old_session = login(old_email)

    # When the association's manager gives it a new login
    variables = {"household": str(household_id), "email": new, "password": NEW_PASSWORD}
    login(world.manager).data(REPLACE, variables)

    # Then the old session and login are refused, the new one works
    assert refused_session(old_session)
    assert login_code(anonymous, old_email) == "INVALID_CREDENTIALS"
    household = login(new, NEW_PASSWORD)
    assert household.data(ME)["me"]["role"] == "HOUSEHOLD"
    # and the household is told in its inbox, and by e-mail at its previous address too
    items = eventually(lambda: household.data(INBOX)["notifications"]["items"])
    assert items[0]["subject"] == "Vos identifiants de connexion ont été remplacés"
    assert new in items[0]["body"]
    outbox = Path(api_settings.data_dir) / "outbox"
    both = {old_email, new}
    assert eventually(lambda: recipients_of(outbox) == both)


# ------------------------------------------------------------------- deactivation
@pytest.mark.parametrize("by", ["manager", "admin"])
def test_a_deactivated_staff_account_loses_its_session_and_cannot_log_in(
    world: Any, login: Login, anonymous: Api, by: str
) -> None:
    referent = login(world.referent)
    deactivator = login(world.manager if by == "manager" else admin_account(world))

    deactivator.data(DEACTIVATE, {"id": str(world.referent.actor.id)})

    assert refused_session(referent)
    assert login_code(anonymous, world.referent.email) == "INVALID_CREDENTIALS"


def test_a_reactivated_account_logs_in_again_but_its_old_session_stays_ended(
    world: Any, login: Login, anonymous: Api
) -> None:
    referent, manager = login(world.referent), login(world.manager)
    manager.data(DEACTIVATE, {"id": str(world.referent.actor.id)})

    manager.data(REACTIVATE, {"id": str(world.referent.actor.id)})

    assert refused_session(referent)
    assert login_code(anonymous, world.referent.email) is None


def test_a_deactivated_household_loses_its_session_and_cannot_log_in(
    world: Any, login: Login, anonymous: Api
) -> None:
    email = new_email("durand")
    household_id = household_with_account(world, login(world.referent), email)
    household = login(email)

    login(world.manager).data(DEACTIVATE, {"id": str(household_id)})

    assert refused_session(household)
    assert login_code(anonymous, email) == "INVALID_CREDENTIALS"


@pytest.mark.parametrize(
    "who", ["referent", "other_manager", "landlord", "self"], ids=lambda who: who
)
def test_only_an_admin_or_the_accounts_own_manager_deactivates_it(
    world: Any, login: Login, who: str
) -> None:
    deactivators = {
        "referent": world.second_referent,
        "other_manager": world.other_association.manager,
        "landlord": world.landlord,
        "self": world.referent,
    }
    head = world.app.head()

    code = login(deactivators[who]).error_code(DEACTIVATE, {"id": str(world.referent.actor.id)})

    assert code == "NOT_AUTHORISED"
    assert world.app.head() == head


# ---------------------------------------------------------------------- passwords
def test_a_password_change_ends_the_sessions_and_the_new_password_logs_in(
    world: Any, login: Login, anonymous: Api
) -> None:
    here, elsewhere = login(world.referent), login(world.referent)

    here.data(CHANGE, {"current": DEFAULT_PASSWORD, "new": NEW_PASSWORD})

    assert refused_session(here)
    assert refused_session(elsewhere)
    assert login_code(anonymous, world.referent.email) == "INVALID_CREDENTIALS"
    assert login_code(anonymous, world.referent.email, NEW_PASSWORD) is None


def test_a_password_change_needs_the_current_password(world: Any, login: Login) -> None:
    referent = login(world.referent)
    head = world.app.head()

    code = referent.error_code(CHANGE, {"current": "pas-le-bon", "new": NEW_PASSWORD})

    assert code == "WRONG_PASSWORD"
    assert world.app.head() == head
    assert referent.data(ME)["me"]["role"] == "REFERENT"


def test_a_household_changes_its_own_password(world: Any, login: Login, anonymous: Api) -> None:
    email = new_email("durand")
    household_with_account(world, login(world.referent), email)
    household = login(email)

    household.data(CHANGE, {"current": DEFAULT_PASSWORD, "new": NEW_PASSWORD})

    assert refused_session(household)
    assert login_code(anonymous, email, NEW_PASSWORD) is None


def test_the_manager_resets_a_referents_password(world: Any, login: Login, anonymous: Api) -> None:
    referent = login(world.referent)

    login(world.manager).data(RESET, {"id": str(world.referent.actor.id), "password": NEW_PASSWORD})

    assert refused_session(referent)
    assert login_code(anonymous, world.referent.email, NEW_PASSWORD) is None


@pytest.mark.parametrize("who", ["referent", "other_manager", "self"], ids=lambda who: who)
def test_no_one_else_resets_a_staff_password(world: Any, login: Login, who: str) -> None:
    resetters = {
        "referent": world.second_referent,
        "other_manager": world.other_association.manager,
        "self": world.referent,
    }
    head = world.app.head()

    code = login(resetters[who]).error_code(
        RESET, {"id": str(world.referent.actor.id), "password": NEW_PASSWORD}
    )

    assert code == "NOT_AUTHORISED"
    assert world.app.head() == head


# ------------------------------------------------------------------------- tokens
def test_logout_refuses_the_token_at_once(world: Any, login: Login) -> None:
    referent = login(world.referent)

    referent.data(LOGOUT)

    assert refused_session(referent)


def test_logout_refuses_the_token_in_every_api_process(
    world: Any, login: Login, api_settings: Settings
) -> None:
    # Given a second API process on the same store, which has already seen the token
    referent = login(world.referent)
    other_settings = api_settings.model_copy(update={"projections_in_process": False})
    with TestClient(create_app(other_settings, clock=world.clock)) as other_process:
        elsewhere = Api(other_process, referent.token)
        assert elsewhere.data(ME)["me"]["role"] == "REFERENT"

        # When the person logs out through the first
        referent.data(LOGOUT)

        # Then the second refuses the token too
        assert refused_session(elsewhere)


def test_a_well_signed_token_for_an_unknown_account_is_refused(
    world: Any, client: TestClient, api_settings: Settings
) -> None:
    nobody = Viewer(uuid4(), Role.ADMIN, None, "nobody@aspe.test", "Personne")
    household_without_account = Viewer(world.new_household(), Role.HOUSEHOLD)

    for viewer in (nobody, household_without_account):
        token = sign_token(api_settings, viewer, world.clock()).token
        assert refused_session(Api(client, token))


def test_a_token_of_an_account_under_another_role_is_refused(
    world: Any, client: TestClient, api_settings: Settings
) -> None:
    referent = world.referent.actor
    as_manager = Viewer(referent.id, Role.ASSOCIATION_MANAGER, referent.organisation_id)

    token = sign_token(api_settings, as_manager, world.clock()).token

    assert refused_session(Api(client, token))


def test_a_token_without_a_credentials_version_is_refused(
    world: Any, client: TestClient, api_settings: Settings
) -> None:
    now = world.clock()
    claims = {
        "iss": ISSUER,
        "sub": str(world.referent.actor.id),
        "role": "REFERENT",
        "org": str(world.referent.actor.organisation_id),
        "iat": now,
        "exp": now.timestamp() + 600,
    }
    token = jwt.encode(claims, api_settings.signing_key(), algorithm=ALGORITHM)

    assert refused_session(Api(client, token))


# ------------------------------------------------------------------------- portal
def test_a_portal_session_ends_when_its_account_is_deactivated(
    world: Any, logged_in: Callable[[Account], Visitor], portal: FastAPI
) -> None:
    browser = logged_in(world.referent)
    assert browser.get("/").status_code == 200

    with world.acting(world.manager):
        world.app.deactivate_account(world.referent.actor.id)

    response = browser.get("/")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/connexion")


def test_a_copy_of_the_portal_cookie_is_worth_nothing_after_logging_out(
    world: Any, logged_in: Callable[[Account], Visitor], visitor: Callable[[], Visitor]
) -> None:
    browser = logged_in(world.referent)
    copy = visitor()
    copy.client.cookies = browser.client.cookies

    browser.post_form("/deconnexion", {}, from_page="/")

    response = copy.get("/")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/connexion")


def test_the_portal_changes_ones_password_and_ends_the_other_sessions(
    world: Any, logged_in: Callable[[Account], Visitor], visitor: Callable[[], Visitor]
) -> None:
    here, elsewhere = logged_in(world.referent), logged_in(world.referent)
    form = "/mon-compte/mot-de-passe"
    fields = {"actuel": DEFAULT_PASSWORD, "nouveau": NEW_PASSWORD, "confirmation": NEW_PASSWORD}

    response = here.post_form(form, fields)

    assert response.status_code == 303
    assert "Votre mot de passe a été modifié" in here.page(response.headers["location"])
    assert elsewhere.get("/").headers["location"].startswith("/connexion")
    assert visitor().log_in(world.referent.email).status_code == 401
    assert visitor().log_in(world.referent.email, NEW_PASSWORD).status_code == 303


def test_the_portal_refuses_a_wrong_current_password_next_to_its_field(
    world: Any, logged_in: Callable[[Account], Visitor]
) -> None:
    browser = logged_in(world.referent)
    head = world.app.head()
    fields = {"actuel": "pas-le-bon", "nouveau": NEW_PASSWORD, "confirmation": NEW_PASSWORD}

    response = browser.post_form("/mon-compte/mot-de-passe", fields)

    assert response.status_code == 422
    assert 'id="actuel-erreur"' in response.text
    assert "Le mot de passe actuel est incorrect." in response.text
    assert world.app.head() == head
