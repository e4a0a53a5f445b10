"""Erasing a household: afterwards nothing of it remains anywhere, and its cases still tell
every decision.

Given a household followed through a whole measure on the running platform (read models,
notifier, e-mails in the outbox, inboxes, a document's content), when it is erased — by an
administrator through the API, or by the operator's ``aspe privacy erase`` — then a byte
search of the whole store (every file of the data directory; on PostgreSQL a dump of the
schema) and of the logs finds none of its personal values; the case reads "Ménage effacé"
for every role, its history still shows who did what and when, ``caseAsOf`` returns no
personal value, and the statistics are unchanged.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from email import message_from_bytes
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from aspe.api import create_app
from aspe.cli import app as cli
from aspe.demo.scenarios import ADMIN, DEFAULT_PASSWORD, Account, CaseStory, Person
from aspe.domain.actors import Role
from aspe.domain.household import Household
from aspe.domain.values import (
    Address,
    Commitment,
    ContactChannel,
    DocumentKind,
    Finding,
    Objective,
    Participant,
    Party,
    Step,
    StopReason,
    Theme,
    VisitKind,
)
from aspe.french.labels import ERASED_HOUSEHOLD
from aspe.portal.blobs import BlobStore
from aspe.settings import Settings
from aspe.workers.delivery import delivery_counts
from tests.conftest import POSTGRES_URL, World
from tests.gql.conftest import LOGIN, Api
from tests.workers.conftest import eventually, settings_env

pytestmark = pytest.mark.slow

# ASCII on purpose: JSON and SQL dumps keep it byte for byte, so a search can only miss a
# value that is really gone.
NAME = "Menage Qorvath-Ilsen"
STREET = "7 impasse Qorvathbrook"
CITY = "Ilsenvaux-sur-Qorv"
CONTACT = "07 98 QORV 54 32"
EMAIL = "qorvath.ilsen@exemple.fr"
FINDING = "Qorvath budget: four months of arrears"
HEALTH = "Qorvath health: treatment stopped"
OBJECTIVE = "Qorvath objective: a monthly budget"
STEP = "Qorvath step: open a bank account"
COMMITMENT = "Qorvath commitment: pay the rent on the 5th"
VISIT_NOTE = "Qorvath visit: the boiler is broken again"
CONTACT_NOTE = "Qorvath call: the son is in hospital"
SUBJECT = "Qorvath concertation about the arrears"
OUTCOME = "Qorvath outcome: plan accepted"
PARTICIPANT = "Qorvath cousin, interpreter"
CREDITOR = "Qorvath Energies"
FILENAME = "qorvath-payslip.pdf"
CONTENT = b"%PDF-1.4 Qorvath payslip: 1234 euros net\n"
STOP_DETAILS = "Qorvath moved to her sister's in Ilsenvaux"
SUMMARY = "Qorvath final report: rehoused with family"
PERSONAL = (
    NAME, STREET, CITY, CONTACT, EMAIL, FINDING, HEALTH, OBJECTIVE, STEP, COMMITMENT,
    VISIT_NOTE, CONTACT_NOTE, SUBJECT, OUTCOME, PARTICIPANT, CREDITOR, FILENAME,
    CONTENT.decode(), STOP_DETAILS, SUMMARY,
)  # fmt: skip

CASE = """
query Case($id: ID!) {
  case(id: $id) { id status household { name street city contact } }
}
"""
CASE_AS_OF = """
query CaseAsOf($id: ID!, $at: DateTime!) { caseAsOf(caseId: $id, at: $at) {
  id status household { name street city contact }
  diagnostic { findings { theme difficulty } objectives { label } }
  ceop { objectives { label } steps { label } commitments { text } }
  visits { note } contacts { note } concertations { subject outcome participants }
  debts { creditor } documents { filename sha256 } closure { stopDetails finalReportSummary }
} }
"""
TRAIL = """
query Trail($id: ID!) { auditTrail(caseId: $id) { event actorRole occurredAt } }
"""
STATISTICS = """
query { statistics { cases byStatus { key count } byStopReason { key count }
  averageMeasureDays stillHoused notHoused measuredWeeks compliantWeeks } }
