"""Every command is refused with INVALID_TRANSITION in every status where it does not apply,
and in every status where it does apply it is not refused for its status.

The table below is the specification (DESIGN §4 status machine), written out by hand rather
than read from the code, so that a guard loosened or tightened by mistake fails here.
Commands run on the aggregate and are not saved, so one case per status serves them all.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from aspe.demo.scenarios import (
    STANDARD_COMMITMENTS,
    STANDARD_FINDINGS,
    STANDARD_OBJECTIVES,
    STANDARD_STEPS,
    CaseStory,
)
from aspe.domain.actors import SYSTEM_ACTOR
from aspe.domain.availability import CaseCommand
from aspe.domain.case import Case
from aspe.domain.errors import DomainError
from aspe.domain.household import Household
from aspe.domain.staff import Staff
from aspe.domain.values import (
    Address,
    AidRequest,
    ConsentScope,
    ContactChannel,
    DocumentKind,
    MeasureType,
    ObjectiveProgress,
    Participant,
    Signatory,
    Status,
    StopReason,
    SuspensionReason,
    Theme,
    VisitKind,
)

S = Status
OPEN = {S.DIAGNOSTIC, S.SUBMITTED, S.REGISTERED, S.ADJOURNED, S.GRANTED, S.ACTIVE}
EVERY = set(Status)

Command = Callable[[Case, Any], object]


def household(world: Any, case: Case) -> Household:
    return world.app.load(Household, case.household_id)


def in_a_fortnight(world: Any) -> Any:
    return world.clock.today().replace(day=28)


AID = AidRequest(Decimal("1800"), Decimal("2400"), Decimal("620"))
NOW = datetime(2026, 3, 9, 10, tzinfo=UTC)

# command: (who acts, how it is called, statuses where it applies)
TABLE: dict[str, tuple[str, Command, set[Status]]] = {
    "assign_referent": (
        "manager",
        lambda c, w: c.assign_referent(w.app.load(Staff, w.second_referent.actor.id)),
        OPEN,
    ),
    "record_diagnostic": (
        "referent",
        lambda c, w: c.record_diagnostic(STANDARD_FINDINGS, STANDARD_OBJECTIVES),
        {S.DIAGNOSTIC},
    ),
    "record_consent": (
        "referent",
        lambda c, w: c.record_consent(ConsentScope.LANDLORD_DETAIL),
        EVERY,
    ),
    "withdraw_consent": (
        "referent",
        lambda c, w: c.withdraw_consent(ConsentScope.LANDLORD_DETAIL),
        EVERY,
    ),
    "submit_request": (
        "referent",
        lambda c, w: c.submit_request(AID, MeasureType.SIMPLE, 12, household(w, c)),
        {S.DIAGNOSTIC},
    ),
    "register_request": (
        "spslh",
        lambda c, w: c.register_request(in_a_fortnight(w)),
        {S.SUBMITTED, S.ADJOURNED},
    ),
    "adjourn_request": ("commission", lambda c, w: c.adjourn_request("Pièces"), {S.REGISTERED}),
    "reject_request": (
        "commission",
        lambda c, w: c.reject_request("Hors champ", household(w, c)),
        {S.REGISTERED},
    ),
    "grant_measure": (
        "commission",
        lambda c, w: c.grant_measure(MeasureType.SIMPLE, 12, 6, Decimal(1500), household(w, c)),
        {S.REGISTERED},
    ),
    "notify_decision": ("commission", lambda c, w: c.notify_decision(), {S.GRANTED, S.REJECTED}),
    "draft_ceop": (
        "referent",
        lambda c, w: c.draft_ceop(STANDARD_OBJECTIVES, STANDARD_STEPS, STANDARD_COMMITMENTS),
        {S.GRANTED},
    ),
    "amend_ceop": (
        "referent",
        lambda c, w: c.amend_ceop(STANDARD_OBJECTIVES, STANDARD_STEPS, STANDARD_COMMITMENTS),
        {S.ACTIVE},
    ),
    "record_ceop_signature": (
        "referent",
        lambda c, w: c.record_ceop_signature(Signatory.REFERENT, w.clock.today()),
        {S.GRANTED, S.ACTIVE},
    ),
    "transmit_ceop": ("referent", lambda c, w: c.transmit_ceop(), {S.ACTIVE}),
    "record_objective_progress": (
        "referent",
        lambda c, w: c.record_objective_progress("obj-budget", ObjectiveProgress.IN_PROGRESS),
        {S.ACTIVE},
    ),
    "schedule_visit": ("referent", lambda c, w: c.schedule_visit(NOW, VisitKind.HOME), {S.ACTIVE}),
    "record_visit": (
        "referent",
        lambda c, w: c.record_visit(w.clock.today(), VisitKind.HOME, [Theme.BUDGET]),
        {S.ACTIVE},
    ),
    "record_missed_visit": ("referent", lambda c, w: c.record_missed_visit("v1"), {S.ACTIVE}),
    "record_contact": (
        "referent",
        lambda c, w: c.record_contact(w.clock.today(), ContactChannel.PHONE, True),
        {S.ACTIVE},
    ),
    "suspend_alert_clock": (
        "referent",
        lambda c, w: c.suspend_alert_clock(
            w.clock.today(), w.clock.today(), SuspensionReason.OTHER
        ),
        {S.ACTIVE},
    ),
    "raise_non_collaboration_alert": (
        "system",
        lambda c, w: c.raise_non_collaboration_alert(w.clock.today()),
        {S.ACTIVE},
    ),
    "hold_concertation": (
        "referent",
        lambda c, w: c.hold_concertation(
            w.clock.today(), "Point", [Participant("Bailleur", w.landlord_id)]
        ),
        {S.GRANTED, S.ACTIVE},
    ),
    "issue_commission_invitation": (
        "commission",
        lambda c, w: c.issue_commission_invitation(in_a_fortnight(w), c.referent_id),
        {S.REGISTERED, S.ADJOURNED, S.GRANTED, S.ACTIVE},
    ),
    "record_debt": (
        "referent",
        lambda c, w: c.record_debt("Bailleur", Decimal(2400), True),
        OPEN,
    ),
    "agree_repayment_plan": (
        "referent",
        lambda c, w: c.agree_repayment_plan("d1", Decimal(100), w.clock.today(), 12),
        {S.GRANTED, S.ACTIVE},
    ),
    "report_rent_payment": (
        "landlord",
        lambda c, w: c.report_rent_payment(w.clock.today(), Decimal(620), Decimal(620)),
        {S.GRANTED, S.ACTIVE},
    ),
    "extend_measure": ("commission", lambda c, w: c.extend_measure(3, "Motif"), {S.ACTIVE}),
    "settle_combination_conflict": (
        "commission",
        lambda c, w: c.settle_combination_conflict("La mesure protège le logement"),
        {S.GRANTED, S.ACTIVE},
    ),
    "stop_measure": (
        "commission",
        lambda c, w: c.stop_measure(StopReason.OTHER, "", household(w, c)),
        {S.GRANTED, S.ACTIVE},
    ),
    "complete_measure": ("system", lambda c, w: c.complete_measure(household(w, c)), {S.ACTIVE}),
    "submit_final_report": (
        "referent",
        lambda c, w: c.submit_final_report(True, "Bilan"),
        {S.STOPPED, S.COMPLETED},
    ),
    "archive": ("system", lambda c, w: c.archive(), {S.REJECTED, S.STOPPED, S.COMPLETED}),
    "attach_document": (
        "referent",
        lambda c, w: c.attach_document(
            DocumentKind.LEASE, "bail.pdf", "application/pdf", 9, "a" * 64
        ),
        EVERY,
    ),
    # The household's command, decided by the case it is corrected from (any status).
    "correct_household_details": (
        "referent",
        lambda c, w: household(w, c).correct_details(
            c, Address("3 rue Neuve", "69003", "Lyon"), "Ménage Moreau", "06 11 22 33 44", 4
        ),
        EVERY,
    ),
}


@pytest.fixture
def settings(sqlite_settings):
    """The status machine is the domain's: one store is enough."""
    return sqlite_settings


