"""The FPEL request form and the CEOP as PDF, from what the GraphQL API returns to a viewer.

Each PDF is made from the ``case`` the real app answers to ``FPEL_QUERY`` / ``CEOP_QUERY``
for a logged-in viewer; its text is read back with pypdf.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from aspe import french
from aspe.api import create_app
from aspe.demo.scenarios import (
    DEFAULT_PASSWORD,
    STANDARD_COMMITMENTS,
    STANDARD_OBJECTIVES,
    STANDARD_STEPS,
    Account,
)
from aspe.domain.values import Status
from aspe.portal.documents import CEOP_QUERY, FPEL_QUERY, ceop_pdf, euros, fpel_request_pdf
from aspe.settings import Settings
from tests.gql.conftest import LOGIN, Api

HEALTH_FINDING = "Suivi médical interrompu"
HEALTH_OBJECTIVE = "Reprendre un suivi médical"


@pytest.fixture
def client(settings: Settings, world: Any) -> Iterator[TestClient]:
    api_settings = settings.model_copy(update={"projections_in_process": True})
    with TestClient(create_app(api_settings, clock=world.clock)) as test_client:
        yield test_client


@pytest.fixture
def case_as(client: TestClient, world: Any) -> Callable[[Account, str, Any], dict[str, Any]]:
    """``case_as(account, query, case_id)``: the ``case`` the API returns to that account,
    once the API's read model holds what the world stored."""

    def read(account: Account, query: str, case_id: Any) -> dict[str, Any]:
        projector = client.app.state.projector  # type: ignore[attr-defined]
        projector.wait("case_file", world.app.head(), timeout=30)
        token = Api(client).data(LOGIN, {"email": account.email, "password": DEFAULT_PASSWORD})
        data = Api(client, token["login"]["token"]).data(query, {"id": str(case_id)})
        case: dict[str, Any] = data["case"]
        return case

    return read


def text_of(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_request_form_shows_the_household_housing_arrears_diagnostic_and_proposal(
    world, story, case_as
):
    case_id = story().walk_to(Status.SUBMITTED)

    text = text_of(fpel_request_pdf(case_as(world.referent, FPEL_QUERY, case_id)))

    assert "Demande d'aide au FPEL" in text
    assert "Ménage Durand" in text
    assert "12 rue des Lilas" in text
    assert "Dette locative" in text
    assert "Loyer mensuel" in text
    assert "diagnostic" in text
    assert "Budget" in text
    assert "mesure simple" in text
    assert "12 mois" in text
    assert "Objectifs proposés" in text


def test_the_referent_s_form_holds_the_health_items_and_the_spslh_s_none(world, story, case_as):
    case_id = story().walk_to(Status.REGISTERED)

    referent = text_of(fpel_request_pdf(case_as(world.referent, FPEL_QUERY, case_id)))
    spslh = text_of(fpel_request_pdf(case_as(world.spslh, FPEL_QUERY, case_id)))
    commission = text_of(fpel_request_pdf(case_as(world.commission, FPEL_QUERY, case_id)))

    assert HEALTH_FINDING in referent
    assert HEALTH_OBJECTIVE in referent
    for text in (spslh, commission):
        assert "Ménage Durand" in text
        assert "médical" not in text
        assert "Santé" not in text


def test_the_landlord_s_form_without_consent_shows_neither_household_nor_diagnostic(
    world, story, case_as
):
    case_id = story().walk_to(Status.ACTIVE)

    text = text_of(fpel_request_pdf(case_as(world.landlord, FPEL_QUERY, case_id)))

    assert "Ménage Durand" not in text
    assert "12 rue des Lilas" not in text
    assert "médical" not in text
    assert "non communiqué" in text


def test_the_ceop_shows_objectives_steps_commitments_signatures_and_version(world, story, case_as):
    case_id = story().walk_to(Status.ACTIVE)

    text = text_of(ceop_pdf(case_as(world.referent, CEOP_QUERY, case_id)))

    assert "Contrat d'Engagement et d'Objectifs Partagés" in text
    assert "Version 1" in text
    for objective in STANDARD_OBJECTIVES:
        assert objective.label in text
    for step in STANDARD_STEPS:
        assert step.label in text
    for commitment in STANDARD_COMMITMENTS:
        assert commitment.text in text
    assert "Le rôle et les engagements de chacun" in text
    assert f"signé le {french.day(world.clock.today())}" in text
    assert "en attente" not in text


def test_an_amended_ceop_shows_its_new_version_awaiting_signatures(world, story, case_as):
    case_id = story().walk_to(Status.ACTIVE)
    with world.acting(world.referent):
        world.app.amend_ceop(case_id, STANDARD_OBJECTIVES, STANDARD_STEPS, STANDARD_COMMITMENTS)

    text = text_of(ceop_pdf(case_as(world.referent, CEOP_QUERY, case_id)))

    assert "Version 2" in text
    assert text.count("en attente") >= 2


def test_the_spslh_s_ceop_has_no_health_objective(world, story, case_as):
    case_id = story().walk_to(Status.ACTIVE)

    text = text_of(ceop_pdf(case_as(world.spslh, CEOP_QUERY, case_id)))

    assert "Version 1" in text
    assert HEALTH_OBJECTIVE not in text
    assert "médical" not in text


def test_amounts_are_written_the_french_way():
    assert euros("2400.00") == "2\u202f400,00\u00a0€"
    assert euros(None) == "non communiqué"
