"""Retention: a closed case is archived after ``ASPE_ARCHIVE_AFTER_MONTHS``, its household
erased after ``ASPE_ERASE_AFTER_YEARS`` unless held; by the daily clock and by ``aspe
retention run``, each action an event of the platform.

Each test moves the frozen clock to the day it runs retention on; nothing sleeps.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date, timedelta
from uuid import UUID

import pytest
from typer.testing import CliRunner

from aspe.application import AspeApplication
from aspe.bootstrap import build_celery
from aspe.cli import app as cli
from aspe.demo.scenarios import ADMIN
from aspe.domain.actors import Role
from aspe.domain.errors import InvalidTransition
from aspe.domain.household import Household
from aspe.domain.rules import add_months
from aspe.domain.values import DocumentKind, ErasureGround, Status, StopReason
from aspe.french.labels import ERASED_HOUSEHOLD
from aspe.settings import Settings
from aspe.workers import clocks as clock_tasks
from tests.workers.conftest import settings_env

START = date(2026, 3, 2)
LONG_AGO = date(2019, 1, 7)
"""Years before the real today, for what runs on the real date (the task, the command)."""


@pytest.fixture
def postgres_settings(new_postgres_settings: Callable[[], Settings]) -> Settings:
    """A schema of its own per test: retention looks at every case of the store."""
    return new_postgres_settings()


def stopped_case(world, story) -> tuple[UUID, UUID]:
    """A measure stopped on the clock's day (``START`` unless moved): its case closed then."""
    case = story()
    case_id = case.walk_to(Status.ACTIVE)
    with world.acting(world.commission):
        world.app.stop_measure(case_id, StopReason.HOUSEHOLD_MOVED)
    return case.household_id, case_id


def on(world, day: date) -> None:
    world.clock.set_day(day)


def names(world, aggregate_id: UUID) -> list[str]:
    return world.event_names(aggregate_id)


# ------------------------------------------------------------------------- archiving
def test_a_closed_case_is_archived_24_months_after_it_closed_not_a_day_before(world, story, clocks):
    # given a case closed on START
    _, case_id = stopped_case(world, story)

    # when retention runs the day before its 24 months, then on the day
    on(world, add_months(START, 24) - timedelta(days=1))
    early = clocks.apply_retention()
    on(world, add_months(START, 24))
    due = clocks.apply_retention()
    again = clocks.apply_retention()

    # then it is archived once, on the day, by the platform
    assert (early.archived, due.archived, again.archived) == ([], [case_id], [])
    archived = world.last_event(case_id)
    assert type(archived).__name__ == "Archived"
    assert (archived.archived_on, archived.actor_role) == (add_months(START, 24), Role.SYSTEM)


def test_no_one_acts_on_an_archived_case(world, story, clocks):
    _, case_id = stopped_case(world, story)
    on(world, add_months(START, 24))
    clocks.apply_retention()

    with pytest.raises(InvalidTransition, match="archivé"), world.acting(world.referent):
        world.app.attach_document(
            case_id, DocumentKind.OTHER, "note.pdf", "application/pdf", 9, "a" * 64
        )


def test_an_open_case_is_never_archived(world, story, clocks):
    case_id = story().walk_to(Status.ACTIVE)
    on(world, add_months(START, 60))

    run = clocks.apply_retention()

    assert case_id not in run.archived
    assert "Archived" not in names(world, case_id)


# -------------------------------------------------------------------------- erasure
def test_a_household_is_erased_5_years_after_its_last_case_closed(world, story, clocks):
    household_id, case_id = stopped_case(world, story)

    on(world, add_months(START, 60) - timedelta(days=1))
    early = clocks.apply_retention()
    on(world, add_months(START, 60))
    due = clocks.apply_retention()

    assert (early.erased, due.erased) == ([], [household_id])
    erased = world.last_event(household_id)
    assert type(erased).__name__ == "Erased"
    assert (erased.ground, erased.actor_role) == (ErasureGround.RETENTION_PERIOD, Role.SYSTEM)
    assert erased.case_ids == [case_id]
    other = AspeApplication(env=clocks.settings.eventsourcing_env())  # nothing cached
    try:
        assert other.load(Household, household_id).name == ERASED_HOUSEHOLD
    finally:
        other.close()


def test_a_legal_hold_keeps_the_household_until_it_is_lifted(world, story, clocks):
    household_id, _ = stopped_case(world, story)
    with world.acting(ADMIN):
        world.app.set_legal_hold(household_id, "Contentieux en cours, réf. TJ 26/123")
    on(world, add_months(START, 72))

    held = clocks.apply_retention()
    with world.acting(ADMIN):
        world.app.lift_legal_hold(household_id)
    lifted = clocks.apply_retention()

    assert (held.erased, lifted.erased) == ([], [household_id])


def test_a_household_with_an_open_case_is_never_erased(world, story, clocks):
    household_id, _ = stopped_case(world, story)
    on(world, add_months(START, 60))
    with world.acting(world.referent):
        world.app.open_case(household_id, world.referent.actor.id)  # a new case, open

    run = clocks.apply_retention()

    assert household_id not in run.erased
    assert "Erased" not in names(world, household_id)


# ----------------------------------------------------------------- task and command
@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
def test_the_retention_task_runs_on_the_store_of_the_app_that_runs_it(world, story, settings):
    """On today's real date: a case closed in 2019 and its household are both due."""
    on(world, LONG_AGO)
    household_id, case_id = stopped_case(world, story)
    task = build_celery(settings).tasks[clock_tasks.RETENTION_TASK]

    done = task.apply().get()

    assert set(done) == {str(case_id), str(household_id)}
    assert "Erased" in names(world, household_id)


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
def test_a_dry_run_lists_what_is_due_and_does_nothing(world, story, settings):
    on(world, LONG_AGO)
    household_id, case_id = stopped_case(world, story)
    env = {**os.environ, **settings_env(settings)}

    result = CliRunner().invoke(cli, ["retention", "run", "--dry-run"], env=env)

    assert result.exit_code == 0, result.output
    assert "archiver" in result.output
    assert "effacer" in result.output
    assert str(case_id)[:8] in result.output
    assert str(household_id)[:8] in result.output
    assert "Archived" not in names(world, case_id)
    assert "Erased" not in names(world, household_id)
