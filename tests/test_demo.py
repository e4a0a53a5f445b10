"""The demo département: every status, one login per role, months of plausible history.

The demo is loaded once for the module (a few seconds on SQLite); each test reads it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest

from aspe.application import AspeApplication
from aspe.application.passwords import verify_password
from aspe.bootstrap import build_application
from aspe.demo import DemoReport, load_demo
from aspe.demo.scenarios import DEFAULT_PASSWORD
from aspe.domain.actors import Role
from aspe.domain.household import Household
from aspe.domain.organisation import Organisation
from aspe.domain.staff import Staff
from aspe.domain.values import OrganisationKind, Status
from aspe.settings import Environment, Settings

TODAY = date(2026, 3, 5)


@dataclass
class LoadedDemo:
    app: AspeApplication
    report: DemoReport

    def events(self) -> list[Any]:
        notifications = self.app.recorder.select_notifications(start=1, limit=1_000_000)
        return [self.app.mapper.to_domain_event(n) for n in notifications]

    def case_events(self) -> list[Any]:
        return [e for e in self.events() if type(e).__qualname__.startswith("Case.")]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoadedDemo]:
    settings = Settings(env=Environment.TEST, data_dir=tmp_path_factory.mktemp("demo"))
    app = build_application(settings)
    yield LoadedDemo(app, load_demo(app, TODAY))
    app.close()


def test_the_demo_has_cases_in_every_status(demo: LoadedDemo) -> None:
    assert all(demo.report.cases_by_status[status] >= 1 for status in Status)
    assert sum(demo.report.cases_by_status.values()) == demo.report.households == 30
    for sample in demo.report.sample_cases:
        assert demo.app.get_case(sample.case_id).status is sample.status


def test_every_role_has_a_login_with_the_development_password(demo: LoadedDemo) -> None:
    logins = {account.role: account for account in demo.report.accounts}

    assert set(logins) == set(Role) - {Role.SYSTEM}
    assert logins[Role.REFERENT].email == "referent@demo.aspe.fr"
    assert logins[Role.ADMIN].email == "admin@demo.aspe.fr"
    assert demo.report.password == DEFAULT_PASSWORD
    for role, account in logins.items():
        kind = Household if role is Role.HOUSEHOLD else Staff
        person: Any = demo.app.load(kind, account.actor_id)
        email = person.account_email if role is Role.HOUSEHOLD else person.email
        assert email == account.email
        assert verify_password(person.password_hash, DEFAULT_PASSWORD)
        assert role is Role.HOUSEHOLD or person.role is role


def test_the_administrator_is_staff_of_the_platform(demo: LoadedDemo) -> None:
    admin = next(a for a in demo.report.accounts if a.role is Role.ADMIN)
    staff = demo.app.load(Staff, admin.actor_id)

    organisation = demo.app.load(Organisation, staff.organisation_id)
    assert organisation.kind is OrganisationKind.PLATFORM


def test_the_history_is_in_the_past_and_positions_follow_time(demo: LoadedDemo) -> None:
    timestamps = [event.timestamp for event in demo.events()]

    assert timestamps == sorted(timestamps)
    assert timestamps[-1] < datetime.combine(TODAY, datetime.min.time(), tzinfo=UTC)
    assert (TODAY - timestamps[0].date()).days >= 90


def test_completed_measures_ended_before_today_and_one_has_its_final_report(
    demo: LoadedDemo,
) -> None:
    events = demo.case_events()
    completed = {e.originator_id for e in events if type(e).__name__ == "MeasureCompleted"}
    reported = {e.originator_id for e in events if type(e).__name__ == "FinalReportSubmitted"}

    assert completed
    for case_id in completed:
        ends_on = demo.app.get_case(case_id).ends_on
        assert ends_on is not None
        assert ends_on < TODAY
    assert completed & reported


def test_the_demo_tells_every_story_it_promises(demo: LoadedDemo) -> None:
    events = demo.case_events()
    by_name = Counter(type(event).__name__ for event in events)
    visits = [e for e in events if type(e).__name__ == "VisitRecorded"]

    assert {
        "ConsentRecorded",
        "RequestAdjourned",
        "RequestRejected",
        "CeopTransmitted",
        "ConcertationHeld",
        "DebtRecorded",
        "RepaymentPlanAgreed",
        "RentPaymentReported",
        "AlertClockSuspended",
        "ReferentAssigned",
        "CommissionInvitationIssued",
        "MeasureCompleted",
        "FinalReportSubmitted",
        "VisitScheduled",
    } <= set(by_name)
    assert {visit.kind.value for visit in visits} >= {"HOME", "OFFICE"}
    assert any(not visit.household_present for visit in visits)
    assert by_name["ContactRecorded"] >= 10
    assert by_name["MeasureStopped"] == 2


def test_non_collaboration_alerts_come_from_the_referent_and_the_platform(
    demo: LoadedDemo,
) -> None:
    alerts = [e for e in demo.case_events() if type(e).__name__ == "NonCollaborationAlertRaised"]

    assert {alert.actor_role for alert in alerts} == {Role.REFERENT, Role.SYSTEM}
    assert all(alert.silent_days >= 14 for alert in alerts)
    assert demo.report.alerts == len(alerts)


def test_a_stop_is_decided_by_the_commission(demo: LoadedDemo) -> None:
    stops = [e for e in demo.case_events() if type(e).__name__ == "MeasureStopped"]

    assert {stop.actor_role for stop in stops} == {Role.COMMISSION_MEMBER}


@pytest.mark.slow
def test_the_demo_loads_whatever_the_weekday_of_today(
    sqlite_settings: Settings,
) -> None:
    """Request steps move off weekends and sessions fall on Thursdays: a Sunday ``today``
    must still leave every case in the status its story was written for."""
    app = build_application(sqlite_settings)
    try:
        report = load_demo(app, date(2026, 3, 8))
    finally:
        app.close()
    assert all(count >= 1 for count in report.cases_by_status.values())
