"""Replaying a case's stored events rebuilds exactly the case its commands built in memory.

Hypothesis drives one case through random sequences of commands that are valid for its
current status, as the party allowed to run each, while a frozen clock moves forward by
random days. The live aggregate the commands mutated is the reference: a fold of the
stored events from scratch, a load through the repository (automatic snapshots every 50
versions), and loads through snapshots taken at random versions must all give back its
state, version by version. Folding runs outside ``acting_as``, so an apply method that
read the clock or the actor would fail here too.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, target
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from aspe.application import AspeApplication
from aspe.demo.scenarios import CaseStory, household_actor
from aspe.domain.actors import SYSTEM_ACTOR, Actor, acting_as
from aspe.domain.audited import AuditedAggregate
from aspe.domain.bounds import InputBounds
from aspe.domain.case import Case
from aspe.domain.catalogue import ACTIONS
from aspe.domain.household import Household
from aspe.domain.staff import Staff
from aspe.domain.values import (
    OPEN_STATUSES,
    AidRequest,
    Commitment,
    ConsentScope,
    ContactChannel,
    Finding,
    MeasureType,
    Objective,
    ObjectiveProgress,
    Participant,
    Party,
    Signatory,
    Status,
    Step,
    StopReason,
    SuspensionReason,
    Theme,
    VisitKind,
)

MAX_COMMANDS = 130
"""Long enough for some sequences to cross one or two automatic snapshots."""

PRINTABLE = st.characters(blacklist_categories=("Cc", "Cs"))
"""What a command accepts in a text (control characters are refused before anything is
stored: tests/security/test_input_bounds.py)."""
TEXT = st.text(PRINTABLE, max_size=12).filter(str.strip)
PLAUSIBLE_YEARS = 3
"""How far from the case's today a drawn date lies: within what a command accepts
(ASPE_DATE_WINDOW_*), however far the clock moved during the example."""
DAYS_AHEAD = st.integers(0, 12) | st.sampled_from([30, 95])
MONEY = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999"), places=2)
OBJECTIVE_IDS = ("obj-a", "obj-b", "obj-c")
OFFSETS = st.integers(-12 * 60, 14 * 60).map(lambda minutes: timezone(timedelta(minutes=minutes)))


@st.composite
def objectives(draw: st.DrawFn) -> Objective:
    theme = draw(st.sampled_from(Theme))
    action = draw(st.none() | st.sampled_from(sorted(ACTIONS[theme])))
    return Objective(draw(st.sampled_from(OBJECTIVE_IDS)), theme, draw(TEXT), action)


@st.composite
def commitments(draw: st.DrawFn) -> list[Commitment]:
    parties = [Party.HOUSEHOLD, Party.REFERENT, *draw(st.lists(st.sampled_from(Party), max_size=2))]
    return [Commitment(party, draw(TEXT)) for party in parties]


def state(aggregate: AuditedAggregate) -> dict[str, Any]:
    """What an aggregate is, beyond the events it has not yet saved."""
    return {name: value for name, value in vars(aggregate).items() if name != "_pending_events"}


@dataclass
class LiveCase:
    """The case and household as the commands left them in memory, saved after each one.

    ``history`` holds a deep copy of the case's state at each saved version; ``triggered``
    the case's events as they were triggered. A command the domain refuses fails the test:
    the strategies draw only commands valid for the current state.
    """

    world: Any
    case: Case
    household: Household
    data: st.DataObject
    history: dict[int, dict[str, Any]] = field(default_factory=dict)
    triggered: list[Any] = field(default_factory=list)

    @property
    def app(self) -> AspeApplication:
        return self.world.app

    @property
    def today(self) -> date:
        return self.world.clock.today()

    def draw(self, strategy: st.SearchStrategy[Any]) -> Any:
        return self.data.draw(strategy)

    def run(self, actor: Actor, command: Callable[[], object]) -> None:
        with acting_as(actor, clock=self.world.clock):
            command()
        self.save()

    def save(self) -> None:
        recordings = self.app.save(self.case, self.household)
        self.triggered += [
            r.domain_event for r in recordings if r.domain_event.originator_id == self.case.id
        ]
        self.history[self.case.version] = copy.deepcopy(state(self.case))

    def association(self) -> Actor:
        referent = next(
            account.actor
            for account in self.world.association.referents
            if account.actor.id == self.case.referent_id
        )
        return self.draw(st.sampled_from([referent, self.world.manager.actor]))

    def household_or_association(self) -> Actor:
        return self.draw(st.sampled_from([household_actor(self.household.id), self.association()]))

    def day_since_start(self) -> date:
        assert self.case.starts_on is not None
        return self.today - timedelta(
            self.draw(st.integers(0, (self.today - self.case.starts_on).days))
        )

    def plausible_day(self) -> date:
        return self.today + timedelta(
            self.draw(st.integers(-365 * PLAUSIBLE_YEARS, 365 * PLAUSIBLE_YEARS))
        )

    def plausible_instant(self) -> datetime:
        time_of_day = self.draw(st.times())
        return datetime.combine(self.plausible_day(), time_of_day, tzinfo=self.draw(OFFSETS))

    def nearby_day(self) -> date:
        return self.today + timedelta(self.draw(st.integers(-40, 40)))


Precondition = Callable[[LiveCase], bool]
COMMANDS: dict[str, tuple[Precondition, Callable[[LiveCase], None], int]] = {}


def command(when: Precondition, weight: int = 3) -> Callable[[Callable[[LiveCase], None]], Any]:
    """Register a command valid when ``when`` holds; ``weight`` is how often it is drawn."""

    def register(run: Callable[[LiveCase], None]) -> Callable[[LiveCase], None]:
        COMMANDS[run.__name__] = (when, run, weight)
        return run

    return register


def status_in(*statuses: Status) -> Precondition:
    return lambda live: live.case.status in statuses


OPEN = status_in(*OPEN_STATUSES)
ACTIVE = status_in(Status.ACTIVE)
GRANTED_OR_ACTIVE = status_in(Status.GRANTED, Status.ACTIVE)


# ----------------------------------------------------------------- the diagnostic and request
@command(status_in(Status.DIAGNOSTIC), weight=2)
def record_diagnostic(live: LiveCase) -> None:
    findings = live.draw(
        st.lists(st.builds(Finding, st.sampled_from(Theme), TEXT), min_size=1, max_size=3)
    )
    chosen = live.draw(st.lists(objectives(), max_size=3))
    live.run(live.association(), lambda: live.case.record_diagnostic(findings, chosen))


@command(
    lambda live: live.case.status is Status.DIAGNOSTIC and live.case.diagnosed_on is not None,
    weight=6,
)
def submit_request(live: LiveCase) -> None:
    aid = live.draw(st.builds(AidRequest, MONEY, MONEY | st.just(Decimal("0")), MONEY))
    measure = live.draw(st.sampled_from(MeasureType))
    months = live.draw(st.integers(1, 24))
    live.run(
        live.association(), lambda: live.case.submit_request(aid, measure, months, live.household)
    )


@command(status_in(Status.SUBMITTED, Status.ADJOURNED), weight=6)
def register_request(live: LiveCase) -> None:
    session = live.today + timedelta(live.draw(st.integers(0, 60)))
    live.run(live.world.spslh.actor, lambda: live.case.register_request(session))


@command(status_in(Status.REGISTERED), weight=2)
def adjourn_request(live: LiveCase) -> None:
    live.run(live.world.commission.actor, lambda: live.case.adjourn_request(live.draw(TEXT)))


@command(status_in(Status.REGISTERED), weight=1)
def reject_request(live: LiveCase) -> None:
    reason = live.draw(TEXT)
    live.run(live.world.commission.actor, lambda: live.case.reject_request(reason, live.household))


@command(status_in(Status.REGISTERED), weight=6)
def grant_measure(live: LiveCase) -> None:
    measure = live.draw(st.sampled_from(MeasureType))
    probation = live.draw(st.integers(0, 12))
    duration = live.draw(st.integers(max(1, probation), 24))
    aid = live.draw(MONEY | st.just(Decimal("0")))
    live.run(
        live.world.commission.actor,
        lambda: live.case.grant_measure(measure, duration, probation, aid, live.household),
    )


@command(
    lambda live: (
        live.case.status in (Status.GRANTED, Status.REJECTED)
        and live.case.decision_notified_on is None
    )
)
def notify_decision(live: LiveCase) -> None:
    actor = live.draw(st.sampled_from([live.world.commission.actor, live.world.spslh.actor]))
    live.run(actor, live.case.notify_decision)


# ------------------------------------------------------------------------------ the CEOP
def _ceop_content(live: LiveCase) -> tuple[list[Objective], list[Step], list[Commitment]]:
    chosen = live.draw(st.lists(objectives(), min_size=1, max_size=3))
    steps = [
        Step(live.draw(TEXT), None if live.draw(st.booleans()) else live.plausible_day())
        for _ in range(live.draw(st.integers(0, 2)))
    ]
    return chosen, steps, live.draw(commitments())


@command(
    lambda live: live.case.status is Status.GRANTED and live.case.decision_notified_on is not None,
    weight=6,
)
def draft_ceop(live: LiveCase) -> None:
    content = _ceop_content(live)
    live.run(live.association(), lambda: live.case.draft_ceop(*content))


@command(ACTIVE, weight=2)
def amend_ceop(live: LiveCase) -> None:
    content = _ceop_content(live)
    live.run(live.association(), lambda: live.case.amend_ceop(*content))


def _unsigned(live: LiveCase) -> list[Signatory]:
    return [s for s in live.case.ceop_required if s.value not in live.case.ceop_signatures]


@command(
    lambda live: (
        live.case.status in (Status.GRANTED, Status.ACTIVE)
        and live.case.ceop_awaiting_signatures
        and bool(_unsigned(live))
    ),
    weight=8,
)
def record_ceop_signature(live: LiveCase) -> None:
    signatory = live.draw(st.sampled_from(_unsigned(live)))
    signers = {
        Signatory.HOUSEHOLD: live.household_or_association,
        Signatory.REFERENT: live.association,
        Signatory.LANDLORD: lambda: live.draw(
            st.sampled_from([live.world.landlord.actor, live.association()])
        ),
    }
    drafted_on = live.case.ceop_drafted_on or live.today
    earliest = max(0, min(3, (live.today - drafted_on).days))
    signed_on = live.today - timedelta(live.draw(st.integers(0, earliest)))
    actor = signers[signatory]()
    live.run(actor, lambda: live.case.record_ceop_signature(signatory, signed_on))


@command(
    lambda live: (
        live.case.status is Status.ACTIVE
        and live.case.ceop_transmitted_version < live.case.ceop_signed_version
    )
)
def transmit_ceop(live: LiveCase) -> None:
    live.run(live.association(), live.case.transmit_ceop)


@command(ACTIVE)
def record_objective_progress(live: LiveCase) -> None:
    objective = live.draw(st.sampled_from([o.id for o in live.case.ceop_objectives]))
    progress = live.draw(st.sampled_from(ObjectiveProgress))
    note = live.draw(st.text(PRINTABLE, max_size=8))
    live.run(
        live.association(), lambda: live.case.record_objective_progress(objective, progress, note)
    )


# ------------------------------------------------------------------- visits and contacts
@command(ACTIVE)
def schedule_visit(live: LiveCase) -> None:
    planned_at = live.plausible_instant()  # what a person could plan; the domain refuses the rest
    kind = live.draw(st.sampled_from(VisitKind))
    live.run(live.association(), lambda: live.case.schedule_visit(planned_at, kind))


@command(ACTIVE, weight=5)
def record_visit(live: LiveCase) -> None:
    visit = live.draw(st.none() | st.sampled_from(sorted(live.case.scheduled_visits) or [None]))
    occurred_on = live.day_since_start()
    kind = live.draw(st.sampled_from(VisitKind))
    themes = live.draw(st.lists(st.sampled_from(Theme), max_size=3))
    present = live.draw(st.booleans())
    live.run(
        live.association(),
        lambda: live.case.record_visit(occurred_on, kind, themes, "note", present, visit),
    )


@command(lambda live: live.case.status is Status.ACTIVE and bool(live.case.scheduled_visits))
def record_missed_visit(live: LiveCase) -> None:
    visit = live.draw(st.sampled_from(sorted(live.case.scheduled_visits)))
    live.run(live.association(), lambda: live.case.record_missed_visit(visit, "absent"))


@command(ACTIVE, weight=5)
def record_contact(live: LiveCase) -> None:
    occurred_on = live.day_since_start()
    channel = live.draw(st.sampled_from(ContactChannel))
    by_household = live.draw(st.booleans())
    themes = live.draw(st.lists(st.sampled_from(Theme), max_size=2))
    live.run(
        live.association(),
        lambda: live.case.record_contact(occurred_on, channel, by_household, themes, "appel"),
    )


@command(ACTIVE, weight=2)
def suspend_alert_clock(live: LiveCase) -> None:
    starts_on = live.nearby_day()
    ends_on = starts_on + timedelta(live.draw(st.integers(0, 30)))
    reason = live.draw(st.sampled_from(SuspensionReason))
    live.run(
        live.association(),
        lambda: live.case.suspend_alert_clock(starts_on, ends_on, reason, "hospitalisation"),
    )


@command(lambda live: live.case.is_alert_due(live.today, live.app.rules), weight=6)
def raise_non_collaboration_alert(live: LiveCase) -> None:
    actor = live.draw(st.sampled_from([SYSTEM_ACTOR, live.association()]))
    live.run(actor, lambda: live.case.raise_non_collaboration_alert(live.today, live.app.rules))


# ------------------------------------------------------- consents, referent, concertations
@command(lambda live: ConsentScope.LANDLORD_DETAIL not in live.case.consents, weight=1)
def record_consent(live: LiveCase) -> None:
    actor = live.household_or_association()
    live.run(actor, lambda: live.case.record_consent(ConsentScope.LANDLORD_DETAIL))


@command(lambda live: ConsentScope.LANDLORD_DETAIL in live.case.consents, weight=1)
def withdraw_consent(live: LiveCase) -> None:
    actor = live.household_or_association()
    live.run(actor, lambda: live.case.withdraw_consent(ConsentScope.LANDLORD_DETAIL))


@command(OPEN, weight=1)
def assign_referent(live: LiveCase) -> None:
    others = [r for r in live.world.association.referents if r.actor.id != live.case.referent_id]
    referent = live.app.load(Staff, live.draw(st.sampled_from(others)).actor.id)
    live.run(live.world.manager.actor, lambda: live.case.assign_referent(referent, live.app.rules))


@command(GRANTED_OR_ACTIVE, weight=2)
def hold_concertation(live: LiveCase) -> None:
    held_on = live.today - timedelta(live.draw(st.integers(0, 10)))
    landlord = Participant("Bailleur", live.world.landlord_id)
    participants = live.draw(st.lists(st.builds(Participant, TEXT), max_size=2))
    live.run(
        live.association(),
        lambda: live.case.hold_concertation(held_on, "Dette", [landlord, *participants], "accord"),
    )


@command(status_in(Status.REGISTERED, Status.ADJOURNED, Status.GRANTED, Status.ACTIVE), weight=1)
def issue_commission_invitation(live: LiveCase) -> None:
    actor = live.draw(st.sampled_from([live.world.commission.actor, live.world.spslh.actor]))
    session = live.today + timedelta(live.draw(st.integers(0, 30)))
    live.run(actor, lambda: live.case.issue_commission_invitation(session, live.case.referent_id))


# ---------------------------------------------------------------------- debts and rent
@command(OPEN, weight=2)
def record_debt(live: LiveCase) -> None:
    amount = live.draw(MONEY)
    to_landlord = live.draw(st.booleans())
    live.run(live.association(), lambda: live.case.record_debt("EDF", amount, to_landlord))


@command(lambda live: GRANTED_OR_ACTIVE(live) and bool(live.case.debts), weight=2)
def agree_repayment_plan(live: LiveCase) -> None:
    debt = live.draw(st.sampled_from(sorted(live.case.debts)))
    monthly, first_due_on, months = (
        live.draw(MONEY),
        live.nearby_day(),
        live.draw(st.integers(1, 36)),
    )
    live.run(
        live.association(),
        lambda: live.case.agree_repayment_plan(debt, monthly, first_due_on, months),
    )


@command(GRANTED_OR_ACTIVE, weight=2)
def report_rent_payment(live: LiveCase) -> None:
    month = live.today - timedelta(live.draw(st.integers(0, 90)))
    due, paid = live.draw(MONEY), live.draw(MONEY | st.just(Decimal("0")))
    live.run(live.world.landlord.actor, lambda: live.case.report_rent_payment(month, due, paid))


# ------------------------------------------------------------------- end of the measure
def _months_left(live: LiveCase) -> int:
    """How much longer the measure may run: the bound counts extensions with the duration."""
    return InputBounds().max_measure_months - (live.case.duration_months or 0)


@command(lambda live: ACTIVE(live) and _months_left(live) > 0, weight=1)
def extend_measure(live: LiveCase) -> None:
    months = live.draw(st.integers(1, min(6, _months_left(live))))
    live.run(live.world.commission.actor, lambda: live.case.extend_measure(months, "Reprise"))


@command(GRANTED_OR_ACTIVE, weight=1)
def stop_measure(live: LiveCase) -> None:
    reason = live.draw(st.sampled_from(StopReason))
    live.run(
        live.world.commission.actor,
        lambda: live.case.stop_measure(reason, " relogé ", live.household),
    )


@command(
    lambda live: (
        live.case.status is Status.ACTIVE
        and live.case.ends_on is not None
        and live.today >= live.case.ends_on
    ),
    weight=4,
)
def complete_measure(live: LiveCase) -> None:
    actor = live.draw(st.sampled_from([SYSTEM_ACTOR, live.world.commission.actor]))
    live.run(actor, lambda: live.case.complete_measure(live.household))


@command(
    lambda live: (
        live.case.status in (Status.STOPPED, Status.COMPLETED) and live.case.final_report_on is None
    )
)
def submit_final_report(live: LiveCase) -> None:
    housed = live.draw(st.booleans())
    live.run(live.association(), lambda: live.case.submit_final_report(housed, "Bilan"))


# --------------------------------------------------------------------------- the property
def open_live_case(world: Any, data: st.DataObject) -> LiveCase:
    household_id = world.new_household("Ménage Aléatoire")
    household = world.app.load(Household, household_id)
    referent = world.app.load(Staff, world.referent.actor.id)
    with acting_as(world.referent.actor, clock=world.clock):
        case = Case.open(household, referent)
    live = LiveCase(world, case, household, data)
    live.save()
    return live


def is_finished(live: LiveCase) -> bool:
    """Closed, and nothing left but consents to toggle."""
    case = live.case
    if case.status is Status.REJECTED:
        return case.decision_notified_on is not None
    return case.status in (Status.STOPPED, Status.COMPLETED) and case.final_report_on is not None


def play_random_commands(live: LiveCase) -> None:
    for _ in range(live.draw(st.integers(1, MAX_COMMANDS))):
        if is_finished(live):
            return
        live.world.clock.now += timedelta(days=live.draw(DAYS_AHEAD))
        valid = [(name, weight) for name, (when, _, weight) in COMMANDS.items() if when(live)]
        if not valid:
            return
        name = live.draw(st.sampled_from([n for n, weight in valid for _ in range(weight)]))
        COMMANDS[name][1](live)


def check_fold_from_scratch(live: LiveCase) -> None:
    """Every stored event decodes to the event triggered, and folds to the live states."""
    stored = list(live.app.events.get(live.case.id))
    assert stored == live.triggered
    assert [event.originator_version for event in stored] == list(range(1, len(stored) + 1))
    folded: Any = None
    for event in stored:
        folded = event.mutate(folded)
        expected = live.history.get(event.originator_version)
        if expected is not None:
            assert state(folded) == expected, f"after {type(event).__qualname__}"
    assert state(folded) == state(live.case)


def check_repository_loads(live: LiveCase) -> None:
    """Through the repository: the head, a random past version, and fresh snapshots."""
    app, case_id, head = live.app, live.case.id, live.case.version
    assert app.repository.cache is None
    assert state(app.repository.get(case_id)) == state(live.case)
    assert state(app.repository.get(live.household.id)) == state(live.household)
    past = live.draw(st.sampled_from(sorted(live.history)))
    assert state(app.repository.get(case_id, version=past)) == live.history[past]

    interval = app.snapshotting_intervals[Case]
    snapshot_at = live.draw(st.integers(1, head).filter(lambda v: v % interval != 0))
    app.take_snapshot(case_id, version=snapshot_at)
    later = live.draw(st.sampled_from([v for v in sorted(live.history) if v >= snapshot_at]))
    assert state(app.repository.get(case_id, version=later)) == live.history[later]
    if head % interval != 0 and head != snapshot_at:
        app.take_snapshot(case_id)
    assert state(app.repository.get(case_id)) == state(live.case)


def automatic_snapshot_versions(app: AspeApplication, case_id: UUID) -> list[int]:
    assert app.snapshots is not None
    return [snapshot.originator_version for snapshot in app.snapshots.get(case_id)]


@pytest.fixture(params=["sqlite", "postgres"])
def settings(request):
    """Replays must come from the store itself, so this module's application caches nothing."""
    store_settings = request.getfixturevalue(f"{request.param}_settings")
    return store_settings.model_copy(update={"aggregate_cache_size": 0})


