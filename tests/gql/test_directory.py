"""The directory the portal's forms choose from: ``landlords`` and ``colleagues``.

Given the world's two associations and two landlords, association staff list every landlord
and their own association's staff (never another association's); other roles get nothing.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from aspe.demo.scenarios import Account
from tests.conftest import World
from tests.gql.conftest import Api

Login = Callable[[Account], Api]

DIRECTORY = """
{
  landlords { id name category }
  colleagues { id name role qualifiedReferent }
}
"""


@pytest.mark.parametrize("who", ["referent", "manager"])
def test_association_staff_list_the_landlords_and_their_own_associations_staff(
    login: Login, world: World, who: str
) -> None:
    staff = getattr(world, who)

    data = login(staff).data(DIRECTORY)

    landlords = data["landlords"]
    assert {"id": str(world.landlord_id), "name": "Lyon Habitat", "category": "SOCIAL"} in landlords
    assert {
        "id": str(world.other_landlord_id),
        "name": "SCI Bellecour",
        "category": "PRIVATE",
    } in landlords
    assert [one["name"] for one in landlords] == sorted(one["name"] for one in landlords)
    listed = {(c["id"], c["role"], c["qualifiedReferent"]) for c in data["colleagues"]}
    own = world.association
    assert listed == {
        (str(own.manager.actor.id), "ASSOCIATION_MANAGER", True),
        *((str(r.actor.id), "REFERENT", True) for r in own.referents),
        (str(world.unqualified.actor.id), "REFERENT", False),
    }


def test_another_associations_staff_is_never_listed(login: Login, world: World) -> None:
    other = world.other_association

    colleagues = login(other.referents[0]).data(DIRECTORY)["colleagues"]

    assert {c["name"] for c in colleagues} == {"Inès Bernard", other.manager.name}
    assert not {c["id"] for c in colleagues} & {str(world.referent.actor.id)}


@pytest.mark.parametrize("who", ["spslh", "commission", "auditor", "landlord"])
def test_other_roles_get_an_empty_directory(login: Login, world: World, who: str) -> None:
    data = login(getattr(world, who)).data(DIRECTORY)

    assert data == {"landlords": [], "colleagues": []}
