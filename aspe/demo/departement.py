"""The demo département: its parties, one login per role, and thirty cases with a history.

Everything goes through the application, as people would do it. The script first writes
each case's story into an agenda, on the days its actions happen (relative to ``today``),
then replays the days in order on a settable clock: events carry plausible past
timestamps and store positions follow time. Each evening the platform does what its
scheduler will do (complete the measures that reached their end, raise the
non-collaboration alerts that are due). Nothing happens on ``today`` itself: the demo is
the past. At the end the script checks that each case reached the status it was written
for, so a change in the domain that breaks the demo fails loudly.

Accounts share one development-only password (``aspe.demo.scenarios.DEFAULT_PASSWORD``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum, auto
from uuid import UUID

from eventsourcing.application import project_aggregate

from aspe.application import AspeApplication
from aspe.application.passwords import hash_password
from aspe.demo.scenarios import (
    ADMIN,
    DEFAULT_PASSWORD,
    STANDARD_COMMITMENTS,
    STANDARD_FINDINGS,
    STANDARD_OBJECTIVES,
    STANDARD_STEPS,
    Account,
    Association,
    CaseStory,
    Clock,
    Departement,
    Person,
    household_actor,
)
from aspe.domain.actors import SYSTEM_ACTOR, Actor, Role, acting_as
from aspe.domain.case import Case
from aspe.domain.rules import add_months
from aspe.domain.values import (
    AccompanimentKind,
    Address,
    AidRequest,
    Commitment,
    ConsentScope,
    ContactChannel,
    Diploma,
    Finding,
    LandlordCategory,
    MeasureType,
    ObjectiveProgress,
    OrganisationKind,
    Participant,
    Party,
    Period,
    Signatory,
    Status,
    StopReason,
    SuspensionReason,
    Theme,
    VisitKind,
)

HISTORY_DAYS = 260
"""How far back the demo's first day lies: long enough for a six-month measure to end."""

DAY = timedelta(days=1)
WEEK = timedelta(weeks=1)
THURSDAY = 3
"""The commission meets on Thursdays: every decision of the demo falls on one."""

FIRST_SLOT = time(8, 0)
SLOT = timedelta(minutes=5)
EVENING = time(22, 0)

# ---------------------------------------------------------------------------- the report


@dataclass(frozen=True)
class DemoAccount:
    """A login: the role it acts in, its e-mail, and the staff or household id behind it."""

    role: Role
    email: str
    name: str
    actor_id: UUID


@dataclass(frozen=True)
class SampleCase:
    """A case worth opening first, with what it shows (French, for the person reading)."""

    status: Status
    label: str
    case_id: UUID


@dataclass(frozen=True)
class DemoReport:
    """What the demo loaded: the login of each role, a few cases to look at, and counts."""

    accounts: tuple[DemoAccount, ...]
    password: str
    first_day: date
    last_day: date
    cases_by_status: dict[Status, int]
    sample_cases: tuple[SampleCase, ...]
    households: int
    organisations: int
    staff: int
    alerts: int
    events: int


class DemoInconsistent(RuntimeError):
    """A demo case did not reach the status its story was written for: the script is stale."""


# ------------------------------------------------------------------------------ the cast

LOGINS: dict[Role, str] = {
    Role.REFERENT: "referent@demo.aspe.fr",
    Role.ASSOCIATION_MANAGER: "manager@demo.aspe.fr",
    Role.SPSLH_AGENT: "spslh@demo.aspe.fr",
    Role.COMMISSION_MEMBER: "commission@demo.aspe.fr",
    Role.LANDLORD: "bailleur@demo.aspe.fr",
    Role.HOUSEHOLD: "menage@demo.aspe.fr",
    Role.AUDITOR: "auditeur@demo.aspe.fr",
    Role.ADMIN: "admin@demo.aspe.fr",
}
"""The fixed, readable login of each role of DESIGN §1 (the README lists them)."""

OTHER_ASSOCIATIONS = (
    ("Entraide Logement", ["Inès Bernard", "Karim Haddad"]),
    ("Le Relais Familial", ["Sophie Garnier"]),
)
OTHER_LANDLORDS = (
    ("Saône Logis", LandlordCategory.SOCIAL),
    ("Habitat des Monts d'Or", LandlordCategory.SOCIAL),
    ("SCI Bellecour", LandlordCategory.PRIVATE),
    ("Cabinet Lambert Gestion", LandlordCategory.PRIVATE),
)


@dataclass(frozen=True)
class Landlord:
    id: UUID
    name: str
    staff: Account


@dataclass
class _Cast:
    """Who is who in the demo: the département, the logins, associations and landlords."""

    departement: Departement
    logins: dict[Role, Account]
    associations: list[Association]
    landlords: list[Landlord]

    @property
    def app(self) -> AspeApplication:
        return self.departement.app

    @property
    def commission(self) -> Actor:
        return self.departement.commission_member.actor

    @property
    def spslh(self) -> Actor:
        return self.departement.spslh_agent.actor


def _headline_association(departement: Departement) -> Association:
    """The association of the referent and manager logins."""
    name = "Habitat Solidaire"
    association_id = departement.app.register_organisation(name, OrganisationKind.ASSOCIATION).id

    def staff(role: Role, person: str, email: str, diploma: Diploma) -> Account:
        return departement.add_staff(association_id, role, Person(person, email), diploma)

    manager = staff(
        Role.ASSOCIATION_MANAGER,
        "Hélène Garcia",
        LOGINS[Role.ASSOCIATION_MANAGER],
        Diploma.CAFERUIS,
    )
    referents = [
        staff(Role.REFERENT, "Claire Martin", LOGINS[Role.REFERENT], Diploma.DEASS),
        staff(Role.REFERENT, "Paul Roux", "paul.roux@demo.aspe.fr", Diploma.DEES),
    ]
    return Association(association_id, name, manager, referents)


