"""An archived case in the portal: its reader says why before it opens, and the reason is
kept; the parties who no longer see it find no page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from aspe.demo.scenarios import CaseStory
from aspe.domain.actors import SYSTEM_ACTOR
from aspe.domain.values import Status, StopReason

REASON = "Contrôle de la CAF du 3 mars"


@pytest.fixture
def archived_case(world: Any) -> str:
    case = CaseStory(world.departement, world.referent, world.new_household("Ménage Archivé"))
    case_id = case.walk_to(Status.ACTIVE)
    with world.acting(world.commission):
        world.app.stop_measure(case_id, StopReason.HOUSEHOLD_MOVED)
    with world.acting(SYSTEM_ACTOR):
        world.app.archive(case_id)
    return str(case_id)


def test_the_manager_says_why_then_reads_the_archived_case(
    logged_in: Callable[..., Any], world: Any, archived_case: str
) -> None:
    manager = logged_in(world.manager)

    # when the manager opens the case, it is asked why, and sees nothing of it yet
    asked = manager.get(f"/dossiers/{archived_case}")
    assert asked.status_code == 200
    assert "Motif de la consultation" in asked.text
    assert "Ménage Archivé" not in asked.text

    # then, the reason given, the case opens
    opened = manager.get(f"/dossiers/{archived_case}", params={"motif": REASON})
    assert opened.status_code == 200
    assert "Ménage Archivé" in opened.text

    # and the auditor's journal shows the read with its reason
    journal = logged_in(world.auditor).get("/journal-des-acces")
    assert REASON in journal.text


def test_the_referent_finds_no_archived_case(
    logged_in: Callable[..., Any], world: Any, archived_case: str
) -> None:
    response = logged_in(world.referent).get(f"/dossiers/{archived_case}", params={"motif": "x"})

    assert response.status_code == 404
