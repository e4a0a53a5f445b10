"""Read models: one per audience and question, built from the event stream (DESIGN §5).

Each read model is a projection of the eventsourcing library writing its rows and its
tracking record in one transaction; ``Projector`` runs them, batching thousands of events
per transaction; ``bootstrap.build_projector`` builds them from ``Settings``.
"""

from __future__ import annotations

from aspe.projections.audit_trail import AuditTrail
from aspe.projections.case_file import CaseFile
from aspe.projections.caseload import AssociationCaseload
from aspe.projections.commission_agenda import CommissionAgenda
from aspe.projections.contact_silence import ContactSilence
from aspe.projections.directory import Directory
from aspe.projections.landlord_tenancies import LandlordTenancies
from aspe.projections.open_alerts import OpenAlerts
from aspe.projections.readmodel import ReadModel
from aspe.projections.rent_ledger import RentLedger
from aspe.projections.retention import Retention
from aspe.projections.spslh_register import SpslhRegister
from aspe.projections.statistics import Statistics
from aspe.projections.visit_compliance import WeeklyVisitCompliance

READ_MODELS: tuple[type[ReadModel], ...] = (
    AssociationCaseload,
    SpslhRegister,
    CommissionAgenda,
    LandlordTenancies,
    WeeklyVisitCompliance,
    ContactSilence,
    OpenAlerts,
    RentLedger,
    Statistics,
    AuditTrail,
    CaseFile,
    Directory,
    Retention,
)
"""Every read model, in the order status and rebuilds list them."""

__all__ = ["READ_MODELS", "ReadModel"]
