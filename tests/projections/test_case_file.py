"""Case file: every detail of a case in one row, for the GraphQL API to filter field by field."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from aspe.demo.scenarios import STANDARD_COMMITMENTS, STANDARD_STEPS, household_actor
from aspe.domain.values import (
    ConsentScope,
    ContactChannel,
    Objective,
    ObjectiveProgress,
    Participant,
    Signatory,
    Status,
    SuspensionReason,
    Theme,
    VisitKind,
)
from aspe.projections.case_file import case_file, case_file_as_of, case_files, case_page

START = date(2026, 3, 2)  # the frozen clock's day: every step of a walk falls on it
BUDGET = Objective("obj-budget", Theme.BUDGET, "Établir un budget mensuel", "BUDGET_PLAN")
RENT = Objective("obj-rent", Theme.BUDGET, "Reprendre le paiement du loyer", "BUDGET_RENT_BILLS")
JOB = Objective("obj-job", Theme.EMPLOYMENT, "Chercher un emploi")


def file_of(project, case_id) -> dict:
    row = case_file(project("case_file"), str(case_id))
    assert row is not None
    return row


def flags(row) -> tuple[bool, bool, bool]:
    return row["submitted"], row["registered"], row["granted"]


def amend(world, case_id, *objectives: Objective) -> None:
    with world.acting(world.referent):
        world.app.amend_ceop(case_id, objectives, STANDARD_STEPS, STANDARD_COMMITMENTS)


def progress_of(row) -> dict[str, tuple[str, str | None]]:
    return {o["id"]: (o["progress"], o["progress_note"]) for o in row["ceop"]["objectives"]}


# ------------------------------------------------------------------ opening, diagnostic
def test_an_opened_case_holds_its_household_and_no_flag(world, story, project):
    given = story()
    case_id = given.walk_to(Status.DIAGNOSTIC)

    row = file_of(project, case_id)

    assert (row["status"], row["opened_on"]) == ("DIAGNOSTIC", "2026-03-02")
    assert (row["association_id"], row["referent_id"], row["landlord_id"]) == (
        str(world.association.id),
        str(world.referent.actor.id),
        str(world.landlord_id),
    )
    assert row["household_id"] == str(given.household_id)
    assert (row["household_name"], row["street"], row["postcode"], row["city"]) == (
        "Ménage Durand",
        "12 rue des Lilas",
        "69003",
        "Lyon",
    )
    assert (row["contact"], row["members"]) == ("06 12 34 56 78", 3)
    assert flags(row) == (False, False, False)
    assert row["landlord_consent"] is False
    assert (row["ceop"], row["visits"], row["debts"], row["former_referents"]) == (None, [], [], {})
    assert row["updated_at"] == world.clock.now.isoformat()


def test_the_diagnostic_keeps_every_finding_and_objective_health_included(story, project):
    given = story()
    case_id = given.walk_to(Status.DIAGNOSTIC)
    given.diagnose()

    row = file_of(project, case_id)

    assert [f["theme"] for f in row["findings"]] == ["BUDGET", "HOUSING", "HEALTH"]
    assert row["findings"][2]["difficulty"] == "Suivi médical interrompu depuis un an"
    assert [o["id"] for o in row["objectives"]] == [
        "obj-budget",
        "obj-rent",
        "obj-landlord",
        "obj-health",
    ]
    assert row["objectives"][3] == {
        "id": "obj-health",
        "theme": "HEALTH",
        "label": "Reprendre un suivi médical",
        "action": "HEALTH_FOLLOW_UP",
    }
    assert row["diagnosed_on"] == "2026-03-02"


def test_the_landlord_consent_follows_its_recording_and_its_withdrawal(world, story, project):
    case_id = story().walk_to(Status.GRANTED)

    with world.acting(world.referent):
        world.app.record_consent(case_id, ConsentScope.LANDLORD_DETAIL)
    consented = file_of(project, case_id)["landlord_consent"]
    with world.acting(world.referent):
        world.app.withdraw_consent(case_id, ConsentScope.LANDLORD_DETAIL)
    withdrawn = file_of(project, case_id)["landlord_consent"]

    assert (consented, withdrawn) == (True, False)


# ------------------------------------------------------------------ request, decision
def test_a_submitted_request_holds_its_amounts_and_sets_submitted(story, project):
    case_id = story(duration_months=9).walk_to(Status.SUBMITTED)

    row = file_of(project, case_id)

    assert (row["status"], flags(row)) == ("SUBMITTED", (True, False, False))
    assert row["submitted_on"] == "2026-03-02"
    assert (row["rent_arrears_cents"], row["aid_requested_cents"], row["monthly_rent_cents"]) == (
        240_000,
        180_000,
        62_000,
    )
    assert (row["proposed_measure"], row["proposed_duration_months"]) == ("SIMPLE", 9)


def test_a_registered_request_holds_its_session_and_sets_registered(story, project):
    case_id = story().walk_to(Status.REGISTERED)

    row = file_of(project, case_id)

    assert (row["status"], flags(row)) == ("REGISTERED", (True, True, False))
    assert (row["registered_on"], row["commission_session_on"]) == ("2026-03-02", "2026-03-16")


def test_an_adjournment_is_listed_and_a_new_registration_moves_the_session(world, story, project):
    given = story()
    case_id = given.walk_to(Status.ADJOURNED)
    adjourned = file_of(project, case_id)
    world.clock.set_day(START + timedelta(days=7))

    given.register(session_in_days=21)

    row = file_of(project, case_id)
    assert (adjourned["status"], flags(adjourned)) == ("ADJOURNED", (True, True, False))
    assert adjourned["adjournments"] == [{"on": "2026-03-02", "reason": "Pièces manquantes"}]
    assert (row["status"], row["adjournments"]) == ("REGISTERED", adjourned["adjournments"])
    assert (row["registered_on"], row["commission_session_on"]) == ("2026-03-09", "2026-03-30")


def test_a_rejection_dates_the_decision_and_the_flags_stay(story, project):
    case_id = story().walk_to(Status.REJECTED)

    row = file_of(project, case_id)

    assert (row["status"], flags(row)) == ("REJECTED", (True, True, False))
    assert (row["rejected_on"], row["decided_on"]) == ("2026-03-02", "2026-03-02")
    assert row["rejection_reason"] == "Situation ne relevant pas du FPEL"


def test_a_grant_fills_the_decision_and_sets_granted(story, project):
    case_id = story(duration_months=12).walk_to(Status.GRANTED)

    row = file_of(project, case_id)

    assert (row["status"], flags(row)) == ("GRANTED", (True, True, True))
    assert (row["decided_on"], row["decision_notified_on"]) == ("2026-03-02", "2026-03-02")
    assert (row["measure_type"], row["duration_months"], row["probation_months"]) == (
        "SIMPLE",
        12,
        6,
    )
    assert row["aid_granted_cents"] == 150_000
    assert (row["starts_on"], row["ceop"]) == (None, None)


# ---------------------------------------------------------------------------- CEOP
def test_a_drafted_ceop_is_a_version_awaiting_its_signatures(story, project):
    given = story()
    case_id = given.walk_to(Status.GRANTED)
    given.draft_ceop()

    ceop = file_of(project, case_id)["ceop"]

    assert (ceop["version"], ceop["drafted_on"]) == (1, "2026-03-02")
    assert [o["theme"] for o in ceop["objectives"]] == ["BUDGET", "BUDGET", "MEDIATION", "HEALTH"]
    assert {(o["progress"], o["progress_note"]) for o in ceop["objectives"]} == {
        ("NOT_STARTED", None)
    }
    assert ceop["steps"] == [
        {"label": "Budget établi", "due_on": None, "theme": None},
        {"label": "Plan d'apurement signé", "due_on": None, "theme": None},
    ]
    assert [c["party"] for c in ceop["commitments"]] == ["HOUSEHOLD", "REFERENT"]
    assert ceop["required_signatories"] == ["HOUSEHOLD", "REFERENT"]
    assert (ceop["signatures"], ceop["signed_on"], ceop["transmitted_on"]) == ({}, None, None)


def test_signatures_gather_until_the_ceop_is_signed_and_the_measure_starts(world, story, project):
    given = story()
    case_id = given.walk_to(Status.GRANTED)
    given.draft_ceop()

    with world.acting(household_actor(given.household_id)):
        world.app.record_ceop_signature(case_id, Signatory.HOUSEHOLD, START)
    one = file_of(project, case_id)
    with world.acting(world.referent):
        world.app.record_ceop_signature(case_id, Signatory.REFERENT, START)
    both = file_of(project, case_id)

    assert (one["status"], one["ceop"]["signatures"], one["ceop"]["signed_on"]) == (
        "GRANTED",
        {"HOUSEHOLD": "2026-03-02"},
        None,
    )
    assert both["status"] == "ACTIVE"
    assert both["ceop"]["signatures"] == {"HOUSEHOLD": "2026-03-02", "REFERENT": "2026-03-02"}
    assert both["ceop"]["signed_on"] == "2026-03-02"
    assert (both["starts_on"], both["ends_on"]) == ("2026-03-02", "2027-03-02")


def test_a_transmitted_ceop_is_dated(world, story, project):
    case_id = story().walk_to(Status.ACTIVE)

    with world.acting(world.referent):
        world.app.transmit_ceop(case_id)

    assert file_of(project, case_id)["ceop"]["transmitted_on"] == "2026-03-02"


def test_progress_is_recorded_on_the_objective_with_its_note(world, story, project):
    case_id = story().walk_to(Status.ACTIVE)

    with world.acting(world.referent):
        world.app.record_objective_progress(
            case_id, "obj-health", ObjectiveProgress.IN_PROGRESS, "Rendez-vous pris"
        )

    assert progress_of(file_of(project, case_id)) == {
        "obj-budget": ("NOT_STARTED", None),
        "obj-rent": ("NOT_STARTED", None),
        "obj-landlord": ("NOT_STARTED", None),
        "obj-health": ("IN_PROGRESS", "Rendez-vous pris"),
    }


def test_an_amendment_is_a_new_version_keeping_the_progress_of_kept_objectives(
    world, story, project
):
    given = story()
    case_id = given.walk_to(Status.ACTIVE)
    with world.acting(world.referent):
        world.app.transmit_ceop(case_id)
        world.app.record_objective_progress(case_id, "obj-budget", ObjectiveProgress.IN_PROGRESS)
        world.app.record_objective_progress(
            case_id, "obj-rent", ObjectiveProgress.ACHIEVED, "Loyer payé"
        )

    amend(world, case_id, BUDGET, JOB)
    amended = file_of(project, case_id)
    given.sign_ceop()
    signed = file_of(project, case_id)

    assert (amended["ceop"]["version"], amended["ceop"]["signatures"]) == (2, {})
    assert (amended["ceop"]["signed_on"], amended["ceop"]["transmitted_on"]) == (None, None)
    assert progress_of(amended) == {
        "obj-budget": ("IN_PROGRESS", ""),
        "obj-job": ("NOT_STARTED", None),
    }
    assert (signed["status"], signed["ceop"]["signed_on"]) == ("ACTIVE", "2026-03-02")
    assert (signed["starts_on"], signed["ends_on"]) == ("2026-03-02", "2027-03-02")


def test_an_objective_dropped_then_restored_gets_its_progress_back_as_in_the_case(
    world, story, project
):
    case_id = story().walk_to(Status.ACTIVE)
    with world.acting(world.referent):
        world.app.record_objective_progress(
            case_id, "obj-rent", ObjectiveProgress.ACHIEVED, "Loyer payé"
        )
    amend(world, case_id, BUDGET)

    amend(world, case_id, BUDGET, RENT)

    ceop = file_of(project, case_id)["ceop"]
    assert ceop["version"] == 3
    assert progress_of(file_of(project, case_id))["obj-rent"] == ("ACHIEVED", "Loyer payé")
    assert world.app.get_case(case_id).objective_progress["obj-rent"] is ObjectiveProgress.ACHIEVED


# ---------------------------------------------------------------- visits, contacts
def test_visits_are_listed_in_order_planned_done_and_missed(world, story, project):
    case_id = story().walk_to(Status.ACTIVE)
    planned_at = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    with world.acting(world.referent):
        done = world.app.schedule_visit(case_id, planned_at, VisitKind.HOME).id
        missed = world.app.schedule_visit(
            case_id, planned_at + timedelta(days=2), VisitKind.HOME
        ).id
    scheduled = file_of(project, case_id)["visits"]

    with world.acting(world.referent):
        world.app.record_visit(
            case_id, START, VisitKind.HOME, [Theme.BUDGET, Theme.HEALTH], "Suivi repris", True, done
        )
        world.app.record_missed_visit(case_id, missed, "Ménage absent")
        world.app.record_visit(case_id, START, VisitKind.OFFICE, [], "Au bureau", False)

    visits = file_of(project, case_id)["visits"]
    assert [(v["visit_id"], v["state"]) for v in scheduled] == [
        (done.hex, "PLANNED"),
        (missed.hex, "PLANNED"),
    ]
    assert scheduled[0]["planned_at"] == "2026-03-02T08:00:00+00:00"
    assert visits[0] == {
        "visit_id": done.hex,
        "planned_at": "2026-03-02T08:00:00+00:00",
        "kind": "HOME",
        "state": "DONE",
        "occurred_on": "2026-03-02",
        "themes": ["BUDGET", "HEALTH"],
        "note": "Suivi repris",
        "household_present": True,
        "missed_reason": None,
    }
    assert (visits[1]["state"], visits[1]["missed_reason"], visits[1]["occurred_on"]) == (
        "MISSED",
        "Ménage absent",
        None,
    )
    assert (visits[2]["planned_at"], visits[2]["kind"], visits[2]["state"]) == (
        None,
        "OFFICE",
        "DONE",
    )
    assert (visits[2]["note"], visits[2]["household_present"]) == ("Au bureau", False)


def test_a_contact_is_listed_with_its_note(world, story, project):
    case_id = story().walk_to(Status.ACTIVE)

    with world.acting(world.referent):
        world.app.record_contact(
            case_id, START, ContactChannel.PHONE, True, [Theme.HEALTH], "Hospitalisé"
        )

    assert file_of(project, case_id)["contacts"] == [
        {
            "occurred_on": "2026-03-02",
            "channel": "PHONE",
            "initiated_by_household": True,
            "household_took_part": True,
            "themes": ["HEALTH"],
            "note": "Hospitalisé",
        }
    ]


def test_a_concertation_is_listed_with_its_participants(world, story, project):
    case_id = story().walk_to(Status.GRANTED)
    landlord, caf = Participant("Lyon Habitat", world.landlord_id), Participant("CAF")

    with world.acting(world.referent):
        world.app.hold_concertation(case_id, START, "Dette locative", [landlord, caf], "Accord")

    (concertation,) = file_of(project, case_id)["concertations"]
    assert len(concertation["concertation_id"]) == 32
    assert {k: v for k, v in concertation.items() if k != "concertation_id"} == {
        "held_on": "2026-03-02",
        "subject": "Dette locative",
        "participants": [
            {"label": "Lyon Habitat", "organisation_id": str(world.landlord_id)},
            {"label": "CAF", "organisation_id": None},
        ],
        "outcome": "Accord",
    }


# ------------------------------------------------------------------------ debts, rent
def test_a_debt_gets_its_repayment_plan(world, story, project):
    case_id = story().walk_to(Status.ACTIVE)
    with world.acting(world.referent):
        debt = world.app.record_debt(case_id, "Lyon Habitat", Decimal("2400"), True).id
        other = world.app.record_debt(case_id, "Fournisseur d'énergie", Decimal("640.50"), False).id
    recorded = file_of(project, case_id)["debts"]

    with world.acting(world.referent):
        world.app.agree_repayment_plan(case_id, debt, Decimal("100"), date(2026, 4, 1), 24)

    debts = file_of(project, case_id)["debts"]
    assert recorded == [
        {
            "debt_id": debt.hex,
            "creditor": "Lyon Habitat",
            "amount_cents": 240_000,
            "creditor_is_landlord": True,
            "plan": None,
        },
        {
            "debt_id": other.hex,
            "creditor": "Fournisseur d'énergie",
            "amount_cents": 64_050,
            "creditor_is_landlord": False,
            "plan": None,
        },
    ]
    assert debts[0]["plan"] == {
        "monthly_amount_cents": 10_000,
        "first_due_on": "2026-04-01",
        "months": 24,
    }
    assert debts[1] == recorded[1]


def test_a_rent_report_only_moves_the_time_of_the_last_event(world, story, project):
    case_id = story().walk_to(Status.ACTIVE)
    before = file_of(project, case_id)
    world.clock.set_day(START + timedelta(days=3))

    with world.acting(world.landlord):
        world.app.report_rent_payment(case_id, START, Decimal("620"), Decimal("620"))

    after = file_of(project, case_id)
    assert after["updated_at"] == world.clock.now.isoformat() != before["updated_at"]
    assert {**after, "updated_at": None} == {**before, "updated_at": None}


# ------------------------------------------------------------ non-collaboration (R7)
def test_an_alert_and_a_suspension_are_listed(world, story, project):
    case_id = story().walk_to(Status.ACTIVE)
    world.clock.set_day(START + timedelta(days=18))

    with world.acting(world.referent):
        world.app.raise_non_collaboration_alert(case_id)
        world.app.suspend_alert_clock(
            case_id,
            START + timedelta(days=19),
            START + timedelta(days=25),
            SuspensionReason.HOSPITALISATION,
            "Service d'oncologie",
        )

    row = file_of(project, case_id)
    assert row["alerts"] == [
        {"raised_on": "2026-03-20", "silent_days": 17, "silent_since": "2026-03-02"}
    ]
    assert row["suspensions"] == [
        {
            "starts_on": "2026-03-21",
            "ends_on": "2026-03-27",
            "reason": "HOSPITALISATION",
            "details": "Service d'oncologie",
        }
    ]


# ------------------------------------------------------- invitation, end of measure
def test_an_invitation_to_the_commission_is_listed(world, story, project):
    case_id = story().walk_to(Status.ACTIVE)

    with world.acting(world.commission):
        world.app.issue_commission_invitation(case_id, date(2026, 3, 16))

    assert file_of(project, case_id)["invitations"] == [
        {"session_on": "2026-03-16", "issued_on": "2026-03-02"}
    ]


def test_an_extension_is_listed_and_moves_the_end_and_duration(world, story, project):
    case_id = story(duration_months=12).walk_to(Status.ACTIVE)

    with world.acting(world.commission):
        world.app.extend_measure(case_id, 3, "Dette non soldée")

    row = file_of(project, case_id)
    assert row["extensions"] == [
        {"on": "2026-03-02", "additional_months": 3, "reason": "Dette non soldée"}
    ]
    assert (row["duration_months"], row["ends_on"]) == (15, "2027-06-02")


def test_a_stopped_measure_and_its_final_report(world, story, project):
    case_id = story().walk_to(Status.STOPPED)
    stopped = file_of(project, case_id)

    with world.acting(world.referent):
        world.app.submit_final_report(case_id, True, "Relogé dans le parc social")

    row = file_of(project, case_id)
    assert (stopped["status"], flags(stopped)) == ("STOPPED", (True, True, True))
    assert (stopped["stopped_on"], stopped["stop_reason"], stopped["stop_details"]) == (
        "2026-03-02",
        "HOUSEHOLD_MOVED",
        "Relogé",
    )
    assert stopped["final_report_on"] is None
    assert (row["final_report_on"], row["household_still_housed"]) == ("2026-03-02", True)
    assert row["final_report_summary"] == "Relogé dans le parc social"


def test_a_completed_measure_is_dated_at_its_end(story, project):
    case_id = story().walk_to(Status.COMPLETED)

    row = file_of(project, case_id)

    assert (row["status"], row["completed_on"], row["stopped_on"]) == (
        "COMPLETED",
        "2027-03-02",
        None,
    )


def test_a_handover_keeps_the_previous_referent_until_the_date_given(world, story, project):
    case_id = story().walk_to(Status.ACTIVE)

    with world.acting(world.manager):
        world.app.assign_referent(case_id, world.second_referent.actor.id)

    row = file_of(project, case_id)
    assert row["referent_id"] == str(world.second_referent.actor.id)
    assert row["former_referents"] == {str(world.referent.actor.id): "2026-04-01"}


# ---------------------------------------------------------------------------- reads
def test_case_files_fetches_several_cases_at_once_and_skips_unknown_ones(world, story, project):
    first, second = story().walk_to(Status.DIAGNOSTIC), story().walk_to(Status.GRANTED)

    files = case_files(project("case_file"), [str(second), str(world.landlord_id), str(first)])

    assert set(files) == {str(first), str(second)}
    assert files[str(second)]["status"] == "GRANTED"
    assert case_files(project("case_file"), []) == {}


def test_cases_page_by_opening_day_then_id_from_the_cursor_on(world, story, project):
    opened = []
    for days in (2, 0, 1, 1):
        world.clock.set_day(START + timedelta(days=days))
        opened.append(story().walk_to(Status.SUBMITTED))
    story().walk_to(Status.DIAGNOSTIC)  # not submitted: filtered out
    view, ours = project("case_file"), {"association_id": str(world.association.id)}
    expected = sorted((case_file(view, str(c))["opened_on"], str(c)) for c in opened)

    first = case_page(view, {**ours, "submitted": True}, None, 3)
    cursor = (first[-1]["opened_on"], first[-1]["case_id"])
    second = case_page(view, {**ours, "submitted": True}, cursor, 3)

    assert [(r["opened_on"], r["case_id"]) for r in first + second] == expected
    assert (len(first), len(second)) == (3, 1)


# ------------------------------------------------------------------------ time travel
def test_the_file_as_of_an_instant_is_what_the_events_up_to_then_made_it(world, story, project):
    given = story()
    case_id = given.walk_to(Status.GRANTED)
    given.draft_ceop()
    then = file_of(project, case_id)
    instant = world.clock.now + timedelta(hours=1)
    world.clock.set_day(START + timedelta(days=3))
    given.sign_ceop()

    before = case_file_as_of(world.app, case_id, instant)

    assert file_of(project, case_id)["status"] == "ACTIVE"
    assert before == then
    assert (before["status"], before["ceop"]["signatures"]) == ("GRANTED", {})
    assert case_file_as_of(world.app, case_id, world.clock.now) == file_of(project, case_id)


def test_an_instant_without_a_time_zone_is_read_as_utc(world, story):
    case_id = story().walk_to(Status.SUBMITTED)
    naive = world.clock.now.astimezone(UTC).replace(tzinfo=None)

    assert case_file_as_of(world.app, case_id, naive)["status"] == "SUBMITTED"


def test_there_is_no_file_before_the_case_was_opened_nor_of_an_unknown_case(world, story):
    case_id = story().walk_to(Status.DIAGNOSTIC)

    assert case_file_as_of(world.app, case_id, world.clock.now - timedelta(seconds=1)) is None
    assert case_file_as_of(world.app, world.landlord_id, world.clock.now) is None
    assert case_file_as_of(world.app, world.new_household(), world.clock.now) is None
