"""The household's case page lists its visits with their date, place and state, and its
contacts with their date, with no column for what the API keeps from it (themes, presence,
channel, notes)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any

from aspe.demo.scenarios import Account, CaseStory
from aspe.domain.values import ContactChannel, Status, Theme, VisitKind
from tests.portal.conftest import Visitor
from tests.portal.test_case_page import main_of

LoggedIn = Callable[[Account | str], Visitor]
NOTE = "Le ménage évoque un suivi psychologique"
MISSED = "Absent : rendez-vous médical"


def test_the_household_sees_when_where_and_whether_its_visits_were_held(
    world: Any, logged_in: LoggedIn, household_account: Callable[[Any], str]
) -> None:
    # given an active measure: a home visit held with a note, an office visit missed
    household = world.departement.add_household(world.referent, world.landlord_id, "Durand")
    case_id = CaseStory(world.departement, world.referent, household).walk_to(Status.ACTIVE)
    soon = datetime.combine(world.clock.today(), time(10), UTC) + timedelta(days=3)
    with world.acting(world.referent):
        world.app.record_visit(case_id, world.clock.today(), VisitKind.HOME, [Theme.HEALTH], NOTE)
        missed = world.app.schedule_visit(case_id, soon, VisitKind.OFFICE)
        world.app.record_missed_visit(case_id, missed.id, MISSED)
        world.app.record_contact(
            case_id, world.clock.today(), ContactChannel.PHONE, True, [Theme.BUDGET], NOTE
        )
    email = household_account(world.app.get_case(case_id).household_id)

    # when the household opens its case page
    page = main_of(logged_in(email).page(f"/dossiers/{case_id}"))

    # then each visit shows its place and state, and no column of what it may not see
    visits = page[page.index("<caption>Visites et rendez-vous</caption>") :]
    visits = visits[: visits.index("</table>")]
    assert '<th scope="col">Lieu</th>' in visits
    assert "À domicile" in visits
    assert "Au bureau" in visits
    assert "Réalisée" in visits
    assert "Manquée" in visits
    assert "Thèmes" not in visits
    assert "Ménage présent" not in visits
    assert NOTE not in page
    assert MISSED not in page
    assert "Santé" not in visits
    # and its contacts, when, with no column the API leaves empty for it
    contacts = page[page.index("<caption>Contacts</caption>") :]
    contacts = contacts[: contacts.index("</table>")]
    assert "Moyen" not in contacts
    assert "—" not in contacts
