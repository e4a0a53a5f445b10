"""What each notification says, in French, to a reader of a given role.

Every detail is put in only if ``authorization.allows`` lets the reader's role see its
category (DESIGN §6), the landlord's consent-gated ones only with the household's consent.
A notification never carries free text people typed about the household (visit and contact
notes, progress notes, suspension details) nor anything of the HEALTH theme: the events
notified hold none, and the texts quote no other event.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, tzinfo
from typing import Any

from aspe import french
from aspe.authorization import Category, allows
from aspe.domain.actors import Role
from aspe.domain.audited import AuditedAggregate
from aspe.domain.case import Case
from aspe.domain.household import Household
from aspe.french import labels
from aspe.workers.recipients import CREDENTIALS_REPLACED

C = Category
SIGNATURE = (
    "Le détail est à consulter sur la plateforme ASPE.\n\n"
    "— Plateforme ASPE (message automatique, merci de ne pas y répondre)"
)


@dataclass(frozen=True)
class Facts:
    """What a text may draw on besides its event: the case and who its parties are."""

    case_id: str
    household_name: str | None = None
    association_name: str | None = None
    landlord_consent: bool = False

    @property
    def reference(self) -> str:
        return f"dossier n° {self.case_id[:8]}"


@dataclass(frozen=True)
class Lens:
    """A reader's role and the case's consent: what it may see, category by category."""

    role: Role
    consent: bool = False

    def sees(self, category: Category) -> bool:
        return allows(self.role, category, self.consent)


Lines = list[str | None]
Compose = Callable[[Any, Lens, Facts], tuple[str, Lines]]


def who(lens: Lens, facts: Facts) -> str:
    """The household as this reader may name it."""
    if lens.role is Role.HOUSEHOLD:
        return "votre ménage"
    name = facts.household_name
    if lens.sees(C.HOUSEHOLD_NAME_ADDRESS) and name:
        return name if name.lower().startswith(("ménage", "famille")) else f"le ménage {name}"
    return "l'un de vos locataires" if lens.role is Role.LANDLORD else "un ménage"


def only(lens: Lens, category: Category, line: str) -> str | None:
    """``line`` if the reader may see ``category``, else nothing."""
    return line if lens.sees(category) else None


# ------------------------------------------------------------------ request
def submitted(event: Case.RequestSubmitted, lens: Lens, facts: Facts) -> tuple[str, Lines]:
    aid = event.aid_request
    by = f" par {facts.association_name}" if facts.association_name else ""
    return "Nouvelle demande d'accompagnement ASPE", [
        f"Une demande d'accompagnement ASPE a été transmise le "
        f"{french.day(event.submitted_on)}{by} pour {who(lens, facts)}.",
        only(
            lens,
            C.REQUEST,
            f"Mesure proposée : {labels.label(event.proposed_measure)}, "
            f"{french.months(event.proposed_duration_months)}. "
            f"Aide FPEL demandée : {french.amount(aid.amount_requested)}.",
        ),
        only(lens, C.RENT_ARREARS, f"Dette locative : {french.amount(aid.rent_arrears)}."),
        "Elle attend son inscription à l'ordre du jour de la commission FPEL.",
    ]


def registered(event: Case.RequestRegistered, lens: Lens, facts: Facts) -> tuple[str, Lines]:
    session = french.day(event.commission_session_on)
    return f"Demande inscrite à la séance du {session}", [
        f"La demande d'accompagnement ASPE concernant {who(lens, facts)} est inscrite à "
        f"l'ordre du jour de la séance de la commission FPEL du {session}.",
    ]


# ------------------------------------------------------------------ decisions
def granted(event: Case.MeasureGranted, lens: Lens, facts: Facts) -> tuple[str, Lines]:
    return "Décision de la commission : mesure ASPE accordée", [
        f"La commission FPEL a accordé le {french.day(event.decided_on)} une mesure ASPE "
        f"{labels.label(event.measure_type)} pour {who(lens, facts)}, "
        f"d'une durée de {french.months(event.duration_months)}.",
        "Elle commencera le jour de la signature du contrat d'engagement (CEOP).",
        only(
            lens,
            C.DECISION_TERMS,
            f"Durée de mise à l'épreuve : {french.months(event.probation_months)}. "
            f"Aide FPEL accordée : {french.amount(event.aid_granted)}.",
        ),
    ]


def rejected(event: Case.RequestRejected, lens: Lens, facts: Facts) -> tuple[str, Lines]:
    return _request_decided("refusé", event.rejected_on, event.reason, lens, facts)


def adjourned(event: Case.RequestAdjourned, lens: Lens, facts: Facts) -> tuple[str, Lines]:
    return _request_decided("ajourné", event.adjourned_on, event.reason, lens, facts)


def _request_decided(
    done: str, on: date, reason: str, lens: Lens, facts: Facts
) -> tuple[str, Lines]:
    """The commission refused or adjourned the request (``done``: ``refusé``, ``ajourné``);
    in the subject, ``done`` agrees with ``demande``."""
    return f"Décision de la commission : demande {done}e", [
        f"La commission FPEL a {done} le {french.day(on)} la demande "
        f"d'accompagnement ASPE concernant {who(lens, facts)}.",
        only(lens, C.REQUEST, f"Motif : {reason}"),
    ]


def extended(event: Case.MeasureExtended, lens: Lens, facts: Facts) -> tuple[str, Lines]:
    return "Décision de la commission : mesure prolongée", [
        f"La commission FPEL a prolongé de {french.months(event.additional_months)} la mesure ASPE "
        f"de {who(lens, facts)}. Elle se terminera le {french.day(event.ends_on)}.",
        only(lens, C.REQUEST, f"Motif : {event.reason}"),
    ]


# ---------------------------------------------------------------- the measure
def ceop_signed(event: Case.CeopSigned, lens: Lens, facts: Facts) -> tuple[str, Lines]:
    first = event.version == 1
    what = "Le CEOP" if first else f"La version {event.version} du CEOP"
    return "CEOP signé" if first else "Avenant au CEOP signé", [
        f"{what} de {who(lens, facts)} a été signé{'' if first else 'e'} par toutes les parties.",
        only(lens, C.CEOP_SIGNATURE_DATE, f"Date de signature : {french.day(event.signed_on)}."),
        f"La mesure court du {french.day(event.starts_on)} au {french.day(event.ends_on)}.",
        only(lens, C.CEOP, "Le contrat est adressé au SPSLH (objectifs, étapes, engagements)."),
    ]


def alert_raised(
    event: Case.NonCollaborationAlertRaised, lens: Lens, facts: Facts
) -> tuple[str, Lines]:
    return "Alerte de non-collaboration", [
        only(
            lens,
            C.ALERTS,
            f"Alerte de non-collaboration pour {who(lens, facts)} : aucune rencontre ni "
            f"aucun contact depuis le {french.day(event.silent_since)} "
            f"({event.silent_days} jours sans nouvelles au {french.day(event.raised_on)}).",
        ),
        only(lens, C.ALERTS, "La commission FPEL peut décider de l'arrêt de la mesure."),
    ]


def combination_conflict(
    event: Case.CombinationConflictRaised, lens: Lens, facts: Facts
) -> tuple[str, Lines]:
    until = f" au {french.day(event.ends_on)}" if event.ends_on else ""
    return "Cumul d'accompagnements pendant une mesure ASPE", [
        only(
            lens,
            C.ALERTS,
            f"Un {labels.label(event.kind)} de {who(lens, facts)} est signalé "
            f"du {french.day(event.starts_on)}{until}, pendant sa mesure ASPE, qui ne peut "
            "lui être cumulée.",
        ),
        only(
            lens,
            C.ALERTS,
            "La commission FPEL arrête la mesure, ou décide de la poursuivre en motivant "
            "sa décision.",
        ),
    ]


def stopped(event: Case.MeasureStopped, lens: Lens, facts: Facts) -> tuple[str, Lines]:
    return "Arrêt de la mesure ASPE", [
        f"La commission FPEL a arrêté le {french.day(event.stopped_on)} la mesure ASPE "
        f"de {who(lens, facts)}.",
        only(lens, C.STOP_REASON, f"Motif : {labels.label(event.reason)}."),
        only(lens, C.STOP, f"Précisions : {event.details}" if event.details else ""),
    ]


def completed(event: Case.MeasureCompleted, lens: Lens, facts: Facts) -> tuple[str, Lines]:
    return "Fin de la mesure ASPE", [
        f"La mesure ASPE de {who(lens, facts)} s'est terminée le "
        f"{french.day(event.completed_on)}, au terme de la durée fixée par la commission.",
        only(lens, C.STOP, "Le référent remettra son bilan de fin de mesure."),
    ]


COMPOSERS: Mapping[type, Compose] = {
    Case.RequestSubmitted: submitted,
    Case.RequestRegistered: registered,
    Case.MeasureGranted: granted,
    Case.RequestRejected: rejected,
    Case.RequestAdjourned: adjourned,
    Case.MeasureExtended: extended,
    Case.CeopSigned: ceop_signed,
    Case.NonCollaborationAlertRaised: alert_raised,
    Case.CombinationConflictRaised: combination_conflict,
    Case.MeasureStopped: stopped,
    Case.MeasureCompleted: completed,
}


# ------------------------------------------------------------------ accounts
ACCOUNT_SIGNATURE = (
    "Si vous n'avez pas demandé ce changement, prévenez sans attendre l'association qui "
    "vous accompagne.\n\n"
    "— Plateforme ASPE (message automatique, merci de ne pas y répondre)"
)


def credentials_replaced(
    event: Household.CredentialsReplaced, name: str, zone: tzinfo
) -> tuple[str, str]:
    """To a household whose login was replaced, at its new address and its previous one."""
    lines = [
        f"Bonjour {name}," if name else "Bonjour,",
        f"Les identifiants de connexion du compte ASPE de votre ménage ont été remplacés le "
        f"{french.day(event.timestamp, zone)} par l'association qui vous accompagne.",
        f"Vous vous connectez désormais avec l'adresse {event.email} et le nouveau mot de "
        "passe que l'association vous a remis. Les sessions ouvertes auparavant sont fermées.",
        ACCOUNT_SIGNATURE,
    ]
    return "Vos identifiants de connexion ont été remplacés", "\n\n".join(lines)


ACCOUNT_COMPOSERS: Mapping[type, Callable[[Any, str, tzinfo], tuple[str, str]]] = {
    CREDENTIALS_REPLACED: credentials_replaced,
}


def compose(
    event: AuditedAggregate.Event, lens: Lens, facts: Facts, name: str
) -> tuple[str, str] | None:
    """The subject and body ``event`` makes for a reader called ``name``; ``None`` if it
    makes none (no text for that event, or nothing in it this reader may see)."""
    composer = COMPOSERS.get(type(event))
    if composer is None:
        return None
    subject, lines = composer(event, lens, facts)
    kept = [line for line in lines if line]
    if not kept:
        return None
    greeting = f"Bonjour {name}," if name else "Bonjour,"
    reference = f"Référence : {facts.reference}."
    return f"{subject} ({facts.reference})", "\n\n".join([greeting, *kept, reference, SIGNATURE])
