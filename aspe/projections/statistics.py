"""Statistics: counts by status and type, durations, outcomes."""

from __future__ import annotations

from aspe.projections.readmodel import ReadModel


class Statistics(ReadModel):
    name = "statistics"
    tables = ()