def _headline_landlord(departement: Departement) -> Landlord:
    """The social landlord of the landlord login, and of most demo households."""
    name = "Rhône Habitat"
    landlord_id = departement.app.register_organisation(
        name, OrganisationKind.LANDLORD, LandlordCategory.SOCIAL
    ).id
    staff = departement.add_staff(
        landlord_id, Role.LANDLORD, Person("Marc Lefort", LOGINS[Role.LANDLORD])
    )
    return Landlord(landlord_id, name, staff)


INSTITUTIONAL_PEOPLE = {
    Role.ADMIN: Person("Thomas Perrin", LOGINS[Role.ADMIN]),
    Role.SPSLH_AGENT: Person("Nadia Benali", LOGINS[Role.SPSLH_AGENT]),
    Role.COMMISSION_MEMBER: Person("Jacques Morin", LOGINS[Role.COMMISSION_MEMBER]),
    Role.AUDITOR: Person("Anne Chevallier", LOGINS[Role.AUDITOR]),
}
"""The administrator (platform staff), the SPSLH agent, the commission member, the auditor."""


def _register_cast(app: AspeApplication, clock: Clock) -> _Cast:
    """The parties of DESIGN §1, the logins of the README first."""
    departement = Departement(
        app, clock, hash_password(DEFAULT_PASSWORD), people=INSTITUTIONAL_PEOPLE
    )
    with departement.acting(ADMIN):
        headline = _headline_association(departement)
        landlord = _headline_landlord(departement)
    assert departement.admin is not None  # named in INSTITUTIONAL_PEOPLE
    logins = {
        Role.ADMIN: departement.admin,
        Role.SPSLH_AGENT: departement.spslh_agent,
        Role.COMMISSION_MEMBER: departement.commission_member,
        Role.AUDITOR: departement.auditor,
    }
    logins[Role.ASSOCIATION_MANAGER] = headline.manager
    logins[Role.REFERENT] = headline.referents[0]
    logins[Role.LANDLORD] = landlord.staff
    associations = [headline] + [
        departement.add_association(name, referents) for name, referents in OTHER_ASSOCIATIONS
    ]
    departement.add_unqualified_staff(headline, "Léa Petit")
    landlords = [landlord]
    for name, category in OTHER_LANDLORDS:
        landlord_id, staff = departement.add_landlord(name, category)
        landlords.append(Landlord(landlord_id, name, staff))
    return _Cast(departement, logins, associations, landlords)


# ----------------------------------------------------------------------------- the cases


class Feature(Enum):
    """What a case's story shows beyond the ordinary path to its status."""

    HOUSEHOLD_ACCOUNT = auto()  # the household has its portal login, consents and signs itself
    CONSENT = auto()  # landlord may see the measure's detail
    LANDLORD_COMMITMENT = auto()  # the CEOP binds the landlord, who signs it
    DEBT_PLAN = auto()  # rent debt and repayment plan
    UPGRADED = auto()  # SIMPLE proposed, the commission decides REINFORCED
    ADJOURNED_FIRST = auto()  # adjourned once, registered again, then granted
    PAST_FSL = auto()  # an FSL accompaniment that ended before the request
    SILENCE = auto()  # the household stops answering: alert (then stop, if STOPPED)
    UNNOTICED_SILENCE = auto()  # last call 15 days ago: the alert falls due today (the clock)
    SUSPENSION = auto()  # hospitalisation: the alert clock is suspended
    HANDOVER = auto()  # the manager hands the case over to the association's first referent
    FINAL_REPORT = auto()


@dataclass(frozen=True)
class Plan:
    """One demo case: where it must stand today, when it was opened, by and for whom."""

    target: Status
    opened_days_ago: int
    family: str
    members: int
    association: int
    referent: int
    landlord: int
    measure: MeasureType = MeasureType.SIMPLE
    duration_months: int = 12
    probation_months: int = 6
    features: frozenset[Feature] = frozenset()
    label: str = ""


