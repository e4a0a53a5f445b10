"""Weekly visit compliance per active measure."""

from __future__ import annotations

from aspe.projections.readmodel import ReadModel


class WeeklyVisitCompliance(ReadModel):
    name = "visit_compliance"
    tables = ()
