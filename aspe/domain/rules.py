"""Rule parameters that differ between départements, and the arithmetic of measure dates.

Defaults are the values of the cahier des charges; ``Settings`` overrides them.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from aspe.domain.values import MeasureType


@dataclass(frozen=True)
class WeeklyCadence:
    """R4: how many visits a week a measure requires, and how many of them at home."""

    visits: int
    home_visits: int


@dataclass(frozen=True)
class RuleParameters:
    simple_visits_per_week: int = 1
    simple_home_visits_per_week: int = 1
    reinforced_visits_per_week: int = 3
    reinforced_home_visits_per_week: int = 2
    silent_days_before_alert: int = 14
    reminder_days_before_end: int = 30
    previous_referent_access_days: int = 30

    def cadence(self, measure_type: MeasureType) -> WeeklyCadence:
        if measure_type is MeasureType.SIMPLE:
            return WeeklyCadence(self.simple_visits_per_week, self.simple_home_visits_per_week)
        return WeeklyCadence(self.reinforced_visits_per_week, self.reinforced_home_visits_per_week)


DEFAULT_RULES = RuleParameters()


def add_months(start: date, months: int) -> date:
    """``start`` plus calendar months, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))
