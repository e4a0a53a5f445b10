"""A case's state as an operator reads it (``aspe case show``): one French line per fact.

No note and nothing of the HEALTH theme; an empty value means "not yet".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aspe.domain.case import Case
from aspe.french import formats, labels


def case_state(case: Case) -> list[tuple[str, str]]:
    """Each fact of ``case`` (now, or as ``case_as_of`` replayed it) with its French name."""
    day = _optional(formats.day)
    euros = _optional(formats.amount)
    label = _optional(labels.label)
    return [
        ("Statut", labels.label(case.status)),
        ("Version", str(case.version)),
        ("Ménage", str(case.household_id)),
        ("Association", str(case.association_id)),
        ("Référent", str(case.referent_id)),
        ("Ouvert le", day(case.opened_on)),
        ("Diagnostic le", day(case.diagnosed_on)),
        ("Mesure proposée", label(case.proposed_measure)),
        ("Séance de la commission", day(case.commission_session_on)),
        ("Mesure décidée", label(case.measure_type)),
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
        ("Motif d'arrêt", label(case.stop_reason)),
        ("Terminée le", day(case.completed_on)),
        ("Bilan remis le", day(case.final_report_on)),
    ]


def _optional(show: Callable[[Any], str]) -> Callable[[Any], str]:
    """``show`` for a value that may not be there yet: none reads as an empty cell."""
    return lambda value: "" if value is None else show(value)


def _text(value: object) -> str:
    return "" if value is None else str(value)
