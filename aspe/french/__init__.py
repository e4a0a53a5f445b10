"""How ASPE reads in French: amounts, dates, times, durations (``formats``, whose
functions are here too), every enumeration value (``labels``), every event's title
(``events``), and a case's events and state as an operator reads them (``summaries``,
``case_state``).

One package, one canonical output for each kind of value, used by the portal, the PDFs,
the e-mails, the CLI's history and the statistics. It depends on nothing but the domain
(its enumerations, events and values) and the standard library.
"""

from aspe.french.formats import (
    amount,
    count,
    day,
    days,
    moment,
    month,
    month_abbreviation,
    month_name,
    months,
    number,
    short_day,
    size,
    time_of_day,
    weekday,
)

__all__ = [
    "amount",
    "count",
    "day",
    "days",
    "moment",
    "month",
    "month_abbreviation",
    "month_name",
    "months",
    "number",
    "short_day",
    "size",
    "time_of_day",
    "weekday",
]
