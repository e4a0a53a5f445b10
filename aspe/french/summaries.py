"""What each event of a case says, in one line, as an operator reads it (``aspe case history``).

The summaries carry dates, kinds, types and amounts, never the free text people typed
(visit notes, reasons, report summaries, concertation subjects) nor anything of the HEALTH
theme. The alert clock's suspension reason is left out altogether: showing all reasons but
hospitalisation would reveal it by elimination.

One plain function per event type, ``(event, reading) -> str``, and ``SUMMARIES`` to find
it by the event's name: a new event of ``Case`` without its summary fails the suite
(``tests/french/test_events.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any
from uuid import UUID

from aspe.domain.case import Case, CeopVersionWritten
from aspe.domain.catalogue import ACTIONS
from aspe.domain.household import Household
from aspe.domain.values import Objective, Theme
from aspe.french import formats, labels


@dataclass
class CaseReading:
    """What summarising one event of a case needs: people's names, where they are, and what
    earlier events of the case said. Read a case's events through one reading, in order."""

    staff_name: Callable[[UUID], str]
    """The name of a staff member an event names (a referent), from their id."""
    zone: tzinfo
    """Where the people are: the time of an instant is read there."""
    landlord_id: UUID | None = None
    general_objectives: dict[str, Objective] = field(default_factory=dict)

    def summarise(self, event: Any) -> str:
        """The event's summary; an event ``SUMMARIES`` does not know gets none."""
        summary = SUMMARIES.get(type(event).__name__)
        return summary(event, self) if summary is not None else ""


def _themes(themes: Iterable[Theme]) -> str:
    """The themes of an intervention, HEALTH left out (it is a health item in itself)."""
    named = [labels.label(theme) for theme in themes if theme is not Theme.HEALTH]
    return f" — thèmes : {', '.join(named)}" if named else ""


def opened(event: Case.Opened, reading: CaseReading) -> str:
    reading.landlord_id = event.landlord_id
    return f"Dossier ouvert le {formats.day(event.opened_on)} : diagnostic en cours"


def referent_assigned(event: Case.ReferentAssigned, reading: CaseReading) -> str:
    new = reading.staff_name(event.referent_id)
    previous = reading.staff_name(event.previous_referent_id)
    until = formats.day(event.previous_access_until)
    return f"Référent : {new} remplace {previous} (accès conservé jusqu'au {until})"


def diagnostic_recorded(event: Case.DiagnosticRecorded, reading: CaseReading) -> str:
    themes = sorted({labels.label(finding.theme) for finding in event.findings})
    findings = formats.count(len(event.findings), "difficulté")
    objectives = len(event.objectives)
    return f"Diagnostic : {findings} ({', '.join(themes)}) ; objectifs proposés : {objectives}"


def consent_recorded(event: Case.ConsentRecorded, reading: CaseReading) -> str:
    return f"Consentement donné : {labels.label(event.scope)}"


def consent_withdrawn(event: Case.ConsentWithdrawn, reading: CaseReading) -> str:
    return f"Consentement retiré : {labels.label(event.scope)}"


def request_submitted(event: Case.RequestSubmitted, reading: CaseReading) -> str:
    aid = event.aid_request
    return (
        f"Demande transmise : aide FPEL {formats.amount(aid.amount_requested)}, "
        f"dette locative {formats.amount(aid.rent_arrears)}, "
        f"loyer {formats.amount(aid.monthly_rent)}, "
        f"mesure {labels.label(event.proposed_measure)} proposée pour "
        f"{event.proposed_duration_months} mois"
    )


def request_registered(event: Case.RequestRegistered, reading: CaseReading) -> str:
    return f"Demande enregistrée pour la séance du {formats.day(event.commission_session_on)}"


def request_adjourned(event: Case.RequestAdjourned, reading: CaseReading) -> str:
    return f"Demande ajournée par la commission le {formats.day(event.adjourned_on)}"


def request_rejected(event: Case.RequestRejected, reading: CaseReading) -> str:
    return f"Demande rejetée par la commission le {formats.day(event.rejected_on)}"


def measure_granted(event: Case.MeasureGranted, reading: CaseReading) -> str:
    return (
        f"Mesure {labels.label(event.measure_type)} accordée "
        f"(proposée : {labels.label(event.proposed_measure)}) pour "
        f"{event.duration_months} mois, mise à l'épreuve {event.probation_months} mois, "
        f"aide {formats.amount(event.aid_granted)}"
    )


def decision_notified(event: Case.DecisionNotified, reading: CaseReading) -> str:
    return f"Décision notifiée le {formats.day(event.notified_on)}"


def ceop_drafted(event: Case.CeopDrafted, reading: CaseReading) -> str:
    return _ceop_version(event, reading, "rédigé")


