"""What an event is called, and who did it when no person did.

Every event of every aggregate has its title (``tests/french/test_events.py`` fails for one
without): the portal's case page names the events of its history by it. What an event of a
case says in detail is ``aspe.french.summaries``.
"""

from __future__ import annotations

from collections.abc import Mapping

from aspe.french.labels import capitalised

SYSTEM_NAME = "Plateforme ASPE"
"""Who the platform's own events are by (its clocks act as the system)."""
UNKNOWN_NAME = "Compte inconnu"
"""Who an event is by when its account cannot be found."""

EVENT_TITLES: Mapping[tuple[str, str], str] = {
    ("Case", "Opened"): "dossier ouvert",
    ("Case", "ReferentAssigned"): "référent·e désigné·e",
    ("Case", "DiagnosticRecorded"): "diagnostic enregistré",
    ("Case", "ConsentRecorded"): "consentement du ménage enregistré",
    ("Case", "ConsentWithdrawn"): "consentement du ménage retiré",
    ("Case", "RequestSubmitted"): "demande déposée au SPSLH",
    ("Case", "RequestRegistered"): "demande inscrite en commission",
    ("Case", "RequestAdjourned"): "demande ajournée",
    ("Case", "RequestRejected"): "demande rejetée",
    ("Case", "MeasureGranted"): "mesure accordée par la commission",
    ("Case", "DecisionNotified"): "décision notifiée",
    ("Case", "CeopDrafted"): "CEOP rédigé",
    ("Case", "CeopAmended"): "CEOP modifié (nouvelle version)",
    ("Case", "CeopSignatureRecorded"): "signature du CEOP enregistrée",
    ("Case", "CeopSigned"): "CEOP signé par toutes les parties",
    ("Case", "CeopTransmitted"): "CEOP transmis au SPSLH",
    ("Case", "ObjectiveProgressRecorded"): "avancement d'un objectif enregistré",
    ("Case", "VisitScheduled"): "rendez-vous programmé",
    ("Case", "VisitRecorded"): "visite enregistrée",
    ("Case", "VisitMissed"): "rendez-vous manqué",
    ("Case", "ContactRecorded"): "contact enregistré",
    ("Case", "AlertClockSuspended"): "décompte d'alerte suspendu",
    ("Case", "NonCollaborationAlertRaised"): "alerte de non-collaboration",
    ("Case", "CombinationConflictRaised"): "cumul d'accompagnements signalé",
    ("Case", "CombinationConflictSettled"): "poursuite de la mesure malgré un cumul",
    ("Case", "ConcertationHeld"): "concertation tenue",
    ("Case", "CommissionInvitationIssued"): "invitation à la commission",
    ("Case", "DebtRecorded"): "dette enregistrée",
    ("Case", "RepaymentPlanAgreed"): "plan d'apurement convenu",
    ("Case", "RentPaymentReported"): "paiement de loyer déclaré",
    ("Case", "DocumentAttached"): "document joint",
    ("Case", "MeasureExtended"): "mesure prolongée",
    ("Case", "MeasureStopped"): "mesure arrêtée",
    ("Case", "MeasureCompleted"): "mesure terminée",
    ("Case", "FinalReportSubmitted"): "rapport final remis",
    ("Case", "Archived"): "dossier archivé",
    ("Household", "Registered"): "ménage enregistré",
    ("Household", "DetailsCorrected"): "informations du ménage corrigées",
    ("Household", "AccompanimentRecorded"): "autre accompagnement enregistré",
    ("Household", "AspeCaseOpened"): "dossier ASPE ouvert pour le ménage",
    ("Household", "AspeCaseClosed"): "dossier ASPE du ménage clos",
    ("Household", "AccountOpened"): "compte du ménage ouvert",
    ("Household", "CredentialsReplaced"): "identifiants du ménage remplacés",
    ("Household", "AccountDeactivated"): "compte du ménage désactivé",
    ("Household", "AccountReactivated"): "compte du ménage réactivé",
    ("Household", "PasswordChanged"): "mot de passe du ménage changé",
    ("Household", "SignedOut"): "sessions du ménage fermées",
    ("Household", "Erased"): "données personnelles du ménage effacées",
    ("Household", "LegalHoldSet"): "conservation légale des données du ménage",
    ("Household", "LegalHoldLifted"): "conservation légale levée",
    ("Staff", "Registered"): "membre du personnel enregistré",
    ("Staff", "QualificationRecorded"): "qualification enregistrée",
    ("Staff", "AccountDeactivated"): "compte désactivé",
    ("Staff", "AccountReactivated"): "compte réactivé",
    ("Staff", "PasswordChanged"): "mot de passe changé",
    ("Staff", "PasswordReset"): "mot de passe réinitialisé",
    ("Staff", "SignedOut"): "sessions fermées",
    ("Organisation", "Registered"): "organisation enregistrée",
    ("EmailClaim", "Claimed"): "adresse de connexion réservée",
    ("EmailClaim", "Released"): "adresse de connexion libérée",
    ("EmailClaim", "ClaimedAgain"): "adresse de connexion réservée de nouveau",
    ("DocumentContent", "KindFixed"): "nature d'un document fixée",
}
"""The title of every event of every aggregate, by (aggregate, event) as the audit trail
names them. The library's default ``Created`` has none: every aggregate of ASPE names the
event that creates it (``Case.Opened``, ``Staff.Registered``…), so none is ever stored."""


def event_title(aggregate: str, event: str) -> str:
    """``("Case", "VisitRecorded")`` → ``Visite enregistrée``; an event without a title
    (which the suite forbids) shows « Événement » rather than its English name."""
    return capitalised(EVENT_TITLES.get((aggregate, event), "événement"))
