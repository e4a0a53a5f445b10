"""The case page shows, from one GraphQL query run as the viewer, what that viewer may see of
the case: a referent its notes, health objectives and timeline; a landlord, the SPSLH or the
household only their share; a case the viewer may not see is « Dossier introuvable »."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape
from typing import Any
from uuid import UUID, uuid4

import pytest

from aspe.demo.scenarios import Account, CaseStory
from aspe.domain.values import ContactChannel, Status, Theme, VisitKind
from tests.portal.conftest import Visitor

LoggedIn = Callable[[Account | str], Visitor]
HEALTH_OBJECTIVE = "Reprendre un suivi médical"
VISIT_NOTE = "Note de visite : le ménage confie des difficultés conjugales"
CONTACT_NOTE = "Appel : la famille attend une réponse de la CAF"


def main_of(html: str) -> str:
    found = re.search(r"<main[^>]*>(.*)</main>", html, re.S)
    assert found
    return unescape(found.group(1))


@pytest.fixture
def active_case(world: Any) -> UUID:
    """An active measure of the world's referent, with a visit and a contact noted."""
    household = world.departement.add_household(
        world.referent, world.landlord_id, "Famille Lambert"
    )
    case_id = CaseStory(world.departement, world.referent, household).walk_to(Status.ACTIVE)
    with world.acting(world.referent):
        world.app.record_visit(
            case_id, world.clock.today(), VisitKind.HOME, [Theme.BUDGET], VISIT_NOTE
        )
        world.app.record_contact(
            case_id, world.clock.today(), ContactChannel.PHONE, True, [Theme.BUDGET], CONTACT_NOTE
        )
    return case_id


def test_the_referent_sees_notes_health_objective_cadence_timeline_and_documents(
    world: Any, active_case: UUID, logged_in: LoggedIn
) -> None:
    page = main_of(logged_in(world.referent).page(f"/dossiers/{active_case}"))

    assert "<h1>Dossier Famille Lambert</h1>" in page
    assert "Mesure en cours" in page
    assert VISIT_NOTE in page
    assert CONTACT_NOTE in page
    assert HEALTH_OBJECTIVE in page
    assert "<h4>Santé</h4>" in page  # objectives grouped per theme
    assert "<h4>Budget</h4>" in page
    assert 'role="img"' in page  # the cadence chart
    assert "<caption>Visites par semaine de la mesure</caption>" in page
    assert "Historique" in page
    assert "Visite enregistrée" in page  # the timeline (its association's part), in French
    assert "Diagnostic enregistré" in page
    assert "Habitat Solidaire" in page  # the organisation, by its name
    assert f'href="/dossiers/{active_case}/documents/ceop.pdf"' in page
    assert f'href="/dossiers/{active_case}/documents/demande-fpel.pdf"' in page
    assert "Joindre un document" in page
    assert '<label for="fichier">Fichier</label>' in page


def test_the_landlord_sees_neither_notes_nor_health_objective_nor_timeline(
    world: Any, active_case: UUID, logged_in: LoggedIn
) -> None:
    page = main_of(logged_in(world.landlord).page(f"/dossiers/{active_case}"))

    assert "Mesure en cours" in page
    assert VISIT_NOTE not in page
    assert CONTACT_NOTE not in page
    assert HEALTH_OBJECTIVE not in page
    assert "Santé" not in page
    assert "Famille Lambert" not in page  # no consent: no name
    assert 'id="historique"' not in page
    assert "Joindre un document" not in page
    assert "Documents joints" not in page  # none it may see: no empty section either
    assert "<h3>Ménage</h3>" not in page
    assert "en attente de signature" not in page  # signed, though not shown to it


def test_the_spslh_sees_the_ceop_without_health_nor_any_visit_note(
    world: Any, active_case: UUID, logged_in: LoggedIn
) -> None:
    page = main_of(logged_in(world.spslh).page(f"/dossiers/{active_case}"))

    assert "Famille Lambert" in page
    assert "Établir un budget mensuel" in page
    assert VISIT_NOTE not in page
    assert CONTACT_NOTE not in page
    assert HEALTH_OBJECTIVE not in page
    assert 'id="historique"' in page  # the public service sees who did what when
    assert "Mesure accordée par la commission" in page
    assert "Membre de la commission FPEL" in page


def test_the_household_sees_its_objectives_but_no_note_nor_timeline(
    world: Any,
    active_case: UUID,
    logged_in: LoggedIn,
    household_account: Callable[[UUID], str],
) -> None:
    email = household_account(world.app.get_case(active_case).household_id)

    page = main_of(logged_in(email).page(f"/dossiers/{active_case}"))

    assert HEALTH_OBJECTIVE in page
    assert VISIT_NOTE not in page
    assert 'id="historique"' not in page


def test_an_unknown_or_hidden_case_is_not_found(
    world: Any, active_case: UUID, logged_in: LoggedIn
) -> None:
    other = world.other_association.referents[0]
    browser = logged_in(other)

    for url in (f"/dossiers/{uuid4()}", f"/dossiers/{active_case}", "/dossiers/pas-un-id"):
        response = browser.get(url)
        assert response.status_code == 404
        assert "Dossier introuvable" in response.text
        assert "Famille Lambert" not in response.text
