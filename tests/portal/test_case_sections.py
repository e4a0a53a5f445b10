"""The case page shows the debts and repayment plans, the concertations, the rent ledger and
the suspensions of the alert clock to whoever the API gives them to, and no section at all
to whoever it does not (a landlord without consent, the household for what it may not see)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from aspe import french
from aspe.demo.scenarios import Account, CaseStory
from aspe.domain.values import ConsentScope, Participant, Status, SuspensionReason
from tests.portal.conftest import Visitor
from tests.portal.test_case_page import main_of

LoggedIn = Callable[[Account | str], Visitor]
CONCERTATION = "Point sur l'arriéré avec le bailleur"
SUSPENSION_DETAILS = "Hospitalisation de Mme Moreau"


def _measure(world: Any, consent: bool) -> UUID:
    """An active measure with two debts (one owed to the landlord, with a plan), a
    concertation with the landlord, a month of rent reported and a suspension."""
    household = world.departement.add_household(world.referent, world.landlord_id, "Famille Moreau")
    case_id = CaseStory(world.departement, world.referent, household).walk_to(Status.ACTIVE)
    today = world.clock.today()
    with world.acting(world.referent):
        if consent:
            world.app.record_consent(case_id, ConsentScope.LANDLORD_DETAIL)
        rent = world.app.record_debt(case_id, "Bailleur social", Decimal("1200"), True)
        world.app.record_debt(case_id, "Fournisseur d'énergie", Decimal("340.50"), False)
        world.app.agree_repayment_plan(case_id, rent.id, Decimal("100"), today, 12)
        world.app.hold_concertation(
            case_id,
            today,
            CONCERTATION,
            [Participant("Bailleur", world.landlord_id), Participant("Mme Moreau")],
            "Plan d'apurement accepté",
        )
        world.app.suspend_alert_clock(
            case_id, today, today, SuspensionReason.HOSPITALISATION, SUSPENSION_DETAILS
        )
    with world.acting(world.landlord):
        world.app.report_rent_payment(case_id, today.replace(day=1), Decimal("650"), Decimal("650"))
    return case_id


@pytest.fixture
def with_consent(world: Any) -> UUID:
    return _measure(world, consent=True)


@pytest.fixture
def without_consent(world: Any) -> UUID:
    return _measure(world, consent=False)


def _month(world: Any) -> str:
    today: date = world.clock.today()
    return french.month(today)


def test_the_referent_sees_debts_plans_concertations_rent_and_suspensions(
    world: Any, with_consent: UUID, logged_in: LoggedIn
) -> None:
    # given an active measure with all of them recorded
    # when its referent opens the case page
    page = main_of(logged_in(world.referent).page(f"/dossiers/{with_consent}"))

    # then each has its section, listed in the table of contents, amounts and dates in French
    for anchor in ("dettes", "concertations", "loyers", "suspensions"):
        assert f'<a href="#{anchor}">' in page
        assert f'id="{anchor}"' in page
    assert "1\u202f540,50\u00a0€" in page  # the total of the debts
    assert "Fournisseur d'énergie" in page
    assert "100,00\u00a0€ par mois pendant 12 mois" in page
    assert CONCERTATION in page
    assert "Bailleur, Mme Moreau" in page
    assert _month(world) in page  # the month the landlord reported
    assert "650,00\u00a0€" in page
    assert "Hospitalisation" in page
    assert SUSPENSION_DETAILS in page


def test_the_landlord_with_consent_sees_its_own_share_only(
    world: Any, with_consent: UUID, logged_in: LoggedIn
) -> None:
    # given the household consented to the landlord seeing more
    # when the landlord opens the case page
    page = main_of(logged_in(world.landlord).page(f"/dossiers/{with_consent}"))

    # then it sees the debt owed to it and its plan, its concertation and its rent reports,
    # neither the other debt, the total, nor the suspensions
    assert 'id="dettes"' in page
    assert "100,00\u00a0€ par mois" in page
    assert "Fournisseur d'énergie" not in page
    assert "1\u202f540,50" not in page
    assert CONCERTATION in page
    assert 'id="loyers"' in page
    assert 'id="suspensions"' not in page
    assert SUSPENSION_DETAILS not in page


def test_the_landlord_without_consent_gets_none_of_these_sections(
    world: Any, without_consent: UUID, logged_in: LoggedIn
) -> None:
    # given no consent recorded
    # when the landlord opens the case page
    page = main_of(logged_in(world.landlord).page(f"/dossiers/{without_consent}"))

    # then no section, no anchor
    for anchor in ("dettes", "concertations", "loyers", "suspensions"):
        assert f'id="{anchor}"' not in page
        assert f'href="#{anchor}"' not in page
    assert CONCERTATION not in page


def test_the_household_sees_its_debts_but_no_concertation_rent_nor_suspension(
    world: Any,
    with_consent: UUID,
    logged_in: LoggedIn,
    household_account: Callable[[UUID], str],
) -> None:
    # given the household's own case
    email = household_account(world.app.get_case(with_consent).household_id)

    # when the household opens it
    page = main_of(logged_in(email).page(f"/dossiers/{with_consent}"))

    # then its debts and plans, but nothing of what DESIGN §6 keeps from it
    assert 'id="dettes"' in page
    assert "Fournisseur d'énergie" in page
    for anchor in ("concertations", "loyers", "suspensions"):
        assert f'id="{anchor}"' not in page
    assert CONCERTATION not in page
    assert SUSPENSION_DETAILS not in page


def test_the_spslh_sees_the_debt_total_but_not_the_debts(
    world: Any, with_consent: UUID, logged_in: LoggedIn
) -> None:
    # when the SPSLH opens the case page
    page = main_of(logged_in(world.spslh).page(f"/dossiers/{with_consent}"))

    # then the total of the debts, not each debt; concertations and rent, not the details
    assert 'id="dettes"' in page
    assert "1\u202f540,50\u00a0€" in page
    assert "Fournisseur d'énergie" not in page
    assert CONCERTATION in page
    assert 'id="loyers"' in page
    assert 'id="suspensions"' in page
    assert SUSPENSION_DETAILS not in page
