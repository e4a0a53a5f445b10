"""Who may run each command on a case, in which statuses, once what is done: one table.

``AVAILABILITY`` is the only place that says it. The case's commands check it first (their
``_guard``), the API lists what a viewer may run now from it (``Case.available_commands``,
GraphQL ``Case.availableCommands``), and the portal offers a form exactly for those.

A command's entry is read in three steps, in this order, so that a party that may not act
learns nothing about where the case stands:

1. **who**: at least one grant's policy (``case_policy``) admits the actor, or
   ``NotAuthorised``;
2. **when**: the case's status is one of the statuses of a grant that admits the actor, or
   ``InvalidTransition``;
3. **once what is done**: the command's precondition, stated over the case alone (a
   decision notified before the CEOP, an alert due, a debt to plan…), or its own error.

What depends on the command's input (a date in the future, a debt that is not the case's)
is checked by the command itself, after this.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import TYPE_CHECKING

from aspe.domain.actors import Actor
from aspe.domain.case_policy import (
    Policy,
    any_of,
    association_manager,
    case_referent_or_manager,
    commission,
    household_of_case,
    landlord_of_case,
    spslh,
    system,
)
from aspe.domain.errors import (
    AlertNotDue,
    AlreadyDone,
    CeopNotDrafted,
    DecisionNotNotified,
    DiagnosticMissing,
    DomainError,
    InvalidInput,
    InvalidTransition,
    MeasureNotEnded,
    NotAuthorised,
    SignatureNotRequired,
)
from aspe.domain.rules import DEFAULT_RULES, RuleParameters
from aspe.domain.values import OPEN_STATUSES, ConsentScope, Signatory, Status

if TYPE_CHECKING:
    from aspe.domain.case import Case


class CaseCommand(Enum):
    """The commands on a case, named as the ``Case`` methods that run them."""

    ASSIGN_REFERENT = "assign_referent"
    RECORD_DIAGNOSTIC = "record_diagnostic"
    RECORD_CONSENT = "record_consent"
    WITHDRAW_CONSENT = "withdraw_consent"
    SUBMIT_REQUEST = "submit_request"
    REGISTER_REQUEST = "register_request"
    ADJOURN_REQUEST = "adjourn_request"
    REJECT_REQUEST = "reject_request"
    GRANT_MEASURE = "grant_measure"
    NOTIFY_DECISION = "notify_decision"
    DRAFT_CEOP = "draft_ceop"
    AMEND_CEOP = "amend_ceop"
    RECORD_CEOP_SIGNATURE = "record_ceop_signature"
    TRANSMIT_CEOP = "transmit_ceop"
    RECORD_OBJECTIVE_PROGRESS = "record_objective_progress"
    SCHEDULE_VISIT = "schedule_visit"
    RECORD_VISIT = "record_visit"
    RECORD_MISSED_VISIT = "record_missed_visit"
    RECORD_CONTACT = "record_contact"
    SUSPEND_ALERT_CLOCK = "suspend_alert_clock"
    RAISE_NON_COLLABORATION_ALERT = "raise_non_collaboration_alert"
    HOLD_CONCERTATION = "hold_concertation"
    ISSUE_COMMISSION_INVITATION = "issue_commission_invitation"
    RECORD_DEBT = "record_debt"
    AGREE_REPAYMENT_PLAN = "agree_repayment_plan"
    REPORT_RENT_PAYMENT = "report_rent_payment"
    ATTACH_DOCUMENT = "attach_document"
    EXTEND_MEASURE = "extend_measure"
    SETTLE_COMBINATION_CONFLICT = "settle_combination_conflict"
    STOP_MEASURE = "stop_measure"
    COMPLETE_MEASURE = "complete_measure"
    SUBMIT_FINAL_REPORT = "submit_final_report"
    ARCHIVE = "archive"
    CORRECT_HOUSEHOLD_DETAILS = "correct_household_details"
    """Run on the case's ``Household`` (``Household.correct_details``): who may correct the
    household's details is decided by the case they read them on."""


@dataclass(frozen=True)
class Situation:
    """What a precondition may read beside the case: who asks, on which day, under which
    rule parameters."""

    actor: Actor
    today: date
    rules: RuleParameters = DEFAULT_RULES


Precondition = Callable[["Case", Situation], DomainError | None]
"""The error that refuses the command now, or ``None`` when it may run."""


@dataclass(frozen=True)
class Grant:
    """One party, and the statuses in which it may run the command."""

    who: Policy
    statuses: frozenset[Status]


@dataclass(frozen=True)
class Availability:
    grants: tuple[Grant, ...]
    precondition: Precondition | None = None


def _grant(who: Policy, *statuses: Status) -> Grant:
    return Grant(who, frozenset(statuses))


def _only(who: Policy, *statuses: Status, precondition: Precondition | None = None) -> Availability:
    return Availability((_grant(who, *statuses),), precondition)