@pytest.fixture
def case_in(world) -> Callable[[Status], UUID]:
    cases: dict[Status, UUID] = {}

    def case_id(status: Status) -> UUID:
        if status not in cases:
            story = CaseStory(world.departement, world.referent, world.new_household())
            cases[status] = story.walk_to(status)
        return cases[status]

    return case_id


def actor_of(world: Any, who: str) -> Any:
    return SYSTEM_ACTOR if who == "system" else getattr(world, who)


def outcome(world: Any, case_id: UUID, who: str, call: Command) -> str:
    case = world.app.get_case(case_id)
    with world.acting(actor_of(world, who)):
        try:
            call(case, world)
        except DomainError as error:
            return error.code
    return "ACCEPTED"


def test_the_table_covers_every_public_command_of_the_case():
    commands = {
        name
        for name, member in vars(Case).items()
        if callable(member) and name[0].islower() and name != "open"
    } - {"has_consent", "silence_anchor", "silent_days", "is_alert_due", "available_commands"}
    commands -= {"check_duration_covers_probation"}
    # A consequence of the household's command (R9), not a command of its own.
    commands -= {"note_accompaniment"}
    # The household's rectification asks the case who may run it (``correct_household_details``).
    commands = commands - {"check_may_correct_household_details"} | {"correct_household_details"}

    assert commands == set(TABLE)
    assert commands == {command.value for command in CaseCommand}, "and the availability table"


@pytest.mark.parametrize("command", sorted(TABLE))
def test_each_command_is_refused_exactly_where_it_does_not_apply(world, case_in, command):
    who, call, applies_in = TABLE[command]
    wrong_status = {
        status.value: code
        for status in Status
        if (code := outcome(world, case_in(status), who, call)) == "INVALID_TRANSITION"
    }

    assert set(wrong_status) == {status.value for status in EVERY - applies_in}
