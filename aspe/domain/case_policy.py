"""Who may run a command on a case: predicates over (case, actor), named for the party.

Commands combine them with ``any_of``; authorisation is checked before the status, so a
party that may not act learns nothing about where the case stands.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from aspe.domain.actors import Actor, Role

if TYPE_CHECKING:
    from aspe.domain.case import Case

Policy = Callable[["Case", Actor], bool]


def case_referent_or_manager(case: Case, actor: Actor) -> bool:
    """The referent in charge, or a manager of the association that holds the case."""
    if actor.organisation_id != case.association_id:
        return False
    if actor.role is Role.ASSOCIATION_MANAGER:
        return True
    return actor.role is Role.REFERENT and actor.id == case.referent_id


def association_manager(case: Case, actor: Actor) -> bool:
    return actor.role is Role.ASSOCIATION_MANAGER and actor.organisation_id == case.association_id


def spslh(case: Case, actor: Actor) -> bool:
    return actor.role is Role.SPSLH_AGENT


def commission(case: Case, actor: Actor) -> bool:
    return actor.role is Role.COMMISSION_MEMBER


def landlord_of_case(case: Case, actor: Actor) -> bool:
    return actor.role is Role.LANDLORD and actor.organisation_id == case.landlord_id


def household_of_case(case: Case, actor: Actor) -> bool:
    return actor.role is Role.HOUSEHOLD and actor.id == case.household_id


def system(case: Case, actor: Actor) -> bool:
    return actor.role is Role.SYSTEM


def any_of(*policies: Policy) -> Policy:
    def allowed(case: Case, actor: Actor) -> bool:
        return any(policy(case, actor) for policy in policies)

    return allowed
