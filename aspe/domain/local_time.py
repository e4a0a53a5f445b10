"""What day it is where the people are.

Instants are stored in UTC. A *day* — "today" in every rule, the clocks' days, the read
models' weeks — is the calendar day in the platform's time zone (``ASPE_TIMEZONE``,
Europe/Paris by default): at 23:30 UTC on 31 January it is already 1 February in Paris,
and a visit dated 1 February is not in the future. Everything that needs a day from an
instant asks this module, so the answers cannot drift apart.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def day_of(instant: datetime, zone: tzinfo = PARIS) -> date:
    """The calendar day ``instant`` falls on in ``zone`` (a naive instant is read as UTC)."""
    aware = instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)
    return aware.astimezone(zone).date()


def monday_of(day: date) -> date:
    """The Monday of ``day``'s ISO week (weeks run Monday to Sunday, as in France)."""
    return day - timedelta(days=day.weekday())
