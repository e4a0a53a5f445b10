"""Open non-collaboration alerts."""

from __future__ import annotations

from aspe.projections.readmodel import ReadModel


class OpenAlerts(ReadModel):
    name = "open_alerts"
    tables = ()
