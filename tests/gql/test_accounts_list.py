"""The staff accounts a viewer manages, over the API: a manager its association's, the
administrator every organisation's, anyone else none; whether each may log in follows its
deactivation and reactivation."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient

from aspe.demo.scenarios import ADMIN, Account
from aspe.domain.actors import Role

if TYPE_CHECKING:
    from tests.conftest import World
    from tests.gql.conftest import Api

pytestmark = pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
"""What is listed comes from the directory read model: one event store is enough."""

Login = Callable[..., "Api"]
ACCOUNTS = """
query Accounts {
  accounts { id name email role active organisationName }
  managedOrganisations { id name kind }
}
"""
DEACTIVATE = "mutation D($id: ID!) { deactivateAccount(accountId: $id) { id } }"
TIMEOUT = 10.0


def an_administrator(world: World) -> Account:
    departement = world.departement
    with departement.acting(ADMIN):
        return departement.add_staff(departement.platform_id, Role.ADMIN, "Thomas Perrin")


def accounts_seen(api: Api, client: TestClient, world: World) -> dict[str, dict[str, object]]:
    client.app.state.projector.wait("directory", world.app.head(), timeout=TIMEOUT)  # type: ignore[attr-defined]
    return {account["email"]: account for account in api.data(ACCOUNTS)["accounts"]}


def test_a_manager_sees_its_association_s_accounts_only(
    world: World, login: Login, client: TestClient
) -> None:
    # given the manager of an association
    manager = login(world.manager)

    # when it lists the accounts it manages
    seen = accounts_seen(manager, client, world)
    organisations = manager.data(ACCOUNTS)["managedOrganisations"]

    # then they are its association's staff, none of another organisation's
    assert world.referent.email in seen
    assert world.second_referent.email in seen
    assert world.other_association.referents[0].email not in seen
    assert world.spslh.email not in seen
    assert {account["organisationName"] for account in seen.values()} == {"Habitat Solidaire"}
    assert [organisation["name"] for organisation in organisations] == ["Habitat Solidaire"]


def test_the_administrator_sees_every_organisation_s_accounts(
    world: World, login: Login, client: TestClient
) -> None:
    # given the platform's administrator
    admin = login(an_administrator(world))

    # when it lists the accounts
    seen = accounts_seen(admin, client, world)

    # then every organisation's staff is there
    for account in (world.referent, world.other_association.referents[0], world.spslh):
        assert account.email in seen
    names = {organisation["name"] for organisation in admin.data(ACCOUNTS)["managedOrganisations"]}
    assert {"Habitat Solidaire", "Entraide Logement", "Lyon Habitat"} <= names


@pytest.mark.parametrize("who", ["referent", "spslh", "auditor", "landlord"])
def test_no_one_else_sees_any_account(
    world: World, login: Login, client: TestClient, who: str
) -> None:
    # given a party who manages no account
    api = login(getattr(world, who))

    # when it asks for the accounts, then it gets none
    assert accounts_seen(api, client, world) == {}
    assert api.data(ACCOUNTS)["managedOrganisations"] == []


def test_a_deactivated_account_is_listed_as_inactive(
    world: World, login: Login, client: TestClient
) -> None:
    # given the manager, and a referent of its association
    manager = login(world.manager)

    # when the manager deactivates the referent's account
    manager.data(DEACTIVATE, {"id": str(world.second_referent.actor.id)})

    # then the list says it may not log in any more, and the others still may
    seen = accounts_seen(manager, client, world)
    assert seen[world.second_referent.email]["active"] is False
    assert seen[world.referent.email]["active"] is True
