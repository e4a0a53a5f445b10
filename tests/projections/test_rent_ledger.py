"""Rent ledger: the landlord's monthly reports, months paid or not, and the resumption of
current rent."""

from datetime import date
from decimal import Decimal

from aspe.domain.values import Status
from aspe.projections.rent_ledger import Ledger, MonthReport, Payment, ledger, ledger_of

RENT = Decimal("620")


def report(world, case_id, month: date, paid: str, due: Decimal = RENT) -> None:
    with world.acting(world.landlord):
        world.app.report_rent_payment(case_id, month, due, Decimal(paid))


def months(ledger_: Ledger) -> list[tuple[str, Payment]]:
    return [(m.month, m.payment) for m in ledger_.months]


def test_the_ledger_counts_months_paid_partly_paid_and_unpaid_with_totals(world, story, project):
    case_id = story().walk_to(Status.ACTIVE)
    report(world, case_id, date(2026, 1, 1), "0")
    report(world, case_id, date(2025, 12, 1), "620")
    report(world, case_id, date(2026, 2, 1), "248")

    result = ledger(project("rent_ledger"), case_id)

    assert months(result) == [
        ("2025-12-01", Payment.PAID),
        ("2026-01-01", Payment.UNPAID),
        ("2026-02-01", Payment.PARTLY_PAID),
    ]
    assert (result.paid, result.partly_paid, result.unpaid) == (1, 1, 1)
    assert (result.total_due, result.total_paid) == (186000, 86800)


def test_a_report_on_any_day_of_the_month_is_the_months(world, story, project):
    case_id = story().walk_to(Status.ACTIVE)
    report(world, case_id, date(2026, 2, 17), "620")

    result = ledger(project("rent_ledger"), case_id)

    assert months(result) == [("2026-02-01", Payment.PAID)]


def test_unpaid_then_paid_months_show_the_resumption_of_current_rent(world, story, project):
    case_id = story().walk_to(Status.GRANTED)
    report(world, case_id, date(2025, 11, 1), "0")
    report(world, case_id, date(2025, 12, 1), "300")
    report(world, case_id, date(2026, 1, 1), "620")
    report(world, case_id, date(2026, 2, 1), "700")

    assert ledger(project("rent_ledger"), case_id).resumed_on == "2026-01-01"


def test_paid_then_unpaid_months_show_no_resumption(world, story, project):
    case_id = story().walk_to(Status.ACTIVE)
    report(world, case_id, date(2026, 1, 1), "620")
    report(world, case_id, date(2026, 2, 1), "0")

    assert ledger(project("rent_ledger"), case_id).resumed_on is None


def test_a_corrected_report_replaces_the_months_earlier_one(world, story, project):
    case_id = story().walk_to(Status.ACTIVE)
    report(world, case_id, date(2026, 1, 1), "0")
    report(world, case_id, date(2026, 2, 1), "0")

    report(world, case_id, date(2026, 2, 1), "620")
    result = ledger(project("rent_ledger"), case_id)

    assert months(result) == [("2026-01-01", Payment.UNPAID), ("2026-02-01", Payment.PAID)]
    assert (result.total_due, result.total_paid, result.resumed_on) == (124000, 62000, "2026-02-01")


def test_a_case_without_reports_has_an_empty_ledger(world, story, project):
    case_id = story().walk_to(Status.ACTIVE)
    other = story().walk_to(Status.ACTIVE)
    report(world, other, date(2026, 2, 1), "620")

    assert ledger(project("rent_ledger"), case_id) == Ledger((), 0, 0, 0, 0, 0, None)


# ------------------------------------------------ the resumption, as a pure function
def month(day: str, paid: int, due: int = 62000) -> MonthReport:
    return MonthReport(day, due, paid)


def test_a_ledger_always_paid_in_full_has_nothing_to_resume():
    assert ledger_of([month("2026-01-01", 62000), month("2026-02-01", 62000)]).resumed_on is None


def test_partial_payments_then_full_ones_resume_on_the_first_full_month():
    reports = [month("2026-03-01", 62000), month("2026-01-01", 24800), month("2026-02-01", 62000)]

    assert ledger_of(reports).resumed_on == "2026-02-01"


def test_a_short_month_inside_the_run_moves_the_resumption_after_it():
    reports = [
        month("2025-12-01", 0),
        month("2026-01-01", 62000),
        month("2026-02-01", 10000),
        month("2026-03-01", 62000),
    ]

    assert ledger_of(reports).resumed_on == "2026-03-01"


def test_an_unreported_month_neither_breaks_nor_ends_the_run():
    reports = [month("2025-12-01", 0), month("2026-01-01", 62000), month("2026-03-01", 62000)]

    assert ledger_of(reports).resumed_on == "2026-01-01"
