"""The Case: one household's path from diagnostic to the end of its measure.

DIAGNOSTIC → SUBMITTED → REGISTERED → (REJECTED | ADJOURNED → REGISTERED | GRANTED)
→ ACTIVE (CEOP signed) → (STOPPED | COMPLETED)

Public methods are commands: they check who acts (``case_policy``), the status, and the
rule they serve, compute dates and ids, then trigger one event. The private ``@event``
methods only apply; nothing in them reads a clock or makes an id. Personal data (names,
free-text notes, health items) travels in event attributes of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TypeVar
from uuid import UUID, uuid4

from eventsourcing.domain import event

from aspe.domain.actors import ASSOCIATION_ROLES, Actor, Role, current_actor, current_context
from aspe.domain.audited import AuditedAggregate
from aspe.domain.availability import (
    CEOP_SIGNERS,
    CaseCommand,
    Situation,
    available_commands,
    refusal,
)
from aspe.domain.catalogue import theme_of_action
from aspe.domain.errors import (
    AlertNotDue,
    AlreadyDone,
    DurationShorterThanProbation,
    InvalidInput,
    NotAuthorised,
    NotEligible,
    NotQualified,
    SignatureNotRequired,
)
from aspe.domain.guards import require_not_future, require_text
from aspe.domain.household import Household
from aspe.domain.rules import (
    DEFAULT_RULES,
    RuleParameters,
    add_months,
    anchor_of_silence,
    count_silent_days,
    non_collaboration_alert_due,
)
from aspe.domain.staff import Staff
from aspe.domain.values import (
    OPEN_STATUSES,
    AccompanimentKind,
    AidRequest,
    Commitment,
    ConsentScope,
    ContactChannel,
    DocumentKind,
    Finding,
    MeasureType,
    Objective,
    ObjectiveProgress,
    Participant,
    Party,
    Period,
    Signatory,
    Status,
    Step,
    StopReason,
    SuspensionReason,
    Theme,
    VisitKind,
)

C = CaseCommand
_Themed = TypeVar("_Themed", Finding, Objective)


def _split_health(items: Sequence[_Themed]) -> tuple[list[_Themed], list[_Themed]]:
    general = [item for item in items if item.theme is not Theme.HEALTH]
    health = [item for item in items if item.theme is Theme.HEALTH]
    return general, health


def _check_objectives(objectives: Sequence[Objective]) -> None:
    """R11: an objective names a catalogue action of its own theme, or is free text."""
    for objective in objectives:
        require_text(objective.label, "objectif", field="objectives")
        if (
            objective.action is not None
            and theme_of_action(objective.action) is not objective.theme
        ):
            raise InvalidInput(
                f"L'action « {objective.action} » n'appartient pas à ce thème.", field="objectives"
            )


def _check_amount(amount: Decimal, what: str, field: str, *, positive: bool = False) -> None:
    if amount < 0 or (positive and amount == 0):
        raise InvalidInput(f"Le montant {what} est invalide.", field=field)


SHA256_HEX = frozenset("0123456789abcdef")
MAX_FILENAME_LENGTH = 200


def _document_filename(filename: str) -> str:
    """The file's own name, without any folder a browser may have sent with it."""
    name = require_text(
        filename.replace("\\", "/").rsplit("/", 1)[-1], "nom du fichier", field="filename"
    )
    if len(name) > MAX_FILENAME_LENGTH or any(ord(char) < 32 for char in name):
        raise InvalidInput("Le nom du fichier est invalide.", field="filename")
    return name


class CeopVersionWritten(AuditedAggregate.Event):
    """A version of the CEOP written (drafted or amended), with no signature yet. The two
    events differ by name only: what a version holds, and what it does to the case, is
    said once, here."""

    version: int
    objectives: list[Objective]
    health_objectives: list[Objective]
    steps: list[Step]
    commitments: list[Commitment]
    required_signatories: list[Signatory]
    drafted_on: date

    def apply(self, case: Case) -> None:
        case.ceop_version = self.version
        case.ceop_objectives = [*self.objectives, *self.health_objectives]
        case.ceop_steps = list(self.steps)
        case.ceop_commitments = list(self.commitments)
        case.ceop_required = list(self.required_signatories)
        case.ceop_signatures = {}
        case.ceop_drafted_on = self.drafted_on


