"""The case page offers a form exactly for the commands the API lists as available, and an
available command, tried with valid input, runs.

Over the whole demo département (every status, months of history), for every case and every
demo login: the forms of the case page (its action forms and the upload form) name the same
commands as ``Case.availableCommands`` for the same viewer; and each available command, run
in the domain as that viewer with input valid for the case, is not refused. One table in
the domain decides both (``aspe.domain.availability``): the portal only shows it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from aspe.api import create_app
from aspe.application import AspeApplication
from aspe.bootstrap import build_application
from aspe.demo import DemoAccount, DemoReport, load_demo
from aspe.demo.scenarios import DEFAULT_PASSWORD, Clock
from aspe.domain.actors import Actor, Role, acting_as
from aspe.domain.availability import CaseCommand, signatories_pending_for
from aspe.domain.case import Case
from aspe.domain.errors import DomainError
from aspe.domain.household import Household
from aspe.domain.staff import Staff
from aspe.domain.values import (
    Address,
    AidRequest,
    Commitment,
    ConsentScope,
    ContactChannel,
    DocumentKind,
    Finding,
    MeasureType,
    Objective,
    ObjectiveProgress,
    Participant,
    Party,
    StopReason,
    SuspensionReason,
    Theme,
    VisitKind,
)
from aspe.portal.actions import BY_NAME
from aspe.settings import Environment, Settings
from tests.gql.conftest import LOGIN, Api
from tests.portal.conftest import READ_MODEL_TIMEOUT, Visitor

TODAY = date(2026, 3, 5)
FORM = re.compile(
    r'href="/dossiers/[0-9a-f-]{36}\?action=(\w+)#'  # the action panel's menu
    r'|<form[^>]*action="/dossiers/[0-9a-f-]{36}/documents"'  # the upload form
)
CASE_COMMANDS = """
query Commands($id: ID!) { case(id: $id) { availableCommands mayOpenHouseholdAccount } }
"""


@dataclass
class Demo:
    portal: FastAPI
    report: DemoReport
    app: AspeApplication
    case_ids: list[UUID]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The demo département served by the real app, its clock on the demo's today."""
    settings = Settings(
        env=Environment.TEST,
        data_dir=tmp_path_factory.mktemp("demo"),
        projections_in_process=True,
    )
    loader = build_application(settings)
    report = load_demo(loader, TODAY)
    loader.close()
    clock = Clock()
    clock.set_day(TODAY, time(10, 0))
    portal = create_app(settings, clock=clock)
    with TestClient(portal):
        app: AspeApplication = portal.state.application
        for name in portal.state.projector.read_models:
            portal.state.projector.wait(name, app.head(), timeout=READ_MODEL_TIMEOUT)
        yield Demo(portal, report, app, _case_ids(app))


def _case_ids(app: AspeApplication) -> list[UUID]:
    notifications = app.recorder.select_notifications(start=1, limit=1_000_000)
    events = (app.mapper.to_domain_event(notification) for notification in notifications)
    return [event.originator_id for event in events if type(event).__qualname__ == "Case.Opened"]


def _logged_in(demo: Demo, account: DemoAccount) -> tuple[Visitor, Api]:
    browser = Visitor(demo.portal)
    assert browser.log_in(account.email).status_code == 303
    client = TestClient(demo.portal)
    token = Api(client).data(LOGIN, {"email": account.email, "password": DEFAULT_PASSWORD})
    return browser, Api(client, token["login"]["token"])


def _offered(html: str) -> set[str]:
    """The commands of the forms a case page offers (its action menu and the upload)."""
    commands = set()
    for action in FORM.findall(html):
        if action and BY_NAME[action].offered_by is not None:
            continue  # a household's command, offered by its own field (checked apart)
        command = BY_NAME[action].command if action else CaseCommand.ATTACH_DOCUMENT
        assert command is not None
        commands.add(command.name)
    return commands