S = Status
ASSOCIATION: Policy = case_referent_or_manager
OPEN = tuple(OPEN_STATUSES)
CLOSED = tuple(frozenset(Status) - OPEN_STATUSES)
FROM_SUBMISSION = tuple(frozenset(Status) - {Status.DIAGNOSTIC})
"""The statuses in which the SPSLH sees a case (DESIGN §6)."""
CEOP_SIGNERS: dict[Signatory, Policy] = {
    Signatory.REFERENT: case_referent_or_manager,
    Signatory.HOUSEHOLD: any_of(household_of_case, case_referent_or_manager),
    Signatory.LANDLORD: any_of(landlord_of_case, case_referent_or_manager),
}
"""Who may record each party's signature: the party itself, or the association for a
signature given on paper."""


# ------------------------------------------------------------------ preconditions
def _consent_to_give(case: Case, situation: Situation) -> DomainError | None:
    if all(scope in case.consents for scope in ConsentScope):
        return AlreadyDone("Ce consentement est déjà enregistré.")
    return None


def _consent_to_withdraw(case: Case, situation: Situation) -> DomainError | None:
    return None if case.consents else AlreadyDone("Ce consentement n'est pas enregistré.")


def _diagnosed(case: Case, situation: Situation) -> DomainError | None:
    return DiagnosticMissing() if case.diagnosed_on is None else None


def _not_notified(case: Case, situation: Situation) -> DomainError | None:
    if case.decision_notified_on is not None:
        return AlreadyDone("La décision a déjà été notifiée.")
    return None


def _notified(case: Case, situation: Situation) -> DomainError | None:
    return DecisionNotNotified() if case.decision_notified_on is None else None


def signatories_pending_for(case: Case, actor: Actor) -> list[Signatory]:
    """The required signatures of the pending CEOP version not given yet that ``actor`` may
    record: its own, or any of them for the association (signatures given on paper)."""
    if not case.ceop_awaiting_signatures:
        return []
    return [
        signatory
        for signatory in case.ceop_required
        if signatory.value not in case.ceop_signatures and CEOP_SIGNERS[signatory](case, actor)
    ]


def _signature_to_record(case: Case, situation: Situation) -> DomainError | None:
    if case.ceop_version == 0:
        return CeopNotDrafted()
    if not case.ceop_awaiting_signatures:
        return AlreadyDone("Cette version du CEOP est déjà signée.", field="signatory")
    if signatories_pending_for(case, situation.actor):
        return None
    own = [s for s in Signatory if CEOP_SIGNERS[s](case, situation.actor)]
    if any(signatory in case.ceop_required for signatory in own):
        return AlreadyDone("Cette partie a déjà signé cette version du CEOP.", field="signatory")
    return SignatureNotRequired()


def _signed_not_transmitted(case: Case, situation: Situation) -> DomainError | None:
    if case.ceop_transmitted_version >= case.ceop_signed_version:
        return AlreadyDone("Cette version du CEOP a déjà été transmise au SPSLH.")
    return None


def _visit_planned(case: Case, situation: Situation) -> DomainError | None:
    if not case.scheduled_visits:
        return InvalidInput("Aucun rendez-vous n'est programmé.", field="visit_id")
    return None


def _alert_due(case: Case, situation: Situation) -> DomainError | None:
    return None if case.is_alert_due(situation.today, situation.rules) else AlertNotDue()


def _debt_recorded(case: Case, situation: Situation) -> DomainError | None:
    if not case.debts:
        return InvalidInput("Aucune dette n'est enregistrée.", field="debt_id")
    return None


def _conflict_open(case: Case, situation: Situation) -> DomainError | None:
    if case.open_combination_conflicts == 0:
        return AlreadyDone("Aucun cumul d'accompagnements n'attend de décision.")
    return None


def _measure_ended(case: Case, situation: Situation) -> DomainError | None:
    if case.ends_on is None or situation.today < case.ends_on:
        return MeasureNotEnded()
    return None


def _no_final_report(case: Case, situation: Situation) -> DomainError | None:
    return None if case.final_report_on is None else AlreadyDone("Le bilan a déjà été remis.")


def _not_archived(case: Case, situation: Situation) -> DomainError | None:
    return None if case.archived_on is None else AlreadyDone("Le dossier est déjà archivé.")


def _archived() -> DomainError:
    """Every command on an archived case (its retention has run: it is kept, not worked on)."""
    return InvalidTransition("Le dossier est archivé : plus aucune action n'y est possible.")


