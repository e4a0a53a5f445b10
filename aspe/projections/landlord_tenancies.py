"""Landlord tenancies: its tenants' measures, consent-gated detail."""

from __future__ import annotations

from aspe.projections.readmodel import ReadModel


class LandlordTenancies(ReadModel):
    name = "landlord_tenancies"
    tables = ()