S, F, M = Status, Feature, MeasureType
# Plan(target, opened days ago, family, members, association, referent, landlord, ...):
# association, referent and landlord are indexes into the cast's lists.
PLANS: tuple[Plan, ...] = (
    Plan(S.DIAGNOSTIC, 3, "Lefebvre", 2, 0, 0, 0, label="Diagnostic tout juste ouvert"),
    Plan(S.DIAGNOSTIC, 9, "Girard", 1, 2, 0, 3),
    Plan(S.DIAGNOSTIC, 11, "Moreau", 4, 1, 0, 1, features=frozenset({F.CONSENT})),
    Plan(S.SUBMITTED, 15, "Fontaine", 3, 0, 0, 0, label="Demande transmise au SPSLH"),
    Plan(S.SUBMITTED, 16, "Chevalier", 5, 1, 1, 2),
    Plan(S.SUBMITTED, 17, "Robin", 1, 0, 1, 4),
    Plan(S.REGISTERED, 22, "Gauthier", 2, 0, 0, 1, label="Inscrite à la prochaine séance"),
    Plan(S.REGISTERED, 23, "Perrin", 3, 1, 0, 0),
    Plan(S.REGISTERED, 24, "Morel", 4, 2, 0, 3, M.REINFORCED),
    Plan(S.ADJOURNED, 35, "Mercier", 2, 0, 1, 0, label="Ajournée : pièces manquantes"),
    Plan(S.ADJOURNED, 37, "Blanc", 3, 1, 1, 4),
    Plan(S.REJECTED, 55, "Guérin", 1, 0, 0, 2, label="Demande rejetée"),
    Plan(S.REJECTED, 75, "Boyer", 4, 2, 0, 1),
    Plan(S.GRANTED, 39, "Garnier", 3, 0, 0, 0, label="Accordée, CEOP en attente de signature"),
    Plan(S.GRANTED, 40, "Faure", 2, 1, 0, 3, M.REINFORCED),
    Plan(S.GRANTED, 42, "Rousseau", 5, 2, 0, 1),
    Plan(
        S.ACTIVE, 120, "Durand", 4, 0, 0, 0,
        features=frozenset({F.HOUSEHOLD_ACCOUNT, F.CONSENT, F.LANDLORD_COMMITMENT, F.DEBT_PLAN}),
        label="Compte ménage, consentement, CEOP signé par le bailleur, plan d'apurement",
    ),
    Plan(
        S.ACTIVE, 100, "Brun", 5, 0, 0, 1, M.REINFORCED, features=frozenset({F.UPGRADED}),
        label="Mesure renforcée (proposée simple) : trois visites par semaine",
    ),
    Plan(
        S.ACTIVE, 110, "Lambert", 2, 0, 0, 3, features=frozenset({F.SILENCE}),
        label="Alerte de non-collaboration déclenchée par la référente",
    ),
    Plan(
        S.ACTIVE, 130, "Roussel", 1, 1, 0, 2, features=frozenset({F.SUSPENSION, F.CONSENT}),
        label="Décompte d'alerte suspendu",
    ),
    Plan(
        S.ACTIVE, 140, "Vincent", 3, 0, 1, 0, features=frozenset({F.HANDOVER}),
        label="Changement de référent",
    ),
    Plan(
        S.ACTIVE, 150, "Fournier", 4, 1, 1, 4, M.REINFORCED,
        features=frozenset({F.ADJOURNED_FIRST, F.PAST_FSL}),
        label="Ajournée une fois, puis accordée",
    ),
    Plan(S.ACTIVE, 90, "Muller", 2, 1, 0, 3),
    Plan(S.ACTIVE, 80, "Henry", 3, 2, 0, 2, M.REINFORCED),
    Plan(S.ACTIVE, 60, "Bonnet", 2, 2, 0, 1, label="Mesure commencée il y a deux semaines"),
    Plan(
        S.ACTIVE, 75, "Dupont", 1, 0, 1, 0, features=frozenset({F.UNNOTICED_SILENCE}),
        label="Dernier contact il y a quinze jours : la plateforme déclenche l'alerte aujourd'hui",
    ),
    Plan(
        S.STOPPED, 200, "Leroy", 3, 0, 0, 0, features=frozenset({F.SILENCE, F.FINAL_REPORT}),
        label="Alerte de la plateforme, arrêt pour non-collaboration",
    ),
    Plan(S.STOPPED, 180, "Colin", 2, 1, 0, 1, label="Arrêt : ménage relogé"),
    Plan(
        S.COMPLETED, 250, "Vidal", 4, 0, 0, 0, duration_months=6, probation_months=3,
        features=frozenset({F.FINAL_REPORT, F.CONSENT, F.DEBT_PLAN}),
        label="Mesure terminée, bilan remis",
    ),
    Plan(S.COMPLETED, 240, "Marchand", 3, 2, 0, 2, M.REINFORCED, 6, 6),
)  # fmt: skip
"""The thirty demo cases. Opening days are chosen so that each case stands at its target
whatever the weekday of ``today`` (request steps move back to Friday off weekends)."""

STREETS = (
    "rue des Lilas", "avenue Jean Jaurès", "rue Paul Bert", "boulevard des États-Unis",
    "rue Victor Hugo", "chemin des Pierres", "rue de la République", "allée des Tilleuls",
)  # fmt: skip
CITIES = (
    ("69003", "Lyon"), ("69100", "Villeurbanne"), ("69200", "Vénissieux"),
    ("69120", "Vaulx-en-Velin"), ("69500", "Bron"), ("69008", "Lyon"),
)  # fmt: skip
FINDINGS: tuple[tuple[Finding, ...], ...] = (
    STANDARD_FINDINGS,
    (
        Finding(Theme.BUDGET, "Impayés de loyer depuis une séparation"),
        Finding(Theme.ADMINISTRATIVE, "Droits CAF non mis à jour depuis six mois"),
    ),
    (
        Finding(Theme.EMPLOYMENT, "Fin de mission d'intérim, sans revenu depuis trois mois"),
        Finding(Theme.MOBILITY, "Pas de permis de conduire, offres d'emploi éloignées"),
        Finding(Theme.HEALTH, "Traitement au long cours interrompu"),
    ),
    (
        Finding(Theme.MEDIATION, "Relation rompue avec le bailleur après des plaintes"),
        Finding(Theme.BUDGET, "Plusieurs crédits à la consommation en cours"),
    ),
)
VISIT_NOTES = (
    "Relevés de compte vérifiés ensemble ; budget du mois établi.",
    "Dossier CAF mis à jour, attestation de loyer transmise.",
    "Échange sur la relation avec le gardien de l'immeuble.",
    "Point sur le rendez-vous chez le médecin traitant.",
    "Inscription à France Travail, CV commencé ensemble.",
    "Humidité dans la chambre des enfants, signalée au bailleur.",
)
"""Free-text notes of the demo's visits (only the association and the auditor read them)."""
VISIT_THEMES = (
    (Theme.BUDGET,),
    (Theme.ADMINISTRATIVE, Theme.BUDGET),
    (Theme.MEDIATION,),
    (Theme.HEALTH,),
    (Theme.EMPLOYMENT,),
    (Theme.HOUSING, Theme.MEDIATION),
)
ABSENT_NOTE = "Personne au domicile ; avis de passage déposé."
CALL_NOTE = "Point téléphonique sur les dépenses de la semaine."
EXCUSE_NOTE = "Le ménage s'excuse pour la visite manquée : rendez-vous à la CAF."
LANDLORD_COMMITMENT = Commitment(
    Party.LANDLORD, "Suspendre la procédure d'expulsion tant que le plan d'apurement est tenu"
)


