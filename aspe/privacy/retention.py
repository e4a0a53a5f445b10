"""Retention: what the platform keeps, how long, and what it does when the time is up.

Two phases after a case closes (its request rejected, its measure stopped or completed),
their lengths settings (after the CNIL's framework for social support):

- **archived**, ``ASPE_ARCHIVE_AFTER_MONTHS`` (24) after it closed: ``Case.archive``, as
  the platform. From then on only the auditor and the manager of its association read it,
  each time with a reason that the access log keeps; no one acts on it.
- **erased**, ``ASPE_ERASE_AFTER_YEARS`` (5) after the household's last case closed (or
  its registration, when it never had one), unless a legal hold is set on the household:
  ``aspe.privacy.erasure``, ground ``RETENTION_PERIOD``.

``due`` reads what is due from the ``retention`` read model; ``apply`` does it, one item at
a time, each an event (``Case.Archived``, ``Household.Erased``); a refusal (the case or the
household changed since the read model saw it) is reported and the rest goes on. The daily
clock (``Clocks.apply_retention``) and ``aspe retention run [--dry-run]`` both use them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from aspe.application import AspeApplication
from aspe.domain.errors import DomainError
from aspe.domain.rules import add_months
from aspe.domain.values import ErasureGround
from aspe.privacy.erasure import Places, erase_household
from aspe.projections.retention import RetainedCase, cases, households
from aspe.projections.view import TableView

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periods:
    archive_after_months: int
    erase_after_years: int


@dataclass(frozen=True)
class ToArchive:
    case_id: UUID
    closed_on: date


@dataclass(frozen=True)
class ToErase:
    household_id: UUID
    since: date
    """Its last case's closing day (or its registration)."""


@dataclass(frozen=True)
class Due:
    today: date
    archive: list[ToArchive]
    erase: list[ToErase]


def due(view: TableView, today: date, periods: Periods) -> Due:
    """What retention asks for on ``today``: the closed cases to archive, the households to
    erase."""
    all_cases = cases(view)
    return Due(
        today, _to_archive(all_cases, today, periods), _to_erase(view, all_cases, today, periods)
    )


def _to_archive(all_cases: list[RetainedCase], today: date, periods: Periods) -> list[ToArchive]:
    found = []
    for case in all_cases:
        if case["closed_on"] is None or case["archived_on"] is not None:
            continue
        closed_on = date.fromisoformat(case["closed_on"])
        if add_months(closed_on, periods.archive_after_months) <= today:
            found.append(ToArchive(UUID(case["case_id"]), closed_on))
    return found


def _to_erase(
    view: TableView, all_cases: list[RetainedCase], today: date, periods: Periods
) -> list[ToErase]:
    by_household: dict[str, list[RetainedCase]] = {}
    for case in all_cases:
        by_household.setdefault(case["household_id"], []).append(case)
    found = []
    for household in households(view):
        if household["legal_hold"]:
            continue
        its_cases = by_household.get(household["household_id"], [])
        if any(case["closed_on"] is None for case in its_cases):
            continue  # a case still open: its parties need the file
        since = max(
            [date.fromisoformat(household["registered_on"])]
            + [date.fromisoformat(case["closed_on"]) for case in its_cases if case["closed_on"]]
        )
        if add_months(since, 12 * periods.erase_after_years) <= today:
            found.append(ToErase(UUID(household["household_id"]), since))
    return found


@dataclass
class RetentionRun:
    archived: list[UUID] = field(default_factory=list)
    erased: list[UUID] = field(default_factory=list)
    refused: dict[UUID, str] = field(default_factory=dict)
    """Items the domain refused, with the refusal's code (they changed since)."""


def apply(
    app: AspeApplication,
    places: Callable[[], AbstractContextManager[Places]],
    todo: Due,
    periods: Periods,
) -> RetentionRun:
    """Archive and erase what ``todo`` lists, as the actor of the current ``acting_as``
    (the platform); each item on its own."""
    run = RetentionRun()
    for case in todo.archive:
        if _attempt(run, case.case_id, _archiving(app, case.case_id)):
            run.archived.append(case.case_id)
    if not todo.erase:
        return run
    reason = f"Durée de conservation échue ({periods.erase_after_years} ans après la clôture)"
    with places() as where:
        for household in todo.erase:
            if _attempt(run, household.household_id, _erasing(app, where, household, reason)):
                run.erased.append(household.household_id)
    return run


def _archiving(app: AspeApplication, case_id: UUID) -> Callable[[], object]:
    once: dict[str, Any] = {"idempotency_key": f"archive:{case_id}"}  # @command takes it off
    return lambda: app.archive(case_id, **once)


def _erasing(
    app: AspeApplication, places: Places, household: ToErase, reason: str
) -> Callable[[], object]:
    ground = ErasureGround.RETENTION_PERIOD
    return lambda: erase_household(app, places, household.household_id, ground, reason)


def _attempt(run: RetentionRun, subject: UUID, action: Callable[[], object]) -> bool:
    try:
        action()
    except DomainError as refusal:
        log.warning("retention: %s refused with %s: %s", subject, refusal.code, refusal)
        run.refused[subject] = refusal.code
        return False
    return True
