"""The domain's errors: one shallow hierarchy, each with a stable code.

The code is part of the public contract (it becomes ``extensions.code`` in GraphQL); the
French message is what a person reads. Raising any of these means nothing was stored.
"""

from __future__ import annotations


class Refusal(Exception):
    """Something asked of the platform was refused: ``code`` is stable (GraphQL's
    ``extensions.code``); ``message`` is French, for people. The domain's refusals are
    ``DomainError``; the API layer's own (identity, limits) extend this too."""

    code: str = "REFUSED"
    default_message: str = "La demande a été refusée."

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class DomainError(Refusal):
    """A command was refused. ``field``, when the refusal is about one value, names the
    command's parameter that carried it (``aid_request.amount_requested`` for a value
    inside another), so that a form can show the message next to the field it concerns."""

    code = "DOMAIN_ERROR"
    default_message = "La commande a été refusée."
    default_field: str | None = None

    def __init__(self, message: str | None = None, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field or self.default_field


class NotAuthorised(DomainError):
    """The actor's role or organisation does not allow this command on this aggregate."""

    code = "NOT_AUTHORISED"
    default_message = "Vous n'êtes pas autorisé·e à effectuer cette action."


class NoActor(DomainError):
    """A command ran outside ``acting_as``: nobody would be accountable for it."""

    code = "NO_ACTOR"
    default_message = "Aucun auteur n'est associé à cette action."


class NotFound(DomainError):
    code = "NOT_FOUND"
    default_message = "Élément introuvable."


class InvalidTransition(DomainError):
    """The command does not apply in the case's current status."""

    code = "INVALID_TRANSITION"
    default_message = "Cette action n'est pas possible à ce stade du dossier."


class InvalidInput(DomainError):
    code = "INVALID_INPUT"
    default_message = "Les informations saisies sont invalides."


class InvalidPostcode(InvalidInput):
    """A French postcode is five digits (69003, 20000 in Corsica too)."""

    code = "INVALID_POSTCODE"
    default_message = "Saisissez un code postal à 5 chiffres (par exemple 69003)."
    default_field = "address.postcode"


class NotEligible(DomainError):
    """R1: only households that filed an FPEL aid request are eligible."""

    code = "NOT_ELIGIBLE"
    default_field = "aid_request"
    default_message = "Le ménage doit avoir déposé une demande d'aide au FPEL."


class DiagnosticMissing(DomainError):
    """R2/R3: the request is made during the diagnostic, which must be recorded first."""

    code = "DIAGNOSTIC_MISSING"
    default_message = "Le diagnostic doit être réalisé avant la demande."


class DurationShorterThanProbation(DomainError):
    """R5: the measure's duration is never shorter than the aid's probation period."""

    code = "DURATION_SHORTER_THAN_PROBATION"
    default_field = "duration_months"
    default_message = (
        "La durée de la mesure ne peut être inférieure à la durée de mise à l'épreuve."
    )


class CombinationForbidden(DomainError):
    """R9: no combination with FSL, the anti-poverty plan, or a second ASPE measure."""

    code = "COMBINATION_FORBIDDEN"
    default_message = (
        "Cet accompagnement ne peut être cumulé avec un autre accompagnement en cours."
    )


class NotQualified(DomainError):
    """R10: the referent is a qualified social worker, diploma level III or higher."""

    code = "NOT_QUALIFIED"
    default_field = "referent_id"
    default_message = "Le référent doit être un travailleur social diplômé de niveau III."


class DecisionNotNotified(DomainError):
    code = "DECISION_NOT_NOTIFIED"
    default_message = "La décision de la commission doit être notifiée avant le CEOP."


class EmailAlreadyUsed(DomainError):
    code = "EMAIL_ALREADY_USED"
    default_message = "Cette adresse électronique est déjà celle d'un autre compte."


class CeopNotDrafted(DomainError):
    code = "CEOP_NOT_DRAFTED"
    default_message = "Aucune version du CEOP n'a encore été rédigée."


class AlreadyDone(DomainError):
    code = "ALREADY_DONE"
    default_message = "Cette action a déjà été effectuée."


class SignatureNotRequired(DomainError):
    code = "SIGNATURE_NOT_REQUIRED"
    default_field = "signatory"
    default_message = "Cette signature n'est pas requise pour cette version du CEOP."


class AlertNotDue(DomainError):
    """R7: an alert is due only after the configured silent days, once per silent period."""

    code = "ALERT_NOT_DUE"
    default_message = "Aucune alerte de non-collaboration n'est due à cette date."


class MeasureNotEnded(DomainError):
    code = "MEASURE_NOT_ENDED"
    default_message = "La mesure n'est pas arrivée à son terme."


class DocumentKindFixed(DomainError):
    """A content keeps the kind it was first attached under, on every case: a medical
    certificate is never joined again as a document other parties may read."""

    code = "DOCUMENT_KIND_FIXED"
    default_message = (
        "Ce document est déjà joint sous une autre nature ; sa nature ne peut pas être changée."
    )


class WrongPassword(DomainError):
    """Changing one's password needs the current one: a stolen session alone is not enough."""

    code = "WRONG_PASSWORD"
    default_message = "Le mot de passe actuel est incorrect."


class ReasonRequired(DomainError):
    """An archived case is read only with a stated reason, which the access log keeps."""

    code = "REASON_REQUIRED"
    default_message = "Ce dossier est archivé : indiquez le motif de votre consultation."


class ConcurrentUpdate(DomainError):
    """Someone else changed the same record meanwhile; the command may be retried."""

    code = "CONCURRENT_UPDATE"
    default_message = "Le dossier a été modifié entre-temps ; veuillez réessayer."


ALL_ERRORS: tuple[type[DomainError], ...] = (
    DomainError,
    NotAuthorised,
    NoActor,
    NotFound,
    InvalidTransition,
    InvalidInput,
    InvalidPostcode,
    NotEligible,
    DiagnosticMissing,
    DurationShorterThanProbation,
    CombinationForbidden,
    NotQualified,
    DecisionNotNotified,
    EmailAlreadyUsed,
    CeopNotDrafted,
    AlreadyDone,
    SignatureNotRequired,
    AlertNotDue,
    MeasureNotEnded,
    DocumentKindFixed,
    WrongPassword,
    ReasonRequired,
    ConcurrentUpdate,
)
"""Every error the domain raises, for the API's documentation of codes."""