# ------------------------------------------------------------------ the table
C = CaseCommand
AVAILABILITY: dict[CaseCommand, Availability] = {
    C.ASSIGN_REFERENT: _only(association_manager, *OPEN),
    C.RECORD_DIAGNOSTIC: _only(ASSOCIATION, S.DIAGNOSTIC),
    C.RECORD_CONSENT: _only(
        any_of(ASSOCIATION, household_of_case), *Status, precondition=_consent_to_give
    ),
    C.WITHDRAW_CONSENT: _only(
        any_of(ASSOCIATION, household_of_case), *Status, precondition=_consent_to_withdraw
    ),
    C.SUBMIT_REQUEST: _only(ASSOCIATION, S.DIAGNOSTIC, precondition=_diagnosed),
    C.REGISTER_REQUEST: _only(spslh, S.SUBMITTED, S.ADJOURNED),
    C.ADJOURN_REQUEST: _only(commission, S.REGISTERED),
    C.REJECT_REQUEST: _only(commission, S.REGISTERED),
    C.GRANT_MEASURE: _only(commission, S.REGISTERED),
    C.NOTIFY_DECISION: _only(
        any_of(commission, spslh), S.GRANTED, S.REJECTED, precondition=_not_notified
    ),
    C.DRAFT_CEOP: _only(ASSOCIATION, S.GRANTED, precondition=_notified),
    C.AMEND_CEOP: _only(ASSOCIATION, S.ACTIVE),
    C.RECORD_CEOP_SIGNATURE: _only(
        any_of(*CEOP_SIGNERS.values()), S.GRANTED, S.ACTIVE, precondition=_signature_to_record
    ),
    C.TRANSMIT_CEOP: _only(ASSOCIATION, S.ACTIVE, precondition=_signed_not_transmitted),
    C.RECORD_OBJECTIVE_PROGRESS: _only(ASSOCIATION, S.ACTIVE),
    C.SCHEDULE_VISIT: _only(ASSOCIATION, S.ACTIVE),
    C.RECORD_VISIT: _only(ASSOCIATION, S.ACTIVE),
    C.RECORD_MISSED_VISIT: _only(ASSOCIATION, S.ACTIVE, precondition=_visit_planned),
    C.RECORD_CONTACT: _only(ASSOCIATION, S.ACTIVE),
    C.SUSPEND_ALERT_CLOCK: _only(ASSOCIATION, S.ACTIVE),
    C.RAISE_NON_COLLABORATION_ALERT: _only(
        any_of(ASSOCIATION, system), S.ACTIVE, precondition=_alert_due
    ),
    C.HOLD_CONCERTATION: _only(ASSOCIATION, S.GRANTED, S.ACTIVE),
    C.ISSUE_COMMISSION_INVITATION: _only(
        any_of(commission, spslh), S.REGISTERED, S.ADJOURNED, S.GRANTED, S.ACTIVE
    ),
    C.RECORD_DEBT: _only(ASSOCIATION, *OPEN),
    C.AGREE_REPAYMENT_PLAN: _only(ASSOCIATION, S.GRANTED, S.ACTIVE, precondition=_debt_recorded),
    C.REPORT_RENT_PAYMENT: _only(landlord_of_case, S.GRANTED, S.ACTIVE),
    # The association joins documents to its cases at any stage; the household, to its own
    # case while the case is open.
    C.ATTACH_DOCUMENT: Availability(
        (_grant(ASSOCIATION, *Status), _grant(household_of_case, *OPEN))
    ),
    C.EXTEND_MEASURE: _only(commission, S.ACTIVE),
    C.SETTLE_COMBINATION_CONFLICT: _only(
        commission, S.GRANTED, S.ACTIVE, precondition=_conflict_open
    ),
    C.STOP_MEASURE: _only(commission, S.GRANTED, S.ACTIVE),
    C.COMPLETE_MEASURE: _only(any_of(system, commission), S.ACTIVE, precondition=_measure_ended),
    C.SUBMIT_FINAL_REPORT: _only(
        ASSOCIATION, S.STOPPED, S.COMPLETED, precondition=_no_final_report
    ),
    C.ARCHIVE: _only(system, *CLOSED, precondition=_not_archived),
    # The household's right of rectification (GDPR art. 16), whatever the case's stage: its
    # referent (on its behalf) or manager, and the SPSLH once it holds the request.
    C.CORRECT_HOUSEHOLD_DETAILS: Availability(
        (_grant(ASSOCIATION, *Status), _grant(spslh, *FROM_SUBMISSION))
    ),
}


def refusal(case: Case, command: CaseCommand, situation: Situation) -> DomainError | None:
    """Why ``situation``'s actor may not run ``command`` on ``case`` now, or ``None``."""
    availability = AVAILABILITY[command]
    grants = [grant for grant in availability.grants if grant.who(case, situation.actor)]
    if not grants:
        return NotAuthorised()
    if not any(case.status in grant.statuses for grant in grants):
        return InvalidTransition()
    if case.archived_on is not None and command is not CaseCommand.ARCHIVE:
        return _archived()
    if availability.precondition is None:
        return None
    return availability.precondition(case, situation)


def available_commands(case: Case, situation: Situation) -> list[CaseCommand]:
    """The commands ``situation``'s actor may run on ``case`` now, in the table's order."""
    return [command for command in CaseCommand if refusal(case, command, situation) is None]