def test_every_case_page_offers_exactly_the_available_commands(demo: Demo) -> None:
    compared: set[Role] = set()
    for account in demo.report.accounts:
        browser, api = _logged_in(demo, account)
        for case_id in demo.case_ids:
            # Given what the API says this viewer may run on this case now
            case = api.data(CASE_COMMANDS, {"id": str(case_id)})["case"]
            # When the viewer opens the case page
            response = browser.get(f"/dossiers/{case_id}")
            # Then the page offers a form for each, and for nothing else
            if case is None:
                assert response.status_code == 404, (account.role, case_id)
                continue
            assert response.status_code == 200, (account.role, case_id)
            assert _offered(response.text) == set(case["availableCommands"]), (
                account.role,
                case_id,
            )
            household_access = "?action=acces_menage#" in response.text
            assert household_access == bool(case["mayOpenHouseholdAccount"]), (
                account.role,
                case_id,
            )
            compared.add(account.role)
    assert compared >= set(Role) - {Role.ADMIN, Role.SYSTEM}, "every role that sees cases"


# ------------------------------------------------------------- valid input
@dataclass
class Attempt:
    """What a sample call may need beside the case: the store, the actor, the day."""

    app: AspeApplication
    actor: Actor
    today: date

    def household(self, case: Case) -> Household:
        return self.app.load(Household, case.household_id)

    def other_qualified_referent(self, case: Case) -> Staff:
        for account_id in self.app_staff_ids():
            staff = self.app.load(Staff, account_id)
            if (
                staff.organisation_id == case.association_id
                and staff.is_qualified_referent
                and staff.id != case.referent_id
            ):
                return staff
        raise AssertionError("the demo association has a second qualified referent")

    def app_staff_ids(self) -> list[UUID]:
        notifications = self.app.recorder.select_notifications(start=1, limit=1_000_000)
        events = (self.app.mapper.to_domain_event(n) for n in notifications)
        return [e.originator_id for e in events if type(e).__qualname__ == "Staff.Registered"]


AID = AidRequest(Decimal("1800"), Decimal("2400"), Decimal("620"))
OBJECTIVES = [Objective("o1", Theme.BUDGET, "Tenir un budget")]
COMMITMENTS = [
    Commitment(Party.HOUSEHOLD, "Payer le loyer"),
    Commitment(Party.REFERENT, "Accompagner le ménage"),
]
Call = Callable[[Case, Attempt], object]


def _first(keys: Any) -> Any:
    return next(iter(keys))


