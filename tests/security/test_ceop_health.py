"""CEOP steps and commitments carry a theme; HEALTH ones follow DESIGN §6's HEALTH row
everywhere they travel: the API, the CEOP PDF, the history.

DESIGN §6: "diagnostic & CEOP items of theme HEALTH: REFERENT/MANAGER yes, SPSLH no,
COMMISSION no, LANDLORD no, HOUSEHOLD own, AUDITOR yes".
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any
from uuid import UUID

import pytest
from pypdf import PdfReader

from aspe.application.history import case_history
from aspe.demo.scenarios import STANDARD_COMMITMENTS, STANDARD_OBJECTIVES
from aspe.domain.values import Commitment, ConsentScope, Party, Status, Step, Theme
from tests.gql.conftest import Api

READ_MODEL_TIMEOUT = 30.0
HEALTH_STEP = "Rendez-vous au centre médico-psychologique"
HEALTH_COMMITMENT = "Reprendre le traitement prescrit"
GENERAL_STEP = "Budget établi"
GENERAL_COMMITMENT = "Payer le loyer courant"

DRAFT = """
mutation($id: ID!, $input: CeopInput!) { draftCeop(caseId: $id, input: $input) { id } }
"""
CEOP = """
query($id: ID!) {
  case(id: $id) {
    ceop { steps { label theme } commitments { party text theme } }
  }
}
"""


@pytest.fixture
def granted(world: Any, story: Any) -> UUID:
    """A notified grant whose household let the landlord see more: the CEOP is next."""
    case_id: UUID = story().walk_to(Status.GRANTED)
    with world.acting(world.referent):
        world.app.record_consent(case_id, ConsentScope.LANDLORD_DETAIL)
    return case_id


def ceop_input() -> dict[str, Any]:
    return {
        "objectives": [
            {"id": "obj-budget", "theme": "BUDGET", "label": "Budget", "action": "BUDGET_PLAN"}
        ],
        "steps": [
            {"label": GENERAL_STEP, "theme": "BUDGET"},
            {"label": HEALTH_STEP, "theme": "HEALTH"},
        ],
        "commitments": [
            {"party": "HOUSEHOLD", "text": GENERAL_COMMITMENT},
            {"party": "REFERENT", "text": "Visiter le ménage chaque semaine"},
            {"party": "HOUSEHOLD", "text": HEALTH_COMMITMENT, "theme": "HEALTH"},
        ],
    }


@pytest.fixture
def drafted(world: Any, granted: UUID, login: Callable[..., Api], client: Any) -> UUID:
    """The referent drafts, over the API, a CEOP with a HEALTH step and commitment."""
    login(world.referent).data(DRAFT, {"id": str(granted), "input": ceop_input()})
    client.app.state.projector.wait("case_file", world.app.head(), timeout=READ_MODEL_TIMEOUT)
    return granted


def ceop_of(api: Api, case_id: UUID) -> dict[str, Any]:
    case = api.data(CEOP, {"id": str(case_id)})["case"]
    assert case is not None, "the viewer sees the case"
    ceop: dict[str, Any] = case["ceop"]
    return ceop


def texts(ceop: dict[str, Any]) -> set[str]:
    return {step["label"] for step in ceop["steps"] or ()} | {
        commitment["text"] for commitment in ceop["commitments"] or ()
    }


@pytest.mark.parametrize("who", ["spslh", "commission", "landlord"])
def test_health_steps_and_commitments_reach_no_one_outside_the_social_workers(
    world, drafted, login, who
):
    # Given a CEOP with a HEALTH step and a HEALTH commitment
    head = world.app.head()

    # When the SPSLH, the commission or the landlord reads it
    shown = texts(ceop_of(login(getattr(world, who)), drafted))

    # Then neither is shown, and reading stored nothing
    assert HEALTH_STEP not in shown
    assert HEALTH_COMMITMENT not in shown
    assert world.app.head() == head


@pytest.mark.parametrize("who", ["spslh", "commission"])
def test_the_public_services_see_the_other_steps_and_commitments(world, drafted, login, who):
    # Given the same CEOP (the control: the query shows what they may see)
    # When the SPSLH or the commission reads it
    ceop = ceop_of(login(getattr(world, who)), drafted)

    # Then its non-HEALTH step and commitment are there, with their theme
    assert {"label": GENERAL_STEP, "theme": "BUDGET"} in ceop["steps"]
    assert {"party": "HOUSEHOLD", "text": GENERAL_COMMITMENT, "theme": None} in ceop["commitments"]


@pytest.mark.parametrize("who", ["referent", "auditor"])
def test_the_referent_and_the_auditor_see_the_health_items(world, drafted, login, who):
    # When the referent or the auditor reads the CEOP
    ceop = ceop_of(login(getattr(world, who)), drafted)

    # Then the HEALTH step and commitment are shown, as HEALTH
    assert {"label": HEALTH_STEP, "theme": "HEALTH"} in ceop["steps"]
    assert {"party": "HOUSEHOLD", "text": HEALTH_COMMITMENT, "theme": "HEALTH"} in ceop[
        "commitments"
    ]


def test_the_history_counts_no_health_step(world, granted):
    # Given a CEOP drafted with one general and one HEALTH step
    steps = [Step(GENERAL_STEP), Step(HEALTH_STEP, theme=Theme.HEALTH)]
    commitments = [
        *STANDARD_COMMITMENTS,
        Commitment(Party.HOUSEHOLD, HEALTH_COMMITMENT, Theme.HEALTH),
    ]
    with world.acting(world.referent):
        world.app.draft_ceop(granted, STANDARD_OBJECTIVES, steps, commitments)

    # When an operator reads the case's history
    line = case_history(world.app, granted)[-1]

    # Then the CEOP line counts the general step only
    assert line.event == "CeopDrafted"
    assert "1 étape" in line.summary
    assert "2 étapes" not in line.summary


def test_steps_and_commitments_stored_before_themes_read_as_no_particular_theme(world):
    # Given a step and a commitment as events stored them before they had a theme
    transcoder = world.app.mapper.transcoder
    step = json.dumps({"_type_": "Step", "_data_": {"label": "Budget", "due_on": None}})
    party = {"_type_": "Party", "_data_": "HOUSEHOLD"}
    commitment = json.dumps({"_type_": "Commitment", "_data_": {"party": party, "text": "Payer"}})

    # When the store reads them back, then they have no theme (not HEALTH: shown as before)
    assert transcoder.decode(step.encode()) == Step("Budget", theme=None)
    assert transcoder.decode(commitment.encode()) == Commitment(Party.HOUSEHOLD, "Payer", None)


# --------------------------------------------------------------------- the PDF
def pdf_text(browser: Any, case_id: UUID) -> str:
    response = browser.get(f"/dossiers/{case_id}/documents/ceop.pdf")
    assert response.status_code == 200, response.text
    reader = PdfReader(io.BytesIO(response.content))
    return "\n".join(page.extract_text() for page in reader.pages).replace("\n", " ")


@pytest.fixture
def drafted_in_the_portal(world: Any, granted: UUID, logged_in: Callable[..., Any]) -> UUID:
    """The referent drafts the CEOP with the portal's form, HEALTH items in their fields."""
    referent = logged_in(world.referent)
    response = referent.post_form(
        f"/dossiers/{granted}/actions/redaction_ceop",
        {
            "objectifs_BUDGET": ["BUDGET_PLAN"],
            "etapes": GENERAL_STEP,
            "etapes_sante": HEALTH_STEP,
            "engagement_menage": GENERAL_COMMITMENT,
            "engagement_menage_sante": HEALTH_COMMITMENT,
            "engagement_referent": "Visiter le ménage chaque semaine",
        },
        from_page=f"/dossiers/{granted}",
    )
    assert response.status_code == 303, response.text
    assert "traitement prescrit" in pdf_text(referent, granted), "the HEALTH items were drafted"
    return granted


@pytest.mark.parametrize("who", ["spslh", "commission", "landlord"])
def test_the_ceop_pdf_leaves_the_health_items_out(world, drafted_in_the_portal, logged_in, who):
    # Given a CEOP drafted in the portal with a HEALTH step and commitment
    # When the SPSLH, the commission or the landlord downloads its PDF
    text = pdf_text(logged_in(getattr(world, who)), drafted_in_the_portal)

    # Then neither HEALTH item is printed
    assert "médico-psychologique" not in text
    assert "traitement prescrit" not in text


def test_the_spslh_s_pdf_holds_the_general_items(world, drafted_in_the_portal, logged_in):
    # Control: what the SPSLH may see is printed
    text = pdf_text(logged_in(world.spslh), drafted_in_the_portal)

    assert GENERAL_STEP in text
    assert GENERAL_COMMITMENT in text


@pytest.mark.parametrize("who", ["referent", "auditor"])
def test_the_referent_s_and_auditor_s_pdf_hold_the_health_items(
    world, drafted_in_the_portal, logged_in, who
):
    text = pdf_text(logged_in(getattr(world, who)), drafted_in_the_portal)

    assert "médico-psychologique" in text
    assert "traitement prescrit" in text
