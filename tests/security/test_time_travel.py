"""Time travel never widens access: ``caseAsOf`` shows the past content through the
viewer's rights *now* (DESIGN §6, "visibility is always today's").

The landlord's consent-gated rows are the right that changes over a case's life (consent is
given, then withdrawn). A case's scope does not shrink through any command today (its
landlord, association and milestones are fixed once reached), so the scope tests below are
guards: the scope is today's *and* the then-case's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from aspe.domain.values import ConsentScope, Status
from tests.conftest import MONDAY
from tests.gql.conftest import Api

READ_MODEL_TIMEOUT = 30.0
BEFORE_THE_WITHDRAWAL = (MONDAY + timedelta(hours=2)).isoformat()
"""Every event of the set-up is stored on Monday at 10:00; the withdrawal on Tuesday."""

CONSENT_GATED = """
query($id: ID!, $at: DateTime!) {
  caseAsOf(caseId: $id, at: $at) {
    id status landlordConsent
    household { name street postcode city }
    request { rentArrears }
    decision { measureType probationMonths aidGranted }
    ceop { signedOn }
    debts { creditor amount }
  }
}
"""


@pytest.fixture
def served(client: Any, world: Any) -> Callable[[], None]:
    """``served()``: wait until the API's read model holds what the world stored."""

    def wait() -> None:
        projector = client.app.state.projector
        projector.wait("case_file", world.app.head(), timeout=READ_MODEL_TIMEOUT)

    return wait


@pytest.fixture
def consented_case(world: Any, story: Any) -> UUID:
    """An active measure whose household let the landlord see more, with a debt owed to it."""
    case_id: UUID = story().walk_to(Status.ACTIVE)
    with world.acting(world.referent):
        world.app.record_consent(case_id, ConsentScope.LANDLORD_DETAIL)
        world.app.record_debt(case_id, "Lyon Habitat", Decimal("800.00"), True)
    return case_id


def withdraw_consent_the_next_day(world: Any, case_id: UUID) -> None:
    world.clock.now = MONDAY + timedelta(days=1)
    with world.acting(world.referent):
        world.app.withdraw_consent(case_id, ConsentScope.LANDLORD_DETAIL)


def as_of(api: Api, case_id: UUID, at: str = BEFORE_THE_WITHDRAWAL) -> Any:
    return api.data(CONSENT_GATED, {"id": str(case_id), "at": at})["caseAsOf"]


def test_a_landlord_whose_tenant_withdrew_consent_reads_nothing_gated_in_the_past(
    world, consented_case, login, served
):
    # Given a tenant who gave the landlord consent, then withdrew it the next day
    withdraw_consent_the_next_day(world, consented_case)
    served()
    head = world.app.head()

    # When the landlord asks for the case as it stood while consent was given
    then = as_of(login(world.landlord), consented_case)

    # Then the measure's existence and dates are shown, nothing the consent opened
    assert then["id"] == str(consented_case)
    assert then["decision"]["measureType"] == "SIMPLE"
    assert then["household"] == {"name": None, "street": None, "postcode": None, "city": None}
    assert then["request"] == {"rentArrears": None}
    assert then["decision"]["probationMonths"] is None
    assert then["decision"]["aidGranted"] is None
    assert then["ceop"] == {"signedOn": None}
    assert then["debts"] == []
    # and reading stored nothing
    assert world.app.head() == head


def test_a_landlord_whose_tenant_still_consents_reads_the_past_in_full(
    world, consented_case, login, served
):
    # Given a tenant whose consent still stands (the control: the query can show them)
    served()

    # When the landlord asks for the case as it stood on Monday
    then = as_of(login(world.landlord), consented_case)

    # Then the consent-gated rows are shown
    assert then["household"]["name"] == "Ménage Durand"
    assert then["request"] == {"rentArrears": "2400.00"}
    assert then["decision"]["aidGranted"] == "1500.00"
    assert then["ceop"]["signedOn"] == MONDAY.date().isoformat()
    assert then["debts"] == [{"creditor": "Lyon Habitat", "amount": "800.00"}]


def test_a_household_s_consent_given_later_does_not_hide_the_past(world, story, login, served):
    # Given consent recorded the day after the measure started
    case_id = story().walk_to(Status.ACTIVE)
    world.clock.now = MONDAY + timedelta(days=1)
    with world.acting(world.referent):
        world.app.record_consent(case_id, ConsentScope.LANDLORD_DETAIL)
    served()

    # When the landlord asks for the case as it stood before the consent
    then = as_of(login(world.landlord), case_id)

    # Then today's consent is what counts: the past is read with today's rights
    assert then["household"]["name"] == "Ménage Durand"
    assert then["request"] == {"rentArrears": "2400.00"}


def test_another_landlord_gets_no_past_of_a_case_that_is_not_its_own(
    world, consented_case, login, served
):
    # Given a case of Lyon Habitat's tenant (guard: scope is today's)
    served()

    # When another landlord asks for it as it stood on Monday
    then = as_of(login(world.other_landlord), consented_case)

    # Then it is indistinguishable from a case that does not exist
    assert then is None


def test_a_landlord_gets_no_past_from_before_the_grant(world, story, login, served):
    # Given a measure granted on Tuesday (guard: the then-case's scope holds too)
    story_ = story()
    case_id = story_.walk_to(Status.REGISTERED)
    world.clock.now = MONDAY + timedelta(days=1)
    story_.grant()
    served()

    # When its landlord asks for the case as it stood on Monday, before the grant
    then = as_of(login(world.landlord), case_id)

    # Then there is no case to show
    assert then is None
