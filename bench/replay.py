"""Replay benchmark: a full rebuild of the read models against a raw read of the store, and
the lag of the read models behind the commands, on PostgreSQL.

In a schema of its own (dropped at the end unless ``--keep``):

1. generate a realistic store: a département through the application (``aspe.demo.scenarios``),
   then ``--cases`` cases driven as domain objects in memory on a simulated clock, opened
   over the years, each from diagnostic to its decision, CEOP and weekly visits, contacts,
   rent reports…, until about ``--events`` events in all; their events are written through
   the application's mapper and recorder, a few thousand per transaction;
2. raw baseline, in a child process: select every stored event in pages and decode it,
   under the rebuild's own GC thresholds (``_fewer_collections``), so both sides are equal;
   once more with Python's default GC first, for reference;
3. rebuild, in a child process: ``build_projector(...).rebuild()`` of every read model;
   events/s, ratio to raw, peak memory (the child's ``ru_maxrss``), time and own events/s
   per read model. Raw and rebuild blocks are interleaved (raw, rebuild, raw… ``--rounds``
   times, raw at both ends); each rebuild is compared to the mean of the raws around it;
4. lag: a projection runner follows in a child process (``Projector.follow``, PostgreSQL
   LISTEN/NOTIFY) while one client runs commands, first flat out for ``--rate-seconds``
   (the maximum rate), then at half that rate for ``--lag-seconds``. Lag: from a command's
   return to the commit that makes its event visible in the slowest read model.

Quick run: ``.venv/bin/python bench/replay.py --quick`` (about 40 s).
"""

from __future__ import annotations

import argparse
import bisect
import cProfile
import heapq
import multiprocessing
import random
import resource
import statistics
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from math import ceil
from typing import Any

import psycopg
from rich.console import Console
from rich.table import Table

from aspe.application import AspeApplication
from aspe.bootstrap import build_application, build_projector
from aspe.demo.scenarios import (
    STANDARD_COMMITMENTS,
    STANDARD_FINDINGS,
    STANDARD_OBJECTIVES,
    STANDARD_STEPS,
    Account,
    Association,
    CaseStory,
    Clock,
    Departement,
    household_actor,
)
from aspe.domain.actors import SYSTEM_ACTOR, Actor, acting_as
from aspe.domain.case import Case
from aspe.domain.household import Household
from aspe.domain.rules import add_months
from aspe.domain.staff import Staff
from aspe.domain.values import (
    Address,
    AidRequest,
    Commitment,
    ConsentScope,
    ContactChannel,
    LandlordCategory,
    MeasureType,
    ObjectiveProgress,
    Participant,
    Party,
    Signatory,
    Status,
    StopReason,
    SuspensionReason,
    Theme,
    VisitKind,
)
from aspe.projections import READ_MODELS
from aspe.projections.runner import _fewer_collections
from aspe.settings import Settings

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
END = date(2026, 1, 30)
"""The store's 'now': the last simulated day. Open cases were last worked on just before."""
MIN_YEARS = 2
REBUILD_TARGET = 20_000
RATIO_TARGET = 0.25
SINGLE_TARGET = 50_000
"""A single light read model's own events/s (its handlers, writes and reset) in a rebuild."""
QUICK = {
    "events": 20_000, "cases": 200, "rounds": 1, "lag_seconds": 5, "rate_seconds": 2,
    "lag_cases": 10,
}  # fmt: skip
"""``--quick``: a small store and one round, for ``make bench-quick`` (about a minute)."""
P50_TARGET = 0.100
P99_TARGET = 1.0
DAY = timedelta(days=1)
WEEK = timedelta(weeks=1)
CENT = Decimal("0.01")

NOTES = (
    "Appel de Mme D. : la CAF confirme le versement de l'APL à compter du mois prochain. "
    "Le dossier FSL est déposé, réponse attendue après la commission du 14. Elle souhaite "
    "être accompagnée pour écrire au bailleur au sujet de l'échéancier proposé.",
    "Visite au domicile en présence des deux adultes. Le budget du mois est tenu, le loyer "
    "courant a été payé le 5. La chaudière n'est toujours pas réparée : relance du bailleur "
    "à faire. Rendez-vous pris au CCAS pour l'aide à l'énergie.",
    "M. K. a reçu une proposition d'emploi en CDD de six mois. Point sur les charges et le "
    "reste à vivre ; l'accord de plan d'apurement peut être tenu. Orientation vers la PMI "
    "pour le suivi médical du plus jeune enfant, rendez-vous le 22.",
    "SMS du ménage : empêchement pour le rendez-vous de jeudi (enfant malade). Nouveau "
    "créneau proposé lundi à 14 h au bureau de l'association ; documents à apporter : avis "
    "d'imposition, trois derniers bulletins de salaire, attestation CAF.",
    "Entretien au bureau : tri des courriers en retard, deux relances d'huissier. Appel "
    "commun au bailleur pour confirmer le plan ; courrier à la Banque de France préparé.",
)
THEMES = (
    (Theme.BUDGET,),
    (Theme.HOUSING, Theme.MEDIATION),
    (Theme.EMPLOYMENT, Theme.HEALTH),
    (Theme.ADMINISTRATIVE,),
    (Theme.BUDGET, Theme.ADMINISTRATIVE),
)
SURNAMES = (
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
    "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier", "Dupont", "Lambert", "Bonnet",
    "François", "Martinez", "Diallo", "Benali", "Nguyen", "Traoré", "Haddad", "Kone", "Da Silva",
)  # fmt: skip
STREETS = ("rue des Lilas", "avenue Jean-Jaurès", "rue Paul-Bert", "cours Gambetta")
CITIES = (("69003", "Lyon"), ("69100", "Villeurbanne"), ("69200", "Vénissieux"))
STOP_REASONS = (
    StopReason.NON_COLLABORATION, StopReason.OBJECTIVES_MET, StopReason.HOUSEHOLD_MOVED,
    StopReason.HOUSEHOLD_REQUEST, StopReason.EVICTION,
)  # fmt: skip

FATES = {
    Status.REJECTED: 0.06,
    Status.DIAGNOSTIC: 0.06,  # still before the decision at the end (any early status)
    Status.STOPPED: 0.16,
    Status.COMPLETED: 0.42,
    Status.ACTIVE: 0.30,
}
"""Where cases stand at the end of the simulation (DIAGNOSTIC: somewhere before the decision)."""
SHORT_CASE_EVENTS = {Status.REJECTED: 10, Status.DIAGNOSTIC: 6}
MEASURE_OVERHEAD = 22
"""Events of a measure case besides its weeks: opening to CEOP transmitted, the end."""
WEEKLY_EVENTS = {MeasureType.SIMPLE: 2.3, MeasureType.REINFORCED: 5.0}
"""Events a week of measure makes on average (visits, contacts, rent, progress…)."""


