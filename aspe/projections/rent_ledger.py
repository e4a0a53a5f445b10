"""Rent ledger: landlord rent reports, months paid and unpaid."""

from __future__ import annotations

from aspe.projections.readmodel import ReadModel


class RentLedger(ReadModel):
    name = "rent_ledger"
    tables = ()
