"""The regulatory clocks: the non-collaboration detector (R7), completion of ended measures,
reminders before a measure ends, the weekly compliance digest (R4), and beat's schedule.

Each test moves the frozen clock to the day it runs a clock on; nothing sleeps. On SQLite
the clocks catch their read models up themselves; on PostgreSQL a projection runner follows
the store in a thread, as ``aspe projections run`` does, and the clocks wait for it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time, timedelta
from uuid import UUID

import pytest
from celery.schedules import crontab

from aspe import french
from aspe.bootstrap import build_celery, build_clocks
from aspe.demo.scenarios import CaseStory
from aspe.domain.actors import Role
from aspe.domain.local_time import PARIS
from aspe.domain.values import (
    ContactChannel,
    MeasureType,
    Status,
    SuspensionReason,
    Theme,
    VisitKind,
)
from aspe.settings import Environment, Settings
from aspe.workers import clocks as clock_tasks
from aspe.workers.app import AspeCelery
from aspe.workers.clocks import Clocks
from aspe.workers.messages import Message
from aspe.workers.schedule import beat_schedule

START = date(2026, 3, 2)  # the frozen clock's Monday (ISO week 10): measures start on it


def day(n: int) -> date:
    return START + timedelta(days=n)


@pytest.fixture
def postgres_settings(new_postgres_settings: Callable[[], Settings]) -> Settings:
    """A schema of its own per test: the clocks look at every measure of the store."""
    return new_postgres_settings()


def on(world, when: date) -> None:
    world.clock.set_day(when)


def contact(world, case_id: UUID, when: date) -> None:
    on(world, when)
    with world.acting(world.referent):
        world.app.record_contact(case_id, when, ContactChannel.PHONE, True)


def home_visit(world, case_id: UUID, when: date, referent=None) -> None:
    on(world, when)
    with world.acting(referent or world.referent):
        world.app.record_visit(case_id, when, VisitKind.HOME, [Theme.HOUSING], "Porte close ?")


def count(world, case_id: UUID, event_name: str) -> int:
    return world.event_names(case_id).count(event_name)


# ------------------------------------------------------------------ detector (R7)
def test_a_measure_silent_for_13_days_raises_no_alert(world, story, clocks):
    case_id = story().walk_to(Status.ACTIVE)
    on(world, day(14))

    run = clocks.detect_non_collaboration()

    assert run.done == []
    assert count(world, case_id, "NonCollaborationAlertRaised") == 0


def test_a_measure_silent_for_14_days_raises_one_alert_as_the_platform(world, story, clocks):
    case_id = story().walk_to(Status.ACTIVE)
    on(world, day(15))

    run = clocks.detect_non_collaboration()

    assert run.done == [case_id]
    alert = world.last_event(case_id)
    assert type(alert).__name__ == "NonCollaborationAlertRaised"
    assert (alert.silent_since, alert.silent_days, alert.raised_on) == (START, 14, day(15))
    assert alert.actor_role is Role.SYSTEM


def test_a_second_run_the_same_day_raises_nothing_more(world, story, clocks):
    case_id = story().walk_to(Status.ACTIVE)
    on(world, day(15))
    clocks.detect_non_collaboration()

    run = clocks.detect_non_collaboration()

    assert (run.done, run.refused, run.lost) == ([], {}, [])
    assert count(world, case_id, "NonCollaborationAlertRaised") == 1


def test_a_run_deciding_from_a_view_behind_the_alert_raises_it_no_second_time(
    world, story, clocks, monkeypatch
):
    case_id = story().walk_to(Status.ACTIVE)
    on(world, day(15))
    clocks.detect_non_collaboration()
    monkeypatch.setattr(clocks, "_view", lambda name: clocks.projector.model(name).view)

    clocks.detect_non_collaboration()  # its view may not hold the first run's alert yet

    assert count(world, case_id, "NonCollaborationAlertRaised") == 1


def test_a_contact_then_14_new_silent_days_raise_a_second_alert(world, story, clocks):
    case_id = story().walk_to(Status.ACTIVE)
    on(world, day(15))
    clocks.detect_non_collaboration()
    contact(world, case_id, day(16))

    on(world, day(30))
    thirteen_days_later = clocks.detect_non_collaboration()
    on(world, day(31))
    fourteen_days_later = clocks.detect_non_collaboration()

    assert (thirteen_days_later.done, fourteen_days_later.done) == ([], [case_id])
    assert count(world, case_id, "NonCollaborationAlertRaised") == 2
    assert world.last_event(case_id).silent_since == day(16)


def test_a_suspended_clock_raises_nothing(world, story, clocks):
    case_id = story().walk_to(Status.ACTIVE)
    with world.acting(world.referent):
        world.app.suspend_alert_clock(case_id, day(1), day(10), SuspensionReason.HOSPITALISATION)
    on(world, day(15))

    run = clocks.detect_non_collaboration()

    assert run.done == []
    assert count(world, case_id, "NonCollaborationAlertRaised") == 0


def test_only_the_silent_measure_is_alerted(world, story, clocks):
    silent = story().walk_to(Status.ACTIVE)
    heard = story().walk_to(Status.ACTIVE)
    contact(world, heard, day(3))
    on(world, day(15))

    run = clocks.detect_non_collaboration()

    assert run.done == [silent]


# ------------------------------------------------------------ completion (R5, R6)
def ends_on(world, case_id: UUID) -> date:
    end = world.app.get_case(case_id).ends_on
    assert end is not None
    return end


def test_a_measure_is_not_completed_before_its_end_date(world, story, clocks):
    case_id = story().walk_to(Status.ACTIVE)
    on(world, ends_on(world, case_id) - timedelta(days=1))

    run = clocks.complete_ended_measures()

    assert run.done == []
    assert world.app.get_case(case_id).status is Status.ACTIVE


def test_a_measure_is_completed_once_when_its_end_date_has_come(world, story, clocks):
    case_id = story().walk_to(Status.ACTIVE)
    on(world, ends_on(world, case_id))

    first = clocks.complete_ended_measures()
    second = clocks.complete_ended_measures()
    on(world, ends_on(world, case_id) + timedelta(days=3))
    later = clocks.complete_ended_measures()

    assert (first.done, second.done, later.done) == ([case_id], [], [])
    assert world.app.get_case(case_id).status is Status.COMPLETED
    assert count(world, case_id, "MeasureCompleted") == 1
    assert world.last_event(case_id).actor_role is Role.SYSTEM


def test_a_measure_stopped_before_its_end_is_not_completed(world, story, clocks):
    case_id = story().walk_to(Status.STOPPED)
    on(world, START + timedelta(days=400))

    run = clocks.complete_ended_measures()

    assert (run.done, count(world, case_id, "MeasureCompleted")) == ([], 0)


# ------------------------------------------------------------------- reminders
def reminders_of(clocks: Clocks, case_id: UUID) -> list[Message]:
    return [m for m in clocks.measure_end_reminders() if m.case_id == case_id]


def test_no_reminder_before_the_delay(world, story, clocks):
    case_id = story().walk_to(Status.ACTIVE)
    on(world, ends_on(world, case_id) - timedelta(days=31))

    assert reminders_of(clocks, case_id) == []


def test_the_referent_alone_is_reminded_n_days_before_the_end(world, story, clocks, settings):
    case_id = story().walk_to(Status.ACTIVE)
    end = ends_on(world, case_id)
    on(world, end - timedelta(days=settings.reminder_days_before_end))

    (reminder,) = reminders_of(clocks, case_id)

    referent = world.referent
    assert reminder.key == f"reminder:{case_id}:{end.isoformat()}:{referent.actor.id}"
    assert (reminder.recipient.account_id, reminder.recipient.email) == (
        referent.actor.id,
        referent.email,
    )
    assert reminder.subject == f"Fin de mesure le {french.day(end)} : Ménage Durand"
    assert f"prend fin le {french.day(end)}, dans 30 jours" in reminder.body
    assert reminder.body.startswith("Bonjour Claire Martin,")


def test_a_reminder_missed_by_beat_is_made_up_under_the_same_key(world, story, clocks):
    case_id = story().walk_to(Status.ACTIVE)
    end = ends_on(world, case_id)
    on(world, end - timedelta(days=30))
    (first,) = reminders_of(clocks, case_id)

    on(world, end - timedelta(days=29))
    (next_day,) = reminders_of(clocks, case_id)

    assert next_day.key == first.key  # delivered once, by the delivery key
    on(world, end)
    assert reminders_of(clocks, case_id) == []


# --------------------------------------------------------- weekly digest (R4)
def new_case(world, name: str, referent=None, kind=MeasureType.SIMPLE) -> UUID:
    story = CaseStory(
        world.departement, referent or world.referent, world.new_household(name), measure_type=kind
    )
    return story.walk_to(Status.ACTIVE)


def test_the_digest_lists_only_the_referents_measures_below_cadence(world, clocks):
    kept = new_case(world, "Ménage Aubert")
    new_case(world, "Ménage Bernard")
    reinforced = new_case(world, "Ménage Chevalier", kind=MeasureType.REINFORCED)
    pauls = new_case(world, "Ménage Dupont", referent=world.second_referent)
    home_visit(world, kept, day(2))
    home_visit(world, reinforced, day(3))
    home_visit(world, pauls, day(11), referent=world.second_referent)  # the week after
    on(world, day(7))  # Monday of week 11

    digests = {m.recipient.account_id: m for m in clocks.compliance_digests()}

    claire, paul = world.referent.actor.id, world.second_referent.actor.id
    assert set(digests) == {claire, paul}
    assert digests[claire].key == f"digest:2026-W10:{claire}"
    assert digests[claire].subject == (
        "Semaine du 2 mars 2026 : 2 mesures en dessous du rythme de visites"
    )
    body = digests[claire].body
    assert "Ménage Bernard (mesure simple" in body
    assert "Ménage Chevalier (mesure renforcée" in body
    assert "1 visite sur 3 requises, dont 1 à domicile sur 2" in body
    assert "Aubert" not in body
    assert "Dupont" not in body
    assert "Ménage Dupont (mesure simple" in digests[paul].body
    assert "Bernard" not in digests[paul].body


def test_no_digest_when_every_measure_kept_its_cadence(world, clocks):
    kept = new_case(world, "Ménage Aubert")
    home_visit(world, kept, day(4))
    on(world, day(9))  # Wednesday of week 11: the digest looks at week 10

    assert clocks.compliance_digests() == []


# ---------------------------------------------------------------- Celery
def test_beat_runs_the_clocks_at_the_configured_times():
    settings = Settings(
        env=Environment.TEST,
        completion_at="02:10",
        detector_at="05:45",
        reminders_at="08:00",
        digest_day="friday",
        digest_at="16:30",
        retention_at="01:15",
    )

    schedule = beat_schedule(settings)

    assert {name: (entry["task"], entry["schedule"]) for name, entry in schedule.items()} == {
        "complete-ended-measures": (clock_tasks.COMPLETION_TASK, crontab(hour=2, minute=10)),
        "detect-non-collaboration": (clock_tasks.DETECTOR_TASK, crontab(hour=5, minute=45)),
        "remind-measure-ends": (clock_tasks.REMINDER_TASK, crontab(hour=8, minute=0)),
        "apply-retention": (clock_tasks.RETENTION_TASK, crontab(hour=1, minute=15)),
        "send-compliance-digests": (
            clock_tasks.DIGEST_TASK,
            crontab(day_of_week="fri", hour=16, minute=30),
        ),
    }


def test_a_clock_time_that_is_no_time_of_day_is_refused():
    with pytest.raises(ValueError, match="detector_at"):
        Settings(env=Environment.TEST, detector_at="25:00")


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
def test_the_detector_task_runs_on_the_store_of_the_app_that_runs_it(world, story, settings):
    """The task builds its clocks from its Celery app's settings, on today's real date:
    long after the frozen Monday the measure started on, so its alert is due."""
    case_id = story().walk_to(Status.ACTIVE)
    detector = build_celery(settings).tasks[clock_tasks.DETECTOR_TASK]

    raised = detector.apply().get()
    again = detector.apply().get()

    assert (raised, again) == ([str(case_id)], [])
    assert count(world, case_id, "NonCollaborationAlertRaised") == 1


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
def test_a_worker_process_builds_its_clocks_once_for_every_clock_task(world, story, settings):
    """The application and its read models are built by the process's composition root,
    once, not again on every run of a task."""
    built: list[object] = []

    def counted(settings: Settings) -> clock_tasks.Clocks:
        built.append(settings)
        return build_clocks(settings)

    celery = AspeCelery(settings, clocks=counted)
    for task in (clock_tasks.DETECTOR_TASK, clock_tasks.COMPLETION_TASK, clock_tasks.DETECTOR_TASK):
        celery.tasks[task].apply().get()

    assert built == [settings]


def test_a_worker_started_without_its_composition_root_says_how_to_start_it(settings):
    celery = AspeCelery(settings)

    with pytest.raises(RuntimeError, match="aspe worker"):
        celery.clocks()


# ------------------------------------------------------------- the Paris day
def test_a_measure_ending_today_in_paris_is_completed_at_half_past_midnight(world, story, clocks):
    # given a measure ending on day E, and 00:30 on E in Paris (still E - 1 in UTC)
    case_id = story().walk_to(Status.ACTIVE)
    end = ends_on(world, case_id)
    world.clock.set_day(end - timedelta(days=1), at=time(23, 30))
    assert world.clock.now.astimezone(PARIS).date() == end

    # when the clock runs
    run = clocks.complete_ended_measures()

    # then the measure is completed: its end date has come where the people are
    assert run.done == [case_id]
    assert world.app.get_case(case_id).status is Status.COMPLETED


def test_the_digest_at_half_past_midnight_on_monday_in_paris_is_about_the_week_just_ended(
    world, clocks
):
    # given a measure without visits in week 10, and 00:30 on the Monday of week 11 in
    # Paris (still Sunday in UTC)
    new_case(world, "Ménage Bernard")
    world.clock.set_day(day(6), at=time(23, 30))

    # when the digest is made
    (digest,) = clocks.compliance_digests()

    # then it is about week 10, which has just ended in Paris
    assert digest.subject.startswith("Semaine du 2 mars 2026 :")
    assert "Ménage Bernard" in digest.body


def test_a_letter_left_unanswered_does_not_hold_off_the_alert(world, story, clocks):
    # given an active measure whose only contact is a letter the household did not answer
    case_id = story().walk_to(Status.ACTIVE)
    on(world, day(7))
    with world.acting(world.referent):
        world.app.record_contact(case_id, day(7), ContactChannel.LETTER, False, (), "", False)
    on(world, day(15))

    # when the detector runs on day 15
    run = clocks.detect_non_collaboration()

    # then the 14 silent days since the start raise the alert (R7: "sans contacts du ménage")
    assert run.done == [case_id]
