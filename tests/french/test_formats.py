"""Each kind of value reads one way, whatever part of the platform writes it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from aspe import french

PARIS = ZoneInfo("Europe/Paris")
REUNION = ZoneInfo("Indian/Reunion")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("1800"), "1\u202f800,00\u00a0€"),
        ("2400.5", "2\u202f400,50\u00a0€"),
        (Decimal("0"), "0,00\u00a0€"),
        (1234567, "1\u202f234\u202f567,00\u00a0€"),
        (None, "—"),
    ],
)
def test_an_amount_has_one_french_form(value: object, expected: str) -> None:
    assert french.amount(value) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(2026, 3, 2), "2 mars 2026"),
        ("2026-03-02", "2 mars 2026"),
        (date(2026, 4, 1), "1er avril 2026"),
        ("2026-12-31", "31 décembre 2026"),
        (None, "—"),
        ("", "—"),
    ],
)
def test_a_day_has_one_french_form(value: object, expected: str) -> None:
    assert french.day(value) == expected  # type: ignore[arg-type]


def test_the_day_of_an_instant_is_the_day_where_the_reader_lives() -> None:
    # given 23:30 UTC on 31 January: already 1 February in Paris
    instant = datetime(2026, 1, 31, 23, 30, tzinfo=UTC)

    # then
    assert french.day(instant, PARIS) == "1er février 2026"
    assert french.day(instant.isoformat(), PARIS) == "1er février 2026"


def test_the_day_of_an_instant_cannot_be_read_without_a_time_zone() -> None:
    with pytest.raises(ValueError, match="time zone"):
        french.day(datetime(2026, 1, 31, 23, 30, tzinfo=UTC))


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        # winter: Paris is UTC+1
        (datetime(2026, 3, 2, 9, 0, tzinfo=UTC), "2 mars 2026 à 10 h 00"),
        # summer: UTC+2
        (datetime(2026, 7, 1, 8, 0, tzinfo=UTC), "1er juillet 2026 à 10 h 00"),
        ("2026-03-02T09:00:00+00:00", "2 mars 2026 à 10 h 00"),
        # an instant given with another offset is the same instant
        ("2026-03-02T10:00:00+01:00", "2 mars 2026 à 10 h 00"),
    ],
)
def test_an_instant_is_shown_in_the_readers_time_zone(stored: object, expected: str) -> None:
    assert french.moment(stored, PARIS) == expected  # type: ignore[arg-type]


def test_an_instant_follows_the_configured_time_zone() -> None:
    # La Réunion is UTC+4 all year
    stored = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)

    assert french.moment(stored, REUNION) == "2 mars 2026 à 10 h 00"
    assert french.time_of_day(stored, REUNION) == "10 h 00"


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        # the last Sunday of March 2026 (29th): 02:00 becomes 03:00 in Paris
        (datetime(2026, 3, 29, 0, 59, tzinfo=UTC), "29 mars 2026 à 01 h 59"),
        (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), "29 mars 2026 à 03 h 00"),
        # the last Sunday of October 2026 (25th): 03:00 becomes 02:00 again
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), "25 octobre 2026 à 02 h 30"),
        (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), "25 octobre 2026 à 02 h 30"),
        (datetime(2026, 10, 25, 2, 0, tzinfo=UTC), "25 octobre 2026 à 03 h 00"),
    ],
)
def test_instants_around_the_daylight_saving_changes(stored: datetime, expected: str) -> None:
    assert french.moment(stored, PARIS) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-03", "mars 2026"),
        ("2026-09-01", "septembre 2026"),
        (date(2027, 1, 5), "janvier 2027"),
    ],
)
def test_a_month_has_one_french_form(value: object, expected: str) -> None:
    assert french.month(value) == expected  # type: ignore[arg-type]


def test_durations_agree_in_number() -> None:
    assert [french.days(1), french.days(14), french.months(1), french.months(6)] == [
        "1 jour",
        "14 jours",
        "1 mois",
        "6 mois",
    ]


def test_a_count_agrees_in_number_from_two_on() -> None:
    assert [french.count(0, "visite"), french.count(1, "visite"), french.count(3, "visite")] == [
        "0 visite",
        "1 visite",
        "3 visites",
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [(12, "12"), (12.0, "12"), (12.5, "12,5"), (0.5, "0,5"), (5600, "5600"), (None, "—")],
)
def test_a_figure_has_one_french_form(value: float | None, expected: str) -> None:
    assert french.number(value) == expected


@pytest.mark.parametrize(
    ("byte_count", "expected"),
    [
        (1, "1\u00a0Ko"),
        (1024, "1\u00a0Ko"),
        (1025, "2\u00a0Ko"),
        (1024 * 1024, "1\u00a0Mo"),
        (1536 * 1024, "1,5\u00a0Mo"),
        (10 * 1024 * 1024, "10\u00a0Mo"),
        (None, "—"),
    ],
)
def test_a_file_size_reads_in_kilo_or_mega_octets(byte_count: int | None, expected: str) -> None:
    assert french.size(byte_count) == expected


def test_a_value_that_is_not_what_it_should_be_is_shown_as_it_is() -> None:
    assert french.day("bientôt") == "bientôt"
    assert french.amount("beaucoup") == "beaucoup"
    assert french.month("2026-13") == "2026-13"
