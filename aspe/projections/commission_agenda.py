"""Commission agenda: registered requests awaiting decision."""

from __future__ import annotations

from aspe.projections.readmodel import ReadModel


class CommissionAgenda(ReadModel):
    name = "commission_agenda"
    tables = ()