@dataclass
class DemoCase:
    """One demo case while the script writes and replays it."""

    plan: Plan
    index: int
    association: Association
    landlord: Landlord
    referent: Account
    story: CaseStory | None = None
    debt_id: UUID | None = None

    @property
    def id(self) -> UUID:
        case_id = _story(self).case_id
        assert case_id is not None, "not opened yet"
        return case_id

    @property
    def household_id(self) -> UUID:
        return _story(self).household_id

    def has(self, feature: Feature) -> bool:
        return feature in self.plan.features

    def referent_actor(self) -> Actor:
        """Read when the action runs: a handover changes who acts from then on."""
        return self.referent.actor

    def household_actor(self) -> Actor:
        return household_actor(self.household_id)

    @property
    def aid_request(self) -> AidRequest:
        """Rent, two to six months of arrears, and an aid asked for about 60 % of them."""
        rent = Decimal(420 + 37 * (self.index % 9)).quantize(CENT)
        arrears = rent * (2 + self.index % 5)
        asked = (arrears * Decimal("0.06")).quantize(Decimal(1)) * 10
        return AidRequest(asked.quantize(CENT), arrears, rent)

    @property
    def address(self) -> Address:
        city = CITIES[self.index % len(CITIES)]
        return Address(f"{3 + self.index * 7} {STREETS[self.index % len(STREETS)]}", *city)

    @property
    def household_name(self) -> str:
        return f"Famille {self.plan.family}" if self.plan.members > 1 else f"M. {self.plan.family}"


# ---------------------------------------------------------------------------- the agenda

Command = Callable[[], object]
Who = Actor | Callable[[], Actor]


@dataclass
class Agenda:
    """The demo's actions by day, replayed in date order, each as the party who takes it."""

    clock: Clock
    days: defaultdict[date, list[tuple[Who, Command]]] = field(
        default_factory=lambda: defaultdict(list)
    )

    def on(self, day: date, who: Who, command: Command) -> None:
        self.days[day].append((who, command))

    def run(self, first: date, until: date, evening: Callable[[date], None]) -> None:
        """Each day before ``until``: its actions, five minutes apart, then the evening's."""
        day = first
        while day < until:
            for slot, (who, command) in enumerate(self.days.get(day, [])):
                self.clock.now = datetime.combine(day, FIRST_SLOT, tzinfo=UTC) + slot * SLOT
                with acting_as(who if isinstance(who, Actor) else who(), clock=self.clock):
                    command()
            self.clock.set_day(day, EVENING)
            evening(day)
            day += DAY


def _weekday_on_or_before(day: date) -> date:
    """Saturday and Sunday move back to Friday (monotonic, so order is kept)."""
    return day - timedelta(days=max(0, day.weekday() - 4))


def _next_thursday(on_or_after: date) -> date:
    return on_or_after + timedelta(days=(THURSDAY - on_or_after.weekday()) % 7)


# --------------------------------------------------------------------- visits and contacts


@dataclass(frozen=True)
class Visit:
    day: date
    kind: VisitKind
    present: bool
    themes: tuple[Theme, ...]
    note: str


@dataclass(frozen=True)
class Contact:
    day: date
    channel: ContactChannel
    by_household: bool
    themes: tuple[Theme, ...]
    note: str


Meeting = Visit | Contact
CADENCE: dict[MeasureType, tuple[tuple[int, VisitKind], ...]] = {
    MeasureType.SIMPLE: ((1, VisitKind.HOME),),
    MeasureType.REINFORCED: ((1, VisitKind.HOME), (3, VisitKind.OFFICE), (4, VisitKind.HOME)),
}
"""Days after the measure's weekly Monday, and kind, of each visit (R4: 1 or 3, 1 or 2 home)."""


def _week(monday: date, week: int, case: DemoCase, silent_from: date | None) -> list[Meeting]:
    """One week of a measure: the visits of its cadence and a call every other Wednesday.

    When the household goes silent, the referent still comes and finds nobody. Otherwise
    it misses a Tuesday visit now and then and sends a text the next day.
    """
    rotation = (week + case.index) % len(VISIT_NOTES)
    meetings: list[Meeting] = []
    for offset, kind in CADENCE[case.plan.measure]:
        day = monday + timedelta(days=offset)
        silent = silent_from is not None and day >= silent_from
        excused = silent_from is None and offset == 1 and rotation == len(VISIT_NOTES) - 1
        present = not (silent or excused)
        if present:
            meetings.append(Visit(day, kind, True, VISIT_THEMES[rotation], VISIT_NOTES[rotation]))
        else:
            meetings.append(Visit(day, kind, False, (), ABSENT_NOTE))
        if excused:
            meetings.append(Contact(day + DAY, ContactChannel.SMS, True, (), EXCUSE_NOTE))
    wednesday = monday + timedelta(days=2)
    if week % 2 == 0 and (silent_from is None or wednesday < silent_from):
        meetings.append(
            Contact(wednesday, ContactChannel.PHONE, week % 4 == 0, (Theme.BUDGET,), CALL_NOTE)
        )
    return meetings