VALID_INPUT: dict[CaseCommand, Call] = {
    CaseCommand.ARCHIVE: lambda c, a: c.archive(),  # the platform's only: never offered
    CaseCommand.ASSIGN_REFERENT: lambda c, a: c.assign_referent(a.other_qualified_referent(c)),
    CaseCommand.RECORD_DIAGNOSTIC: lambda c, a: c.record_diagnostic(
        [Finding(Theme.BUDGET, "Dettes")], OBJECTIVES
    ),
    CaseCommand.RECORD_CONSENT: lambda c, a: c.record_consent(ConsentScope.LANDLORD_DETAIL),
    CaseCommand.WITHDRAW_CONSENT: lambda c, a: c.withdraw_consent(ConsentScope.LANDLORD_DETAIL),
    CaseCommand.SUBMIT_REQUEST: lambda c, a: c.submit_request(
        AID, MeasureType.SIMPLE, 12, a.household(c)
    ),
    CaseCommand.REGISTER_REQUEST: lambda c, a: c.register_request(a.today),
    CaseCommand.ADJOURN_REQUEST: lambda c, a: c.adjourn_request("Pièces manquantes"),
    CaseCommand.REJECT_REQUEST: lambda c, a: c.reject_request("Hors critères", a.household(c)),
    CaseCommand.GRANT_MEASURE: lambda c, a: c.grant_measure(
        MeasureType.SIMPLE, 12, 6, Decimal("1500"), a.household(c)
    ),
    CaseCommand.NOTIFY_DECISION: lambda c, a: c.notify_decision(),
    CaseCommand.DRAFT_CEOP: lambda c, a: c.draft_ceop(OBJECTIVES, [], COMMITMENTS),
    CaseCommand.AMEND_CEOP: lambda c, a: c.amend_ceop(OBJECTIVES, [], COMMITMENTS),
    CaseCommand.RECORD_CEOP_SIGNATURE: lambda c, a: c.record_ceop_signature(
        signatories_pending_for(c, a.actor)[0], a.today
    ),
    CaseCommand.TRANSMIT_CEOP: lambda c, a: c.transmit_ceop(),
    CaseCommand.RECORD_OBJECTIVE_PROGRESS: lambda c, a: c.record_objective_progress(
        c.ceop_objectives[0].id, ObjectiveProgress.IN_PROGRESS
    ),
    CaseCommand.SCHEDULE_VISIT: lambda c, a: c.schedule_visit(
        datetime.combine(a.today, time(9), tzinfo=UTC), VisitKind.HOME
    ),
    CaseCommand.RECORD_VISIT: lambda c, a: c.record_visit(a.today, VisitKind.HOME, [Theme.BUDGET]),
    CaseCommand.RECORD_MISSED_VISIT: lambda c, a: c.record_missed_visit(_first(c.scheduled_visits)),
    CaseCommand.RECORD_CONTACT: lambda c, a: c.record_contact(a.today, ContactChannel.PHONE, True),
    CaseCommand.SUSPEND_ALERT_CLOCK: lambda c, a: c.suspend_alert_clock(
        a.today, a.today, SuspensionReason.HOSPITALISATION
    ),
    CaseCommand.RAISE_NON_COLLABORATION_ALERT: lambda c, a: c.raise_non_collaboration_alert(
        a.today, a.app.rules
    ),
    CaseCommand.HOLD_CONCERTATION: lambda c, a: c.hold_concertation(
        a.today, "Point d'étape", [Participant("Bailleur", c.landlord_id)]
    ),
    CaseCommand.ISSUE_COMMISSION_INVITATION: lambda c, a: c.issue_commission_invitation(
        a.today, c.referent_id
    ),
    CaseCommand.RECORD_DEBT: lambda c, a: c.record_debt("EDF", Decimal("300"), False),
    CaseCommand.AGREE_REPAYMENT_PLAN: lambda c, a: c.agree_repayment_plan(
        _first(c.debts), Decimal("50"), a.today, 6
    ),
    CaseCommand.REPORT_RENT_PAYMENT: lambda c, a: c.report_rent_payment(
        a.today, Decimal("620"), Decimal("620")
    ),
    CaseCommand.ATTACH_DOCUMENT: lambda c, a: c.attach_document(
        DocumentKind.OTHER, "piece.pdf", "application/pdf", 10, "ab" * 32
    ),
    CaseCommand.EXTEND_MEASURE: lambda c, a: c.extend_measure(3, "Relogement en cours"),
    CaseCommand.SETTLE_COMBINATION_CONFLICT: lambda c, a: c.settle_combination_conflict(
        "La mesure protège le logement"
    ),
    CaseCommand.STOP_MEASURE: lambda c, a: c.stop_measure(
        StopReason.NON_COLLABORATION, "", a.household(c)
    ),
    CaseCommand.COMPLETE_MEASURE: lambda c, a: c.complete_measure(a.household(c)),
    CaseCommand.SUBMIT_FINAL_REPORT: lambda c, a: c.submit_final_report(True, "Maintenu"),
    # The household's command, asked of the case (``Household.correct_details``).
    CaseCommand.CORRECT_HOUSEHOLD_DETAILS: lambda c, a: a.household(c).correct_details(
        c, Address("3 rue Neuve", "69003", "Lyon"), "Ménage corrigé", "06 11 22 33 44", 2
    ),
}


def test_every_command_has_a_valid_input_to_try() -> None:
    assert set(VALID_INPUT) == set(CaseCommand)


def _actor_of(app: AspeApplication, account: DemoAccount) -> Actor:
    if account.role is Role.HOUSEHOLD:
        return Actor(account.actor_id, Role.HOUSEHOLD)
    staff = app.load(Staff, account.actor_id)
    return Actor(account.actor_id, account.role, staff.organisation_id)


def test_each_available_command_tried_with_valid_input_runs(demo: Demo) -> None:
    tried: set[CaseCommand] = set()
    now = datetime.combine(TODAY, time(10), tzinfo=UTC)
    for account in demo.report.accounts:
        actor = _actor_of(demo.app, account)
        attempt = Attempt(demo.app, actor, TODAY)
        for case_id in demo.case_ids:
            # Given a command the domain lists for this viewer on this case today
            available = demo.app.get_case(case_id).available_commands(actor, TODAY)
            for command in available:
                case = demo.app.get_case(case_id)  # fresh: nothing of it is saved
                # When the viewer runs it with input valid for the case
                with acting_as(actor, clock=lambda: now):
                    try:
                        VALID_INPUT[command](case, attempt)
                    except DomainError as refusal:
                        # Then it is not refused
                        pytest.fail(f"{account.role} {command} on {case_id}: {refusal.code}")
                tried.add(command)
    assert len(tried) >= 25, sorted(command.name for command in set(CaseCommand) - tried)
