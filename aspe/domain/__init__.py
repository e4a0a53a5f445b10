"""The ASPE domain: aggregates, events, rules R1–R12. Imports no framework but eventsourcing."""

from aspe.domain.actors import SYSTEM_ACTOR, Actor, Role, acting_as, current_context
from aspe.domain.case import Case
from aspe.domain.errors import DomainError
from aspe.domain.household import Household
from aspe.domain.organisation import Organisation
from aspe.domain.rules import DEFAULT_RULES, RuleParameters
from aspe.domain.staff import Staff
from aspe.domain.values import VALUE_TYPES as _VALUE_TYPES

VALUE_TYPES: tuple[type, ...] = (*_VALUE_TYPES, Role)
"""Every type an event attribute may hold beyond the store's built-ins."""

__all__ = [
    "DEFAULT_RULES",
    "SYSTEM_ACTOR",
    "VALUE_TYPES",
    "Actor",
    "Case",
    "DomainError",
    "Household",
    "Organisation",
    "Role",
    "RuleParameters",
    "Staff",
    "acting_as",
    "current_context",
]
