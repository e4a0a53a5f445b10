"""The bounds every command's values stay within, and the checks of the semantic ones.

Defaults are sane for a département; ``Settings`` overrides them (``ASPE_MAX_…``). The
``@command`` decorator puts the application's bounds on the command context, where the
commands and the chokepoint of ``audited.py`` read them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import MAXYEAR, MINYEAR, date

from aspe.domain.errors import InvalidInput


@dataclass(frozen=True)
class InputBounds:
    """How long a text, a measure, a suspension may be, and how far a date may lie."""

    max_text_length: int = 10_000
    """Characters of any one text value (a note, a name, a reason…)."""
    max_measure_months: int = 36
    """A measure's duration, extensions included, and so the duration a request proposes."""
    max_suspension_days: int = 90
    """Days of one suspension of the non-collaboration clock (R7), both ends included."""
    date_window_past_years: int = 10
    date_window_future_years: int = 5

    def earliest_date(self, today: date) -> date:
        return _years_from(today, -self.date_window_past_years)

    def latest_date(self, today: date) -> date:
        return _years_from(today, self.date_window_future_years)

    def check_measure_months(self, months: int, what: str, *, field: str | None = None) -> None:
        """A measure (or the duration proposed for it) never runs past the bound."""
        if months > self.max_measure_months:
            raise InvalidInput(
                f"{what} ne peut dépasser {self.max_measure_months} mois.", field=field
            )

    def check_suspension(self, starts_on: date, ends_on: date) -> None:
        """R7's clock is stopped for a bounded period only: it cannot be switched off."""
        if (ends_on - starts_on).days + 1 > self.max_suspension_days:
            raise InvalidInput(
                f"La fin de la suspension est trop lointaine : une suspension dure au plus "
                f"{self.max_suspension_days} jours.",
                field="ends_on",
            )


DEFAULT_BOUNDS = InputBounds()


def _years_from(day: date, years: int) -> date:
    """``day`` moved by whole years, within the calendar (29 February falls on the 28th)."""
    year = min(max(day.year + years, MINYEAR), MAXYEAR)
    try:
        return day.replace(year=year)
    except ValueError:
        return day.replace(year=year, day=28)
