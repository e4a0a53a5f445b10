"""Every value and every event a person may read has its French text, and only one."""

from __future__ import annotations

import inspect
from enum import Enum

import pytest

from aspe.domain import values
from aspe.domain.actors import Role
from aspe.domain.availability import CaseCommand
from aspe.domain.case import Case
from aspe.domain.household import Household
from aspe.domain.organisation import Organisation
from aspe.domain.staff import Staff
from aspe.domain.values import Status, Theme
from aspe.french import labels

DOMAIN_ENUMS = [Role, CaseCommand] + [
    enum
    for _, enum in inspect.getmembers(values, inspect.isclass)
    if issubclass(enum, Enum) and enum.__module__ == values.__name__
]
AGGREGATES = (Case, Household, Staff, Organisation)


@pytest.mark.parametrize("enum", DOMAIN_ENUMS, ids=lambda enum: enum.__name__)
def test_every_value_of_every_enumeration_has_its_french_label(enum: type[Enum]) -> None:
    missing = [member.name for member in enum if not labels.LABELS.get(enum, {}).get(member)]
    assert missing == [], f"{enum.__name__} values without French text: {missing}"


def test_no_two_values_of_one_enumeration_read_the_same() -> None:
    for enum, table in labels.LABELS.items():
        assert len(set(table.values())) == len(table), enum.__name__


def aggregate_events(aggregate: type) -> list[str]:
    base = aggregate.Event  # type: ignore[attr-defined]
    return [
        name
        for name, member in vars(aggregate).items()
        if inspect.isclass(member) and issubclass(member, base) and member is not base
    ]


@pytest.mark.parametrize("aggregate", AGGREGATES, ids=lambda aggregate: aggregate.__name__)
def test_every_event_has_its_french_title(aggregate: type) -> None:
    missing = [
        name
        for name in aggregate_events(aggregate)
        if (aggregate.__name__, name) not in labels.EVENT_TITLES
    ]
    assert missing == [], f"{aggregate.__name__} events without a French title: {missing}"


def test_a_label_reads_in_a_sentence_and_a_title_starts_with_a_capital() -> None:
    assert labels.label(Status.ACTIVE) == "mesure en cours"
    assert labels.title(Status.ACTIVE) == "Mesure en cours"
    assert labels.title_of(Theme, "HEALTH") == "Santé"
    assert labels.event_title("Case", "VisitRecorded") == "Visite enregistrée"


def test_a_name_the_platform_does_not_know_is_shown_as_it_is_and_none_as_a_dash() -> None:
    assert labels.label_of(Status, "ARCHIVED") == "ARCHIVED"
    assert labels.label_of(Status, None) == "—"
    assert labels.event_title("Case", "Teleported") == "Événement"
