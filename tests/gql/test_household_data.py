"""The household's right of access over the API: ``householdData`` gives the household (or,
on its behalf, its referent) all its data as JSON: its details and their history, its cases
as the household sees them; nothing of another household, no notes; others are refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient

from aspe.authorization import withheld_from_export
from aspe.demo.scenarios import CaseStory
from aspe.domain.values import Address, Status, Theme, VisitKind
from aspe.french import labels

ONE_STORE = pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
"""For refusals decided before any store is read or written (who may, which input): the
store's own tests run both."""


if TYPE_CHECKING:
    from tests.conftest import World
    from tests.gql.conftest import Api

Login = Callable[..., "Api"]
EXPORT = "query Export($id: ID) { householdData(householdId: $id) }"
TIMEOUT = 10.0
SECRET_NOTE = "Note confidentielle du référent"


@pytest.fixture
def active(world: World, client: TestClient) -> Callable[[str], CaseStory]:
    """``active(name)``: a new household's active measure, a visit with a note recorded,
    and its details corrected once; as the API sees it."""

    def walk(name: str) -> CaseStory:
        story = CaseStory(world.departement, world.referent, world.new_household(name))
        case_id = story.walk_to(Status.ACTIVE)
        with world.acting(world.referent):
            world.app.record_visit(
                case_id, world.clock.today(), VisitKind.HOME, [Theme.BUDGET], SECRET_NOTE
            )
            world.app.correct_household_details(
                case_id, Address("3 rue Neuve", "69003", "Lyon"), f"{name} (corrigé)", "06", 3
            )
        client.app.state.projector.wait("case_file", world.app.head(), timeout=TIMEOUT)  # type: ignore[attr-defined]
        return story

    return walk


@pytest.fixture
def household_account(world: World) -> Callable[[Any], str]:
    """``household_account(household_id)``: opens the household's own login; its e-mail."""

    def open_account(household_id: Any) -> str:
        email = f"menage.{str(household_id)[:8]}@aspe.test"
        with world.acting(world.referent):
            world.app.open_household_account(household_id, email, world.departement.password_hash)
        return email

    return open_account


def export(api: Api, household: object | None = None) -> dict[str, Any]:
    variables = {} if household is None else {"id": str(household)}
    data: dict[str, Any] = api.data(EXPORT, variables)["householdData"]
    return data


def test_the_household_downloads_its_details_their_history_and_its_case(
    world: World, login: Login, household_account: Callable[..., str], active: Any
) -> None:
    story = active("Ménage Durand")
    email = household_account(story.household_id)

    data = export(login(email))

    assert data["householdId"] == str(story.household_id)
    assert data["household"]["name"] == "Ménage Durand (corrigé)"
    assert [version["name"] for version in data["detailsHistory"]] == [
        "Ménage Durand",
        "Ménage Durand (corrigé)",
    ]
    assert data["detailsHistory"][-1]["corrected"] == ["address", "name", "contact"]
    (case,) = data["cases"]
    assert case["id"] == str(story.case_id)
    assert case["decision"]["measureType"] == "SIMPLE"
    assert case["ceop"]["signedOn"] is not None


def test_the_export_holds_no_note_and_names_what_it_withholds(
    world: World, login: Login, household_account: Callable[..., str], active: Any
) -> None:
    story = active("Ménage Durand")

    data = export(login(household_account(story.household_id)))

    assert SECRET_NOTE not in str(data)
    (visit,) = data["cases"][0]["visits"]
    assert visit["occurredOn"] == world.clock.today().isoformat()
    assert set(visit) == {"plannedAt", "occurredOn", "state"}
    assert {"NOTES", "CONCERTATIONS", "ALERTS", "EVENT_METADATA"} <= set(data["withheld"])


def test_the_referent_downloads_it_on_the_households_behalf_as_the_household_sees_it(
    world: World, login: Login, active: Any
) -> None:
    story = active("Ménage Durand")

    data = export(login(world.referent), story.household_id)

    assert data["household"]["name"] == "Ménage Durand (corrigé)"
    assert SECRET_NOTE not in str(data)


def test_the_export_holds_nothing_of_another_household(
    world: World, login: Login, household_account: Callable[..., str], active: Any
) -> None:
    mine, theirs = active("Ménage Durand"), active("Ménage Lefèvre")

    data = export(login(household_account(mine.household_id)))

    assert "Lefèvre" not in str(data)
    assert str(theirs.case_id) not in str(data)


def test_a_household_asking_for_another_households_data_is_not_found(
    world: World, login: Login, household_account: Callable[..., str], active: Any
) -> None:
    mine, theirs = active("Ménage Durand"), active("Ménage Lefèvre")

    code = login(household_account(mine.household_id)).error_code(
        EXPORT, {"id": str(theirs.household_id)}
    )

    assert code == "NOT_FOUND"


@ONE_STORE
@pytest.mark.parametrize("role", ["spslh", "commission", "landlord", "auditor"])
def test_another_party_is_refused_with_a_stable_code(
    world: World, login: Login, active: Any, role: str
) -> None:
    story = active("Ménage Durand")

    code = login(getattr(world, role)).error_code(EXPORT, {"id": str(story.household_id)})

    assert code == "NOT_AUTHORISED"


def test_a_referent_of_another_association_is_not_told_the_household_exists(
    world: World, login: Login, active: Any
) -> None:
    story = active("Ménage Durand")
    stranger = world.other_association.referents[0]

    assert login(stranger).error_code(EXPORT, {"id": str(story.household_id)}) == "NOT_FOUND"


def test_each_category_the_export_withholds_is_named_in_french() -> None:
    withheld = {category.name for category in withheld_from_export()}

    assert withheld - set(labels.WITHHELD_FROM_EXPORT) == set()
