"""Every text a household's events carry is declared personal (sealed) or not, one by one.

Given every event class of the household and its cases, and every value type they carry,
then each ``str`` attribute or field is in ``PERSONAL_*`` or in ``NOT_PERSONAL``: a new one
fails here until someone decides whether it is personal.
"""

from __future__ import annotations

import dataclasses
import inspect
import typing

import pytest

from aspe.domain import VALUE_TYPES
from aspe.domain.audited import AuditedAggregate
from aspe.domain.case import Case
from aspe.domain.household import Household
from aspe.privacy.personal import NOT_PERSONAL, PERSONAL_ATTRIBUTES, PERSONAL_FIELDS

CONTEXT = set(typing.get_type_hints(AuditedAggregate.Created))
"""What the library and the audit stamp on every event: ids, topics, who and when."""


def event_classes() -> list[type]:
    return [
        klass
        for aggregate in (Case, Household)
        for klass in vars(aggregate).values()
        if inspect.isclass(klass)
        and issubclass(klass, AuditedAggregate.Event)
        and klass not in (aggregate.Event, aggregate.Created)
    ]


def text_names(hints: dict[str, typing.Any]) -> set[str]:
    return {name for name, hint in hints.items() if hint is str or hint == str | None}


def undeclared(owner: type, names: set[str], personal: typing.Mapping[type, frozenset[str]]):
    return names - personal.get(owner, frozenset()) - NOT_PERSONAL.get(owner, frozenset())


@pytest.mark.parametrize("event_class", event_classes(), ids=lambda klass: klass.__qualname__)
def test_each_text_attribute_of_an_event_is_declared(event_class: type) -> None:
    hints = {
        name: hint
        for name, hint in typing.get_type_hints(event_class).items()
        if name not in CONTEXT
    }
    assert undeclared(event_class, text_names(hints), PERSONAL_ATTRIBUTES) == set()


@pytest.mark.parametrize(
    "value_type",
    [value for value in VALUE_TYPES if dataclasses.is_dataclass(value)],
    ids=lambda value: value.__qualname__,
)
def test_each_text_field_of_a_value_type_is_declared(value_type: type) -> None:
    hints = typing.get_type_hints(value_type)
    assert undeclared(value_type, text_names(hints), PERSONAL_FIELDS) == set()


def test_no_declaration_names_an_attribute_that_does_not_exist() -> None:
    for declaration in (PERSONAL_ATTRIBUTES, PERSONAL_FIELDS, NOT_PERSONAL):
        for owner, names in declaration.items():
            assert names <= set(typing.get_type_hints(owner)), owner.__qualname__