def ceop_amended(event: Case.CeopAmended, reading: CaseReading) -> str:
    return _ceop_version(event, reading, "modifié")


def _ceop_version(event: CeopVersionWritten, reading: CaseReading, what: str) -> str:
    """A drafted or amended CEOP; its HEALTH objectives are in an attribute of their own, its
    HEALTH steps are left out of the count (a count would tell they exist)."""
    reading.general_objectives.update({o.id: o for o in event.objectives})
    signatories = ", ".join(labels.label(s) for s in event.required_signatories)
    steps = [step for step in event.steps if step.theme is not Theme.HEALTH]
    objectives = formats.count(len(event.objectives), "objectif")
    return (
        f"CEOP {what} (version {event.version}) : {objectives}, "
        f"{formats.count(len(steps), 'étape')} ; signatures attendues : {signatories}"
    )


def ceop_signature_recorded(event: Case.CeopSignatureRecorded, reading: CaseReading) -> str:
    who = labels.label(event.signatory)
    return f"CEOP version {event.version} signé par {who} le {formats.day(event.signed_on)}"


def ceop_signed(event: Case.CeopSigned, reading: CaseReading) -> str:
    return (
        f"CEOP version {event.version} signé par toutes les parties : mesure du "
        f"{formats.day(event.starts_on)} au {formats.day(event.ends_on)}"
    )


def ceop_transmitted(event: Case.CeopTransmitted, reading: CaseReading) -> str:
    return f"CEOP version {event.version} transmis au SPSLH le {formats.day(event.transmitted_on)}"


def objective_progress_recorded(event: Case.ObjectiveProgressRecorded, reading: CaseReading) -> str:
    """Names the objective by its theme and catalogue action (never its free-text label),
    and not at all when it is a HEALTH objective."""
    objective = reading.general_objectives.get(event.objective_id)
    progress = labels.label(event.progress)
    if objective is None:
        return f"Avancement d'un objectif : {progress}"
    action = ACTIONS[objective.theme].get(objective.action or "")
    what = f"« {action} »" if action else "libre"
    return f"Avancement de l'objectif {what} ({labels.label(objective.theme)}) : {progress}"


def visit_scheduled(event: Case.VisitScheduled, reading: CaseReading) -> str:
    planned = formats.moment(event.planned_at, reading.zone)
    return f"Rendez-vous {labels.label(event.kind)} programmé le {planned}"


def visit_recorded(event: Case.VisitRecorded, reading: CaseReading) -> str:
    presence = "ménage présent" if event.household_present else "ménage absent"
    return (
        f"Visite {labels.label(event.kind)} le {formats.day(event.occurred_on)}, {presence}"
        f"{_themes(event.themes)}"
    )


def visit_missed(event: Case.VisitMissed, reading: CaseReading) -> str:
    return "Rendez-vous manqué"


def contact_recorded(event: Case.ContactRecorded, reading: CaseReading) -> str:
    origin = "du ménage" if event.initiated_by_household else "du référent"
    answer = "" if event.household_took_part else ", sans réponse du ménage"
    return (
        f"Contact ({labels.label(event.channel)}) le {formats.day(event.occurred_on)}, "
        f"à l'initiative {origin}{answer}{_themes(event.themes)}"
    )


def alert_clock_suspended(event: Case.AlertClockSuspended, reading: CaseReading) -> str:
    period = event.period
    return (
        f"Décompte de non-collaboration suspendu du {formats.day(period.starts_on)} "
        f"au {formats.day(period.ends_on)}"
    )


def non_collaboration_alert_raised(
    event: Case.NonCollaborationAlertRaised, reading: CaseReading
) -> str:
    return (
        f"Alerte de non-collaboration : {event.silent_days} jours sans rencontre ni "
        f"contact depuis le {formats.day(event.silent_since)}"
    )


def combination_conflict_raised(event: Case.CombinationConflictRaised, reading: CaseReading) -> str:
    return (
        f"Cumul avec un {labels.label(event.kind)} à partir du "
        f"{formats.day(event.starts_on)}, pendant la mesure"
    )


def combination_conflict_settled(
    event: Case.CombinationConflictSettled, reading: CaseReading
) -> str:
    return "La commission décide de poursuivre la mesure malgré le cumul"


def concertation_held(event: Case.ConcertationHeld, reading: CaseReading) -> str:
    """Counts the participants (their labels may name people) and says if the landlord was in."""
    with_landlord = any(p.organisation_id == reading.landlord_id for p in event.participants)
    landlord = ", dont le bailleur" if with_landlord else ""
    participants = formats.count(len(event.participants), "participant")
    return f"Concertation le {formats.day(event.held_on)} avec {participants}{landlord}"