"""
ERASE = """
mutation Erase($id: ID!, $confirmation: String!) {
  eraseHousehold(householdId: $id, ground: HOUSEHOLD_REQUEST,
                 reason: "Demande écrite du ménage", confirmation: $confirmation) {
    householdId caseIds recorded
  }
}
"""


@dataclass
class Followed:
    household_id: UUID
    case_id: UUID
    stopped_at: Any


def followed_household(world: World, settings: Settings) -> Followed:
    """A household with its own login, followed from the diagnostic to a stopped measure,
    with every kind of personal value the platform keeps."""
    app, clock = world.app, world.clock
    with world.acting(world.referent):
        household_id = app.register_household(
            world.landlord_id, Address(STREET, "69003", CITY), NAME, CONTACT, 4
        ).id
        app.open_household_account(household_id, EMAIL, world.departement.password_hash)
    story = CaseStory(world.departement, world.referent, household_id)
    case_id = story.open()
    objectives = [Objective("obj-q", Theme.BUDGET, OBJECTIVE, None)]
    with world.acting(world.referent):
        app.record_diagnostic(
            case_id, [Finding(Theme.BUDGET, FINDING), Finding(Theme.HEALTH, HEALTH)], objectives
        )
    for step in (story.submit, story.register, story.grant, story.notify):
        step()
    with world.acting(world.referent):
        commitments = [
            Commitment(Party.HOUSEHOLD, COMMITMENT),
            Commitment(Party.REFERENT, "Visites"),
        ]
        app.draft_ceop(case_id, objectives, [Step(STEP)], commitments)
    story.sign_ceop()
    blob = BlobStore(settings).put(CONTENT, "application/pdf")
    with world.acting(world.referent):
        today = clock.today()
        app.record_visit(case_id, today, VisitKind.HOME, [Theme.BUDGET], VISIT_NOTE)
        app.record_contact(case_id, today, ContactChannel.PHONE, True, [Theme.HEALTH], CONTACT_NOTE)
        app.hold_concertation(case_id, today, SUBJECT, [Participant(PARTICIPANT)], OUTCOME)
        app.record_debt(case_id, CREDITOR, Decimal("300.00"), False)
        app.attach_document(
            case_id, DocumentKind.RESOURCES, FILENAME, "application/pdf", blob.size, blob.sha256
        )
    stopped_at = clock.now
    with world.acting(world.commission):
        app.stop_measure(case_id, StopReason.HOUSEHOLD_MOVED, STOP_DETAILS)
    with world.acting(world.referent):
        app.submit_final_report(case_id, True, SUMMARY)
    app.take_snapshot(case_id)  # a snapshot holds every value of the case at once
    return Followed(household_id, case_id, stopped_at)


# ------------------------------------------------------------------------ the search
def store_bytes(settings: Settings) -> list[tuple[str, bytes]]:
    """Every file under the data directory (e-mails also decoded), and on PostgreSQL a
    dump of the schema: what someone with the disks or the database would read."""
    found = []
    for path in sorted(settings.data_dir.rglob("*")):
        if path.is_file():
            content = path.read_bytes()
            found.append((str(path), content))
            if path.suffix == ".eml":
                found.append((f"{path} (decoded)", decoded_email(content)))
    if settings.uses_postgres:
        found.append(("pg_dump", pg_dump(settings)))
    return found


def decoded_email(content: bytes) -> bytes:
    message = message_from_bytes(content)
    parts = [str(message["Subject"]).encode()]
    for part in message.walk():
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            parts.append(payload)
    return b"\n".join(parts)


def pg_dump(settings: Settings) -> bytes:
    assert settings.database_schema is not None
    return subprocess.run(
        ["pg_dump", "--dbname", POSTGRES_URL, "--schema", settings.database_schema],
        check=True,
        capture_output=True,
    ).stdout


def where_found(places: list[tuple[str, bytes]], value: str) -> list[str]:
    """Where ``value`` is, as bytes or (PostgreSQL's bytea) as their hex."""
    raw = value.encode()
    return [name for name, content in places if raw in content or raw.hex().encode() in content]


# ----------------------------------------------------------------------------- helpers
def running(settings: Settings) -> Settings:
    """The test's store with the read models and the notifier inside the API process,
    e-mails written to the outbox (no SMTP server, no Redis)."""
    return settings.model_copy(
        update={"projections_in_process": True, "redis_url": None, "smtp_url": None}
    )


def login(client: TestClient, email: str) -> Api:
    body = Api(client).data(LOGIN, {"email": email, "password": DEFAULT_PASSWORD})
    return Api(client, body["login"]["token"])


def admin_of(world: World) -> Account:
    with world.acting(ADMIN):
        return world.departement.add_staff(
            world.departement.platform_id, Role.ADMIN, Person("Admin Plateforme")
        )


def _case_status(api: Api, followed: Followed) -> str | None:
    """The case's status in the read models; none until they have the case at all."""
    case = api.data(CASE, {"id": str(followed.case_id)})["case"]
    return None if case is None else case["status"]


def settled(settings: Settings, api: Api, followed: Followed) -> None:
    """The read models hold the final report, the e-mails are delivered."""
    eventually(
        lambda: _case_status(api, followed) == "STOPPED",
        what=lambda: f"the case stopped in the read models, not {_case_status(api, followed)}",
    )
    eventually(
        lambda: (
            sum(delivery_counts(settings).get("email", {}).values()) > 0
            and delivery_counts(settings)["email"].get("queued", 0) == 0
        ),
        what=lambda: str(delivery_counts(settings)),
    )


# ------------------------------------------------------------------------------- tests
@pytest.mark.parametrize("settings", ["sqlite", "postgres"], indirect=True)
def test_after_erasure_no_personal_value_of_the_household_remains_anywhere(
    world: World, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = running(settings)
    admin = admin_of(world)
    with TestClient(create_app(settings, clock=world.clock)) as platform:
        # given a household followed to the end of its measure, on the running platform
        followed = followed_household(world, settings)
        referent = login(platform, world.referent.email)
        spslh = login(platform, world.spslh.email)
        settled(settings, referent, followed)
        before = store_bytes(settings)
        assert [value for value in PERSONAL if not where_found(before, value)] == []
        statistics = spslh.data(STATISTICS)
        trail = referent.data(TRAIL, {"id": str(followed.case_id)})["auditTrail"]

        # when it is erased: by an administrator through the API (SQLite), by the
        # operator's command (PostgreSQL)
        erase(platform, settings, admin, followed)

        # then the case reads "Ménage effacé" for every role that saw it, its history is
        # whole, caseAsOf gives back no personal value, the statistics are the same
        for api in (referent, spslh, login(platform, world.commission.email)):
            case = api.data(CASE, {"id": str(followed.case_id)})["case"]
            assert case["household"]["name"] == ERASED_HOUSEHOLD
            assert case["status"] == "STOPPED"
        assert (
            referent.data(TRAIL, {"id": str(followed.case_id)})["auditTrail"][: len(trail)] == trail
        )
        # (another process's erasure reaches this one's keys within CACHE_SECONDS)
        at = followed.stopped_at.isoformat()

        def as_of() -> list[str]:
            past = referent.data(CASE_AS_OF, {"id": str(followed.case_id), "at": at})
            return [value for value in PERSONAL if value in json.dumps(past)]

        eventually(lambda: as_of() == [], what=lambda: f"caseAsOf still shows {as_of()}")
        assert spslh.data(STATISTICS) == statistics
        assert world.app.snapshots is not None
        assert list(world.app.snapshots.recorder.select_events(followed.case_id)) == []

    # and, every process stopped, a byte search of the whole store and of the logs finds
    # none of its values
    after = [*store_bytes(settings), ("logs", caplog.text.encode())]
    assert {value: where_found(after, value) for value in PERSONAL} == {
        value: [] for value in PERSONAL
    }


def erase(client: TestClient, settings: Settings, admin: Account, followed: Followed) -> None:
    household = str(followed.household_id)
    if not settings.uses_postgres:
        answer = login(client, admin.email).data(
            ERASE, {"id": household, "confirmation": household}
        )
        assert answer["eraseHousehold"] == {
            "householdId": household, "caseIds": [str(followed.case_id)], "recorded": True
        }  # fmt: skip
        return
    env = {**os.environ, **settings_env(settings)}
    result = CliRunner().invoke(
        cli, ["privacy", "erase", household, "--reason", "Demande écrite", "--yes"], env=env
    )
    assert result.exit_code == 0, result.output
    assert "effacé" in result.output


# --------------------------------------------------------------------------- refusals
def an_open_case(world: World) -> tuple[UUID, UUID]:
    with world.acting(world.referent):
        household_id = world.app.register_household(
            world.landlord_id, Address(STREET, "69003", CITY), NAME, CONTACT, 2
        ).id
    return household_id, CaseStory(world.departement, world.referent, household_id).open()


@pytest.fixture
def erasing(client: TestClient, world: World) -> Callable[[Account, UUID, str], dict[str, Any]]:
    """``erasing(who, household, confirmation)``: the error of the refused mutation."""

    def refused(who: Account, household_id: UUID, confirmation: str) -> dict[str, Any]:
        variables = {"id": str(household_id), "confirmation": confirmation}
        body = login(client, who.email).run(ERASE, variables)
        assert body.get("errors"), body
        error: dict[str, Any] = body["errors"][0]
        return error

    return refused


def test_only_an_administrator_erases(world: World, erasing: Any) -> None:
    household_id, _ = an_open_case(world)

    for who in (world.referent, world.manager, world.spslh, world.auditor):
        error = erasing(who, household_id, str(household_id))
        assert error["extensions"]["code"] == "NOT_AUTHORISED", who.name
    assert world.app.load(Household, household_id).name == NAME


def test_erasure_asks_for_the_household_id_again(world: World, erasing: Any) -> None:
    household_id, _ = an_open_case(world)

    error = erasing(admin_of(world), household_id, "oui")

    assert error["extensions"] == {"code": "INVALID_INPUT", "field": "confirmation"}
    assert world.app.load(Household, household_id).name == NAME


def test_a_household_whose_case_is_open_is_not_erased(world: World, erasing: Any) -> None:
    household_id, _ = an_open_case(world)

    error = erasing(admin_of(world), household_id, str(household_id))

    assert error["extensions"]["code"] == "INVALID_TRANSITION"
    assert "dossier ASPE en cours" in error["message"]
    assert world.app.load(Household, household_id).name == NAME


HOLD = """
mutation Hold($id: ID!) { setLegalHold(householdId: $id, reason: "TJ Lyon 26/123") { id } }
"""
LIFT = "mutation Lift($id: ID!) { liftLegalHold(householdId: $id) { id } }"


def test_a_legal_hold_set_by_an_administrator_stops_erasure_until_lifted(
    world: World, client: TestClient, erasing: Any
) -> None:
    # given a household held by an administrator
    household_id, _ = an_open_case(world)
    admin_account = admin_of(world)
    admin = login(client, admin_account.email)
    assert login(client, world.manager.email).error_code(HOLD, {"id": str(household_id)}) == (
        "NOT_AUTHORISED"
    )
    admin.data(HOLD, {"id": str(household_id)})

    # when an erasure is asked, then the hold refuses it
    error = erasing(admin_account, household_id, str(household_id))
    assert error["extensions"]["code"] == "INVALID_TRANSITION"
    assert "conservation légale" in error["message"]

    # and once lifted, the hold no longer stands in the way (the open case still does)
    admin.data(LIFT, {"id": str(household_id)})
    error = erasing(admin_account, household_id, str(household_id))
    assert "dossier ASPE en cours" in error["message"]
