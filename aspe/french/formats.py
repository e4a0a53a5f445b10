"""One way to write each kind of value, as French typography wants it.

- an amount: ``1 800,00 €`` (a narrow no-break space between thousands, a comma before the
  cents, a no-break space before the euro sign);
- a day: ``2 mars 2026``, ``1er avril 2026``;
- an instant: ``2 mars 2026 à 10 h 00``, always in the platform's time zone: the store
  keeps UTC, a person reads the time of the place they live in;
- a month: ``mars 2026``; a duration: ``6 mois``, ``1 jour``, ``14 jours``;
- a figure: ``12``, ``12,5``; a count of things: ``1 visite``, ``3 visites``; a file's
  size: ``12 Ko``, ``1,5 Mo``.

Each function also takes the value as the API serialises it (ISO text, a decimal as text),
so a page can pass what it received; ``None`` or an empty text reads ``—``; a text that is
not what it should be is shown as it is rather than hidden.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal, InvalidOperation

UNKNOWN = "—"
NBSP = "\u00a0"
NNBSP = "\u202f"

MONTH_NAMES = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip
MONTH_ABBREVIATIONS = (
    "janv.", "févr.", "mars", "avr.", "mai", "juin",
    "juil.", "août", "sept.", "oct.", "nov.", "déc.",
)  # fmt: skip

Day = date | str | None
Instant = datetime | str | None


def amount(value: Decimal | int | str | None) -> str:
    """``Decimal("1800")`` → ``1 800,00 €``."""
    if value is None or value == "":
        return UNKNOWN
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if not number.is_finite():
        return str(value)
    whole, cents = f"{number:,.2f}".split(".")
    return f"{whole.replace(',', NNBSP)},{cents}{NBSP}€"


def day(value: Day | datetime, zone: tzinfo | None = None) -> str:
    """``date(2026, 3, 2)`` or ``"2026-03-02"`` → ``2 mars 2026``.

    An instant (a datetime, or its ISO text) is read on its day in ``zone``, which it then
    needs: there is no day of an instant without a place."""
    if isinstance(value, datetime) or (isinstance(value, str) and "T" in value):
        if zone is None:
            raise ValueError("the day of an instant needs the reader's time zone")
        local = _local(value, zone)
        return str(value) if local is None else day(local.date())
    if isinstance(value, date):
        number = "1er" if value.day == 1 else str(value.day)
        return f"{number} {MONTH_NAMES[value.month - 1]} {value.year}"
    if not value:
        return UNKNOWN
    parsed = _date(value)
    return value if parsed is None else day(parsed)


WEEKDAY_NAMES = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


def weekday(value: date) -> str:
    """``date(2026, 12, 7)`` → ``lundi 7 décembre 2026``."""
    return f"{WEEKDAY_NAMES[value.weekday()]} {day(value)}"


def moment(value: Instant, zone: tzinfo) -> str:
    """An instant as a person in ``zone`` reads it: ``2 mars 2026 à 10 h 00``."""
    local = _local(value, zone)
    if local is None:
        return UNKNOWN if not value else str(value)
    return f"{day(local.date())} à {local:%H} h {local:%M}"


def time_of_day(value: Instant, zone: tzinfo) -> str:
    """The time of an instant in ``zone``: ``10 h 00``."""
    local = _local(value, zone)
    if local is None:
        return UNKNOWN if not value else str(value)
    return f"{local:%H} h {local:%M}"


def month(value: date | str | None) -> str:
    """``"2026-03"``, ``"2026-03-01"`` or a date → ``mars 2026``."""
    if isinstance(value, date):
        return f"{MONTH_NAMES[value.month - 1]} {value.year}"
    if not value:
        return UNKNOWN
    year, _, rest = value.partition("-")
    number = rest[:2]
    if not (year.isdigit() and number.isdigit() and 1 <= int(number) <= 12):
        return value
    return f"{MONTH_NAMES[int(number) - 1]} {year}"


def month_name(number: int) -> str:
    """``3`` → ``mars``."""
    return MONTH_NAMES[number - 1]


def month_abbreviation(number: int) -> str:
    """``3`` → ``mars``; ``9`` → ``sept.`` (for the axis of a chart)."""
    return MONTH_ABBREVIATIONS[number - 1]


def short_day(value: Day) -> str:
    """``"2026-12-01"`` → ``1er déc.``: a day of this year's calendar, for a chart's axis."""
    parsed = value if isinstance(value, date) else _date(value or "")
    if parsed is None:
        return UNKNOWN if not value else str(value)
    number = "1er" if parsed.day == 1 else str(parsed.day)
    return f"{number} {MONTH_ABBREVIATIONS[parsed.month - 1]}"


def months(count: int | None) -> str:
    """``6`` → ``6 mois`` (``mois`` is invariable)."""
    return UNKNOWN if count is None else f"{count} mois"


def days(count: int | None) -> str:
    """``1`` → ``1 jour``; ``14`` → ``14 jours``."""
    if count is None:
        return UNKNOWN
    return f"{count} jour" if abs(count) == 1 else f"{count} jours"


def count(number: int, noun: str) -> str:
    """``1`` visite → ``1 visite``; ``3`` → ``3 visites``: in French the plural starts at two."""
    return f"{number} {noun}{'s' if abs(number) >= 2 else ''}"


def number(value: float | None) -> str:
    """A figure: ``12``, ``12,5`` (one decimal when it has one), ``—`` for none.

    Not grouped by thousands, unlike an amount: the statistics' CSV writes its figures
    this way too, and a spreadsheet reads ``12,5`` but not ``1 234``."""
    if value is None:
        return UNKNOWN
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.1f}".replace(".", ",")


KIBI = 1024
MEBI = KIBI * KIBI


def size(byte_count: int | None) -> str:
    """A file's size: ``12 Ko`` below a mébioctet, rounded up (a small file is never
    ``0 Ko``); ``1,5 Mo`` from one."""
    if byte_count is None:
        return UNKNOWN
    if byte_count >= MEBI:
        return f"{number(round(byte_count / MEBI, 1))}{NBSP}Mo"
    return f"{(byte_count + KIBI - 1) // KIBI}{NBSP}Ko"


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _instant(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _local(value: Instant, zone: tzinfo) -> datetime | None:
    instant = value if isinstance(value, datetime) else _instant(value) if value else None
    if instant is None:
        return None
    if instant.tzinfo is None:
        # The store and the API only hold aware instants; a naive one is UTC by contract.
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(zone)
