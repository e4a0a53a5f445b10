"""A case's story as an operator reads it: one line per event, who did what and when.

The summaries are for operators (the command line, support): they carry dates, kinds,
types and amounts, never the free text people typed (visit notes, reasons, report
summaries, concertation subjects) nor anything of the HEALTH theme. The alert clock's
suspension reason is left out altogether: showing all reasons but hospitalisation would
reveal it by elimination.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any
from uuid import UUID

from aspe import french
from aspe.application.service import NOT_FOUND_MESSAGES, AspeApplication
from aspe.domain.actors import Role
from aspe.domain.case import Case
from aspe.domain.catalogue import ACTIONS
from aspe.domain.errors import NotFound
from aspe.domain.household import Household
from aspe.domain.staff import Staff
from aspe.domain.values import (
    Objective,
    Theme,
)
from aspe.french import labels

# The words of aspe.french, under the names the history's summaries use.
ROLE_LABELS = {role: labels.title(role) for role in Role}
THEME_LABELS = labels.THEMES
MEASURE_LABELS = labels.MEASURE_TYPES
VISIT_LABELS = labels.VISIT_KINDS
CHANNEL_LABELS = labels.CHANNELS
SIGNATORY_LABELS = labels.SIGNATORIES
STOP_LABELS = labels.STOP_REASONS
PROGRESS_LABELS = labels.PROGRESS
CONSENT_LABELS = labels.CONSENT_SCOPES
SYSTEM_NAME = "Plateforme ASPE"
CASE_OPENED: type = Case.Opened
UNKNOWN_NAME = "Compte inconnu"


@dataclass(frozen=True)
class HistoryLine:
    """One stored event of a case: when (UTC), who, in which role, which event, in short."""

    at: datetime
    actor: str
    role: Role
    event: str
    summary: str


def case_history(app: AspeApplication, case_id: UUID) -> list[HistoryLine]:
    """Every event of the case in order; ``NotFound`` when ``case_id`` is not a case."""
    events = app.stored_events(case_id)
    if not events or not isinstance(events[0], CASE_OPENED):
        raise NotFound(NOT_FOUND_MESSAGES[Case])
    reading = _CaseReading(_ActorNames(app), app.rules.zone)
    return [
        HistoryLine(
            at=event.timestamp,
            actor=reading.names.of(event.actor_id, event.actor_role),
            role=event.actor_role,
            event=type(event).__name__,
            summary=reading.summarise(event),
        )
        for event in events
    ]


def case_state(case: Case) -> list[tuple[str, str]]:
    """The case's state as an operator reads it (French labels), without notes or health.

    Time travel prints it for ``app.case_as_of``; an empty value means "not yet".
    """
    day = _optional(french.day)
    euros = _optional(french.amount)
    measure = _optional(MEASURE_LABELS.__getitem__)
    return [
        ("Statut", labels.label(case.status)),
        ("Version", str(case.version)),
        ("Ménage", str(case.household_id)),
        ("Association", str(case.association_id)),
        ("Référent", str(case.referent_id)),
        ("Ouvert le", day(case.opened_on)),
        ("Diagnostic le", day(case.diagnosed_on)),
        ("Mesure proposée", measure(case.proposed_measure)),
        ("Séance de la commission", day(case.commission_session_on)),
        ("Mesure décidée", measure(case.measure_type)),
        ("Durée (mois)", _text(case.duration_months)),
        ("Mise à l'épreuve (mois)", _text(case.probation_months)),
        ("Aide accordée", euros(case.aid_granted)),
        ("Décidée le", day(case.decided_on)),
        ("Notifiée le", day(case.decision_notified_on)),
        ("CEOP signé (version)", _text(case.ceop_signed_version or None)),
        ("Signatures en cours", ", ".join(sorted(case.ceop_signatures)) or ""),
        ("Début de la mesure", day(case.starts_on)),
        ("Fin de la mesure", day(case.ends_on)),
        ("Visites enregistrées", str(case.visits_recorded)),
        ("Contacts enregistrés", str(case.contacts_recorded)),
        ("Dernière rencontre ou contact", day(case.last_contact_on)),
        ("Arrêtée le", day(case.stopped_on)),
        ("Motif d'arrêt", STOP_LABELS[case.stop_reason] if case.stop_reason else ""),
        ("Terminée le", day(case.completed_on)),
        ("Bilan remis le", day(case.final_report_on)),
    ]


def _optional(show: Callable[[Any], str]) -> Callable[[Any], str]:
    return lambda value: "" if value is None else show(value)


def _text(value: object) -> str:
    return "" if value is None else str(value)


@dataclass
class _ActorNames:
    """Display names of the people who acted, each looked up once."""

    app: AspeApplication
    _known: dict[UUID, str] = field(default_factory=dict)

    def of(self, actor_id: UUID, role: Role) -> str:
        if role is Role.SYSTEM:
            return SYSTEM_NAME
        if actor_id not in self._known:
            self._known[actor_id] = self._look_up(actor_id, role)
        return self._known[actor_id]

    def _look_up(self, actor_id: UUID, role: Role) -> str:
        kind: type[Household] | type[Staff] = Household if role is Role.HOUSEHOLD else Staff
        try:
            person = self.app.load(kind, actor_id)
        except NotFound:
            return UNKNOWN_NAME
        return person.name if isinstance(person, Household) else person.full_name


def _themes(themes: Iterable[Theme]) -> str:
    """The themes of an intervention, HEALTH left out (it is a health item in itself)."""
    labels = [THEME_LABELS[theme] for theme in themes if theme is not Theme.HEALTH]
    return f" — thèmes : {', '.join(labels)}" if labels else ""


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count > 1 else ''}"


@dataclass
class _CaseReading:
    """What summarising one event needs: names, and what earlier events of the case said."""

    names: _ActorNames
    zone: tzinfo
    """Where the people are: the time of an instant is read there."""
    landlord_id: UUID | None = None
    general_objectives: dict[str, Objective] = field(default_factory=dict)

    def summarise(self, event: Any) -> str:
        summary = SUMMARIES.get(type(event).__name__)
        return summary(event, self) if summary is not None else ""


def _opened(event: Any, reading: _CaseReading) -> str:
    reading.landlord_id = event.landlord_id
    return f"Dossier ouvert le {french.day(event.opened_on)} : diagnostic en cours"


def _referent_assigned(event: Any, reading: _CaseReading) -> str:
    new = reading.names.of(event.referent_id, Role.REFERENT)
    previous = reading.names.of(event.previous_referent_id, Role.REFERENT)
    until = french.day(event.previous_access_until)
    return f"Référent : {new} remplace {previous} (accès conservé jusqu'au {until})"


def _diagnostic_recorded(event: Any, reading: _CaseReading) -> str:
    themes = sorted({THEME_LABELS[finding.theme] for finding in event.findings})
    findings = _plural(len(event.findings), "difficulté")
    objectives = len(event.objectives)
    return f"Diagnostic : {findings} ({', '.join(themes)}) ; objectifs proposés : {objectives}"


def _consent_recorded(event: Any, reading: _CaseReading) -> str:
    return f"Consentement donné : {CONSENT_LABELS[event.scope]}"


def _consent_withdrawn(event: Any, reading: _CaseReading) -> str:
    return f"Consentement retiré : {CONSENT_LABELS[event.scope]}"


def _request_submitted(event: Any, reading: _CaseReading) -> str:
    aid = event.aid_request
    return (
        f"Demande transmise : aide FPEL {french.amount(aid.amount_requested)}, "
        f"dette locative {french.amount(aid.rent_arrears)}, "
        f"loyer {french.amount(aid.monthly_rent)}, "
        f"mesure {MEASURE_LABELS[event.proposed_measure]} proposée pour "
        f"{event.proposed_duration_months} mois"
    )


def _request_registered(event: Any, reading: _CaseReading) -> str:
    return f"Demande enregistrée pour la séance du {french.day(event.commission_session_on)}"


def _request_adjourned(event: Any, reading: _CaseReading) -> str:
    return f"Demande ajournée par la commission le {french.day(event.adjourned_on)}"


def _request_rejected(event: Any, reading: _CaseReading) -> str:
    return f"Demande rejetée par la commission le {french.day(event.rejected_on)}"


def _measure_granted(event: Any, reading: _CaseReading) -> str:
    return (
        f"Mesure {MEASURE_LABELS[event.measure_type]} accordée "
        f"(proposée : {MEASURE_LABELS[event.proposed_measure]}) pour "
        f"{event.duration_months} mois, mise à l'épreuve {event.probation_months} mois, "
        f"aide {french.amount(event.aid_granted)}"
    )


def _decision_notified(event: Any, reading: _CaseReading) -> str:
    return f"Décision notifiée le {french.day(event.notified_on)}"


def _ceop_version(event: Any, reading: _CaseReading) -> str:
    """A drafted or amended CEOP; its HEALTH objectives are in an attribute of their own, its
    HEALTH steps are left out of the count (a count would tell they exist)."""
    reading.general_objectives.update({o.id: o for o in event.objectives})
    what = "rédigé" if type(event).__name__ == "CeopDrafted" else "modifié"
    signatories = ", ".join(SIGNATORY_LABELS[s] for s in event.required_signatories)
    steps = [step for step in event.steps if step.theme is not Theme.HEALTH]
    return (
        f"CEOP {what} (version {event.version}) : "
        f"{_plural(len(event.objectives), 'objectif')}, {_plural(len(steps), 'étape')} ; "
        f"signatures attendues : {signatories}"
    )


def _ceop_signature_recorded(event: Any, reading: _CaseReading) -> str:
    who = SIGNATORY_LABELS[event.signatory]
    return f"CEOP version {event.version} signé par {who} le {french.day(event.signed_on)}"


def _ceop_signed(event: Any, reading: _CaseReading) -> str:
    return (
        f"CEOP version {event.version} signé par toutes les parties : mesure du "
        f"{french.day(event.starts_on)} au {french.day(event.ends_on)}"
    )


def _ceop_transmitted(event: Any, reading: _CaseReading) -> str:
    return f"CEOP version {event.version} transmis au SPSLH le {french.day(event.transmitted_on)}"


def _objective_progress_recorded(event: Any, reading: _CaseReading) -> str:
    """Names the objective by its theme and catalogue action (never its free-text label),
    and not at all when it is a HEALTH objective."""
    objective = reading.general_objectives.get(event.objective_id)
    progress = PROGRESS_LABELS[event.progress]
    if objective is None:
        return f"Avancement d'un objectif : {progress}"
    action = ACTIONS[objective.theme].get(objective.action or "")
    what = f"« {action} »" if action else "libre"
    return f"Avancement de l'objectif {what} ({THEME_LABELS[objective.theme]}) : {progress}"


def _visit_scheduled(event: Any, reading: _CaseReading) -> str:
    planned = french.moment(event.planned_at, reading.zone)
    return f"Rendez-vous {VISIT_LABELS[event.kind]} programmé le {planned}"


def _visit_recorded(event: Any, reading: _CaseReading) -> str:
    presence = "ménage présent" if event.household_present else "ménage absent"
    return (
        f"Visite {VISIT_LABELS[event.kind]} le {french.day(event.occurred_on)}, {presence}"
        f"{_themes(event.themes)}"
    )


def _visit_missed(event: Any, reading: _CaseReading) -> str:
    return "Rendez-vous manqué"


def _contact_recorded(event: Any, reading: _CaseReading) -> str:
    origin = "du ménage" if event.initiated_by_household else "du référent"
    answer = "" if event.household_took_part else ", sans réponse du ménage"
    return (
        f"Contact ({CHANNEL_LABELS[event.channel]}) le {french.day(event.occurred_on)}, "
        f"à l'initiative {origin}{answer}{_themes(event.themes)}"
    )


def _alert_clock_suspended(event: Any, reading: _CaseReading) -> str:
    period = event.period
    return (
        f"Décompte de non-collaboration suspendu du {french.day(period.starts_on)} "
        f"au {french.day(period.ends_on)}"
    )


def _non_collaboration_alert_raised(event: Any, reading: _CaseReading) -> str:
    return (
        f"Alerte de non-collaboration : {event.silent_days} jours sans rencontre ni "
        f"contact depuis le {french.day(event.silent_since)}"
    )


def _combination_conflict_raised(event: Any, reading: _CaseReading) -> str:
    return (
        f"Cumul avec un {labels.label(event.kind)} à partir du "
        f"{french.day(event.starts_on)}, pendant la mesure"
    )


def _combination_conflict_settled(event: Any, reading: _CaseReading) -> str:
    return "La commission décide de poursuivre la mesure malgré le cumul"


def _concertation_held(event: Any, reading: _CaseReading) -> str:
    """Counts the participants (their labels may name people) and says if the landlord was in."""
    with_landlord = any(p.organisation_id == reading.landlord_id for p in event.participants)
    landlord = ", dont le bailleur" if with_landlord else ""
    participants = _plural(len(event.participants), "participant")
    return f"Concertation le {french.day(event.held_on)} avec {participants}{landlord}"


def _commission_invitation_issued(event: Any, reading: _CaseReading) -> str:
    return f"Référent invité à la séance de la commission du {french.day(event.session_on)}"


def _debt_recorded(event: Any, reading: _CaseReading) -> str:
    creditor = "le bailleur" if event.creditor_is_landlord else "un autre créancier"
    return f"Dette enregistrée : {french.amount(event.amount)} envers {creditor}"


def _repayment_plan_agreed(event: Any, reading: _CaseReading) -> str:
    return (
        f"Plan d'apurement : {_plural(event.months, 'échéance')} de "
        f"{french.amount(event.monthly_amount)} à partir du {french.day(event.first_due_on)}"
    )


def _rent_payment_reported(event: Any, reading: _CaseReading) -> str:
    return (
        f"Loyer de {french.month(event.month)} : {french.amount(event.amount_due)} dus, "
        f"{french.amount(event.amount_paid)} payés"
    )


def _measure_extended(event: Any, reading: _CaseReading) -> str:
    return (
        f"Mesure prolongée de {event.additional_months} mois, jusqu'au {french.day(event.ends_on)}"
    )


def _measure_stopped(event: Any, reading: _CaseReading) -> str:
    return f"Arrêt de la mesure le {french.day(event.stopped_on)} : {STOP_LABELS[event.reason]}"


def _measure_completed(event: Any, reading: _CaseReading) -> str:
    return f"Mesure arrivée à son terme le {french.day(event.completed_on)}"


def _document_attached(event: Any, reading: _CaseReading) -> str:
    """Neither name nor kind: either may tell a medical document (a HEALTH item), and showing
    every kind but that one would tell it by elimination."""
    return f"Document joint le {french.day(event.attached_on)} ({event.size} octets)"


def _final_report_submitted(event: Any, reading: _CaseReading) -> str:
    housed = "maintenu" if event.household_still_housed else "non maintenu"
    return f"Bilan remis le {french.day(event.submitted_on)} : ménage {housed} dans son logement"


SUMMARIES: dict[str, Callable[[Any, _CaseReading], str]] = {
    "Opened": _opened,
    "ReferentAssigned": _referent_assigned,
    "DiagnosticRecorded": _diagnostic_recorded,
    "ConsentRecorded": _consent_recorded,
    "ConsentWithdrawn": _consent_withdrawn,
    "RequestSubmitted": _request_submitted,
    "RequestRegistered": _request_registered,
    "RequestAdjourned": _request_adjourned,
    "RequestRejected": _request_rejected,
    "MeasureGranted": _measure_granted,
    "DecisionNotified": _decision_notified,
    "CeopDrafted": _ceop_version,
    "CeopAmended": _ceop_version,
    "CeopSignatureRecorded": _ceop_signature_recorded,
    "CeopSigned": _ceop_signed,
    "CeopTransmitted": _ceop_transmitted,
    "ObjectiveProgressRecorded": _objective_progress_recorded,
    "VisitScheduled": _visit_scheduled,
    "VisitRecorded": _visit_recorded,
    "VisitMissed": _visit_missed,
    "ContactRecorded": _contact_recorded,
    "AlertClockSuspended": _alert_clock_suspended,
    "NonCollaborationAlertRaised": _non_collaboration_alert_raised,
    "CombinationConflictRaised": _combination_conflict_raised,
    "CombinationConflictSettled": _combination_conflict_settled,
    "ConcertationHeld": _concertation_held,
    "CommissionInvitationIssued": _commission_invitation_issued,
    "DebtRecorded": _debt_recorded,
    "RepaymentPlanAgreed": _repayment_plan_agreed,
    "RentPaymentReported": _rent_payment_reported,
    "MeasureExtended": _measure_extended,
    "MeasureStopped": _measure_stopped,
    "MeasureCompleted": _measure_completed,
    "FinalReportSubmitted": _final_report_submitted,
    "DocumentAttached": _document_attached,
}
"""One summary per event of ``Case``, by event name; an unknown event gets none."""