def test_replaying_stored_events_rebuilds_the_live_case(world, settings):
    examples = 20 if settings.uses_postgres else 45
    start = world.clock.now

    @hypothesis_settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def replay_matches_live_state(data: st.DataObject) -> None:
        world.clock.now = start
        live = open_live_case(world, data)
        play_random_commands(live)
        target(float(live.case.version), label="case version")
        check_fold_from_scratch(live)
        check_repository_loads(live)

    replay_matches_live_state()


def test_a_long_case_loads_through_its_automatic_snapshots_as_from_scratch(world):
    # given an active case with 130 contacts recorded through the application
    case_id = CaseStory(world.departement, world.referent, world.new_household()).walk_to(
        Status.ACTIVE
    )
    with world.departement.acting(world.referent.actor):
        for number in range(130):
            world.clock.now += timedelta(hours=1)
            world.app.record_contact(
                case_id,
                world.clock.today(),
                ContactChannel.PHONE,
                number % 2 == 0,
                (),
                f"n{number}",
            )
    # when it is loaded through the repository
    loaded = world.app.repository.get(case_id)
    # then it was snapshotted every 50 versions, and the load equals a fold from scratch
    assert world.app.snapshotting_intervals[Case] == 50
    assert automatic_snapshot_versions(world.app, case_id) == list(
        range(50, loaded.version + 1, 50)
    )
    folded: Any = None
    for event in world.app.events.get(case_id):
        folded = event.mutate(folded)
    assert state(loaded) == state(folded)
    assert loaded.contacts_recorded == 130


@pytest.mark.parametrize(
    "planned_at",
    [
        datetime(2026, 10, 20, 10, 0, tzinfo=ZoneInfo("Europe/Paris")),
        datetime(2026, 10, 25, 2, 30, tzinfo=ZoneInfo("Europe/Paris"), fold=1),
    ],
    ids=["summer-time-before-the-change", "second-02h30-of-the-change"],
)
def test_a_visit_planned_in_local_time_replays_to_the_same_planned_time(world, planned_at):
    # given an active case, live in memory
    case_id = CaseStory(world.departement, world.referent, world.new_household()).walk_to(
        Status.ACTIVE
    )
    live = world.app.get_case(case_id)
    # when a visit is planned at a local time of Paris, and the case is replayed
    with world.departement.acting(world.referent.actor):
        visit_id = live.schedule_visit(planned_at, VisitKind.HOME)
    world.app.save(live)
    replayed = world.app.repository.get(case_id)
    # then the replayed case plans it at the same time, and the same slot a week later
    live_time, replayed_time = live.scheduled_visits[visit_id], replayed.scheduled_visits[visit_id]
    assert replayed_time == live_time
    assert replayed_time + timedelta(days=7) == live_time + timedelta(days=7)
    assert state(replayed) == state(live)