class Case(AuditedAggregate):
    document_hashes: Sequence[str] = ()
    """The SHA-256 of each document joined to the case (a class default: cases stored
    before documents existed, and their snapshots, have none)."""
    open_combination_conflicts: int = 0
    """R9 conflicts raised and not yet settled (a class default, as above)."""
    archived_on: date | None = None
    """The day its active retention ended (``archive``); a class default, as above."""

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(cls, household: Household, referent: Staff) -> Case:
        """An association opens the diagnostic of a household, naming its referent (R10)."""
        actor = current_actor()
        if actor.role not in ASSOCIATION_ROLES:
            raise NotAuthorised()
        household.check_actor_may_act_on()  # first: nothing said of another's household
        if actor.role is Role.REFERENT and actor.id != referent.id:
            raise NotAuthorised("Seul un responsable peut confier un dossier à un autre référent.")
        _check_referent(referent, actor.organisation_id)
        case = cls(
            household_id=household.id,
            association_id=referent.organisation_id,
            landlord_id=household.landlord_id,
            referent_id=referent.id,
            opened_on=current_context().today(),
        )
        household.claim_for_case(case.id)
        return case

    class Opened(AuditedAggregate.Created):
        household_id: UUID
        association_id: UUID
        landlord_id: UUID
        referent_id: UUID
        opened_on: date

    @event(Opened)
    def __init__(
        self,
        household_id: UUID,
        association_id: UUID,
        landlord_id: UUID,
        referent_id: UUID,
        opened_on: date,
    ) -> None:
        self.household_id = household_id
        self.association_id = association_id
        self.landlord_id = landlord_id
        self.referent_id = referent_id
        self.opened_on = opened_on
        self.status = Status.DIAGNOSTIC
        self.former_referents: dict[str, date] = {}
        self.findings: list[Finding] = []
        self.proposed_objectives: list[Objective] = []
        self.diagnosed_on: date | None = None
        self.consents: list[ConsentScope] = []
        self.aid_request: AidRequest | None = None
        self.proposed_measure: MeasureType | None = None
        self.proposed_duration_months: int | None = None
        self.commission_session_on: date | None = None
        self.measure_type: MeasureType | None = None
        self.duration_months: int | None = None
        self.probation_months: int | None = None
        self.aid_granted: Decimal | None = None
        self.decided_on: date | None = None
        self.decision_notified_on: date | None = None
        self.ceop_version = 0
        self.ceop_objectives: list[Objective] = []
        self.ceop_steps: list[Step] = []
        self.ceop_commitments: list[Commitment] = []
        self.ceop_required: list[Signatory] = []
        self.ceop_signatures: dict[str, date] = {}
        self.ceop_drafted_on: date | None = None
        self.ceop_signed_version = 0
        self.ceop_transmitted_version = 0
        self.starts_on: date | None = None
        self.ends_on: date | None = None
        self.scheduled_visits: dict[str, datetime] = {}
        self.visits_recorded = 0
        self.contacts_recorded = 0
        self.last_contact_on: date | None = None
        self.suspensions: list[Period] = []
        self.alerted_silences: list[date] = []
        self.objective_progress: dict[str, ObjectiveProgress] = {}
        self.debts: dict[str, Decimal] = {}
        self.repayment_plans: list[str] = []
        self.stopped_on: date | None = None
        self.stop_reason: StopReason | None = None
        self.completed_on: date | None = None
        self.final_report_on: date | None = None

    # ---------------------------------------------------------------- guards
    def _guard(self, command: CaseCommand, rules: RuleParameters = DEFAULT_RULES) -> None:
        """The command's entry in ``AVAILABILITY``: who, in which status, once what is done
        (authorisation first: it reveals nothing of the case)."""
        error = refusal(self, command, self._situation(current_actor(), rules))
        if error is not None:
            raise error

    @staticmethod
    def _situation(actor: Actor, rules: RuleParameters) -> Situation:
        return Situation(actor, current_context().today(), rules)

    def available_commands(
        self, actor: Actor, today: date, rules: RuleParameters = DEFAULT_RULES
    ) -> list[CaseCommand]:
        """What ``actor`` may run on this case on ``today``, before any input is given."""
        return available_commands(self, Situation(actor, today, rules))

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def check_may_correct_household_details(self) -> None:
        """Who may correct this case's household's details, now (``Household.correct_details``
        asks the case: the household's referent is the case's)."""
        self._guard(C.CORRECT_HOUSEHOLD_DETAILS)

    # ---------------------------------------------------------- referent (R10)
    def assign_referent(self, referent: Staff, rules: RuleParameters = DEFAULT_RULES) -> None:
        """Handover: the previous referent keeps read access for a configured number of days."""
        self._guard(C.ASSIGN_REFERENT)
        _check_referent(referent, self.association_id)
        if referent.id == self.referent_id:
            raise AlreadyDone("Ce référent est déjà en charge du dossier.", field="referent_id")
        today = current_context().today()
        until = date.fromordinal(today.toordinal() + rules.previous_referent_access_days)
        self._assign_referent(referent.id, self.referent_id, until)

    class ReferentAssigned(AuditedAggregate.Event):
        referent_id: UUID
        previous_referent_id: UUID
        previous_access_until: date

    @event(ReferentAssigned)
    def _assign_referent(
        self, referent_id: UUID, previous_referent_id: UUID, previous_access_until: date
    ) -> None:
        self.former_referents[previous_referent_id.hex] = previous_access_until
        self.former_referents.pop(referent_id.hex, None)
        self.referent_id = referent_id

    # ------------------------------------------------------------ diagnostic (R3)
    def record_diagnostic(
        self, findings: Sequence[Finding], objectives: Sequence[Objective]
    ) -> None:
        self._guard(C.RECORD_DIAGNOSTIC)
        if not findings:
            raise InvalidInput("Le diagnostic analyse au moins une difficulté.", field="findings")
        for finding in findings:
            require_text(finding.difficulty, "difficulté", field="findings")
        _check_objectives(objectives)
        general_findings, health_findings = _split_health(findings)
        general_objectives, health_objectives = _split_health(objectives)
        self._record_diagnostic(
            recorded_on=current_context().today(),
            findings=general_findings,
            objectives=general_objectives,
            health_findings=health_findings,
            health_objectives=health_objectives,
        )

    class DiagnosticRecorded(AuditedAggregate.Event):
        recorded_on: date
        findings: list[Finding]
        objectives: list[Objective]
        health_findings: list[Finding]
        health_objectives: list[Objective]

    @event(DiagnosticRecorded)
    def _record_diagnostic(
        self,
        recorded_on: date,
        findings: list[Finding],
        objectives: list[Objective],
        health_findings: list[Finding],
        health_objectives: list[Objective],
    ) -> None:
        self.diagnosed_on = recorded_on
        self.findings = [*findings, *health_findings]
        self.proposed_objectives = [*objectives, *health_objectives]

    # ---------------------------------------------------------------- consent
    def record_consent(self, scope: ConsentScope) -> None:
        self._guard(C.RECORD_CONSENT)
        if scope in self.consents:
            raise AlreadyDone("Ce consentement est déjà enregistré.")
        self._record_consent(scope, current_context().today())

    class ConsentRecorded(AuditedAggregate.Event):
        scope: ConsentScope
        given_on: date

    @event(ConsentRecorded)
    def _record_consent(self, scope: ConsentScope, given_on: date) -> None:
        self.consents.append(scope)

    def withdraw_consent(self, scope: ConsentScope) -> None:
        self._guard(C.WITHDRAW_CONSENT)
        if scope not in self.consents:
            raise AlreadyDone("Ce consentement n'est pas enregistré.")
        self._withdraw_consent(scope, current_context().today())

    class ConsentWithdrawn(AuditedAggregate.Event):
        scope: ConsentScope
        withdrawn_on: date

    @event(ConsentWithdrawn)
    def _withdraw_consent(self, scope: ConsentScope, withdrawn_on: date) -> None:
        self.consents.remove(scope)

    def has_consent(self, scope: ConsentScope) -> bool:
        return scope in self.consents

    # --------------------------------------------------------- request (R1, R2, R9)
    def submit_request(
        self,
        aid_request: AidRequest | None,
        proposed_measure: MeasureType,
        proposed_duration_months: int,
        household: Household,
    ) -> None:
        self._guard(C.SUBMIT_REQUEST)
        self._check_eligible(aid_request)
        assert aid_request is not None  # narrowed by the check above
        if proposed_duration_months < 1:
            raise InvalidInput(
                "La durée proposée est d'au moins un mois.", field="proposed_duration_months"
            )
        current_context().bounds.check_measure_months(
            proposed_duration_months, "La durée proposée", field="proposed_duration_months"
        )
        today = current_context().today()
        # R9: the period the measure would cover, were it to start today.
        household.check_no_accompaniment_during(today, add_months(today, proposed_duration_months))
        self._submit_request(aid_request, proposed_measure, proposed_duration_months, today)

    @staticmethod
    def _check_eligible(aid_request: AidRequest | None) -> None:
        """R1: only households that filed an FPEL aid request are eligible."""
        if aid_request is None:
            raise NotEligible()
        _check_amount(
            aid_request.amount_requested,
            "de l'aide demandée",
            "aid_request.amount_requested",
            positive=True,
        )
        _check_amount(aid_request.rent_arrears, "de la dette locative", "aid_request.rent_arrears")
        _check_amount(
            aid_request.monthly_rent, "du loyer", "aid_request.monthly_rent", positive=True
        )

    class RequestSubmitted(AuditedAggregate.Event):
        aid_request: AidRequest
        proposed_measure: MeasureType
        proposed_duration_months: int
        submitted_on: date

    @event(RequestSubmitted)
    def _submit_request(
        self,
        aid_request: AidRequest,
        proposed_measure: MeasureType,
        proposed_duration_months: int,
        submitted_on: date,
    ) -> None:
        self.aid_request = aid_request
        self.proposed_measure = proposed_measure
        self.proposed_duration_months = proposed_duration_months
        self.status = Status.SUBMITTED

    def register_request(self, commission_session_on: date) -> None:
        """The SPSLH registers the request on a commission session's agenda."""
        self._guard(C.REGISTER_REQUEST)
        if commission_session_on < current_context().today():
            raise InvalidInput(
                "La séance de la commission ne peut pas être passée.",
                field="commission_session_on",
            )
        self._register_request(commission_session_on, current_context().today())

    class RequestRegistered(AuditedAggregate.Event):
        commission_session_on: date
        registered_on: date

    @event(RequestRegistered)
    def _register_request(self, commission_session_on: date, registered_on: date) -> None:
        self.commission_session_on = commission_session_on
        self.status = Status.REGISTERED

    def adjourn_request(self, reason: str) -> None:
        self._guard(C.ADJOURN_REQUEST)
        self._adjourn_request(
            require_text(reason, "motif", field="reason"), current_context().today()
        )

    class RequestAdjourned(AuditedAggregate.Event):
        reason: str
        adjourned_on: date

    @event(RequestAdjourned)
    def _adjourn_request(self, reason: str, adjourned_on: date) -> None:
        self.status = Status.ADJOURNED

    def reject_request(self, reason: str, household: Household) -> None:
        self._guard(C.REJECT_REQUEST)
        self._reject_request(
            require_text(reason, "motif", field="reason"), current_context().today()
        )
        household.release_case(self.id)

    class RequestRejected(AuditedAggregate.Event):
        reason: str
        rejected_on: date

    @event(RequestRejected)
    def _reject_request(self, reason: str, rejected_on: date) -> None:
        self.decided_on = rejected_on
        self.status = Status.REJECTED

    # ----------------------------------------------------------- decision (R4, R5)
    def grant_measure(
        self,
        measure_type: MeasureType,
        duration_months: int,
        probation_months: int,
        aid_granted: Decimal,
        household: Household,
    ) -> None:
        self._guard(C.GRANT_MEASURE)
        if probation_months < 0 or duration_months < 1:
            raise InvalidInput("Durées invalides.", field="duration_months")
        current_context().bounds.check_measure_months(
            duration_months, "La durée de la mesure", field="duration_months"
        )
        self.check_duration_covers_probation(duration_months, probation_months)
        _check_amount(aid_granted, "de l'aide accordée", "aid_granted")
        today = current_context().today()
        household.check_no_accompaniment_during(today, add_months(today, duration_months))
        assert self.proposed_measure is not None  # set by submit_request
        self._grant_measure(
            proposed_measure=self.proposed_measure,
            measure_type=measure_type,
            duration_months=duration_months,
            probation_months=probation_months,
            aid_granted=aid_granted,
            decided_on=today,
        )

    @staticmethod
    def check_duration_covers_probation(duration_months: int, probation_months: int) -> None:
        """R5: the measure is never shorter than the aid's probation period."""
        if duration_months < probation_months:
            raise DurationShorterThanProbation()

    class MeasureGranted(AuditedAggregate.Event):
        proposed_measure: MeasureType
        measure_type: MeasureType
        duration_months: int
        probation_months: int
        aid_granted: Decimal
        decided_on: date

    @event(MeasureGranted)
    def _grant_measure(
        self,
        proposed_measure: MeasureType,
        measure_type: MeasureType,
        duration_months: int,
        probation_months: int,
        aid_granted: Decimal,
        decided_on: date,
    ) -> None:
        self.measure_type = measure_type
        self.duration_months = duration_months
        self.probation_months = probation_months
        self.aid_granted = aid_granted
        self.decided_on = decided_on
        self.status = Status.GRANTED

    def notify_decision(self) -> None:
        """R2: the commission's decision is notified (to the household and association)."""
        self._guard(C.NOTIFY_DECISION)
        self._notify_decision(current_context().today())

    class DecisionNotified(AuditedAggregate.Event):
        notified_on: date

    @event(DecisionNotified)
    def _notify_decision(self, notified_on: date) -> None:
        self.decision_notified_on = notified_on

    # ------------------------------------------------------------ CEOP (R6, R8)
    def draft_ceop(
        self,
        objectives: Sequence[Objective],
        steps: Sequence[Step],
        commitments: Sequence[Commitment],
    ) -> None:
        """The first CEOP (or a redraft before it is signed): the measure is not active yet."""
        self._guard(C.DRAFT_CEOP)
        self._trigger_ceop_version(self.CeopDrafted, objectives, steps, commitments)

    def amend_ceop(
        self,
        objectives: Sequence[Objective],
        steps: Sequence[Step],
        commitments: Sequence[Commitment],
    ) -> None:
        """A new version of a signed CEOP, with its own signatures; the measure's dates stay."""
        self._guard(C.AMEND_CEOP)
        self._trigger_ceop_version(self.CeopAmended, objectives, steps, commitments)

    def _trigger_ceop_version(
        self,
        event_class: type[CeopVersionWritten],
        objectives: Sequence[Objective],
        steps: Sequence[Step],
        commitments: Sequence[Commitment],
    ) -> None:
        if not objectives:
            raise InvalidInput("Le CEOP définit au moins un objectif.", field="objectives")
        _check_objectives(objectives)
        for step in steps:
            require_text(step.label, "étape", field="steps")
        parties = {commitment.party for commitment in commitments}
        if not {Party.HOUSEHOLD, Party.REFERENT} <= parties:
            raise InvalidInput(
                "Le CEOP précise les engagements du ménage et du référent.", field="commitments"
            )
        required = [Signatory.HOUSEHOLD, Signatory.REFERENT]
        if Party.LANDLORD in parties:
            required.append(Signatory.LANDLORD)
        general, health = _split_health(objectives)
        self.trigger_event(
            event_class,
            version=self.ceop_version + 1,
            objectives=general,
            health_objectives=health,
            steps=list(steps),
            commitments=list(commitments),
            required_signatories=required,
            drafted_on=current_context().today(),
        )

    class CeopDrafted(CeopVersionWritten):
        """The first version of the CEOP, or a redraft before it is signed."""

    class CeopAmended(CeopVersionWritten):
        """A new version of a signed CEOP, to be signed again."""

    @property
    def ceop_awaiting_signatures(self) -> bool:
        return self.ceop_version > self.ceop_signed_version

    def record_ceop_signature(self, signatory: Signatory, signed_on: date) -> None:
        """One party signs the pending CEOP version; the last required one makes it signed.

        R6: a first CEOP signed starts the measure that very day (the day the last required
        signature is given); it ends ``duration_months`` later.
        """
        self._guard(C.RECORD_CEOP_SIGNATURE)
        if not CEOP_SIGNERS[signatory](self, current_actor()):
            raise NotAuthorised()
        if signatory not in self.ceop_required:
            raise SignatureNotRequired()
        if signatory.value in self.ceop_signatures:
            raise AlreadyDone("Cette partie a déjà signé cette version du CEOP.", field="signatory")
        require_not_future(signed_on, "de signature", field="signed_on")
        if self.ceop_drafted_on is not None and signed_on < self.ceop_drafted_on:
            raise InvalidInput(
                "La signature ne peut précéder la rédaction de cette version.", field="signed_on"
            )
        self._record_ceop_signature(self.ceop_version, signatory, signed_on)
        if all(s.value in self.ceop_signatures for s in self.ceop_required):
            self._sign_ceop_version()

    class CeopSignatureRecorded(AuditedAggregate.Event):
        version: int
        signatory: Signatory
        signed_on: date

    @event(CeopSignatureRecorded)
    def _record_ceop_signature(self, version: int, signatory: Signatory, signed_on: date) -> None:
        self.ceop_signatures[signatory.value] = signed_on

    def _sign_ceop_version(self) -> None:
        signed_on = max(self.ceop_signatures.values())
        starts_on = self.starts_on or signed_on
        assert self.duration_months is not None  # set by grant_measure
        ends_on = self.ends_on or add_months(starts_on, self.duration_months)
        self._ceop_signed(self.ceop_version, signed_on, starts_on, ends_on)

    class CeopSigned(AuditedAggregate.Event):
        version: int
        signed_on: date
        starts_on: date
        ends_on: date

    @event(CeopSigned)
    def _ceop_signed(self, version: int, signed_on: date, starts_on: date, ends_on: date) -> None:
        self.ceop_signed_version = version
        self.starts_on = starts_on
        self.ends_on = ends_on
        self.status = Status.ACTIVE

    def transmit_ceop(self) -> None:
        """R8: the signed CEOP is sent to the SPSLH."""
        self._guard(C.TRANSMIT_CEOP)
        self._transmit_ceop(self.ceop_signed_version, current_context().today())

    class CeopTransmitted(AuditedAggregate.Event):
        version: int
        transmitted_on: date

    @event(CeopTransmitted)
    def _transmit_ceop(self, version: int, transmitted_on: date) -> None:
        self.ceop_transmitted_version = version

    def record_objective_progress(
        self, objective_id: str, progress: ObjectiveProgress, note: str = ""
    ) -> None:
        self._guard(C.RECORD_OBJECTIVE_PROGRESS)
        if objective_id not in {objective.id for objective in self.ceop_objectives}:
            raise InvalidInput("Cet objectif ne figure pas au CEOP.", field="objective_id")
        self._record_objective_progress(
            objective_id, progress, current_context().today(), note.strip()
        )

    class ObjectiveProgressRecorded(AuditedAggregate.Event):
        objective_id: str
        progress: ObjectiveProgress
        recorded_on: date
        note: str

    @event(ObjectiveProgressRecorded)
    def _record_objective_progress(
        self, objective_id: str, progress: ObjectiveProgress, recorded_on: date, note: str
    ) -> None:
        self.objective_progress[objective_id] = progress

    # ---------------------------------------------- visits and contacts (R4, R7)
    def schedule_visit(self, planned_at: datetime, kind: VisitKind) -> str:
        self._guard(C.SCHEDULE_VISIT)
        if planned_at.tzinfo is None:
            raise InvalidInput(
                "L'heure du rendez-vous doit préciser son fuseau horaire.", field="planned_at"
            )
        try:
            # Stored in UTC: a zone's name does not survive the store, so a live and a
            # replayed case would otherwise differ (by an hour, a week later, across a change
            # of time).
            planned_utc = planned_at.astimezone(UTC)
        except OverflowError:
            raise InvalidInput(
                "La date du rendez-vous est hors des dates possibles.", field="planned_at"
            ) from None
        visit_id = uuid4().hex
        self._schedule_visit(visit_id, planned_utc, kind)
        return visit_id

    class VisitScheduled(AuditedAggregate.Event):
        visit_id: str
        planned_at: datetime
        kind: VisitKind

    @event(VisitScheduled)
    def _schedule_visit(self, visit_id: str, planned_at: datetime, kind: VisitKind) -> None:
        self.scheduled_visits[visit_id] = planned_at

    def record_visit(
        self,
        occurred_on: date,
        kind: VisitKind,
        themes: Sequence[Theme],
        note: str = "",
        household_present: bool = True,
        visit_id: str | None = None,
    ) -> None:
        """A visit (at home or elsewhere). It counts as a meeting when the household was there."""
        self._guard(C.RECORD_VISIT)
        self._check_during_measure(occurred_on)
        if visit_id is not None and visit_id not in self.scheduled_visits:
            raise InvalidInput("Ce rendez-vous n'est pas programmé.", field="visit_id")
        self._record_visit(
            visit_id or uuid4().hex, occurred_on, kind, list(themes), household_present, note
        )

    def _check_during_measure(self, day: date) -> None:
        require_not_future(day, "de l'intervention", field="occurred_on")
        assert self.starts_on is not None  # ACTIVE cases have started
        if day < self.starts_on:
            raise InvalidInput("La date précède le début de la mesure.", field="occurred_on")

    class VisitRecorded(AuditedAggregate.Event):
        visit_id: str
        occurred_on: date
        kind: VisitKind
        themes: list[Theme]
        household_present: bool
        note: str

    @event(VisitRecorded)
    def _record_visit(
        self,
        visit_id: str,
        occurred_on: date,
        kind: VisitKind,
        themes: list[Theme],
        household_present: bool,
        note: str,
    ) -> None:
        self.scheduled_visits.pop(visit_id, None)
        self.visits_recorded += 1
        if household_present:
            self._heard_from_household(occurred_on)

    def _heard_from_household(self, on: date) -> None:
        if self.last_contact_on is None or on > self.last_contact_on:
            self.last_contact_on = on

    def record_missed_visit(self, visit_id: str, reason: str = "") -> None:
        self._guard(C.RECORD_MISSED_VISIT)
        if visit_id not in self.scheduled_visits:
            raise InvalidInput("Ce rendez-vous n'est pas programmé.", field="visit_id")
        self._record_missed_visit(visit_id, reason.strip())

    class VisitMissed(AuditedAggregate.Event):
        visit_id: str
        reason: str

    @event(VisitMissed)
    def _record_missed_visit(self, visit_id: str, reason: str) -> None:
        self.scheduled_visits.pop(visit_id, None)

    def record_contact(
        self,
        occurred_on: date,
        channel: ContactChannel,
        initiated_by_household: bool,
        themes: Sequence[Theme] = (),
        note: str = "",
        household_took_part: bool = True,
    ) -> None:
        """A contact with the household, or an attempt at one. R7 counts silence "sans
        rencontres ni contacts du ménage": only a contact the household took part in (a call
        it answered or made, a reply from it) ends the silence; a letter sent, a message
        left or an unanswered call is recorded — it shows the association's effort — and
        the clock runs on."""
        self._guard(C.RECORD_CONTACT)
        self._check_during_measure(occurred_on)
        if initiated_by_household and not household_took_part:
            raise InvalidInput(
                "Un contact à l'initiative du ménage est un contact auquel il a pris part."
            )
        self._record_contact(
            occurred_on, channel, initiated_by_household, list(themes), note, household_took_part
        )

    class ContactRecorded(AuditedAggregate.Event):
        occurred_on: date
        channel: ContactChannel
        initiated_by_household: bool
        themes: list[Theme]
        note: str
        household_took_part: bool = True

    @event(ContactRecorded)
    def _record_contact(
        self,
        occurred_on: date,
        channel: ContactChannel,
        initiated_by_household: bool,
        themes: list[Theme],
        note: str,
        # Contacts stored before R7 was read closely carry no answer: each of them ended
        # the silence then, and replaying them must give the same clock.
        household_took_part: bool = True,
    ) -> None:
        self.contacts_recorded += 1
        if household_took_part:
            self._heard_from_household(occurred_on)

    # --------------------------------------------- non-collaboration (R7)
    def silence_anchor(self) -> date | None:
        """The later of the measure's start and the last meeting or contact."""
        return anchor_of_silence(self.starts_on, self.last_contact_on)

    def silent_days(self, as_of: date) -> int:
        """Whole days after the anchor and before ``as_of``, less the suspended ones."""
        return count_silent_days(self.silence_anchor(), as_of, self.suspensions)

    def is_alert_due(self, as_of: date, rules: RuleParameters = DEFAULT_RULES) -> bool:
        """One alert per silent period, once ``silent_days_before_alert`` have passed."""
        return self.status is Status.ACTIVE and non_collaboration_alert_due(
            self.silence_anchor(), as_of, self.suspensions, self.alerted_silences, rules
        )

    def suspend_alert_clock(
        self, starts_on: date, ends_on: date, reason: SuspensionReason, details: str = ""
    ) -> None:
        """The referent stops the clock for a stated reason and period (hospitalisation…)."""
        self._guard(C.SUSPEND_ALERT_CLOCK)
        if ends_on < starts_on:
            raise InvalidInput("La fin de la suspension précède son début.", field="ends_on")
        current_context().bounds.check_suspension(starts_on, ends_on)
        self._suspend_alert_clock(Period(starts_on, ends_on), reason, details.strip())

    class AlertClockSuspended(AuditedAggregate.Event):
        period: Period
        reason: SuspensionReason
        details: str

    @event(AlertClockSuspended)
    def _suspend_alert_clock(self, period: Period, reason: SuspensionReason, details: str) -> None:
        self.suspensions.append(period)

    def raise_non_collaboration_alert(
        self, as_of: date, rules: RuleParameters = DEFAULT_RULES
    ) -> None:
        """R7: the association alerts the commission (or the platform's detector does)."""
        self._guard(C.RAISE_NON_COLLABORATION_ALERT, rules)
        require_not_future(as_of, "de constat", field="as_of")
        if not self.is_alert_due(as_of, rules):
            raise AlertNotDue()
        anchor = self.silence_anchor()
        assert anchor is not None  # is_alert_due requires it
        self._raise_alert(anchor, self.silent_days(as_of), as_of)

    class NonCollaborationAlertRaised(AuditedAggregate.Event):
        silent_since: date
        silent_days: int
        raised_on: date

    @event(NonCollaborationAlertRaised)
    def _raise_alert(self, silent_since: date, silent_days: int, raised_on: date) -> None:
        self.alerted_silences.append(silent_since)

    # ------------------------------------------------ concertations and invitations (R12)
    def hold_concertation(
        self,
        held_on: date,
        subject: str,
        participants: Sequence[Participant],
        outcome: str = "",
    ) -> None:
        self._guard(C.HOLD_CONCERTATION)
        require_not_future(held_on, "de la concertation", field="held_on")
        if not participants:
            raise InvalidInput(
                "Une concertation réunit au moins un autre intervenant.", field="participants"
            )
        self._hold_concertation(
            uuid4().hex,
            held_on,
            require_text(subject, "objet", field="subject"),
            list(participants),
            outcome,
        )

    class ConcertationHeld(AuditedAggregate.Event):
        concertation_id: str
        held_on: date
        subject: str
        participants: list[Participant]
        outcome: str

    @event(ConcertationHeld)
    def _hold_concertation(
        self,
        concertation_id: str,
        held_on: date,
        subject: str,
        participants: list[Participant],
        outcome: str,
    ) -> None:
        pass

    def issue_commission_invitation(self, session_on: date, invitee_id: UUID) -> None:
        """R12: the referent attends the commission on invitation."""
        self._guard(C.ISSUE_COMMISSION_INVITATION)
        if session_on < current_context().today():
            raise InvalidInput(
                "La séance de la commission ne peut pas être passée.", field="session_on"
            )
        if invitee_id != self.referent_id:
            raise InvalidInput(
                "Seul le référent du dossier peut être invité à la commission.",
                field="invitee_id",
            )
        self._issue_commission_invitation(session_on, invitee_id)

    class CommissionInvitationIssued(AuditedAggregate.Event):
        session_on: date
        invitee_id: UUID

    @event(CommissionInvitationIssued)
    def _issue_commission_invitation(self, session_on: date, invitee_id: UUID) -> None:
        pass

    # ------------------------------------------------------------ debts and rent
    def record_debt(self, creditor: str, amount: Decimal, creditor_is_landlord: bool) -> str:
        self._guard(C.RECORD_DEBT)
        _check_amount(amount, "de la dette", "amount", positive=True)
        debt_id = uuid4().hex
        self._record_debt(
            debt_id,
            require_text(creditor, "créancier", field="creditor"),
            amount,
            creditor_is_landlord,
        )
        return debt_id

    class DebtRecorded(AuditedAggregate.Event):
        debt_id: str
        creditor: str
        amount: Decimal
        creditor_is_landlord: bool

    @event(DebtRecorded)
    def _record_debt(
        self, debt_id: str, creditor: str, amount: Decimal, creditor_is_landlord: bool
    ) -> None:
        self.debts[debt_id] = amount

    def agree_repayment_plan(
        self, debt_id: str, monthly_amount: Decimal, first_due_on: date, months: int
    ) -> None:
        self._guard(C.AGREE_REPAYMENT_PLAN)
        if debt_id not in self.debts:
            raise InvalidInput("Cette dette n'est pas enregistrée.", field="debt_id")
        _check_amount(monthly_amount, "de l'échéance", "monthly_amount", positive=True)
        if months < 1:
            raise InvalidInput("Un plan d'apurement compte au moins une échéance.", field="months")
        self._agree_repayment_plan(debt_id, monthly_amount, first_due_on, months)

    class RepaymentPlanAgreed(AuditedAggregate.Event):
        debt_id: str
        monthly_amount: Decimal
        first_due_on: date
        months: int

    @event(RepaymentPlanAgreed)
    def _agree_repayment_plan(
        self, debt_id: str, monthly_amount: Decimal, first_due_on: date, months: int
    ) -> None:
        self.repayment_plans.append(debt_id)

    def report_rent_payment(self, month: date, amount_due: Decimal, amount_paid: Decimal) -> None:
        """The landlord reports a month's rent: due, paid (the ledger shows resumption)."""
        self._guard(C.REPORT_RENT_PAYMENT)
        _check_amount(amount_due, "du loyer dû", "amount_due", positive=True)
        _check_amount(amount_paid, "du loyer payé", "amount_paid")
        require_not_future(month.replace(day=1), "du mois", field="month")
        self._report_rent_payment(month.replace(day=1), amount_due, amount_paid)

    class RentPaymentReported(AuditedAggregate.Event):
        month: date
        amount_due: Decimal
        amount_paid: Decimal

    @event(RentPaymentReported)
    def _report_rent_payment(self, month: date, amount_due: Decimal, amount_paid: Decimal) -> None:
        pass

    # ---------------------------------------------------------------- documents
    def attach_document(
        self, kind: DocumentKind, filename: str, media_type: str, size: int, sha256: str
    ) -> str:
        """The association, or the household on its own case, joins a document: the event
        keeps its description and content hash; the content itself is stored apart."""
        self._guard(C.ATTACH_DOCUMENT)
        digest = sha256.strip().lower()
        if len(digest) != 64 or not set(digest) <= SHA256_HEX:
            raise InvalidInput("L'empreinte SHA-256 du document est invalide.", field="sha256")
        if size < 1:
            raise InvalidInput("Le document est vide.", field="size")
        media = require_text(media_type, "type du document", field="media_type").lower()
        if digest in self.document_hashes:
            raise AlreadyDone("Ce document est déjà joint au dossier.")
        document_id = uuid4().hex
        self._attach_document(
            document_id,
            kind,
            _document_filename(filename),
            media,
            size,
            digest,
            current_context().today(),
        )
        return document_id

    class DocumentAttached(AuditedAggregate.Event):
        document_id: str
        kind: DocumentKind
        filename: str
        media_type: str
        size: int
        sha256: str
        attached_on: date

    @event(DocumentAttached)
    def _attach_document(
        self,
        document_id: str,
        kind: DocumentKind,
        filename: str,
        media_type: str,
        size: int,
        sha256: str,
        attached_on: date,
    ) -> None:
        self.document_hashes = [*self.document_hashes, sha256]

    # ------------------------------------------- combination during the measure (R9)
    def note_accompaniment(
        self, kind: AccompanimentKind, starts_on: date, ends_on: date | None
    ) -> None:
        """R9, once the measure is granted: an FSL or anti-poverty-plan accompaniment the
        household is reported to have is a fact, recorded on the household by the body
        that reports it (the household's own command decides who may). If it overlaps the
        measure's period, the case raises a conflict that the commission and the
        association see, and that the commission settles: it stops the measure, or decides,
        with its reasons, that it goes on. Before the grant, the request and the grant are
        refused instead (``submit_request``, ``grant_measure``)."""
        period = self._measure_period()
        if period is None:
            return
        measure_starts, measure_ends = period
        if starts_on > measure_ends or (ends_on is not None and ends_on < measure_starts):
            return
        today = current_context().today()
        self._raise_combination_conflict(uuid4().hex, kind, starts_on, ends_on, today)

    def _measure_period(self) -> tuple[date, date] | None:
        """From its start (its decision, before the CEOP is signed) to its end (planned)."""
        if self.status not in (Status.GRANTED, Status.ACTIVE):
            return None
        starts_on = self.starts_on or self.decided_on
        assert starts_on is not None  # set by the grant
        assert self.duration_months is not None  # likewise
        return starts_on, self.ends_on or add_months(starts_on, self.duration_months)

    class CombinationConflictRaised(AuditedAggregate.Event):
        conflict_id: str
        kind: AccompanimentKind
        starts_on: date
        ends_on: date | None
        raised_on: date

    @event(CombinationConflictRaised)
    def _raise_combination_conflict(
        self,
        conflict_id: str,
        kind: AccompanimentKind,
        starts_on: date,
        ends_on: date | None,
        raised_on: date,
    ) -> None:
        self.open_combination_conflicts += 1

    def settle_combination_conflict(self, decision: str) -> None:
        """R9: the commission decides, with its reasons, that the measure goes on despite
        the accompaniment (to stop it instead, it stops the measure)."""
        self._guard(C.SETTLE_COMBINATION_CONFLICT)
        reasons = require_text(decision, "motif de la décision", field="decision")
        self._settle_combination_conflict(reasons, current_context().today())

    class CombinationConflictSettled(AuditedAggregate.Event):
        decision: str
        settled_on: date

    @event(CombinationConflictSettled)
    def _settle_combination_conflict(self, decision: str, settled_on: date) -> None:
        self.open_combination_conflicts = 0

    # -------------------------------------------------------- end of measure (R6, R7)
    def extend_measure(self, additional_months: int, reason: str) -> None:
        self._guard(C.EXTEND_MEASURE)
        if additional_months < 1:
            raise InvalidInput("La prolongation est d'au moins un mois.", field="additional_months")
        assert self.ends_on is not None  # ACTIVE cases have an end date
        assert self.duration_months is not None  # and a duration
        current_context().bounds.check_measure_months(
            self.duration_months + additional_months,
            "Avec la prolongation, la mesure",
            field="additional_months",
        )
        self._extend_measure(
            additional_months,
            add_months(self.ends_on, additional_months),
            require_text(reason, "motif", field="reason"),
        )

    class MeasureExtended(AuditedAggregate.Event):
        additional_months: int
        ends_on: date
        reason: str

    @event(MeasureExtended)
    def _extend_measure(self, additional_months: int, ends_on: date, reason: str) -> None:
        assert self.duration_months is not None
        self.duration_months += additional_months
        self.ends_on = ends_on

    def stop_measure(self, reason: StopReason, details: str, household: Household) -> None:
        """R7: only the commission stops a measure."""
        self._guard(C.STOP_MEASURE)
        self._stop_measure(reason, details.strip(), current_context().today())
        household.release_case(self.id)

    class MeasureStopped(AuditedAggregate.Event):
        reason: StopReason
        details: str
        stopped_on: date

    @event(MeasureStopped)
    def _stop_measure(self, reason: StopReason, details: str, stopped_on: date) -> None:
        self.stop_reason = reason
        self.stopped_on = stopped_on
        self.status = Status.STOPPED

    def complete_measure(self, household: Household) -> None:
        self._guard(C.COMPLETE_MEASURE)
        assert self.ends_on is not None  # ACTIVE cases have an end date
        self._complete_measure(self.ends_on)
        household.release_case(self.id)

    class MeasureCompleted(AuditedAggregate.Event):
        completed_on: date

    @event(MeasureCompleted)
    def _complete_measure(self, completed_on: date) -> None:
        self.completed_on = completed_on
        self.status = Status.COMPLETED

    def submit_final_report(self, household_still_housed: bool, summary: str) -> None:
        self._guard(C.SUBMIT_FINAL_REPORT)
        self._submit_final_report(
            household_still_housed,
            require_text(summary, "bilan", field="summary"),
            current_context().today(),
        )

    class FinalReportSubmitted(AuditedAggregate.Event):
        household_still_housed: bool
        summary: str
        submitted_on: date

    @event(FinalReportSubmitted)
    def _submit_final_report(
        self, household_still_housed: bool, summary: str, submitted_on: date
    ) -> None:
        self.final_report_on = submitted_on

    # -------------------------------------------------------------- retention
    @property
    def closed_on(self) -> date | None:
        """The day the case closed: rejected, stopped or completed (``None`` while open)."""
        if self.status is Status.REJECTED:
            return self.decided_on
        return self.stopped_on or self.completed_on

    def archive(self) -> None:
        """The end of the closed case's active retention (the platform, once the retention
        period has run): from then on only the auditor and the manager of its association
        read it, each time saying why, and no one acts on it."""
        self._guard(C.ARCHIVE)
        self._archive(current_context().today())

    class Archived(AuditedAggregate.Event):
        archived_on: date

    @event(Archived)
    def _archive(self, archived_on: date) -> None:
        self.archived_on = archived_on


