"""Rent ledger (the association, the SPSLH, the commission, and the landlord for its own
reports, DESIGN §6): month by month, the rent the landlord reported due and paid on a
case, and whether the household has resumed paying its current rent.

Each row is one case's month (its first day); the landlord's later report for a month
replaces the earlier one, so a correction is simply reported again.

A month is *paid* when the amount paid covers the amount due, *partly paid* when something
but not all of it was paid, *unpaid* when nothing was.

Resumption of current rent (*reprise du paiement du loyer courant*): the current rent has
resumed when the latest reported month is paid in full and at least one earlier reported
month was not (unpaid or partly paid). The resumption month, ``resumed_on``, is the first
month of the latest run of reported months paid in full. Months never reported count for
nothing: they neither break a run nor end one. A ledger whose months were all paid in full
has nothing to resume, and one whose latest month is short has not resumed: both give
``None``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TypedDict
from uuid import UUID

from aspe.domain.case import Case
from aspe.projections.readmodel import ReadModel, cents, handles, text
from aspe.projections.tables import Table
from aspe.projections.view import Changes, TableView


class LedgerMonth(TypedDict):
    case_id: str
    month: str
    amount_due: int
    amount_paid: int


MONTHS = Table("months", LedgerMonth, key=("case_id", "month"))


class RentLedger(ReadModel):
    name = "rent_ledger"
    tables = (MONTHS,)

    @handles(Case.RentPaymentReported)
    def reported(self, event: Case.RentPaymentReported, changes: Changes) -> None:
        changes.months.put(
            {
                "case_id": str(event.originator_id),
                "month": text(event.month),
                "amount_due": cents(event.amount_due),
                "amount_paid": cents(event.amount_paid),
            }
        )


# ------------------------------------------------------------------------ read side
class Payment(Enum):
    PAID = "PAID"
    PARTLY_PAID = "PARTLY_PAID"
    UNPAID = "UNPAID"


@dataclass(frozen=True)
class MonthReport:
    """One month's report: ``month`` is its first day (ISO), amounts in cents."""

    month: str
    amount_due: int
    amount_paid: int

    @property
    def payment(self) -> Payment:
        if self.amount_paid >= self.amount_due:
            return Payment.PAID
        return Payment.PARTLY_PAID if self.amount_paid > 0 else Payment.UNPAID


@dataclass(frozen=True)
class Ledger:
    """A case's rent reports in month order, their totals (cents) and the resumption."""

    months: tuple[MonthReport, ...]
    total_due: int
    total_paid: int
    paid: int
    partly_paid: int
    unpaid: int
    resumed_on: str | None


def ledger(view: TableView, case_id: UUID | str) -> Ledger:
    """The rent ledger of one case (empty when the landlord reported nothing)."""
    rows = view.select(MONTHS, where={"case_id": str(case_id)})
    return ledger_of(
        [MonthReport(row["month"], row["amount_due"], row["amount_paid"]) for row in rows]
    )


def ledger_of(months: Sequence[MonthReport]) -> Ledger:
    """The ledger of these months (any order: they are sorted by month)."""
    ordered = tuple(sorted(months, key=lambda report: report.month))
    payments = [report.payment for report in ordered]
    return Ledger(
        months=ordered,
        total_due=sum(report.amount_due for report in ordered),
        total_paid=sum(report.amount_paid for report in ordered),
        paid=payments.count(Payment.PAID),
        partly_paid=payments.count(Payment.PARTLY_PAID),
        unpaid=payments.count(Payment.UNPAID),
        resumed_on=resumed_on(ordered),
    )


def resumed_on(ordered: Sequence[MonthReport]) -> str | None:
    """The first month of the latest run paid in full, if a month short of it came before
    (the module's definition of the resumption of current rent); months in order."""
    run_start: str | None = None
    for report in reversed(ordered):
        if report.payment is not Payment.PAID:
            return run_start
        run_start = report.month
    return None