def _meetings(
    case: DemoCase, start: date, until: date, silent_from: date | None, quiet: Period | None
) -> list[Meeting]:
    """The measure's visits and contacts from ``start`` to the day before ``until``."""
    meetings: list[Meeting] = []
    week = 0
    while start + week * WEEK < until:
        meetings += _week(start + week * WEEK, week, case, silent_from)
        week += 1
    return [
        meeting
        for meeting in meetings
        if meeting.day < until and not (quiet and quiet.starts_on <= meeting.day <= quiet.ends_on)
    ]


def _last_presence(meetings: list[Meeting], before: date) -> date:
    return max(m.day for m in meetings if m.day < before and (isinstance(m, Contact) or m.present))


# ---------------------------------------------------------------------------- the script


class _Script:
    """Writes each case's story into the agenda, on the days its actions happen."""

    def __init__(self, cast: _Cast, agenda: Agenda, today: date) -> None:
        self.cast = cast
        self.app = cast.app
        self.agenda = agenda
        self.today = today
        self.cases: list[DemoCase] = []
        self.watched: list[DemoCase] = []
        """Cases whose measure started: the platform looks at them each evening."""
        self.known: dict[UUID, Case] = {}
        self.alerts = 0

    def write(self, plan: Plan) -> None:
        association = self.cast.associations[plan.association]
        case = DemoCase(
            plan=plan,
            index=len(self.cases),
            association=association,
            landlord=self.cast.landlords[plan.landlord],
            referent=association.referents[plan.referent],
        )
        self.cases.append(case)
        self._request(case)

    def _on_weekday(self, day: date, who: Who, command: Command) -> None:
        self.agenda.on(_weekday_on_or_before(day), who, command)

    # -------------------------------------------------------------- request (§3)
    def _request(self, case: DemoCase) -> None:
        """Open, diagnose, submit, register; then the commission's session decides."""
        opened = self.today - case.plan.opened_days_ago * DAY
        target = case.plan.target
        referent = case.referent_actor
        self._on_weekday(opened, referent, lambda: self._open(case))
        self._on_weekday(opened + 6 * DAY, referent, lambda: self._diagnose(case))
        if case.has(Feature.CONSENT):
            self._on_weekday(
                opened + 6 * DAY, self._household_or_referent(case), self._consent(case)
            )
        if target is Status.DIAGNOSTIC:
            return
        self._on_weekday(opened + 13 * DAY, referent, lambda: self._submit(case))
        if target is Status.SUBMITTED:
            return
        session = self._register(case, _weekday_on_or_before(opened + 20 * DAY))
        if target is Status.REGISTERED:
            return
        if target is Status.ADJOURNED or case.has(Feature.ADJOURNED_FIRST):
            self.agenda.on(session, self.cast.commission, lambda: self._adjourn(case))
            if target is Status.ADJOURNED:
                return
            session = self._register(case, session + 2 * WEEK)
        self._decide(case, session)

    def _household_or_referent(self, case: DemoCase) -> Who:
        """A household with its own login acts itself; otherwise the referent records it."""
        return case.household_actor if case.has(Feature.HOUSEHOLD_ACCOUNT) else case.referent_actor

    def _open(self, case: DemoCase) -> None:
        household_id = self.app.register_household(
            case.landlord.id,
            case.address,
            case.household_name,
            _phone(case.index),
            case.plan.members,
        ).id
        case.story = CaseStory(
            self.cast.departement,
            case.referent,
            household_id,
            measure_type=case.plan.measure,
            duration_months=case.plan.duration_months,
            probation_months=case.plan.probation_months,
        )
        case.story.open()
        if case.has(Feature.PAST_FSL):
            today = self.cast.departement.clock.today()
            self.app.record_accompaniment(
                household_id, AccompanimentKind.FSL, today - 420 * DAY, today - 60 * DAY
            )
        if case.has(Feature.HOUSEHOLD_ACCOUNT):
            self._open_household_login(case)

    def _open_household_login(self, case: DemoCase) -> None:
        email = LOGINS[Role.HOUSEHOLD]
        password_hash = self.cast.departement.password_hash
        self.app.open_household_account(case.household_id, email, password_hash)
        self.cast.logins[Role.HOUSEHOLD] = Account(
            case.household_actor(), email, case.household_name
        )

    def _diagnose(self, case: DemoCase) -> None:
        findings = FINDINGS[case.index % len(FINDINGS)]
        self.app.record_diagnostic(case.id, findings, STANDARD_OBJECTIVES)

    def _consent(self, case: DemoCase) -> Command:
        return lambda: self.app.record_consent(case.id, ConsentScope.LANDLORD_DETAIL)

    def _submit(self, case: DemoCase) -> None:
        proposed = MeasureType.SIMPLE if case.has(Feature.UPGRADED) else case.plan.measure
        self.app.submit_request(case.id, case.aid_request, proposed, case.plan.duration_months)

    def _register(self, case: DemoCase, day: date) -> date:
        """The SPSLH puts the request on the agenda of the first session a week away."""
        session = _next_thursday(day + WEEK)
        days_ahead = (session - day).days
        self.agenda.on(day, self.cast.spslh, lambda: _story(case).register(days_ahead))
        return session

    def _adjourn(self, case: DemoCase) -> None:
        reason = "Pièces manquantes : avis d'imposition et dernières quittances"
        self.app.adjourn_request(case.id, reason)

    # -------------------------------------------------------------- decision (§4, §5)
    def _decide(self, case: DemoCase, session: date) -> None:
        commission = self.cast.commission
        rejected = case.plan.target is Status.REJECTED
        decide = self._reject if rejected else self._grant
        self.agenda.on(session, commission, lambda: decide(case))
        self.agenda.on(session + DAY, commission, lambda: _story(case).notify())
        if rejected:
            return
        self.agenda.on(session + 4 * DAY, case.referent_actor, lambda: self._draft_ceop(case))
        if case.plan.target is not Status.GRANTED:
            self._measure(case, session, start=session + 18 * DAY)

    def _reject(self, case: DemoCase) -> None:
        self.app.reject_request(case.id, "Ressources du ménage supérieures au plafond du FPEL")

    def _grant(self, case: DemoCase) -> None:
        plan = case.plan
        aid = case.aid_request.amount_requested
        self.app.grant_measure(
            case.id, plan.measure, plan.duration_months, plan.probation_months, aid
        )

    def _draft_ceop(self, case: DemoCase) -> None:
        commitments: tuple[Commitment, ...] = STANDARD_COMMITMENTS
        if case.has(Feature.LANDLORD_COMMITMENT):
            commitments = (*commitments, LANDLORD_COMMITMENT)
        self.app.draft_ceop(case.id, STANDARD_OBJECTIVES, STANDARD_STEPS, commitments)

    # -------------------------------------------------------------- the measure (§6–§8)
    def _measure(self, case: DemoCase, decided: date, start: date) -> None:
        """From the CEOP's signature (the measure's first day) to its end, or to today."""
        self._sign(case, start)
        silent_from = self._silent_from(case, start)
        quiet = self._suspension(case, start)
        ends_on = add_months(start, case.plan.duration_months)
        meetings = _meetings(case, start, min(ends_on, self.today), silent_from, quiet)
        end = ends_on if case.plan.target is Status.COMPLETED else self.today
        if silent_from is not None:
            end = self._silence(case, _last_presence(meetings, silent_from))
        elif case.plan.target is Status.STOPPED:
            end = self._stop(case, _next_thursday(start + 10 * WEEK), StopReason.HOUSEHOLD_MOVED)
        for meeting in meetings:
            if meeting.day < end:
                self.agenda.on(meeting.day, case.referent_actor, self._record(case, meeting))
        self._rent(case, decided, end, silent_from)
        self._follow_up(case, start, end)
        if case.has(Feature.FINAL_REPORT):
            report_day = _weekday_on_or_before(end + 10 * DAY)
            self.agenda.on(report_day, case.referent_actor, lambda: self._final_report(case))
        if case.plan.target is Status.ACTIVE:
            self._next_appointment(case)

    def _sign(self, case: DemoCase, start: date) -> None:
        """R6: the last signature, the referent's, starts the measure; the CEOP goes to the
        SPSLH two days later (R8)."""
        if case.has(Feature.LANDLORD_COMMITMENT):
            signed = start - 3 * DAY
            self.agenda.on(
                signed, case.landlord.staff.actor, self._signature(case, Signatory.LANDLORD, signed)
            )
        household = self._signature(case, Signatory.HOUSEHOLD, start)
        self.agenda.on(start, self._household_or_referent(case), household)
        self.agenda.on(start, case.referent_actor, lambda: self._start_measure(case, start))
        self.agenda.on(
            start + 2 * DAY, case.referent_actor, lambda: self.app.transmit_ceop(case.id)
        )

    def _signature(self, case: DemoCase, signatory: Signatory, day: date) -> Command:
        return lambda: self.app.record_ceop_signature(case.id, signatory, day)

    def _start_measure(self, case: DemoCase, day: date) -> None:
        self.app.record_ceop_signature(case.id, Signatory.REFERENT, day)
        self.watched.append(case)

    def _record(self, case: DemoCase, meeting: Meeting) -> Command:
        if isinstance(meeting, Visit):
            return lambda: self.app.record_visit(
                case.id, meeting.day, meeting.kind, meeting.themes, meeting.note, meeting.present
            )
        return lambda: self.app.record_contact(
            case.id,
            meeting.day,
            meeting.channel,
            meeting.by_household,
            meeting.themes,
            meeting.note,
        )

    # -------------------------------------------------------------- non-collaboration (R7)
    def _silent_from(self, case: DemoCase, start: date) -> date | None:
        """The Wednesday the household stops answering: eight weeks in, or a month ago (three
        weeks ago, with a last phone call since, for the alert that falls due today)."""
        if case.has(Feature.UNNOTICED_SILENCE):
            return start + (self.today - 23 * DAY - start).days // 7 * WEEK + 2 * DAY
        if not case.has(Feature.SILENCE):
            return None
        weeks = (
            8 if case.plan.target is Status.STOPPED else (self.today - 32 * DAY - start).days // 7
        )
        return start + weeks * WEEK + 2 * DAY

    def _silence(self, case: DemoCase, last_presence: date) -> date:
        """The alert falls due: the referent raises it on an active case (else the platform
        does, that evening); the commission invites the referent, and stops a measure whose
        story ends STOPPED. Returns the day the measure's follow-up ends.

        Where the alert falls due today, the household's last word is a phone call fifteen
        days ago, and the alert is left to the platform's daily clock: the demo is the past,
        and ``aspe serve`` runs the clock at start-up."""
        if case.has(Feature.UNNOTICED_SILENCE):
            call = self.today - (self.app.rules.silent_days_before_alert + 1) * DAY
            self.agenda.on(
                call,
                case.referent_actor,
                lambda: self.app.record_contact(
                    case.id, call, ContactChannel.PHONE, True, (Theme.HOUSING,)
                ),
            )
            return self.today
        due = last_presence + (self.app.rules.silent_days_before_alert + 1) * DAY
        if case.plan.target is Status.ACTIVE:
            self.agenda.on(due, case.referent_actor, lambda: self._raise_alert(case))
        session = _next_thursday(due + WEEK)
        self.agenda.on(
            due + 2 * DAY,
            self.cast.commission,
            lambda: self.app.issue_commission_invitation(case.id, session),
        )
        if case.plan.target is Status.STOPPED:
            return self._stop(case, session, StopReason.NON_COLLABORATION)
        return self.today

    def _raise_alert(self, case: DemoCase) -> None:
        self.app.raise_non_collaboration_alert(case.id)
        self.alerts += 1

    def _suspension(self, case: DemoCase, start: date) -> Period | None:
        """About two months ago the household calls: a hospitalisation of four weeks. Returns
        the days without visits or contacts, the call included."""
        if not case.has(Feature.SUSPENSION):
            return None
        weeks = max(1, (self.today - 60 * DAY - start).days // 7)
        call = start + weeks * WEEK + 2 * DAY
        suspended = Period(call + DAY, call + 28 * DAY)

        def suspend() -> None:
            self.app.record_contact(case.id, call, ContactChannel.PHONE, True, (Theme.HEALTH,))
            self.app.suspend_alert_clock(
                case.id,
                suspended.starts_on,
                suspended.ends_on,
                SuspensionReason.HOSPITALISATION,
                "Hospitalisation programmée, retour prévu dans quatre semaines",
            )

        self.agenda.on(call, case.referent_actor, suspend)
        return Period(call, suspended.ends_on)

    def _stop(self, case: DemoCase, session: date, reason: StopReason) -> date:
        details = STOP_DETAILS[reason]
        self.agenda.on(
            session, self.cast.commission, lambda: self.app.stop_measure(case.id, reason, details)
        )
        return session

    # -------------------------------------------------------------- around the visits
    def _rent(self, case: DemoCase, decided: date, end: date, silent_from: date | None) -> None:
        """The landlord reports each month's rent early the next month: paid again little by
        little (the ledger shows the resumption), nothing once the household is silent."""
        month = decided.replace(day=1)
        for number in range(case.plan.duration_months + 2):
            reported = _weekday_on_or_before(add_months(month, 1).replace(day=5))
            if reported >= end:
                return
            share = RENT_RESUMPTION[number] if number < len(RENT_RESUMPTION) else Decimal(1)
            if silent_from is not None and month >= silent_from.replace(day=1):
                share = Decimal(0)
            self.agenda.on(
                reported, case.landlord.staff.actor, self._rent_report(case, month, share)
            )
            month = add_months(month, 1)

    def _rent_report(self, case: DemoCase, month: date, share: Decimal) -> Command:
        rent = case.aid_request.monthly_rent
        paid = (rent * share).quantize(CENT)
        return lambda: self.app.report_rent_payment(case.id, month, rent, paid)

    def _follow_up(self, case: DemoCase, start: date, end: date) -> None:
        """Concertation with the landlord, objectives' progress, debts, handover."""
        referent = case.referent_actor
        budget, rent = "obj-budget", "obj-rent"
        actions: list[tuple[date, Who, Command]] = [
            (start + 16 * DAY, referent, lambda: self._concertation(case, start + 16 * DAY)),
            (
                start + 29 * DAY,
                referent,
                self._progress(case, budget, ObjectiveProgress.IN_PROGRESS),
            ),
            (start + 57 * DAY, referent, self._progress(case, budget, ObjectiveProgress.ACHIEVED)),
            (start + 57 * DAY, referent, self._progress(case, rent, ObjectiveProgress.IN_PROGRESS)),
        ]
        if case.has(Feature.DEBT_PLAN):
            actions.append((start + 9 * DAY, referent, lambda: self._debts(case)))
            actions.append((start + 16 * DAY, referent, lambda: self._repayment_plan(case)))
        if case.has(Feature.HANDOVER):
            handover = start + ((self.today - 40 * DAY - start).days // 7) * WEEK
            manager = case.association.manager.actor
            actions.append((handover, manager, lambda: self._handover(case)))
        for day, who, command in actions:
            if day < end:
                self.agenda.on(day, who, command)

    def _concertation(self, case: DemoCase, day: date) -> None:
        participants = [
            Participant(case.landlord.name, case.landlord.id),
            Participant("Conseillère de la CAF"),
        ]
        self.app.hold_concertation(
            case.id,
            day,
            "Dette locative et reprise du paiement du loyer",
            participants,
            "Le bailleur suspend la procédure le temps du plan d'apurement",
        )

    def _progress(self, case: DemoCase, objective: str, progress: ObjectiveProgress) -> Command:
        note = "Le ménage tient son tableau de budget."
        return lambda: self.app.record_objective_progress(case.id, objective, progress, note)

    def _debts(self, case: DemoCase) -> None:
        arrears = case.aid_request.rent_arrears
        case.debt_id = self.app.record_debt(case.id, case.landlord.name, arrears, True).id
        self.app.record_debt(case.id, "Fournisseur d'énergie", Decimal("640.00"), False)

    def _repayment_plan(self, case: DemoCase) -> None:
        assert case.debt_id is not None, "the debt is recorded first"
        today = self.cast.departement.clock.today()
        first_due = add_months(today.replace(day=1), 1)
        monthly = (case.aid_request.rent_arrears / 24).quantize(CENT)
        self.app.agree_repayment_plan(case.id, case.debt_id, monthly, first_due, 24)

    def _handover(self, case: DemoCase) -> None:
        successor = case.association.referents[0]
        self.app.assign_referent(case.id, successor.actor.id)
        case.referent = successor
        _story(case).referent = successor

    def _final_report(self, case: DemoCase) -> None:
        housed = case.plan.target is Status.COMPLETED
        summary = "Loyer courant repris, plan d'apurement tenu, budget géré par le ménage."
        self.app.submit_final_report(case.id, housed, summary)

    def _next_appointment(self, case: DemoCase) -> None:
        """Yesterday the referent booked the home visit of the coming Tuesday."""
        tuesday = self.today + timedelta(days=(1 - self.today.weekday()) % 7 or 7)
        planned = datetime.combine(tuesday, time(9, 30), tzinfo=UTC)
        self.agenda.on(
            self.today - DAY,
            case.referent_actor,
            lambda: self.app.schedule_visit(case.id, planned, VisitKind.HOME),
        )

    # -------------------------------------------------------------- the platform's evenings
    def evening(self, day: date) -> None:
        """What the scheduler does each night (DESIGN §8): end the measures that reached
        their term, and raise the non-collaboration alerts that are due."""
        with acting_as(SYSTEM_ACTOR, clock=self.cast.departement.clock):
            for case in list(self.watched):
                self._platform_duties(case, day)

    def _platform_duties(self, case: DemoCase, day: date) -> None:
        measure = self._as_it_stands(case)
        if measure.status is not Status.ACTIVE:
            self.watched.remove(case)
        elif measure.ends_on is not None and measure.ends_on <= day:
            self.app.complete_measure(case.id)
        elif measure.is_alert_due(day, self.app.rules):
            self._raise_alert(case)

    def _as_it_stands(self, case: DemoCase) -> Case:
        """The case kept in memory and brought up to date with its new events only.

        Loading every watched case every evening replays its whole stream and was most of
        the demo's load time; the platform's own detector reads a projection (DESIGN §5).
        """
        known = self.known.get(case.id)
        if known is None:
            known = self.app.get_case(case.id)
        else:
            new_events = self.app.repository.event_store.get(case.id, gt=known.version)
            known = project_aggregate(known, new_events)
        assert known is not None
        self.known[case.id] = known
        return known


STOP_DETAILS = {
    StopReason.NON_COLLABORATION: "Aucun contact malgré les relances et l'invitation",
    StopReason.HOUSEHOLD_MOVED: "Relogé dans le parc social d'un autre département",
}
RENT_RESUMPTION = (Decimal("0.4"), Decimal("0.8"))
"""Share of the rent paid in the first months of the measure; the whole of it afterwards."""
CENT = Decimal("0.01")


def _story(case: DemoCase) -> CaseStory:
    assert case.story is not None, "not opened yet"
    return case.story


def _phone(index: int) -> str:
    """A number of the range the ARCEP keeps for fiction (06 39 98 xx xx)."""
    return f"06 39 98 {index:02d} {(index * 37) % 100:02d}"


# ------------------------------------------------------------------------------- loading


def load_demo(app: AspeApplication, today: date) -> DemoReport:
    """Build the demo département in ``app``, its history ending the day before ``today``."""
    first_day = today - HISTORY_DAYS * DAY
    clock = Clock()
    clock.set_day(first_day, time(7, 0))
    cast = _register_cast(app, clock)
    agenda = Agenda(clock)
    script = _Script(cast, agenda, today)
    for plan in PLANS:
        script.write(plan)
    agenda.run(first_day, today, script.evening)
    return _report(cast, script, first_day, today)


def _report(cast: _Cast, script: _Script, first_day: date, today: date) -> DemoReport:
    statuses = [_checked_status(cast.app, case) for case in script.cases]
    return DemoReport(
        accounts=tuple(
            DemoAccount(role, account.email, account.name, account.actor.id)
            for role in LOGINS
            for account in [cast.logins[role]]
        ),
        password=DEFAULT_PASSWORD,
        first_day=first_day,
        last_day=today - DAY,
        cases_by_status={status: statuses.count(status) for status in Status},
        sample_cases=tuple(
            SampleCase(case.plan.target, case.plan.label, case.id)
            for case in script.cases
            if case.plan.label
        ),
        households=len(script.cases),
        organisations=3 + len(cast.associations) + len(cast.landlords),
        staff=len(cast.departement.accounts),
        alerts=script.alerts,
        events=cast.app.head(),
    )


def _checked_status(app: AspeApplication, case: DemoCase) -> Status:
    status = app.get_case(case.id).status
    if status is not case.plan.target:
        raise DemoInconsistent(
            f"The demo case of {case.household_name} is {status.value}, "
            f"expected {case.plan.target.value}."
        )
    return status
