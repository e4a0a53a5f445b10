"""What the domain declares, found in its modules rather than listed by hand: a new
enumeration, aggregate or event is checked by the French tests the day it is written."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from enum import Enum
from types import ModuleType

from eventsourcing.domain import Aggregate

import aspe.domain


def domain_modules() -> list[ModuleType]:
    return [
        importlib.import_module(f"{aspe.domain.__name__}.{module.name}")
        for module in pkgutil.iter_modules(aspe.domain.__path__)
    ]


def declared(base: type) -> list[type]:
    """The subclasses of ``base`` that a module of the domain defines, by name."""
    found = {
        member
        for module in domain_modules()
        for _, member in inspect.getmembers(module, inspect.isclass)
        if issubclass(member, base) and member.__module__ == module.__name__
    }
    # A base that other declared classes extend (``AuditedAggregate``, ``Account``) stores
    # nothing under its own name: its subclasses are what is stored and shown.
    bases = {
        member
        for member in found
        if any(other is not member and issubclass(other, member) for other in found)
    }
    return sorted(found - bases, key=lambda member: member.__name__)


def domain_enums() -> list[type[Enum]]:
    return declared(Enum)


def domain_aggregates() -> list[type[Aggregate]]:
    return declared(Aggregate)


def stored_events(aggregate: type[Aggregate]) -> list[str]:
    """The names of the events ``aggregate`` may store.

    The library gives every aggregate a ``Created`` event, but each of ASPE's names the
    event that creates it (``Case.Opened``, ``Staff.Registered``…): ``Created`` is never
    stored, so it needs no words."""
    base = aggregate.Event
    return [
        name
        for name, member in vars(aggregate).items()
        if inspect.isclass(member)
        and issubclass(member, base)
        and member is not base
        and name != "Created"
    ]
