"""The FPEL request form and the CEOP as PDF, from what the GraphQL API returns to a viewer.

Each PDF is made from the ``case`` the real app answers to ``FPEL_QUERY`` / ``CEOP_QUERY``
for a logged-in viewer; its text is read back with pypdf.
"""

from __future__ import annotations

import io
import re
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
from aspe.domain.values import ConsentScope, Objective, Status, Theme
from aspe.portal.documents import CEOP_QUERY, FPEL_QUERY, ceop_pdf, fpel_request_pdf
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
    assert PLACEHOLDER.findall(text) == []


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
    assert f"Signé le {french.day(world.clock.today())}" in text
    assert "en attente" not in text
    assert "Fait à" not in text


def test_an_amended_ceop_shows_its_new_version_awaiting_signatures(world, story, case_as):
    case_id = story().walk_to(Status.ACTIVE)
    with world.acting(world.referent):
        world.app.amend_ceop(case_id, STANDARD_OBJECTIVES, STANDARD_STEPS, STANDARD_COMMITMENTS)

    text = text_of(ceop_pdf(case_as(world.referent, CEOP_QUERY, case_id)))

    assert "Version 2" in text
    assert text.count("Fait à") == 2
    assert "Signé le" not in text


def test_the_spslh_s_ceop_has_no_health_objective(world, story, case_as):
    case_id = story().walk_to(Status.ACTIVE)

    text = text_of(ceop_pdf(case_as(world.spslh, CEOP_QUERY, case_id)))

    assert "Version 1" in text
    assert HEALTH_OBJECTIVE not in text
    assert "médical" not in text


PLACEHOLDER = re.compile(r":\s*—|—\s*—|rédigée le —|non communiqué|en attente")
"""What a document never prints for what its reader may not see: a dash for a value, « non
communiqué », « en attente » (the dash between two words of a title is no placeholder)."""


def landlord_consents(world: Any, story: Any) -> Any:
    """An active case whose household let the landlord see more."""
    case_id = story().walk_to(Status.ACTIVE)
    with world.acting(world.referent):
        world.app.record_consent(case_id, ConsentScope.LANDLORD_DETAIL)
    return case_id


def test_the_landlord_s_ceop_says_when_it_was_signed_and_leaves_out_what_it_may_not_see(
    world, story, case_as
):
    # given an active case whose household consented to the landlord seeing more
    case_id = landlord_consents(world, story)

    # when the landlord prints the CEOP
    text = text_of(ceop_pdf(case_as(world.landlord, CEOP_QUERY, case_id)))

    # then it reads when the contract was signed, and nothing it may not see as missing
    assert re.search(rf"Contrat signé le\s*:\s*{french.day(world.clock.today())}", text)
    assert "Ménage Durand" in text
    assert PLACEHOLDER.findall(text) == []
    assert "Version" not in text
    assert STANDARD_OBJECTIVES[0].label not in text
    assert "Les signatures" not in text


def test_the_landlord_s_request_form_leaves_out_the_rent_it_is_not_shown(world, story, case_as):
    # given an active case whose household consented to the landlord seeing more
    case_id = landlord_consents(world, story)

    # when the landlord prints the FPEL request form
    text = text_of(fpel_request_pdf(case_as(world.landlord, FPEL_QUERY, case_id)))

    # then the arrears owed to it are there, and no line says a value is not given
    assert "Dette locative" in text
    assert re.search(r"2\s400,00\s€", text)
    assert "Loyer mensuel" not in text
    assert PLACEHOLDER.findall(text) == []


def test_the_ceop_to_sign_names_the_parties_and_gives_each_a_signature_block(world, story, case_as):
    # given a granted measure whose CEOP is drafted, nobody having signed yet
    tale = story()
    case_id = tale.walk_to(Status.GRANTED)
    tale.draft_ceop()

    # when the referent prints it
    text = text_of(ceop_pdf(case_as(world.referent, CEOP_QUERY, case_id)))

    # then it names the parties and leaves a place, a date and a space to sign for each
    assert "Lyon Habitat" in text
    assert world.referent.name in text
    assert "Ménage Durand" in text
    assert text.count("Fait à") == 2
    assert text.count("Signature") >= 2
    assert "en attente" not in text


def test_a_signature_block_is_never_split_across_pages(world, story, case_as):
    # given a CEOP long enough to reach the bottom of a page
    tale = story()
    case_id = tale.walk_to(Status.GRANTED)
    many = tuple(
        Objective(f"long-{number}", Theme.BUDGET, f"Objectif budgétaire numéro {number}")
        for number in range(40)
    )
    with world.acting(world.referent):
        world.app.draft_ceop(case_id, many, (), STANDARD_COMMITMENTS)

    # when it is printed
    pages = PdfReader(io.BytesIO(ceop_pdf(case_as(world.referent, CEOP_QUERY, case_id)))).pages
    texts = [page.extract_text() for page in pages]

    # then each block's place-and-date line and its « Signature » share a page
    assert len(texts) > 1
    for text in texts:
        assert text.count("Fait à") == text.count("Signature :")
    assert sum(text.count("Fait à") for text in texts) == 2


def test_the_household_s_size_is_written_in_french(world, story, case_as):
    # given a case with its request submitted
    case_id = story().walk_to(Status.SUBMITTED)

    # when the referent prints the request form
    text = text_of(fpel_request_pdf(case_as(world.referent, FPEL_QUERY, case_id)))

    # then the household's size reads as French
    assert "personne(s)" not in text
    assert "Composition : 3 personnes" in " ".join(text.split())
