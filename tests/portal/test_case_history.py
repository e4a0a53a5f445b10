"""The case page's history: every event the viewer may know of, its colleagues by name,
the other organisations by theirs, at Paris time."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from uuid import UUID

from aspe.demo.scenarios import Account, CaseStory
from aspe.domain.values import Status
from tests.portal.conftest import Visitor
from tests.portal.test_case_page import main_of

LoggedIn = Callable[[Account | str], Visitor]


def _rows(page: str) -> list[str]:
    history = page[page.index('id="historique"') :]
    return [re.sub(r"<[^>]+>", " | ", row) for row in re.findall(r"<tr>(.*?)</tr>", history, re.S)]


def test_the_referent_reads_the_commissions_decision_and_its_colleagues_by_name(
    world: Any, logged_in: LoggedIn
) -> None:
    # given an active measure: the SPSLH registered it, the commission granted it
    household = world.departement.add_household(world.referent, world.landlord_id, "Famille Petit")
    case_id: UUID = CaseStory(world.departement, world.referent, household).walk_to(Status.ACTIVE)

    # when its referent opens the case page
    page = main_of(logged_in(world.referent).page(f"/dossiers/{case_id}"))

    # then the history says when at Paris time, and holds the others' milestones by
    # organisation, its own association's events by the person's name
    assert "Date (heure de Paris)" in page
    rows = _rows(page)
    granted = next(row for row in rows if "Mesure accordée par la commission" in row)
    assert "Commission FPEL" in granted
    registered = next(row for row in rows if "Demande inscrite en commission" in row)
    assert "SPSLH du département" in registered
    diagnostic = next(row for row in rows if "Diagnostic enregistré" in row)
    assert f"{world.referent.name} (référent·e)" in diagnostic
    assert "Habitat Solidaire" in diagnostic
    assert "Association du dossier" not in page