# ------------------------------------------------------------------- the generated store
@dataclass
class Plan:
    """One case's script: where it ends, its measure, how many weeks of visits it has."""

    fate: Status
    measure_type: MeasureType
    weeks: int
    duration_months: int
    opens_on: date
    referent: int
    landlord: int
    name: str
    early_stage: Status = Status.DIAGNOSTIC
    adjourned: bool = False
    landlord_signs: bool = False
    silence_week: int | None = None
    suspension_week: int | None = None
    amend_week: int | None = None
    extension_months: int = 0
    handover_week: int | None = None


@dataclass
class Cast:
    """The parties of the département, as the generator acts for them."""

    departement: Departement
    spslh: Actor
    commission: Actor
    associations: list[Association]
    referents: list[tuple[Account, Staff, Association]]
    landlords: list[tuple[uuid.UUID, str, Actor]]


def build_cast(app: AspeApplication, clock: Clock, cases: int) -> Cast:
    """Associations, referents and landlords, through the application (scenarios)."""
    departement = Departement(app, clock)
    referents_per_association = 12
    associations = [
        departement.add_association(
            f"Association {n + 1}",
            [f"Référent {n + 1}-{r + 1}" for r in range(referents_per_association)],
        )
        for n in range(max(2, ceil(cases / 500)))
    ]
    landlords = []
    for n in range(max(3, min(40, cases // 250))):
        category = LandlordCategory.SOCIAL if n % 3 else LandlordCategory.PRIVATE
        name = f"{'Habitat' if n % 3 else 'SCI'} {SURNAMES[n % len(SURNAMES)]} {n + 1}"
        landlord_id, account = departement.add_landlord(name, category)
        landlords.append((landlord_id, name, account.actor))
    referents = [
        (account, app.load(Staff, account.actor.id), association)
        for association in associations
        for account in association.referents
    ]
    return Cast(
        departement,
        departement.spslh_agent.actor,
        departement.commission_member.actor,
        associations,
        referents,
        landlords,
    )


def make_plans(cast: Cast, events: int, cases: int, rng: random.Random) -> list[Plan]:
    """``cases`` scripts whose events add up to about ``events``, ending around ``END``."""
    fates = rng.choices(list(FATES), weights=list(FATES.values()), k=cases)
    short = sum(SHORT_CASE_EVENTS.get(fate, 0) for fate in fates)
    measures = [fate for fate in fates if fate not in SHORT_CASE_EVENTS]
    weights = [rng.uniform(0.4, 1.6) for _ in measures]
    per_weight = max(0, events - short) / max(1e-9, sum(weights))
    weights_iter = iter(weights)
    plans: list[Plan] = []
    for index, fate in enumerate(fates):
        measure_type = MeasureType.REINFORCED if rng.random() < 0.3 else MeasureType.SIMPLE
        weeks = 0
        if fate not in SHORT_CASE_EVENTS:
            budget = next(weights_iter) * per_weight - MEASURE_OVERHEAD
            weeks = max(2, round(budget / WEEKLY_EVENTS[measure_type]))
        plans.append(_plan(cast, index, fate, measure_type, weeks, rng))
    span = max(MIN_YEARS * 365, max(_span_days(plan) for plan in plans) + 30)
    start = END - timedelta(days=span)
    for plan in plans:
        days = _span_days(plan)
        if plan.fate in (Status.ACTIVE, Status.DIAGNOSTIC):
            plan.opens_on = END - timedelta(days=days + rng.randrange(3, 10))
        else:
            latest = max(0, span - days - 7)
            plan.opens_on = start + timedelta(days=rng.randrange(latest + 1))
    return plans


def _plan(
    cast: Cast, index: int, fate: Status, measure_type: MeasureType, weeks: int, rng: random.Random
) -> Plan:
    months = max(1, ceil(weeks / 4.35))
    extension = 0
    if fate is Status.COMPLETED and months > 6 and rng.random() < 0.08:
        extension = 3
    duration = months - extension
    if fate in (Status.ACTIVE, Status.STOPPED):
        duration = months + rng.randrange(1, 7)
    plan = Plan(
        fate=fate,
        measure_type=measure_type,
        weeks=weeks,
        duration_months=duration,
        opens_on=END,
        referent=rng.randrange(len(cast.referents)),
        landlord=rng.randrange(len(cast.landlords)),
        name=f"Ménage {SURNAMES[index % len(SURNAMES)]} {index + 1}",
        early_stage=rng.choice(
            (Status.DIAGNOSTIC, Status.SUBMITTED, Status.REGISTERED, Status.GRANTED)
        ),
        adjourned=rng.random() < 0.07,
        landlord_signs=rng.random() < 0.3,
        extension_months=extension,
    )
    if weeks >= 8:
        if fate is Status.ACTIVE and rng.random() < 0.08:  # silent until the end: alert open
            plan.silence_week = weeks - 2
        elif rng.random() < 0.15:
            plan.silence_week = rng.randrange(2, weeks - 4)
        if rng.random() < 0.06:
            plan.suspension_week = rng.randrange(2, weeks - 4)
        if rng.random() < 0.10:
            plan.amend_week = rng.randrange(4, weeks)
        if rng.random() < 0.04:
            plan.handover_week = rng.randrange(2, weeks)
    return plan


def _span_days(plan: Plan) -> int:
    """Days from opening to the last action, about: some 40 days to the CEOP's signature,
    the weeks of the measure, then the end and the final report."""
    if plan.fate in (Status.DIAGNOSTIC, Status.REJECTED):
        return 35
    if plan.fate is Status.ACTIVE:
        return 42 + plan.weeks * 7
    months = plan.duration_months + plan.extension_months
    weeks = plan.weeks if plan.fate is Status.STOPPED else ceil(months * 4.35)
    return 42 + weeks * 7 + 30


def working_time(day: date, rng: random.Random) -> datetime:
    """A moment of the working day ``day``."""
    return datetime(day.year, day.month, day.day, 8, tzinfo=UTC) + timedelta(
        minutes=rng.randrange(0, 10 * 60)
    )


def next_weekday(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7)


class Simulation:
    """Runs every case's script in time order on one clock; collects their events."""

    def __init__(self, cast: Cast, clock: Clock, rules: Any, rng: random.Random) -> None:
        self.cast = cast
        self.clock = clock
        self.rules = rules
        self.rng = rng
        self.pending: list[Any] = []
        self.statuses: Counter[str] = Counter()
        self.booked: dict[uuid.UUID, str] = {}
        """The visit each case has booked with the household, if any."""

    def at(self, day: date) -> datetime:
        """A moment of ``day``, never before the clock: a script's moments follow each other."""
        return max(
            working_time(day, self.rng),
            self.clock.now + timedelta(minutes=self.rng.randrange(1, 20)),
        )

    @contextmanager
    def acting(self, actor: Actor) -> Iterator[None]:
        with acting_as(actor, clock=self.clock):
            yield

    def emit(self, *aggregates: Any) -> None:
        for aggregate in aggregates:
            self.pending.extend(aggregate.collect_events())

    def run(self, plans: Sequence[Plan], flush: Callable[[list[Any]], None], chunk: int) -> None:
        """Pop the next moment any case acts, act, until every script is done."""
        queue: list[tuple[datetime, int, Iterator[datetime]]] = []
        for number, plan in enumerate(plans):
            queue.append((working_time(plan.opens_on, self.rng), number, self.case_life(plan)))
        heapq.heapify(queue)
        while queue:
            when, number, life = heapq.heappop(queue)
            assert when >= self.clock.now, "a script went back in time"
            self.clock.now = when
            following = next(life, None)
            if following is not None:
                heapq.heappush(queue, (following, number, life))
            if len(self.pending) >= chunk:
                flush(self.pending)
                self.pending = []
        if self.pending:
            flush(self.pending)
            self.pending = []

    # ------------------------------------------------------------------ one case's life
    def case_life(self, plan: Plan) -> Iterator[datetime]:
        """The case's script, then where it ended up counted."""
        opened: list[Case] = []
        yield from self._script(plan, opened)
        self.statuses[opened[0].status.name] += 1

    def _script(self, plan: Plan, opened: list[Case]) -> Iterator[datetime]:
        """From opening to the plan's fate, yielding the moment of each next action."""
        rng, cast = self.rng, self.cast
        account, staff, association = cast.referents[plan.referent]
        referent = account.actor
        landlord_id, landlord_name, landlord = cast.landlords[plan.landlord]
        today = self.clock.today
        street = rng.choice(STREETS)
        postcode, city = rng.choice(CITIES)

        with self.acting(referent):
            household = Household.register(
                landlord_id,
                Address(f"{rng.randrange(1, 120)} {street}", postcode, city),
                plan.name,
                f"06 {rng.randrange(10, 99)} {rng.randrange(10, 99)} {rng.randrange(10, 99)} 00",
                rng.randrange(1, 7),
            )
            self.emit(household)
            case = Case.open(household, staff)
            self.emit(case, household)
            opened.append(case)
        stage = plan.early_stage if plan.fate is Status.DIAGNOSTIC else None
        if stage is Status.DIAGNOSTIC:
            return

        yield self.at(today() + timedelta(days=rng.randrange(3, 11)))
        with self.acting(referent):
            case.record_diagnostic(STANDARD_FINDINGS, STANDARD_OBJECTIVES)
            if rng.random() < 0.4:
                case.record_consent(ConsentScope.LANDLORD_DETAIL)
            self.emit(case)

        yield self.at(today() + timedelta(days=rng.randrange(3, 15)))
        rent = Decimal(rng.randrange(380, 900))
        arrears = rent * rng.randrange(2, 9)
        with self.acting(referent):
            case.submit_request(
                AidRequest(min(arrears, Decimal(3000)), arrears, rent),
                plan.measure_type,
                max(plan.duration_months, 6),
                household,
            )
            self.emit(case)
        if stage is Status.SUBMITTED:
            return

        session = next_weekday(today() + WEEK, 3)
        yield self.at(today() + timedelta(days=rng.randrange(1, 4)))
        with self.acting(cast.spslh):
            case.register_request(session)
            if rng.random() < 0.2:
                case.issue_commission_invitation(session, case.referent_id)
            self.emit(case)
        if stage is Status.REGISTERED:
            return

        if plan.adjourned:
            yield self.at(session)
            with self.acting(cast.commission):
                case.adjourn_request("Pièces manquantes : avis d'imposition et quittances.")
                self.emit(case)
            session = session + 2 * WEEK
            yield self.at(today() + timedelta(days=rng.randrange(1, 5)))
            with self.acting(cast.spslh):
                case.register_request(session)
                self.emit(case)

        yield self.at(session)
        with self.acting(cast.commission):
            if plan.fate is Status.REJECTED:
                case.reject_request("Situation ne relevant pas du FPEL.", household)
            else:
                probation = min(6, plan.duration_months)
                aid = Decimal(rng.randrange(300, 2500))
                case.grant_measure(
                    plan.measure_type, plan.duration_months, probation, aid, household
                )
            case.notify_decision()
            self.emit(case, household)
        if plan.fate is Status.REJECTED or stage is Status.GRANTED:
            return

        if rng.random() < 0.5:
            with self.acting(referent):
                debt_id = case.record_debt(landlord_name, arrears, True)
                self.emit(case)
        else:
            debt_id = None

        commitments = (
            (*STANDARD_COMMITMENTS, Commitment(Party.LANDLORD, "Suspendre la procédure"))
            if plan.landlord_signs
            else STANDARD_COMMITMENTS
        )
        yield self.at(today() + timedelta(days=rng.randrange(2, 10)))
        with self.acting(referent):
            case.draft_ceop(STANDARD_OBJECTIVES, STANDARD_STEPS, commitments)
            if debt_id is not None and rng.random() < 0.8:
                first_due = add_months(today().replace(day=1), 1)
                case.agree_repayment_plan(debt_id, (arrears / 24).quantize(CENT), first_due, 24)
            self.emit(case)
        yield from self._signatures(case, household, referent, landlord, plan.landlord_signs)
        yield self.at(today() + timedelta(days=rng.randrange(1, 4)))
        with self.acting(referent):
            case.transmit_ceop()
            self.emit(case)

        assert case.starts_on is not None
        assert case.ends_on is not None
        weeks = plan.weeks
        if plan.fate is Status.COMPLETED:
            weeks = (case.ends_on - case.starts_on).days // 7 + 1
            if plan.extension_months:
                extended = add_months(case.ends_on, plan.extension_months)
                weeks = (extended - case.starts_on).days // 7 + 1
        silent: set[int] = set()
        if plan.silence_week is not None:
            silent = {plan.silence_week, plan.silence_week + 1, plan.silence_week + 2}
        suspended: set[int] = set()
        if plan.suspension_week is not None:
            suspended = {plan.suspension_week, plan.suspension_week + 1}
        monday = case.starts_on - timedelta(days=case.starts_on.weekday())
        for week in range(1, weeks + 1):
            monday += WEEK
            if plan.fate is Status.COMPLETED and monday >= case.ends_on:
                break
            if week == plan.suspension_week:
                yield self.at(monday)
                with self.acting(referent):
                    case.suspend_alert_clock(
                        monday, monday + 13 * DAY, SuspensionReason.HOSPITALISATION,
                        "Hospitalisation de Mme, retour prévu sous quinze jours.",
                    )  # fmt: skip
                    self.emit(case)
            if week == plan.handover_week:
                others = [r for r in cast.referents if r[2] is association and r[1] is not staff]
                account, staff, _ = rng.choice(others)
                yield self.at(monday)
                with self.acting(association.manager.actor):
                    case.assign_referent(staff, self.rules)
                    self.emit(case)
                referent = account.actor
            if week in silent or week in suspended:
                if week - 1 in silent and week + 1 not in silent:
                    yield self.at(monday + 2 * DAY)
                    if case.is_alert_due(today(), self.rules):
                        with self.acting(SYSTEM_ACTOR):
                            case.raise_non_collaboration_alert(today(), self.rules)
                            self.emit(case)
                continue
            yield from self._week(case, plan, referent, monday, week)
            if week == plan.amend_week:
                yield self.at(monday + 4 * DAY)
                with self.acting(referent):
                    case.amend_ceop(STANDARD_OBJECTIVES, STANDARD_STEPS, commitments)
                    self.emit(case)
                yield from self._signatures(
                    case, household, referent, landlord, plan.landlord_signs
                )
            if (
                plan.extension_months
                and case.ends_on is not None
                and monday + 5 * WEEK >= case.ends_on
                and case.duration_months == plan.duration_months
            ):
                yield self.at(next_weekday(monday, 3))
                with self.acting(cast.commission):
                    case.extend_measure(plan.extension_months, "Plan d'apurement à consolider.")
                    self.emit(case)

        if plan.fate is Status.ACTIVE:
            return
        if plan.fate is Status.STOPPED:
            yield self.at(next_weekday(today() + DAY, 3))
            with self.acting(cast.commission):
                reason = rng.choice(STOP_REASONS)
                case.stop_measure(reason, "Décision de la commission.", household)
                self.emit(case, household)
        else:
            assert case.ends_on is not None
            yield self.at(max(case.ends_on, today()))
            with self.acting(SYSTEM_ACTOR):
                case.complete_measure(household)
                self.emit(case, household)
        if rng.random() < 0.85:
            yield self.at(today() + timedelta(days=rng.randrange(5, 20)))
            with self.acting(referent):
                housed = rng.random() < (0.8 if plan.fate is Status.COMPLETED else 0.55)
                case.submit_final_report(
                    housed, "Bilan : loyer courant repris, dette en voie d'apurement."
                )
                self.emit(case)

    def _signatures(
        self,
        case: Case,
        household: Household,
        referent: Actor,
        landlord: Actor,
        landlord_signs: bool,
    ) -> Iterator[datetime]:
        rng, today = self.rng, self.clock.today
        yield self.at(today() + timedelta(days=rng.randrange(1, 6)))
        with self.acting(household_actor(household.id)):
            case.record_ceop_signature(Signatory.HOUSEHOLD, today())
            self.emit(case)
        if landlord_signs:
            yield self.at(today() + timedelta(days=rng.randrange(0, 4)))
            with self.acting(landlord):
                case.record_ceop_signature(Signatory.LANDLORD, today())
                self.emit(case)
        yield self.at(today() + timedelta(days=rng.randrange(0, 3)))
        with self.acting(referent):
            case.record_ceop_signature(Signatory.REFERENT, today())
            self.emit(case)

    def _week(
        self, case: Case, plan: Plan, referent: Actor, monday: date, week: int
    ) -> Iterator[datetime]:
        """One week of the measure: its visits and contacts, and what comes monthly."""
        rng = self.rng
        landlord_id, landlord_name, landlord = self.cast.landlords[plan.landlord]
        reinforced = plan.measure_type is MeasureType.REINFORCED
        meetings = [(1, VisitKind.HOME)]
        if reinforced:
            meetings = [(0, VisitKind.HOME), (2, VisitKind.OFFICE), (3, VisitKind.HOME)]
        contacts = [4] if rng.random() < 0.7 else []
        if reinforced:
            contacts = [1, 4] if rng.random() < 0.5 else [4]
        if monday.day <= 7:  # early in the month, the landlord reports last month's rent
            yield self.at(monday)
            rent = case.aid_request.monthly_rent if case.aid_request else Decimal(500)
            share = Decimal(1) if rng.random() < 0.75 else Decimal(rng.choice((0, 0.5)))
            with self.acting(landlord):
                month = add_months(monday.replace(day=1), -1)
                case.report_rent_payment(month, rent, (rent * share).quantize(CENT))
                self.emit(case)
        moments = sorted(
            [(offset, "visit", kind) for offset, kind in meetings]
            + [(offset, "contact", VisitKind.OTHER) for offset in contacts],
            key=lambda moment: moment[0],
        )
        for offset, what, kind in moments:
            day = monday + timedelta(days=offset)
            yield self.at(day)
            note, themes = rng.choice(NOTES), rng.choice(THEMES)
            with self.acting(referent):
                if what == "contact":
                    channel = rng.choice(list(ContactChannel))
                    case.record_contact(day, channel, rng.random() < 0.4, themes, note)
                    self.emit(case)
                    continue
                booked = self.booked.pop(case.id, None)
                if booked is not None and rng.random() < 0.12:
                    case.record_missed_visit(booked, "Ménage absent au rendez-vous.")
                else:
                    present = rng.random() < 0.92
                    case.record_visit(day, kind, themes, note, present, booked)
                if rng.random() < 0.15:  # the next visit booked at the end of this one
                    planned = self.at(day + WEEK)
                    self.booked[case.id] = case.schedule_visit(planned, VisitKind.HOME)
                self.emit(case)
        if week % 6 == 0:
            with self.acting(referent):
                objective = rng.choice(STANDARD_OBJECTIVES).id
                progress = rng.choice((ObjectiveProgress.IN_PROGRESS, ObjectiveProgress.ACHIEVED))
                case.record_objective_progress(objective, progress, "Point d'étape avec le ménage.")
                self.emit(case)
        if week % 12 == 6:
            with self.acting(referent):
                case.hold_concertation(
                    self.clock.today(),
                    "Dette locative et reprise du paiement du loyer",
                    [Participant(landlord_name, landlord_id), Participant("Conseillère CAF")],
                    "Le bailleur suspend la procédure le temps du plan d'apurement.",
                )
                self.emit(case)


# ------------------------------------------------------------------------------ the store
class Store:
    """A schema of its own in the ``test`` database (or one kept from an earlier run)."""

    def __init__(self, url: str, schema: str) -> None:
        self.url, self.schema = url, schema
        self.settings = Settings(database_url=url, database_schema=schema)

    def connect(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self.url, autocommit=True)

    def create(self) -> None:
        with self.connect() as conn:
            conn.execute(f'CREATE SCHEMA "{self.schema}"')

    def drop(self) -> None:
        with self.connect() as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')

    def settle(self) -> None:
        """VACUUM ANALYZE and CHECKPOINT after the bulk load, as in ``append.py``: the
        rebuild then does not share the disk with the load's checkpoint."""
        with self.connect() as conn:
            tables = conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s", (self.schema,)
            ).fetchall()
            for (table,) in tables:
                conn.execute(f'VACUUM ANALYZE "{self.schema}"."{table}"')
            conn.execute("CHECKPOINT")

    def size(self) -> str:
        with self.connect() as conn:
            row = conn.execute(
                "SELECT pg_size_pretty(sum(pg_total_relation_size(quote_ident(schemaname) "
                "|| '.' || quote_ident(tablename)))) FROM pg_tables WHERE schemaname = %s",
                (self.schema,),
            ).fetchone()
        return str(row[0]) if row else "?"


@dataclass
class Generated:
    events: int
    cases: int
    seconds: float
    simulate: float
    encode: float
    insert: float
    statuses: Counter[str]
    first_day: date
    last_day: date


def generate(app: AspeApplication, args: argparse.Namespace, console: Console) -> Generated:
    """The département through the application, then the cases as domain objects."""
    rng = random.Random(args.seed)
    started = time.perf_counter()
    clock = Clock()
    clock.set_day(END - timedelta(days=MIN_YEARS * 365 + 400))  # before any case opens
    cast = build_cast(app, clock, args.cases)
    plans = make_plans(cast, args.events, args.cases, rng)
    clock.set_day(min(plan.opens_on for plan in plans) - DAY)  # long measures open earlier
    simulation = Simulation(cast, clock, app.rules, rng)
    counts = {"events": 0, "encode": 0.0, "insert": 0.0}
    mapper, recorder = app.mapper, app.recorder
    progress_every = max(args.events // 10, 1)

    def flush(events: list[Any]) -> None:
        began = time.perf_counter()
        stored = [mapper.to_stored_event(event) for event in events]
        encoded = time.perf_counter()
        recorder.insert_events(stored)
        counts["encode"] += encoded - began
        counts["insert"] += time.perf_counter() - encoded
        before = counts["events"]
        counts["events"] += len(events)
        if counts["events"] // progress_every > before // progress_every:
            console.log(
                f"generated {counts['events']:,} events "
                f"({time.perf_counter() - started:.0f} s, simulated day {clock.today()})"
            )

    simulation.run(plans, flush, args.chunk)
    seconds = time.perf_counter() - started
    return Generated(
        events=app.head(),
        cases=len(plans),
        seconds=seconds,
        simulate=seconds - counts["encode"] - counts["insert"],
        encode=counts["encode"],
        insert=counts["insert"],
        statuses=simulation.statuses,
        first_day=min(plan.opens_on for plan in plans),
        last_day=clock.today(),
    )


# ----------------------------------------------------------- raw read and rebuild (children)
def max_rss_mb() -> float:
    """This process's peak resident set size so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class Replay:
    """One pass over the store in a child process."""

    events: int
    seconds: float
    rss_before_mb: float
    rss_peak_mb: float
    read: float = 0.0
    decode: float = 0.0
    gc: str = "rebuild"
    """The GC thresholds it ran with: "rebuild" (the runner's ``_fewer_collections``) or
    "default" (Python's)."""
    models: dict[str, dict[str, float]] = field(default_factory=dict)
    rows: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.events / self.seconds


def raw_child(url: str, schema: str, page: int, gc_mode: str, results: Any) -> None:
    """SELECT every stored event, a page at a time, and decode it: no projection logic.

    ``gc_mode`` "rebuild" runs it under the rebuild's own GC thresholds (the runner's
    ``_fewer_collections``, imported so both sides always match); "default" under Python's."""
    app = build_application(Settings(database_url=url, database_schema=schema))
    if gc_mode == "rebuild":
        with _fewer_collections():
            replay = raw_read(app, page)
    else:
        replay = raw_read(app, page)
    replay.gc = gc_mode
    app.close()
    results.put(replay)


def raw_read(app: AspeApplication, page: int) -> Replay:
    recorder, mapper = app.recorder, app.mapper
    rss_before = max_rss_mb()
    position, count, read, decode = 0, 0, 0.0, 0.0
    clock = time.perf_counter
    started = clock()
    while True:
        began = clock()
        notifications = recorder.select_notifications(
            start=position, limit=page, inclusive_of_start=False
        )
        selected = clock()
        if not notifications:
            break
        events = [mapper.to_domain_event(notification) for notification in notifications]
        read, decode = read + selected - began, decode + clock() - selected
        count += len(events)
        position = notifications[-1].id
    seconds = clock() - started
    return Replay(count, seconds, rss_before, max_rss_mb(), read=read, decode=decode)


def rebuild_child(url: str, schema: str, profile: str | None, results: Any) -> None:
    """``build_projector(...).rebuild()`` of every read model, timed by part."""
    settings = Settings(database_url=url, database_schema=schema)
    app = build_application(settings)
    projector = build_projector(settings, app=app)
    clock = time.perf_counter
    spent: dict[str, dict[str, float]] = {}
    seen = {"events": 0, "read": 0.0}

    def timed(name: str, part: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            began = clock()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name][part] += clock() - began

        return run

    for model in projector.read_models.values():
        spent[model.name] = {"handlers": 0.0, "writes": 0.0, "batch": 0.0, "reset": 0.0}
        model.apply = timed(model.name, "handlers", model.apply)  # type: ignore[method-assign]
        model.view.commit = timed(model.name, "writes", model.view.commit)  # type: ignore[method-assign]
        model.process_batch = timed(model.name, "batch", model.process_batch)  # type: ignore[method-assign]
        model.view.reset = timed(model.name, "reset", model.view.reset)  # type: ignore[method-assign]
        finish = model.view.finish_rebuild
        model.view.finish_rebuild = timed(model.name, "reset", finish)  # type: ignore[method-assign]
    select = app.recorder.select_notifications

    def counted_select(*args: Any, **kwargs: Any) -> Any:
        began = clock()
        notifications = select(*args, **kwargs)
        seen["read"] += clock() - began
        seen["events"] += len(notifications)
        return notifications

    app.recorder.select_notifications = counted_select  # type: ignore[method-assign]
    rss_before = max_rss_mb()
    started = clock()
    if profile:
        profiler = cProfile.Profile()
        profiler.runcall(projector.rebuild)
        profiler.dump_stats(profile)
    else:
        projector.rebuild()
    seconds = clock() - started
    batches = sum(parts["batch"] + parts["reset"] for parts in spent.values())
    rows = {
        model.name: count_rows(model.view, model.tables) for model in projector.read_models.values()
    }
    projector.close()
    app.close()
    results.put(
        Replay(
            events=int(seen["events"]),
            seconds=seconds,
            rss_before_mb=rss_before,
            rss_peak_mb=max_rss_mb(),
            read=seen["read"],
            decode=seconds - seen["read"] - batches,
            models=spent,
            rows=rows,
        )
    )


def count_rows(view: Any, tables: Sequence[Any]) -> dict[str, int]:
    counts = {}
    with view.datastore.transaction(commit=False) as cursor:
        for table in tables:
            cursor.execute(f"SELECT count(*) AS n FROM {view.name_of(table)}")
            counts[table.name] = cursor.fetchone()["n"]
    return counts


def in_child(target: Callable[..., None], *args: Any) -> Any:
    """Run ``target(*args, results)`` in a fresh (spawned) process; return what it put."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    process = context.Process(target=target, args=(*args, results))
    process.start()
    try:
        return results.get()
    finally:
        process.join()


# ------------------------------------------------------------------------------------ lag
def follow_child(url: str, schema: str, ready: Any, stop: Any, results: Any) -> None:
    """A projection runner following the store; records when each batch became visible."""
    settings = Settings(database_url=url, database_schema=schema)
    app = build_application(settings)
    projector = build_projector(settings, app=app)
    visible: dict[str, tuple[list[int], list[float]]] = {}
    for model in projector.read_models.values():
        positions, times = visible.setdefault(model.name, ([], []))
        commit = model.view.commit

        def recorded(
            changes: Any, tracking: Any, commit: Any = commit, positions: Any = positions,
            times: Any = times,
        ) -> None:  # fmt: skip
            commit(changes, tracking)
            times.append(time.time())
            positions.append(tracking.notification_id)

        model.view.commit = recorded  # type: ignore[method-assign]
    stopping, following = threading.Event(), threading.Event()
    thread = threading.Thread(target=projector.follow, args=(stopping, following))
    thread.start()
    following.wait()
    ready.set()
    stop.wait()
    stopping.set()
    thread.join()
    projector.close()
    app.close()
    results.put(visible)


@dataclass
class Fleet:
    clock: Clock
    cases: list[tuple[uuid.UUID, Account]]


def build_fleet(app: AspeApplication, cases: int) -> Fleet:
    """ACTIVE cases through the application, for the commands of the lag measure."""
    clock = Clock()
    clock.set_day(END)
    departement = Departement(app, clock)
    association = departement.add_association(
        "Association du banc d'essai", [f"Référent banc {n + 1}" for n in range(8)]
    )
    landlord_id, _ = departement.add_landlord("Habitat du banc", LandlordCategory.SOCIAL)
    fleet = []
    for index in range(cases):
        referent = association.referents[index % len(association.referents)]
        household = departement.add_household(referent, landlord_id, f"Ménage banc {index + 1}")
        case_id = CaseStory(departement, referent, household).walk_to(Status.ACTIVE)
        fleet.append((case_id, referent))
    return Fleet(clock, fleet)


def command(app: AspeApplication, fleet: Fleet, number: int) -> int:
    """Command ``number``: a contact or a visit on the next case in turn; its position."""
    case_id, referent = fleet.cases[number % len(fleet.cases)]
    day = fleet.clock.today()
    with acting_as(referent.actor, clock=fleet.clock):
        if number % 2:
            return app.record_visit(
                case_id, day, VisitKind.HOME, THEMES[number % 5], NOTES[number % 5]
            )
        return app.record_contact(
            case_id, day, ContactChannel.PHONE, True, THEMES[number % 5], NOTES[number % 5]
        )


def flat_out(app: AspeApplication, fleet: Fleet, number: int, seconds: float) -> tuple[int, float]:
    """Commands one after the other for ``seconds``: the next command's number, and the rate."""
    first, began = number, time.perf_counter()
    while time.perf_counter() - began < seconds:
        command(app, fleet, number)
        number += 1
    return number, (number - first) / (time.perf_counter() - began)


@dataclass
class Lag:
    alone_rate: float
    max_rate: float
    target_rate: float
    achieved_rate: float
    commands: int
    lags: list[float]
    by_model: dict[str, list[float]]
    missing: int

    def quantile(self, q: int, values: list[float] | None = None) -> float:
        values = self.lags if values is None else values
        if len(values) < 2:
            return values[0] if values else float("nan")
        return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def measure_lag(
    store: Store, app: AspeApplication, args: argparse.Namespace, console: Console
) -> Lag:
    fleet = build_fleet(app, args.lag_cases)
    console.log(f"lag: {len(fleet.cases)} ACTIVE cases built through the application")
    watcher = build_projector(store.settings, app=app)
    number, alone_rate = flat_out(app, fleet, 0, args.rate_seconds)
    console.log(f"lag: {alone_rate:,.0f} commands/s with no runner following")
    context = multiprocessing.get_context("spawn")
    ready, stop, results = context.Event(), context.Event(), context.Queue()
    process = context.Process(
        target=follow_child, args=(store.url, store.schema, ready, stop, results)
    )
    process.start()
    try:
        while not ready.wait(timeout=1):
            if not process.is_alive():
                raise RuntimeError("the projection runner stopped before following")
        console.log("lag: the projection runner follows")
        number, max_rate = flat_out(app, fleet, number, args.rate_seconds)
        target = max_rate / 2
        console.log(f"lag: maximum rate {max_rate:,.0f} commands/s; now at {target:,.0f}/s")
        stored: list[tuple[int, float]] = []
        began = time.perf_counter()
        count = int(target * args.lag_seconds)
        for index in range(count):
            due = began + index / target
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            position = command(app, fleet, number + index)
            stored.append((position, time.time()))
        achieved = count / (time.perf_counter() - began)
        last = stored[-1][0] if stored else app.head()
        deadline = time.perf_counter() + 60
        while time.perf_counter() < deadline:
            if min(status.position for status in watcher.status()) >= last:
                break
            time.sleep(0.05)
    finally:
        stop.set()
        visible = results.get(timeout=120) if process.is_alive() else {}
        process.join()
        watcher.close()
    lags: list[float] = []
    by_model: dict[str, list[float]] = {name: [] for name in visible}
    missing = 0
    for position, at_time in stored:
        seen = []
        for name, (positions, times) in visible.items():
            index = bisect.bisect_left(positions, position)
            if index < len(positions):
                seen.append(times[index])
                by_model[name].append(times[index] - at_time)
        if len(seen) < len(visible):
            missing += 1
            continue
        lags.append(max(seen) - at_time)
    return Lag(alone_rate, max_rate, target, achieved, len(stored), lags, by_model, missing)


# ---------------------------------------------------------------------------------- output
def verdict(met: bool) -> str:
    return "[green]met[/green]" if met else "[bold red]MISSED[/bold red]"


@dataclass
class Measures:
    """The interleaved blocks: raw (rebuild's GC) and rebuild alternate, raw at both ends;
    one raw with Python's default GC first, for the old uneven comparison."""

    raws: list[Replay] = field(default_factory=list)
    rebuilds: list[Replay] = field(default_factory=list)
    default_gc: Replay | None = None

    def ratios(self) -> list[float]:
        """Each rebuild against the mean of the raw blocks just before and after it."""
        return [
            rebuild.rate / statistics.mean(raw.rate for raw in self.raws[index : index + 2])
            for index, rebuild in enumerate(self.rebuilds)
            if len(self.raws) > index
        ]


def measure_replay(store: Store, args: argparse.Namespace, console: Console) -> Measures:
    measures = Measures()
    phases = set(args.phases)
    if "raw" in phases:
        measures.default_gc = in_child(raw_child, store.url, store.schema, args.page, "default")
        console.log(f"raw, Python's default GC: {measures.default_gc.rate:,.0f} events/s")
    for round_number in range(1, args.rounds + 1):
        if "raw" in phases:
            measures.raws.append(in_child(raw_child, store.url, store.schema, args.page, "rebuild"))
            console.log(f"raw {round_number}, rebuild's GC: {measures.raws[-1].rate:,.0f} events/s")
        if "rebuild" in phases:
            profile = args.profile if round_number == 1 else None
            measures.rebuilds.append(in_child(rebuild_child, store.url, store.schema, profile))
            console.log(f"rebuild {round_number}: {measures.rebuilds[-1].rate:,.0f} events/s")
    if "raw" in phases and "rebuild" in phases:
        measures.raws.append(in_child(raw_child, store.url, store.schema, args.page, "rebuild"))
        console.log(
            f"raw {len(measures.raws)}, rebuild's GC: {measures.raws[-1].rate:,.0f} events/s"
        )
    return measures


def report_replay(console: Console, measures: Measures, generated: int) -> None:
    table = Table(title=f"Replay of {generated:,} stored events (PostgreSQL), in run order")
    for column in ("what", "GC", "events", "seconds", "events/s", "ratio", "peak RSS"):
        table.add_column(column, justify="left" if column in ("what", "GC") else "right")
    ratios = measures.ratios()
    rows: list[tuple[str, Replay, str]] = []
    if measures.default_gc is not None:
        rows.append(("raw: SELECT + decode", measures.default_gc, ""))
    for index in range(max(len(measures.raws), len(measures.rebuilds))):
        if index < len(measures.raws):
            rows.append((f"raw: SELECT + decode ({index + 1})", measures.raws[index], ""))
        if index < len(measures.rebuilds):
            ratio = f"{ratios[index]:.1%} of raw" if index < len(ratios) else ""
            rows.append(
                (f"rebuild, every read model ({index + 1})", measures.rebuilds[index], ratio)
            )
    for what, replay, ratio in rows:
        table.add_row(
            what, replay.gc, f"{replay.events:,}", f"{replay.seconds:.1f}", f"{replay.rate:,.0f}",
            ratio, f"{replay.rss_peak_mb:,.0f} MB",
        )  # fmt: skip
    console.print(table)
    if measures.default_gc is not None and measures.raws:
        same = statistics.mean(raw.rate for raw in measures.raws)
        console.print(
            f"raw with the rebuild's GC thresholds: ×{same / measures.default_gc.rate:.2f} "
            "of raw with Python's default GC"
        )
    if not measures.rebuilds:
        return
    report_models(console, measures.rebuilds)
    if ratios:
        ratio = statistics.median(ratios)
        met = verdict(ratio >= RATIO_TARGET)
        console.print(
            f"full rebuild ≥ {RATIO_TARGET:.0%} of raw SELECT+decode, equal GC settings: "
            f"{ratio:.1%} (median of {len(ratios)}: "
            + ", ".join(f"{value:.1%}" for value in ratios)
            + f"), {met}"
        )


def report_models(console: Console, rebuilds: list[Replay]) -> None:
    """Per read model, the median over the rebuilds: its own time and events/s."""
    parts = Table(title="Where the rebuild's time goes (seconds, median of the rebuilds)")
    for column in ("part", "reset", "handlers", "writes", "total", "share", "own events/s", "rows"):
        parts.add_column(column, justify="left" if column in ("part", "rows") else "right")
    first = rebuilds[0]
    seconds = statistics.median(rebuild.seconds for rebuild in rebuilds)
    read = statistics.median(rebuild.read for rebuild in rebuilds)
    decode = statistics.median(rebuild.decode for rebuild in rebuilds)
    parts.add_row("read (SELECT)", "", "", "", f"{read:.1f}", f"{read / seconds:.0%}", "", "")
    parts.add_row("decode + runner", "", "", "", f"{decode:.1f}", f"{decode / seconds:.0%}", "", "")
    rates: dict[str, float] = {}
    for name in first.models:
        spent = {
            part: statistics.median(rebuild.models[name][part] for rebuild in rebuilds)
            for part in ("reset", "handlers", "writes", "batch")
        }
        total = spent["batch"] + spent["reset"]
        rates[name] = first.events / total if total else float("inf")
        rows = ", ".join(f"{table} {count:,}" for table, count in first.rows[name].items())
        parts.add_row(
            name, f"{spent['reset']:.1f}", f"{spent['handlers']:.1f}", f"{spent['writes']:.1f}",
            f"{total:.1f}", f"{total / seconds:.0%}", f"{rates[name]:,.0f}", rows or "(no tables)",
        )  # fmt: skip
    console.print(parts)
    expected = {cls.name for cls in READ_MODELS}
    missing = sorted(expected - set(first.models))
    console.print(
        f"read models rebuilt: {len(first.models)} of {len(expected)} "
        f"(aspe.projections.READ_MODELS){'; missing: ' + ', '.join(missing) if missing else ''}"
    )
    rate = statistics.median(rebuild.rate for rebuild in rebuilds)
    console.print(
        f"rebuild ≥ {REBUILD_TARGET:,} events/s (old target): {rate:,.0f}/s, "
        f"{verdict(rate >= REBUILD_TARGET)}"
    )
    fastest = max(rates, key=lambda name: rates[name])
    below = [name for name, value in rates.items() if value < SINGLE_TARGET]
    console.print(
        f"a single light read model ≥ {SINGLE_TARGET:,} events/s of its own time: "
        f"{fastest} {rates[fastest]:,.0f}/s, {verdict(rates[fastest] >= SINGLE_TARGET)}; "
        f"{len(rates) - len(below)} of {len(rates)} read models reach it"
        + (f" (not: {', '.join(below)})" if below else "")
    )
    empty = [name for name, rows in first.rows.items() if not any(rows.values())]
    console.print(f"read models left empty by the rebuild: {', '.join(empty) or 'none'}")


def share(seconds: float, replay: Replay) -> str:
    return f"{seconds / replay.seconds:.0%}"


def report_lag(console: Console, lag: Lag, seconds: int) -> None:
    table = Table(title=f"Projection lag at half the maximum command rate, for {seconds} s")
    for column in ("read model", "p50 ms", "p95 ms", "p99 ms", "max ms"):
        table.add_column(column, justify="left" if column == "read model" else "right")
    for name, values in [("slowest of all (the lag)", lag.lags), *lag.by_model.items()]:
        if not values:
            continue
        table.add_row(
            name, *(f"{lag.quantile(q, values) * 1000:,.0f}" for q in (50, 95, 99)),
            f"{max(values) * 1000:,.0f}",
        )  # fmt: skip
    console.print(table)
    console.print(
        f"commands, one client: maximum {lag.max_rate:,.0f}/s with the runner following "
        f"({lag.alone_rate:,.0f}/s without); "
        f"measured at {lag.achieved_rate:,.0f}/s (asked {lag.target_rate:,.0f}/s), "
        f"{lag.commands:,} commands, {lag.missing} never seen by every read model"
    )
    if lag.lags:
        p50, p99 = lag.quantile(50), lag.quantile(99)
        console.print(f"lag p50 ≤ 100 ms: {p50 * 1000:,.0f} ms, {verdict(p50 <= P50_TARGET)}")
        console.print(f"lag p99 ≤ 1 s: {p99 * 1000:,.0f} ms, {verdict(p99 <= P99_TARGET)}")


# ------------------------------------------------------------------------------------ main
def positive(text: str) -> int:
    number = int(text)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=positive, default=1_000_000, help="events to generate")
    parser.add_argument("--cases", type=positive, default=10_000, help="cases to generate")
    parser.add_argument("--seed", type=int, default=2026, help="of the generator's randomness")
    parser.add_argument("--chunk", type=positive, default=5_000, help="events per insert")
    parser.add_argument("--page", type=positive, default=5_000, help="events per raw SELECT")
    parser.add_argument(
        "--phases", nargs="+", choices=("raw", "rebuild", "lag"),
        default=["raw", "rebuild", "lag"], help="what to measure after generating",
    )  # fmt: skip
    parser.add_argument("--lag-seconds", type=positive, default=60, help="at half the rate")
    parser.add_argument("--rate-seconds", type=positive, default=5, help="flat out, first")
    parser.add_argument("--lag-cases", type=positive, default=50, help="ACTIVE cases commanded")
    parser.add_argument(
        "--rounds", type=positive, default=2, help="raw/rebuild rounds, interleaved"
    )
    parser.add_argument(
        "--quick", action="store_true",
        help="small store, one round, short lag (make bench-quick): "
        + ", ".join(f"--{key.replace('_', '-')} {value}" for key, value in QUICK.items()),
    )  # fmt: skip
    parser.add_argument("--database-url", default=POSTGRES_URL)
    parser.add_argument("--keep", action="store_true", help="keep the schema (its name printed)")
    parser.add_argument("--reuse", metavar="SCHEMA", help="a kept schema: skip generation")
    parser.add_argument("--profile", metavar="FILE", help="cProfile .pstats of the rebuild")
    args = parser.parse_args(argv)
    if args.quick:
        for key, value in QUICK.items():
            setattr(args, key, value)
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    console = Console(width=max(110, Console().width))
    started = time.perf_counter()
    store = Store(args.database_url, args.reuse or f"aspe_replay_{uuid.uuid4().hex[:8]}")
    if not args.reuse:
        store.create()
    app = build_application(store.settings)
    try:
        if args.reuse:
            events = app.head()
            console.log(f"reusing schema {store.schema}: {events:,} events")
        else:
            generated = generate(app, args, console)
            events = generated.events
            console.log(
                f"generated {generated.events:,} events for {generated.cases:,} cases in "
                f"{generated.seconds:.0f} s ({generated.events / generated.seconds:,.0f}/s: "
                f"domain {generated.simulate:.0f} s, encoding {generated.encode:.0f} s, "
                f"inserts {generated.insert:.0f} s); simulated {generated.first_day} to "
                f"{generated.last_day}; cases by status: "
                + ", ".join(f"{k} {v:,}" for k, v in generated.statuses.most_common())
            )
            store.settle()
            console.log(f"store settled (VACUUM ANALYZE, CHECKPOINT): {store.size()}")
        if {"raw", "rebuild"} & set(args.phases):
            report_replay(console, measure_replay(store, args, console), events)
        if "lag" in args.phases:
            report_lag(console, measure_lag(store, app, args, console), args.lag_seconds)
    finally:
        app.close()
        if args.keep or args.reuse:
            console.print(f"schema kept: {store.schema}")
        else:
            store.drop()
    console.print(
        f"total {time.perf_counter() - started:.0f} s at {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )


if __name__ == "__main__":
    main()
