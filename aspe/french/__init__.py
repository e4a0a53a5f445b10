"""How ASPE reads in French: amounts, dates, times, durations.

One package, one canonical output for each kind of value, used by the portal, the PDFs,
the e-mails, the CLI's history and the statistics. It depends on nothing but the domain
(for the day of an instant) and the standard library.
"""

from aspe.french.formats import (
    amount,
    day,
    days,
    moment,
    month,
    month_abbreviation,
    month_name,
    months,
    time_of_day,
)

__all__ = [
    "amount",
    "day",
    "days",
    "moment",
    "month",
    "month_abbreviation",
    "month_name",
    "months",
    "time_of_day",
]