def commission_invitation_issued(
    event: Case.CommissionInvitationIssued, reading: CaseReading
) -> str:
    return f"Référent invité à la séance de la commission du {formats.day(event.session_on)}"


def debt_recorded(event: Case.DebtRecorded, reading: CaseReading) -> str:
    creditor = "le bailleur" if event.creditor_is_landlord else "un autre créancier"
    return f"Dette enregistrée : {formats.amount(event.amount)} envers {creditor}"


def repayment_plan_agreed(event: Case.RepaymentPlanAgreed, reading: CaseReading) -> str:
    return (
        f"Plan d'apurement : {formats.count(event.months, 'échéance')} de "
        f"{formats.amount(event.monthly_amount)} à partir du {formats.day(event.first_due_on)}"
    )


def rent_payment_reported(event: Case.RentPaymentReported, reading: CaseReading) -> str:
    return (
        f"Loyer de {formats.month(event.month)} : {formats.amount(event.amount_due)} dus, "
        f"{formats.amount(event.amount_paid)} payés"
    )


def document_attached(event: Case.DocumentAttached, reading: CaseReading) -> str:
    """Neither name nor kind: either may tell a medical document (a HEALTH item), and showing
    every kind but that one would tell it by elimination."""
    return f"Document joint le {formats.day(event.attached_on)} ({event.size} octets)"


def measure_extended(event: Case.MeasureExtended, reading: CaseReading) -> str:
    return (
        f"Mesure prolongée de {event.additional_months} mois, jusqu'au {formats.day(event.ends_on)}"
    )


def measure_stopped(event: Case.MeasureStopped, reading: CaseReading) -> str:
    return f"Arrêt de la mesure le {formats.day(event.stopped_on)} : {labels.label(event.reason)}"


def measure_completed(event: Case.MeasureCompleted, reading: CaseReading) -> str:
    return f"Mesure arrivée à son terme le {formats.day(event.completed_on)}"


def final_report_submitted(event: Case.FinalReportSubmitted, reading: CaseReading) -> str:
    housed = "maintenu" if event.household_still_housed else "non maintenu"
    return f"Bilan remis le {formats.day(event.submitted_on)} : ménage {housed} dans son logement"


def archived(event: Case.Archived, reading: CaseReading) -> str:
    return (
        f"Dossier archivé le {formats.day(event.archived_on)} : lisible par l'auditeur et le "
        "responsable de l'association seulement, sur motif"
    )


def details_corrected(event: Household.DetailsCorrected, reading: CaseReading) -> str:
    """Which details changed, never their values: the history holds no personal value."""
    corrected = ", ".join(labels.HOUSEHOLD_DETAILS.get(name, name) for name in event.corrected)
    return f"Informations du ménage corrigées : {corrected}"


SUMMARIES: dict[str, Callable[[Any, CaseReading], str]] = {
    "Opened": opened,
    "ReferentAssigned": referent_assigned,
    "DiagnosticRecorded": diagnostic_recorded,
    "ConsentRecorded": consent_recorded,
    "ConsentWithdrawn": consent_withdrawn,
    "RequestSubmitted": request_submitted,
    "RequestRegistered": request_registered,
    "RequestAdjourned": request_adjourned,
    "RequestRejected": request_rejected,
    "MeasureGranted": measure_granted,
    "DecisionNotified": decision_notified,
    "CeopDrafted": ceop_drafted,
    "CeopAmended": ceop_amended,
    "CeopSignatureRecorded": ceop_signature_recorded,
    "CeopSigned": ceop_signed,
    "CeopTransmitted": ceop_transmitted,
    "ObjectiveProgressRecorded": objective_progress_recorded,
    "VisitScheduled": visit_scheduled,
    "VisitRecorded": visit_recorded,
    "VisitMissed": visit_missed,
    "ContactRecorded": contact_recorded,
    "AlertClockSuspended": alert_clock_suspended,
    "NonCollaborationAlertRaised": non_collaboration_alert_raised,
    "CombinationConflictRaised": combination_conflict_raised,
    "CombinationConflictSettled": combination_conflict_settled,
    "ConcertationHeld": concertation_held,
    "CommissionInvitationIssued": commission_invitation_issued,
    "DebtRecorded": debt_recorded,
    "RepaymentPlanAgreed": repayment_plan_agreed,
    "RentPaymentReported": rent_payment_reported,
    "DocumentAttached": document_attached,
    "MeasureExtended": measure_extended,
    "MeasureStopped": measure_stopped,
    "MeasureCompleted": measure_completed,
    "FinalReportSubmitted": final_report_submitted,
    "Archived": archived,
    "DetailsCorrected": details_corrected,
}
"""The summary of every event of ``Case`` that a case's history holds, by event name, and
of the household's events it shows too (``aspe.application.history``)."""
