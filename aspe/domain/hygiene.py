"""Nothing stored holds a bad character, an over-long text or an implausible date.

``check_values`` runs on the values of every event a command triggers (the chokepoint of
``audited.py``), whatever the command, walking into lists and value objects: a NUL stored in
an event stops every PostgreSQL reader of it, a lone surrogate cannot even be encoded.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, is_dataclass
from datetime import date, datetime
from typing import Any

from aspe.domain.bounds import InputBounds
from aspe.domain.errors import InvalidInput

FORBIDDEN_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
"""Control characters (Unicode's Cc) and lone surrogates (Cs). Tab and newline are text;
so is the carriage return, which browsers' textareas send before each newline."""

FIELD_LABELS: dict[str, str] = {
    "name": "nom",
    "full_name": "nom",
    "contact": "coordonnées",
    "email": "adresse électronique",
    "street": "adresse",
    "postcode": "code postal",
    "city": "commune",
    "note": "note",
    "reason": "motif",
    "details": "précisions",
    "subject": "objet",
    "outcome": "conclusions",
    "creditor": "créancier",
    "summary": "bilan",
    "filename": "nom du fichier",
    "media_type": "type du document",
    "difficulty": "difficulté",
    "Objective.label": "objectif",
    "Step.label": "étape",
    "Step.due_on": "échéance de l'étape",
    "Commitment.text": "engagement",
    "Participant.label": "participant",
    "commission_session_on": "séance de la commission",
    "session_on": "séance de la commission",
    "occurred_on": "date",
    "held_on": "date de la concertation",
    "signed_on": "date de signature",
    "starts_on": "début",
    "ends_on": "fin",
    "Period.starts_on": "début",
    "Period.ends_on": "fin",
    "first_due_on": "première échéance",
    "planned_at": "rendez-vous",
    "month": "mois",
}
"""The French name of each event attribute a person fills in, for the refusal's message."""


@dataclass(frozen=True)
class _Window:
    earliest: date
    latest: date

    def holds(self, day: date) -> bool:
        return self.earliest <= day <= self.latest


def check_values(values: Mapping[str, Any], bounds: InputBounds, today: date) -> None:
    """Refuse (``InvalidInput``) the first value that is not clean, naming its field."""
    window = _Window(bounds.earliest_date(today), bounds.latest_date(today))
    for name, value in values.items():
        # The event's attribute is the command's parameter of the same name: the refusal
        # names it (``field``), so that a form shows it next to the field that carried it.
        _check(value, name, name, bounds, window)


def check_text(text: str, field: str, bounds: InputBounds, path: str | None = None) -> None:
    """A text of at most ``max_text_length`` characters, none of them a control character.
    ``field`` names it for people; ``path``, the parameter that carried it."""
    if len(text) > bounds.max_text_length:
        raise InvalidInput(
            f"{_the_field(field)} dépasse {bounds.max_text_length} caractères.", field=path
        )
    if FORBIDDEN_CHARACTERS.search(text):
        raise InvalidInput(f"{_the_field(field)} contient un caractère non autorisé.", field=path)


def _check(value: Any, field: str, path: str, bounds: InputBounds, window: _Window) -> None:
    if isinstance(value, str):
        check_text(value, field, bounds, path)
    elif isinstance(value, date):  # a datetime too: its calendar day
        _check_date(value.date() if isinstance(value, datetime) else value, field, path, window)
    elif is_dataclass(value) and not isinstance(value, type):
        owner = type(value).__name__
        for item in fields(value):
            label, inner = f"{owner}.{item.name}", f"{path}.{item.name}"
            _check(getattr(value, item.name), label, inner, bounds, window)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            _check(item, field, path, bounds, window)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _check(key, field, path, bounds, window)
            _check(item, field, path, bounds, window)


def _check_date(day: date, field: str, path: str, window: _Window) -> None:
    if not window.holds(day):
        raise InvalidInput(
            f"{_the_field(field)} est hors des dates plausibles "
            f"(du {window.earliest:%d/%m/%Y} au {window.latest:%d/%m/%Y}).",
            field=path,
        )


def _the_field(field: str) -> str:
    label = FIELD_LABELS.get(field) or FIELD_LABELS.get(field.rpartition(".")[2])
    return f"Le champ « {label} »" if label else "Une des valeurs saisies"
