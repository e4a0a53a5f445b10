"""Rule parameters that differ between départements, and the arithmetic of measure dates
and of the non-collaboration clock.

Defaults are the values of the cahier des charges; ``Settings`` overrides them. The Case
aggregate and the read models compute silent days with the same functions below.
"""

from __future__ import annotations

import calendar
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from aspe.domain.local_time import day_of
from aspe.domain.values import MeasureType, Period

ONE_DAY = timedelta(days=1)


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
    time_zone: str = "Europe/Paris"
    """Where the people are: "today" in every rule is the date there (``ASPE_TIMEZONE``)."""

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def day_of(self, instant: datetime) -> date:
        """The day ``instant`` falls on where the people are."""
        return day_of(instant, self.zone)

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


# ------------------------------------------------------- non-collaboration (R7)
def anchor_of_silence(starts_on: date | None, last_contact_on: date | None) -> date | None:
    """The later of the measure's start and the last meeting or contact (None: not started)."""
    if starts_on is None:
        return None
    if last_contact_on is None:
        return starts_on
    return max(starts_on, last_contact_on)


def count_silent_days(anchor: date | None, as_of: date, suspensions: Iterable[Period]) -> int:
    """Whole days after ``anchor`` and before ``as_of`` on which the clock ran.

    A suspended day stops the clock once, however many suspensions cover it.
    """
    if anchor is None or as_of <= anchor:
        return 0
    elapsed = (as_of - anchor).days - 1
    return elapsed - _suspended_days(anchor, as_of, suspensions)


def _suspended_days(after: date, before: date, suspensions: Iterable[Period]) -> int:
    """Days strictly between ``after`` and ``before`` that any suspension covers."""
    days, counted_until = 0, after
    for period in sorted(suspensions, key=lambda period: period.starts_on):
        first = max(period.starts_on, counted_until + ONE_DAY)
        last = min(period.ends_on, before - ONE_DAY)
        if first <= last:
            days += (last - first).days + 1
            counted_until = last
    return days


def non_collaboration_alert_due(
    anchor: date | None,
    as_of: date,
    suspensions: Iterable[Period],
    alerted_silences: Collection[date],
    rules: RuleParameters,
) -> bool:
    """One alert per silent period, once ``silent_days_before_alert`` days have run."""
    return (
        anchor is not None
        and anchor not in alerted_silences
        and count_silent_days(anchor, as_of, suspensions) >= rules.silent_days_before_alert
    )