def _check_referent(referent: Staff, association_id: UUID | None) -> None:
    """R10: the referent is a qualified social worker of the association holding the case."""
    if referent.organisation_id != association_id or referent.role not in ASSOCIATION_ROLES:
        raise InvalidInput(
            "Le référent doit appartenir à l'association qui suit le dossier.",
            field="referent_id",
        )
    if not referent.is_qualified_referent:
        raise NotQualified()


STATUS_AFTER: dict[type[AuditedAggregate.Event], Status] = {
    Case.Opened: Status.DIAGNOSTIC,
    Case.RequestSubmitted: Status.SUBMITTED,
    Case.RequestRegistered: Status.REGISTERED,
    Case.RequestAdjourned: Status.ADJOURNED,
    Case.RequestRejected: Status.REJECTED,
    Case.MeasureGranted: Status.GRANTED,
    Case.CeopSigned: Status.ACTIVE,
    Case.MeasureStopped: Status.STOPPED,
    Case.MeasureCompleted: Status.COMPLETED,
}
"""The events that move a case along the status machine, and where each leaves it.

Read models derive a case's status from this table rather than a copy of their own; a test
replays the demo and checks it against the aggregate."""


def day_heard_from_household(event: object) -> date | None:
    """R7: the day of a meeting with the household (a visit it attended) or of a contact
    it took part in, if ``event`` is one; ``None`` otherwise. Silence is counted from such
    days, by the aggregate and by the read models that watch it. (A contact stored before
    the record said whether the household took part reads as one it took part in: it
    ended the silence then.)"""
    if (isinstance(event, Case.ContactRecorded) and event.household_took_part) or (
        isinstance(event, Case.VisitRecorded) and event.household_present
    ):
        return event.occurred_on
    return None
