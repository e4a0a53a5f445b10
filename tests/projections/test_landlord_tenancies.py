"""Landlord tenancies: a landlord sees its tenants' measures from the grant on; the detail
beyond the measure and its dates only while the household consents (DESIGN §6)."""

from datetime import date
from decimal import Decimal

from aspe.domain.values import ConsentScope, MeasureType, Participant, Status, StopReason
from aspe.projections.landlord_tenancies import tenancies, tenancy

START = date(2026, 3, 2)  # the frozen clock's day: decisions and signatures fall on it
NO_DETAIL = {
    "rent_arrears": None,
    "ceop_signed_on": None,
    "concertations": [],
    "repayment_plans": [],
}


def view(project):
    return project("landlord_tenancies")


def consent(world, case_id):
    with world.acting(world.referent):
        world.app.record_consent(case_id, ConsentScope.LANDLORD_DETAIL)


def follow_up_with_the_landlord(world, case_id):
    """A concertation with the landlord and one without; a plan with it and one with another."""
    landlord, caf = Participant("Lyon Habitat", world.landlord_id), Participant("CAF")
    with world.acting(world.referent):
        world.app.hold_concertation(case_id, START, "Dette locative", [landlord, caf], "Accord")
        world.app.hold_concertation(case_id, START, "Droits CAF", [caf], "Dossier relancé")
        rent_debt = world.app.record_debt(case_id, "Lyon Habitat", Decimal("2400"), True).id
        energy = world.app.record_debt(case_id, "Fournisseur d'énergie", Decimal("640"), False).id
        world.app.agree_repayment_plan(case_id, rent_debt, Decimal("100"), date(2026, 4, 1), 24)
        world.app.agree_repayment_plan(case_id, energy, Decimal("40"), date(2026, 4, 1), 16)


def test_a_granted_measure_appears_for_its_landlord_with_its_dates(world, story, project):
    case_id = story(measure_type=MeasureType.REINFORCED).walk_to(Status.ACTIVE)

    row = tenancy(view(project), world.landlord_id, case_id)

    assert row is not None
    assert (row["status"], row["measure_type"], row["duration_months"]) == (
        "ACTIVE",
        "REINFORCED",
        12,
    )
    assert (row["decided_on"], row["starts_on"], row["ends_on"]) == (
        "2026-03-02",
        "2026-03-02",
        "2027-03-02",
    )
    assert [t["case_id"] for t in tenancies(view(project), world.landlord_id)] == [str(case_id)]


def test_the_landlord_sees_the_household_name_and_address_not_its_contact(world, story, project):
    case_id = story().walk_to(Status.GRANTED)

    row = tenancy(view(project), world.landlord_id, case_id)

    assert row is not None
    assert (row["household_name"], row["street"], row["postcode"], row["city"]) == (
        "Ménage Durand",
        "12 rue des Lilas",
        "69003",
        "Lyon",
    )
    assert "06 12 34 56 78" not in str(row)
    assert "members" not in row


def test_another_landlord_sees_nothing_of_the_measure(world, story, project):
    case_id = story().walk_to(Status.ACTIVE)

    assert tenancy(view(project), world.other_landlord_id, case_id) is None
    assert tenancies(view(project), world.other_landlord_id) == []


def test_a_case_before_the_grant_does_not_appear(world, story, project):
    case_id = story().walk_to(Status.REGISTERED)
    consent(world, case_id)

    assert tenancy(view(project), world.landlord_id, case_id) is None
    assert tenancies(view(project), world.landlord_id) == []


def test_a_rejected_case_never_appears(world, story, project):
    case_id = story().walk_to(Status.REJECTED)

    assert tenancy(view(project), world.landlord_id, case_id) is None
    assert tenancies(view(project), world.landlord_id) == []


def test_without_consent_the_landlord_sees_the_measure_alone(world, story, project):
    case_id = story().walk_to(Status.ACTIVE)
    follow_up_with_the_landlord(world, case_id)

    row = tenancy(view(project), world.landlord_id, case_id)

    assert row is not None
    assert row["consent"] is False
    assert {key: row[key] for key in NO_DETAIL} == NO_DETAIL


def test_with_consent_the_landlord_sees_its_arrears_signature_concertations_and_plans(
    world, story, project
):
    case_id = story().walk_to(Status.ACTIVE)
    follow_up_with_the_landlord(world, case_id)

    consent(world, case_id)
    row = tenancy(view(project), world.landlord_id, case_id)

    assert row is not None
    assert (row["consent"], row["rent_arrears"], row["ceop_signed_on"]) == (
        True,
        240000,
        "2026-03-02",
    )
    assert row["concertations"] == [{"held_on": "2026-03-02"}]
    assert row["repayment_plans"] == [
        {"debt_amount": 240000, "monthly_amount": 10000, "first_due_on": "2026-04-01", "months": 24}
    ]


def test_the_consented_detail_holds_no_free_text(world, story, project):
    case_id = story().walk_to(Status.ACTIVE)
    follow_up_with_the_landlord(world, case_id)
    consent(world, case_id)

    shown = str(tenancy(view(project), world.landlord_id, case_id))

    for text in ("Dette locative", "Accord", "CAF", "Lyon Habitat", "énergie", "180000"):
        assert text not in shown


def test_withdrawing_consent_hides_the_detail_again(world, story, project):
    case_id = story().walk_to(Status.ACTIVE)
    follow_up_with_the_landlord(world, case_id)
    consent(world, case_id)
    assert tenancy(view(project), world.landlord_id, case_id)["rent_arrears"] == 240000

    with world.acting(world.referent):
        world.app.withdraw_consent(case_id, ConsentScope.LANDLORD_DETAIL)
    row = tenancy(view(project), world.landlord_id, case_id)

    assert row is not None
    assert row["consent"] is False
    assert {key: row[key] for key in NO_DETAIL} == NO_DETAIL


def test_a_stop_shows_its_date_and_reason_category_not_its_details(world, story, project):
    case_id = story().walk_to(Status.ACTIVE)
    consent(world, case_id)
    with world.acting(world.commission):
        world.app.stop_measure(case_id, StopReason.EVICTION, "Concours de la force publique")

    row = tenancy(view(project), world.landlord_id, case_id)

    assert row is not None
    assert (row["status"], row["stopped_on"], row["stop_reason"]) == (
        "STOPPED",
        "2026-03-02",
        "EVICTION",
    )
    assert "force publique" not in str(row)


def test_an_extension_moves_the_end_date_and_the_duration(world, story, project):
    case_id = story(duration_months=12).walk_to(Status.ACTIVE)
    with world.acting(world.commission):
        world.app.extend_measure(case_id, 6, "Plan d'apurement en cours")

    row = tenancy(view(project), world.landlord_id, case_id)

    assert row is not None
    assert (row["ends_on"], row["duration_months"]) == ("2027-09-02", 18)
    assert "apurement" not in str(row)


def test_a_completed_measure_shows_its_completion_date(world, story, project):
    case_id = story(duration_months=6, probation_months=3).walk_to(Status.COMPLETED)

    row = tenancy(view(project), world.landlord_id, case_id)

    assert row is not None
    assert (row["status"], row["completed_on"]) == ("COMPLETED", "2026-09-02")
